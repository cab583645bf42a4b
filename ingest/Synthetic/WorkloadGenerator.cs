using System.Diagnostics;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Synthetic;

/// <summary>
/// Synthetic traces: hosts x containers x tasks doing what a <see cref="WorkloadSpec"/> mixes,
/// written the way a kernel would have recorded them (MODELS.md, "Divergence"): every event is
/// run on its host's <see cref="ISyntheticKernel"/> and carries the answer it gave.
/// </summary>
public static class WorkloadGenerator
{
    /// <summary>
    /// The events of every host interleaved in time order, each host's Seq from 0, streamed: the
    /// whole trace never exists at once. The same spec and seed give the same events.
    /// </summary>
    public static IEnumerable<PidEvent> Generate(WorkloadSpec spec, Func<string, ISyntheticKernel> kernelForHost)
    {
        if (spec.Check() is { } bad) throw new ArgumentException(bad);
        return Stream(spec, kernelForHost);
    }

    private static IEnumerable<PidEvent> Stream(WorkloadSpec spec, Func<string, ISyntheticKernel> kernelForHost)
    {
        var cluster = new SyntheticCluster(spec, kernelForHost);
        long left = spec.Events;
        while (left > 0)
        {
            var step = cluster.Step();
            while (left > 0 && step.TryDequeue(out var ev))
            {
                left--;
                yield return ev;
            }
            step.Clear();
        }
    }

    /// <summary>The host names a spec gives: host-000, host-001, ...</summary>
    public static string HostName(int index) => $"host-{index:D3}";
}

/// <summary>
/// The generator's engine: the hosts, what it knows of their tasks, and the events of the step
/// under way. Each step is one small piece of an activity (a login, a batch of compilations, a
/// kill and what follows it); the step's events are applied to the kernel as they are made,
/// since what comes next depends on the answers.
/// </summary>
internal sealed partial class SyntheticCluster
{
    private const int SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGUSR1 = 10, SIGTERM = 15, SIGCHLD = 17;
    private const int WaitOptions = 0;

    /// <summary>The signals every task's disposition is known for (the ones the workloads send).</summary>
    private static readonly int[] Tracked = [SIGHUP, SIGINT, SIGUSR1, SIGTERM, SIGCHLD];

    /// <summary>clone flags of pthread_create (glibc): CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID.</summary>
    private const ulong ThreadFlags = 0x3d0f00;

    /// <summary>The inode of a host's initial pid namespace (PROC_PID_INIT_INO).</summary>
    private const ulong HostNsInode = 0xEFFFFFFC;

    /// <summary>What to generate.</summary>
    private readonly WorkloadSpec _spec;
    /// <summary>The hosts, in name order.</summary>
    private readonly SimHost[] _hosts;
    /// <summary>Every choice the generator makes is drawn from it, in one order: the seed decides the trace.</summary>
    private Rng _rng;
    /// <summary>Cumulative mix weights, in WorkloadMix.Weights order.</summary>
    private readonly double[] _mix;
    /// <summary>The kernel's answer to the last event emitted, reused.</summary>
    private readonly KernelAnswer _answer = new();
    /// <summary>The current step's events, in order; drained by the caller after each step.</summary>
    private readonly Queue<PidEvent> _out = new(256);
    /// <summary>What the current step still has to play out: deliveries, deaths, reaps.</summary>
    private readonly Queue<Work> _work = new(64);
    /// <summary>A drain is under way: work found meanwhile joins its queue instead of starting another.</summary>
    private bool _draining;
    /// <summary>Released task records, reused.</summary>
    private readonly Stack<SimTask> _free = new();
    /// <summary>The clock of every host (ns): one clock, so that the hosts' events interleave in time order.</summary>
    private long _time = 1_000_000_000;
    /// <summary>Tasks made so far: SimTask.Born.</summary>
    private long _born;
    /// <summary>Containers ever made (for their ids) and top-level ones running over all hosts.</summary>
    private int _madeContainers, _running;

    private enum WorkKind : byte { Deliver, Die, Reap, ReapInit }

    private readonly record struct Work(WorkKind Kind, SimTask Task, int Sig);

    public SyntheticCluster(WorkloadSpec spec, Func<string, ISyntheticKernel> kernelForHost)
    {
        _spec = spec;
        _rng = new Rng(spec.Seed);
        var w = spec.Mix.Weights();
        _mix = new double[w.Length];
        double sum = 0;
        for (int i = 0; i < w.Length; i++) _mix[i] = sum += w[i];
        _hosts = new SimHost[spec.Hosts];
        for (int i = 0; i < spec.Hosts; i++)
        {
            var name = WorkloadGenerator.HostName(i);
            _hosts[i] = new SimHost(spec.PidMax) { Name = name, Kernel = kernelForHost(name) };
            BootHost(_hosts[i]);
        }
    }

    /// <summary>Makes the next step's events; the caller drains the queue before the next call.</summary>
    public Queue<PidEvent> Step()
    {
        bool migrated = false;
        if (_running < _spec.Hosts * _spec.Containers) BootContainer(Emptiest(null));
        else if (_spec.Hosts > 1 && _rng.Chance(_spec.MigrationRate)) migrated = TryMigrate();
        if (!migrated) Activity();
        Drain();
        return _out;
    }

    /// <summary>
    /// What the generator believes of each container, checked against itself and the kernel
    /// between steps: its process list and live count match the tasks it holds, and the kernel
    /// can name every one of them from the container's init (a task it cannot name is one a
    /// teardown would not kill, and ReapInit would wait for forever). Null when consistent.
    /// </summary>
    internal string? Audit()
    {
        foreach (var h in _hosts)
        {
            foreach (var ct in h.Containers)
            {
                int live = 0;
                foreach (var t in h.Tasks.Values)
                    if (t.Container == ct) live++;
                if (live != ct.Live) return $"{h.Name}: {ct.Id} counts {ct.Live} live tasks, holds {live}";
                for (int i = 0; i < ct.Processes.Count; i++)
                {
                    var p = ct.Processes[i];
                    if (p.Slot != i || p.Container != ct || !h.Tasks.TryGetValue(p.Tid, out var known) || known != p)
                        return $"{h.Name}: {ct.Id}'s process list is out of step at {i} (tid {p.Tid})";
                    if (!ct.Dying && h.Kernel.NumberOf(ct.Init.Tid, p.Tid) <= 0)
                        return $"{h.Name}: the kernel cannot name {p.Tid} ({p.Comm}) from {ct.Id}'s init";
                }
            }
        }
        return null;
    }

    /// <summary>One activity, drawn from the mix, in a container drawn from all.</summary>
    private void Activity()
    {
        // A host may have given its last container away; the activity goes to the next one.
        int first = _rng.Next(_hosts.Length);
        var h = _hosts[first];
        for (int i = 1; h.Containers.Count == 0 && i < _hosts.Length; i++) h = _hosts[(first + i) % _hosts.Length];
        var ct = h.Containers[_rng.Next(h.Containers.Count)];
        if (!RunActivity(PickActivity(), ct)) Query(ct);
    }

    private int PickActivity()
    {
        double x = _rng.NextDouble() * _mix[^1];
        for (int i = 0; i < _mix.Length; i++)
            if (x < _mix[i]) return i;
        return _mix.Length - 1;
    }

    private SimHost Emptiest(SimHost? except)
    {
        SimHost? best = null;
        foreach (var h in _hosts)
            if (h != except && (best is null || h.TopLevel < best.TopLevel)) best = h;
        return best!;
    }

    // ---- recording ---------------------------------------------------------------------------

    /// <summary>Runs an event on its host's kernel and queues it as the kernel recorded it; the answer stays in _answer.</summary>
    private void Emit(SimHost h, PidEvent ev)
    {
        _time += 200 + _rng.Next(800);
        ev.SetEnvelope(h.Name, h.Seq++, _time, ev.Tid, ev.Comm, ev.Ret);
        h.Kernel.Apply(ev, _answer);
        var a = _answer;
        // The kernel has run the event: what it answered is recorded on the event itself.
        if (a.Signals.Count > 0)
        {
            switch (ev)
            {
                case Kill k: k.SetSignals(a.Signals.ToArray()); break;
                case Exit x: x.SetSignals(a.Signals.ToArray()); break;
                default: throw new InvalidOperationException($"the kernel sent signals for a {ev.Kind} event, which records none");
            }
        }
        ev.SetEnvelope(h.Name, ev.Seq, ev.Time, ev.Tid, ev.Comm, a.HasRet ? a.Ret : ev.Ret);
        _out.Enqueue(ev);
        Settle(h);
    }

    /// <summary>
    /// Follows what the kernel did beyond the answer: orphans' new parents, a teardown's victims,
    /// and each delivered signal's effect on its recipient (a handler runs, or the process dies).
    /// </summary>
    private void Settle(SimHost h)
    {
        var a = _answer;
        foreach (var r in a.Reparented)
        {
            if (!h.Tasks.TryGetValue(r.Child, out var child) || !h.Tasks.TryGetValue(r.NewParent, out var parent)) continue;
            child.Parent = parent.Leader;
            if (child.Exited) _work.Enqueue(new Work(WorkKind.Reap, child, 0));
        }
        foreach (var tid in a.Killed)
            if (h.Tasks.TryGetValue(tid, out var victim)) Doom(victim.Leader, SIGKILL);
        foreach (var s in a.Signals)
        {
            if (s.Result != SignalResult.Delivered || !h.Tasks.TryGetValue(s.To, out var t) || t.Exited) continue;
            var p = t.Leader;
            if (s.Sig == SIGKILL || !p.Catches(s.Sig) && !p.Ignores(s.Sig) && FatalByDefault(s.Sig)) Doom(p, s.Sig);
            else if (p.Catches(s.Sig) && !p.Doomed) _work.Enqueue(new Work(WorkKind.Deliver, t, s.Sig));
        }
    }

    /// <summary>sig_kernel_ignore's complement among the signals used here: the default action kills.</summary>
    private static bool FatalByDefault(int sig) => sig is not (SIGCHLD or 18 or 23 or 28) and not (19 or 20 or 21 or 22);

    private void Doom(SimTask p, int sig)
    {
        if (p.Doomed || p.Exited) return;
        p.Doomed = true;
        p.DeathSig = sig;
        _work.Enqueue(new Work(WorkKind.Die, p, sig));
    }

    /// <summary>Plays out what the step set off, in the order the kernel and the tasks would: FIFO.</summary>
    private void Drain()
    {
        if (_draining) return;
        _draining = true;
        while (_work.TryDequeue(out var w))
        {
            switch (w.Kind)
            {
                case WorkKind.Deliver: Deliver(w.Task, w.Sig); break;
                case WorkKind.Die: Die(w.Task); break;
                case WorkKind.Reap: Reap(w.Task); break;
                case WorkKind.ReapInit: ReapInit(w.Task); break;
            }
        }
        _draining = false;
    }

    // ---- the primitives: one system call each, the world kept in step -------------------------

    private SimTask NewTask(SimHost h, int tid, Role role, string comm, SimContainer? ct)
    {
        var t = _free.Count > 0 ? _free.Pop() : new SimTask();
        t.Tid = tid;
        t.Leader = t;
        t.Role = role;
        t.Comm = comm;
        t.Container = ct;
        t.Born = ++_born;
        h.Tasks[tid] = t;
        if (ct is not null) ct.Live++;
        return t;
    }

    /// <summary>fork()/clone() by <paramref name="parent"/>: the child inherits group, session and dispositions.</summary>
    private SimTask Fork(SimHost h, SimTask parent, Role role, SimContainer? ct, ulong flags = 0, ForkCall call = ForkCall.Fork, int[]? setTid = null)
    {
        int tid = h.AllocTid();
        Emit(h, new Fork { Tid = parent.Tid, Comm = parent.Comm, Child = tid, Call = call, Flags = flags, SetTid = setTid });
        if (_answer.HasRet && _answer.Ret <= 0)
            throw new InvalidOperationException($"{h.Name}: the kernel failed a fork the generator expected to succeed ({_answer.Ret})");
        var p = parent.Leader;
        var t = NewTask(h, tid, role, p.Comm, ct);
        t.Parent = p;
        t.Pgid = p.Pgid;
        t.Sid = p.Sid;
        h.Hold(t.Pgid);
        h.Hold(t.Sid);
        t.Catch = p.Catch;
        t.Ignore = p.Ignore;
        if (ct is not null && (flags & CloneFlags.NewPid) == 0) ct.Add(t);
        if (ct is not null) Allocated(h, ct, t, setTid);
        return t;
    }

    /// <summary>
    /// Follows alloc_pid's cursor in every namespace <paramref name="t"/> was just given a number in
    /// (EnterFromHost needs them). A number asked for with set_tid (innermost levels first) leaves
    /// that level's cursor where it was: idr_alloc, not idr_alloc_cyclic (kernel/pid.c).
    /// </summary>
    private static void Allocated(SimHost h, SimContainer ct, SimTask t, int[]? setTid)
    {
        for (var c = ct; c is not null; c = c.Parent)
        {
            // An init is forked before it is its container's init: it is number 1 there.
            int nr = c.Init is null ? 1 : h.Kernel.NumberOf(c.Init.Tid, t.Tid);
            if (nr <= 0) continue;
            if (setTid is not null && ct.Depth - c.Depth < setTid.Length)
            {
                c.HeldPastCursor |= nr >= c.Cursor;
                continue;
            }
            c.HeldPastCursor |= nr < c.Cursor;
            c.Cursor = nr + 1;
        }
    }

    /// <summary>pthread_create: a thread of <paramref name="leader"/>'s process.</summary>
    private SimTask Thread(SimHost h, SimTask leader, int[]? setTid = null)
    {
        int tid = h.AllocTid();
        Emit(h, new Fork { Tid = leader.Tid, Comm = leader.Comm, Child = tid, Call = setTid is null ? ForkCall.Clone : ForkCall.Clone3, Flags = ThreadFlags, SetTid = setTid });
        var t = NewTask(h, tid, Role.Thread, leader.Comm, leader.Container);
        t.Leader = leader;
        t.Parent = leader.Parent;
        leader.Threads.Add(t);
        if (t.Container is { } ct) Allocated(h, ct, t, setTid);
        return t;
    }

    private void Exec(SimHost h, SimTask t, string file, string comm)
    {
        Emit(h, new Exec { Tid = t.Tid, Comm = t.Comm, Filename = file });
        t.Comm = comm;
        // flush_signal_handlers: handlers go back to SIG_DFL, SIG_IGN stays.
        t.Catch = 0;
    }

    private void SigAction(SimHost h, SimTask t, int sig, Handler handler)
    {
        Emit(h, new SigAction { Tid = t.Tid, Comm = t.Comm, Sig = sig, Handler = handler, Ret = 0 });
        ulong bit = SimTask.Bit(sig);
        t.Catch = handler == Handler.Catch ? t.Catch | bit : t.Catch & ~bit;
        t.Ignore = handler == Handler.Ignore ? t.Ignore | bit : t.Ignore & ~bit;
    }

    /// <summary>Sets every tracked signal's disposition: the ones named are caught, <paramref name="ignore"/> ignored, the rest default.</summary>
    private void SigActions(SimHost h, SimTask t, ulong catchMask, ulong ignore = 0)
    {
        foreach (int sig in Tracked)
        {
            ulong bit = SimTask.Bit(sig);
            var handler = (catchMask & bit) != 0 ? Handler.Catch : (ignore & bit) != 0 ? Handler.Ignore : Handler.Default;
            SigAction(h, t, sig, handler);
        }
    }

    private static ulong Mask(params ReadOnlySpan<int> sigs)
    {
        ulong m = 0;
        foreach (int s in sigs) m |= SimTask.Bit(s);
        return m;
    }

    private void SetSid(SimHost h, SimTask t)
    {
        Emit(h, new SetSid { Tid = t.Tid, Comm = t.Comm });
        if (!_answer.HasRet || _answer.Ret < 0) return;
        MoveGroup(h, t, t.Tid);
        h.Put(t.Sid);
        t.Sid = t.Tid;
        h.Hold(t.Sid);
    }

    /// <summary>setpgid(pid, pgid) by <paramref name="caller"/>, moving <paramref name="target"/> into the group led by <paramref name="leader"/>.</summary>
    private void SetPgid(SimHost h, SimTask caller, SimTask target, SimTask leader)
    {
        int pid = caller == target ? 0 : h.Kernel.NumberOf(caller.Tid, target.Tid);
        int pgid = leader == target ? 0 : h.Kernel.NumberOf(caller.Tid, leader.Tid);
        Emit(h, new SetPgid { Tid = caller.Tid, Comm = caller.Comm, Pid = pid, Pgid = pgid });
        if (_answer.HasRet && _answer.Ret == 0) MoveGroup(h, target, leader.Tid);
    }

    /// <summary>setpgid by the process itself to a group number it names in its own view (restore: the leader may be gone).</summary>
    private void JoinGroup(SimHost h, SimTask t, int pgidNr, int pgidGlobal)
    {
        Emit(h, new SetPgid { Tid = t.Tid, Comm = t.Comm, Pid = 0, Pgid = pgidNr });
        if (_answer.HasRet && _answer.Ret == 0) MoveGroup(h, t, pgidGlobal);
    }

    private static void MoveGroup(SimHost h, SimTask t, int pgid)
    {
        h.Put(t.Pgid);
        t.Pgid = pgid;
        h.Hold(pgid);
    }

    private void Prctl(SimHost h, SimTask t, bool subreaper)
    {
        Emit(h, new Prctl { Tid = t.Tid, Comm = t.Comm, Option = Events.Prctl.SetChildSubreaper, Arg2 = subreaper ? 1UL : 0 });
        t.Subreaper = subreaper;
    }

    private void GetId(SimHost h, SimTask t, GetIdCall call, int arg = 0) =>
        Emit(h, new GetId { Tid = t.Tid, Comm = t.Comm, Call = call, Arg = arg });

    /// <summary>kill(pid, sig) as the caller passes it; what the signals do plays out when the step drains.</summary>
    private void Kill(SimHost h, SimTask caller, int pid, int sig) =>
        Emit(h, new Kill { Tid = caller.Tid, Comm = caller.Comm, Call = KillCall.Kill, Pid = pid, Sig = sig });

    /// <summary>The process exits of its own accord (exit_group(0)).</summary>
    private void Quit(SimTask p) => Doom(p.Leader, 0);

    /// <summary>signal_deliver: the handler runs, and the task does what it does on that signal.</summary>
    private void Deliver(SimTask t, int sig)
    {
        var p = t.Leader;
        if (t.Exited || p.Doomed || p.Exited) return;
        var h = Host(t);
        Emit(h, new Deliver { Tid = t.Tid, Comm = t.Comm, Sig = sig, Handler = Handler.Catch });
        // Daemons, services and make clean up and exit on SIGTERM; make stops on SIGINT too.
        if (sig == SIGTERM && p.Role is Role.Daemon or Role.Supervisor or Role.Service or Role.Make or Role.NestManager
            || sig == SIGINT && p.Role == Role.Make)
            Quit(p);
    }

    private SimHost Host(SimTask t) => t.Container?.Host ?? HostOfTool(t);

    private SimHost HostOfTool(SimTask t)
    {
        foreach (var h in _hosts)
            if (h.Tasks.TryGetValue(t.Tid, out var known) && known == t) return h;
        throw new InvalidOperationException($"task {t.Tid} is on no host");
    }

    /// <summary>do_exit for every thread, then the process: exit_group.</summary>
    private void Die(SimTask p)
    {
        if (p.Exited) return;
        var h = Host(p);
        for (int i = p.Threads.Count - 1; i >= 0; i--)
        {
            var th = p.Threads[i];
            Emit(h, new Exit { Tid = th.Tid, Comm = th.Comm, Group = true, Code = p.DeathSig });
            th.Exited = true;
            Release(h, th);
        }
        Emit(h, new Exit { Tid = p.Tid, Comm = p.Comm, Group = true, Code = p.DeathSig });
        p.Exited = true;
        if (p.Container is { } ct && ct.Init == p)
        {
            // zap_pid_ns_processes: the init is reapable once the rest of its namespace is gone.
            ct.Dying = true;
            _work.Enqueue(new Work(WorkKind.ReapInit, p, 0));
        }
        else
        {
            Reap(p);
        }
    }

    /// <summary>
    /// A zombie's parent reaps it: with wait4 for its number, unless the parent is a dying init
    /// (which ignores SIGCHLD: the child reaps itself) or dies in this step too (the zombie then
    /// goes to a reaper, and is reaped when the kernel says where).
    /// </summary>
    private void Reap(SimTask c)
    {
        var q = c.Parent;
        var h = Host(c);
        if (q is null || q.Container is { Dying: true } qc && qc.Init == q)
        {
            Release(h, c);
            return;
        }
        if (q.Doomed || q.Exited) return;
        Wait(h, q, c);
    }

    private void Wait(SimHost h, SimTask parent, SimTask child)
    {
        // The child is a zombie of this parent: wait4 returns its number, whatever the kernel model
        // can tell (it cannot place a child born after setns into a namespace it cannot name).
        int nr = h.Kernel.NumberOf(parent.Tid, child.Tid);
        Emit(h, new Wait { Tid = parent.Tid, Comm = parent.Comm, Call = WaitCall.Wait4, Pid = nr, Options = WaitOptions, Ret = nr });
        if (_answer.HasRet && _answer.Ret != nr)
            throw new InvalidOperationException($"{h.Name}: wait4({nr}) by {parent.Tid} for {child.Tid} returned {_answer.Ret}");
        Release(h, child);
    }

    /// <summary>The init's parent reaps it once its namespace, nested ones included, holds nothing else.</summary>
    private void ReapInit(SimTask init)
    {
        var ct = init.Container!;
        for (var c = ct; c is not null; c = c.Child)
        {
            if (c.Live > (c == ct ? 1 : 0))
            {
                // Tasks still exiting are queued before this: wait for them, unless nothing is left to wait for.
                if (_work.Count == 0)
                    throw new InvalidOperationException($"{ct.Host.Name}: {ct.Id}'s namespace never empties: the generator lost a task");
                _work.Enqueue(new Work(WorkKind.ReapInit, init, 0));
                return;
            }
        }
        var h = ct.Host;
        var q = init.Parent;
        Debug.Assert(ct.Live == 1, "the init is reaped last");
        if (q is null || q.Doomed || q.Exited || q.Container is { Dying: true } qc && qc.Init == q) Release(h, init);
        else Wait(h, q, init);
        if (ct.Depth == 0) Emit(h, new Container { Tid = h.Vzctl.Tid, Comm = h.Vzctl.Comm, Action = ContainerAction.Stop, Id = ct.Id });
    }

    /// <summary>release_task: the numbers the task held go back (its own, and its share of its group and session).</summary>
    private void Release(SimHost h, SimTask t)
    {
        h.Put(t.Tid);
        h.Tasks.Remove(t.Tid);
        var ct = t.Container;
        if (t.IsThread)
        {
            t.Leader.Threads.Remove(t);
        }
        else
        {
            h.Put(t.Pgid);
            h.Put(t.Sid);
            if (t.Slot >= 0) ct!.Remove(t);
            if (ct is not null && ct.Init == t) RemoveContainer(ct);
        }
        if (ct is not null) ct.Live--;
        t.Clear();
        _free.Push(t);
    }

    private void RemoveContainer(SimContainer ct)
    {
        var h = ct.Host;
        var last = h.Containers[^1];
        h.Containers[ct.Slot] = last;
        last.Slot = ct.Slot;
        h.Containers.RemoveAt(h.Containers.Count - 1);
        ct.Slot = -1;
        if (ct.Parent is { } outer) outer.Child = null;
        if (ct.Depth == 0)
        {
            h.TopLevel--;
            _running--;
        }
    }

    private void AddContainer(SimHost h, SimContainer ct)
    {
        ct.Slot = h.Containers.Count;
        h.Containers.Add(ct);
        if (ct.Depth == 0)
        {
            h.TopLevel++;
            _running++;
        }
    }
}
