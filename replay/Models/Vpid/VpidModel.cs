using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Vpid;

/// <summary>
/// OpenVZ flat virtual pids as posted in February 2006 (seeds 000 and 001; MODELS.md, "Flat
/// virtual pids"). Every task keeps one global pid, unique on the host and used for all kernel
/// linkage; a task inside a VPS sees virtual numbers, which are the global pid with VPID_BIT set
/// (linear) or, after a migration made that impossible, whatever a host-wide hash says (sparse).
/// Numbers are translated only at the user boundary: in (vpid_to_pid) on the way in, out
/// (pid_type_to_vpid, virt_*) on the way out.
///
/// The replay is trace-driven: the trace's global tid is a task's identity, and its global pid
/// here is that tid whenever this design could have allocated it (bit 10 clear, below pid_max,
/// free); otherwise alloc_pidmap picks one, and when the halved pid space is full the task is
/// numbered above pid_max and the event reports the allocation failure the design would have had.
/// A task from before the capture that it could not number so is numbered above pid_max too (no
/// failure: it was not allocated during the capture), where no later fork of the trace collides.
/// Where the trace's kernel made a choice this design shares (which zombie a wait reaped, a
/// signal's result on the queue), the replay follows the trace.
/// </summary>
public sealed partial class VpidModel : IPidModel
{
    /// <summary>include/linux/pid.h of the patch: a number with this bit set is virtual.</summary>
    public const int VpidBit = 10;
    public const int VpidDiv = 1 << VpidBit;
    /// <summary>kernel/pid.c: the allocator wraps to here, above the daemons of boot.</summary>
    private const int ReservedPids = 300;

    private const int EPERM = 1, ESRCH = 3, EACCES = 13, EAGAIN = 11, ECHILD = 10, EBUSY = 16, EEXIST = 17, EINVAL = 22;
    private const int SIGKILL = 9, SIGCHLD = 17, SIGSTOP = 19;
    private const int WNOWAIT = 0x01000000;
    /// <summary>sa_flags' SA_NOCLDWAIT: children are reaped as they exit, never left as zombies.</summary>
    private const ulong SA_NOCLDWAIT = 2;
    /// <summary>SIGCHLD's si_code for an exit: CLD_EXITED, CLD_KILLED, CLD_DUMPED.</summary>
    private const int CldExited = 1, CldDumped = 3;
    /// <summary>si_code SI_KERNEL as tracefs prints it for a teardown's SIGKILL.</summary>
    private const int SiKernel = 128;

    /// <summary>The what-if parameters.</summary>
    private readonly VpidOptions _options;
    /// <summary>Checkpoints on their way between hosts; shared with the other hosts' models.</summary>
    private readonly VpsMigrations _migrations;
    /// <summary>Tasks not yet released, by identity (the trace's global tid).</summary>
    private readonly TidMap<VpidTask> _tasks = new();
    /// <summary>pid_hash[PIDTYPE_PID]: tasks by global pid; the upper half holds tasks this design could not have numbered.</summary>
    private readonly PagedTable<VpidTask?> _byPid;
    /// <summary>Per global number: id types attached (pid, tgid, pgid, sid); the number is free (free_pidmap) at 0.</summary>
    private readonly PagedTable<int> _uses;
    /// <summary>Per global number: the identity of the task that last held it, so an exited group leader's group keeps a name.</summary>
    private readonly PagedTable<int> _traceOf;
    /// <summary>pid_hash[PIDTYPE_PGID]: each process group's leaders, in attach order.</summary>
    private readonly PagedTable<VpidTask?> _groupHead, _groupTail;
    /// <summary>The host-wide vpid_hash.</summary>
    private readonly VpidHash _hash;
    /// <summary>VPSs ever made on this host, by id - 1.</summary>
    private readonly List<Vps> _vpss = new();
    /// <summary>The first and last VPS of each name (vzctl names one in a Container event); the others follow on Vps.NextNamed, by Id.</summary>
    private readonly Dictionary<string, (Vps First, Vps Last)> _vpssByName = new(StringComparer.Ordinal);
    /// <summary>The first and last VPS of each trace pid namespace inode; the others follow on Vps.NextInNs, by Id.</summary>
    private readonly Dictionary<ulong, (Vps First, Vps Last)> _vpssByNs = new();
    /// <summary>Released task objects, reused so that forks allocate nothing once warm.</summary>
    private readonly Stack<VpidTask> _pool = new();
    /// <summary>Identities collected by a teardown, sorted before they are reported.</summary>
    private readonly List<int> _scratch = new(64);
    /// <summary>An outcome Resolve fills with costs nobody reads, so that it allocates nothing.</summary>
    private readonly Outcome _resolveScratch = new();
    /// <summary>
    /// Trace numbers this design numbers otherwise (bit 10 set, taken here, or at pid_max and
    /// above), to the global number it uses instead: a host caller passes the trace's number for a
    /// task it learned of from the trace's kernel, and would have passed this one.
    /// </summary>
    private readonly TidMap<int> _renumbered = new();
    /// <summary>
    /// Per VPS, each number the trace's kernel showed inside (a task's number in its namespace) to
    /// the global pid of the task that last held it, and that task's identity. A caller inside
    /// passes the numbers it was shown; under this design it was shown others for the same tasks
    /// (fork's global pid as posted, getpid's virtual one) and would have passed those.
    /// </summary>
    private readonly InsideNumberTable _insideNumbers = new();
    /// <summary>The signal_generate lines the trace recorded for the event being replayed.</summary>
    private ReadOnlyMemory<SignalRecord> _recorded;
    /// <summary>Holds a lone kernel signal's record for <see cref="_recorded"/>, so that no event allocates.</summary>
    private readonly SignalRecord[] _lone = new SignalRecord[1];
    /// <summary>
    /// Exit notices this design sent and the trace has not shown yet: by the exiting thread, where
    /// the SIGCHLD went, and the process it told of. The trace's kernel emits a notice in that
    /// thread's context before the process can be reaped: once the process is released, or the
    /// thread's tid is given again, the notice can no longer be shown and goes. A Dictionary, not a
    /// table by tid: the notices wait scattered over the tids (15,508 at the end of the 10M-event
    /// trace of 5,400 containers, each for a zombie not reaped yet), and a table kept a 48 KiB page
    /// for nearly each.
    /// </summary>
    private readonly Dictionary<int, (int To, SignalResult Result, int Child)> _notices = new();
    /// <summary>The thread whose exit is being replayed; 0 outside an exit.</summary>
    private int _exiting;
    /// <summary>Snapshot tasks whose parent has not been seen yet, by the parent's identity.</summary>
    private readonly Dictionary<int, List<VpidTask>> _awaitingParent = new();
    /// <summary>The host's process list (for_each_process), creation order.</summary>
    private readonly ProcessList _processes = new();
    /// <summary>The last creation number given to a task (VpidTask.Seq).</summary>
    private long _seq;
    /// <summary>
    /// Every VPS's member list holds exactly its tasks on the host walk, in walk order, so a walk
    /// of one VPS may take it instead of the host's. False once a process was released before its
    /// threads (a tid the trace reused): those threads leave the walk, and a later release can
    /// splice them back where no order is kept; the walks then go over the host as posted.
    /// </summary>
    private bool _membersExact = true;
    /// <summary>last_pid of kernel/pid.c: where alloc_pidmap starts looking.</summary>
    private int _lastPid;
    /// <summary>Where the next number above pid_max is looked for.</summary>
    private int _overflowCursor;
    /// <summary>The host this model replays (from the first event), the source of its checkpoints.</summary>
    private string _host = "";

    public VpidModel(VpidOptions? options = null, VpsMigrations? migrations = null)
    {
        _options = options ?? VpidOptions.Default;
        _options.Validate();
        _migrations = migrations ?? new VpsMigrations();
        int numbers = 2 * _options.PidMax;
        _byPid = new(numbers);
        _uses = new(numbers);
        _traceOf = new(numbers);
        _groupHead = new(numbers);
        _groupTail = new(numbers);
        _hash = new VpidHash(_options.Buckets);
        _lastPid = ReservedPids - 1;
        _overflowCursor = _options.PidMax;
    }

    public string Name => "vpid";

    public VpidOptions Options => _options;

    /// <summary>The last switch to sparse numbering, with its cost; null until a migration caused one.</summary>
    public SparseSwitch? LastSparseSwitch { get; private set; }

    /// <summary>Switches to sparse numbering so far, in order.</summary>
    public int SparseSwitches { get; private set; }

    /// <summary>Mappings now in the host-wide vpid hash.</summary>
    public int HashMappings => _hash.Count;

    public IReadOnlyList<Vps> Containers => _vpss;

    public int TaskCount => _tasks.Count;

    /// <summary>Exit notices kept for a late SIGCHLD line of the trace.</summary>
    internal int PendingNotices => _notices.Count;

    /// <summary>Numbers the trace's kernel showed inside VPSs, kept to read callers' arguments.</summary>
    internal int InsideNumbers => _insideNumbers.Count;

    public void Apply(PidEvent ev, Outcome outcome)
    {
        outcome.Reset();
        if (_host.Length == 0)
            _host = ev.Host;
        _recorded = ev switch
        {
            Kill k => k.Signals,
            Exit x => x.Signals,
            Signal g => Lone(g.Record),
            _ => default,
        };
        switch (ev.Kind)
        {
            case EventKind.Snapshot: ApplySnapshot((TaskSnapshot)ev, outcome); break;
            case EventKind.Fork: DoFork((Fork)ev, outcome); break;
            case EventKind.Exec: DoExec((Exec)ev, outcome); break;
            case EventKind.Exit: DoExit((Exit)ev, outcome); break;
            case EventKind.SetPgid: SysSetpgid((SetPgid)ev, outcome); break;
            case EventKind.SetSid: SysSetsid(ev, outcome); break;
            case EventKind.SigAction: SysSigaction((SigAction)ev, outcome); break;
            case EventKind.Prctl: SysPrctl(ev, outcome); break;
            case EventKind.GetId: SysGetId((GetId)ev, outcome); break;
            case EventKind.Kill: SysKill((Kill)ev, outcome); break;
            case EventKind.Wait: SysWait((Wait)ev, outcome); break;
            case EventKind.Unshare: SysUnshare((Unshare)ev, outcome); break;
            case EventKind.SetNs: SysSetns((SetNs)ev, outcome); break;
            case EventKind.Deliver: Delivered((Deliver)ev, outcome); break;
            case EventKind.Signal: KernelSignal((Signal)ev, outcome); break;
            case EventKind.Container: ContainerEvent((Container)ev, outcome); break;
            case EventKind.SetCred: SysSetCred((SetCred)ev, outcome); break;
            case EventKind.SigMask: SetMask((SigMask)ev, outcome); break;
            case EventKind.Exiting: BeginGroupExit(ev, outcome); break;
            case EventKind.LastPid: WriteLastPid(ev, outcome); break;
            default: outcome.Verdict = Verdict.NotApplicable; break;
        }
    }

    private SignalRecord[] Lone(SignalRecord r)
    {
        _lone[0] = r;
        return _lone;
    }

    public int ContainerOf(int tid) => _tasks.TryGetValue(tid, out var t) ? t.Vps?.Id ?? 0 : 0;

    /// <summary>The VPS named by a Container event or vzctl; null when there is none.</summary>
    public Vps? FindVps(string name)
    {
        var vps = _vpssByName.TryGetValue(name, out var named) ? named.First : null;
        while (vps is not null && vps.Stopped)
            vps = vps.NextNamed;
        return vps;
    }

    /// <summary>Identities of the live tasks of a VPS, in creation order (processes, each followed by its threads).</summary>
    public List<int> TasksOf(Vps vps)
    {
        var tids = new List<int>();
        if (_membersExact)
        {
            for (var t = vps.FirstMember; t is not null; t = t.NextMember)
                tids.Add(t.Tid);
            return tids;
        }
        for (int i = 0; i < _processes.End; i++)
            for (var t = _processes[i]; t is not null; t = t.NextThread)
                if (t.Vps == vps)
                    tids.Add(t.Tid);
        return tids;
    }

    /// <summary>The global pid this design gave a task; 0 when the task is unknown.</summary>
    public int GlobalPidOf(int tid) => _tasks.TryGetValue(tid, out var t) ? t.Pid : 0;

    // ---- tasks -------------------------------------------------------------------------------

    /// <summary>The acting task; one first seen here is adopted as a host task of unknown history.</summary>
    private VpidTask Caller(PidEvent ev, Outcome o)
    {
        if (_tasks.TryGetValue(ev.Tid, out var t))
            return t;
        o.Verdict = Verdict.UnknownState;
        o.Note = "caller first seen mid-trace";
        t = NewProcess(ev.Tid, PreexistingGlobal(ev.Tid), null);
        t.Adopted = true;
        t.VPid = t.VTgid = t.Pid;
        AttachProcess(t, 0, 0);
        return t;
    }

    /// <summary>Links a new thread into its leader's thread group (the leader's tgid gains a user).</summary>
    private void JoinThreadGroup(VpidTask leader, VpidTask t)
    {
        t.Leader = leader;
        _uses[leader.Pid]++; // PIDTYPE_TGID
        var last = leader;
        while (last.NextThread is not null) last = last.NextThread;
        last.NextThread = t;
        leader.LiveThreads++;
        // Walked right after the threads before it, under the process it joined.
        t.Listed = leader.Listed;
        t.ProcessSeq = leader.ProcessSeq;
    }

    private VpidTask NewTask(int tid, int pid)
    {
        if (_tasks.TryGetValue(tid, out var stale))
            ReleaseTask(stale); // the trace reused a tid whose reaping it did not show; its entry goes
        _notices.Remove(tid); // its earlier holder is gone in the trace's kernel: it sends nothing more
        var t = _pool.Count > 0 ? _pool.Pop() : new VpidTask();
        t.Clear();
        t.Tid = tid;
        t.Pid = pid;
        t.Seq = ++_seq;
        _tasks[tid] = t;
        _byPid[pid] = t;
        _traceOf[pid] = tid;
        _uses[pid]++; // PIDTYPE_PID
        return t;
    }

    /// <summary>A new thread group leader, linked to its parent; its group and session come with AttachProcess.</summary>
    private VpidTask NewProcess(int tid, int pid, VpidTask? parent)
    {
        var t = NewTask(tid, pid);
        t.LiveThreads = 1;
        t.Parent = parent;
        if (parent is not null)
            AddChild(parent, t);
        _processes.Add(t);
        t.Listed = true;
        t.ProcessSeq = t.Seq;
        return t;
    }

    /// <summary>The task moves to another VPS (or the host): on the host walk, it changes member lists too.</summary>
    private static void SetVps(VpidTask t, Vps? vps)
    {
        if (t.Listed && t.Vps is { } old)
            UnlinkMember(old, t);
        t.Vps = vps;
        if (t.Listed && vps is not null)
            LinkMember(vps, t);
    }

    /// <summary>Into its VPS's member list where the host walk would reach it: at the end for a new process, among its process's threads for a new thread.</summary>
    private static void LinkMember(Vps vps, VpidTask t)
    {
        var after = vps.LastMember;
        while (after is not null && (after.ProcessSeq > t.ProcessSeq || (after.ProcessSeq == t.ProcessSeq && after.Seq > t.Seq)))
            after = after.PrevMember;
        var before = after is null ? vps.FirstMember : after.NextMember;
        t.PrevMember = after;
        t.NextMember = before;
        if (after is null) vps.FirstMember = t;
        else after.NextMember = t;
        if (before is null) vps.LastMember = t;
        else before.PrevMember = t;
    }

    private static void UnlinkMember(Vps vps, VpidTask t)
    {
        if (t.PrevMember is null) vps.FirstMember = t.NextMember;
        else t.PrevMember.NextMember = t.NextMember;
        if (t.NextMember is null) vps.LastMember = t.PrevMember;
        else t.NextMember.PrevMember = t.PrevMember;
        t.PrevMember = t.NextMember = null;
    }

    /// <summary>The task leaves the host walk, and so its VPS's member list.</summary>
    private static void Unlist(VpidTask t)
    {
        if (!t.Listed)
            return;
        if (t.Vps is { } vps)
            UnlinkMember(vps, t);
        t.Listed = false;
    }

    /// <summary>attach_pid for PIDTYPE_TGID, PGID and SID of a new leader.</summary>
    private void AttachProcess(VpidTask t, int pgrp, int session)
    {
        _uses[t.Pid]++; // PIDTYPE_TGID
        t.Pgrp = pgrp;
        t.Session = session;
        if (pgrp > 0)
        {
            _uses[pgrp]++;
            LinkGroup(t);
        }
        if (session > 0)
            _uses[session]++;
    }

    private void LinkGroup(VpidTask t)
    {
        var tail = _groupTail[t.Pgrp];
        t.PrevInGroup = tail;
        t.NextInGroup = null;
        if (tail is null) _groupHead[t.Pgrp] = t;
        else tail.NextInGroup = t;
        _groupTail[t.Pgrp] = t;
    }

    private void UnlinkGroup(VpidTask t)
    {
        if (t.PrevInGroup is null) _groupHead[t.Pgrp] = t.NextInGroup;
        else t.PrevInGroup.NextInGroup = t.NextInGroup;
        if (t.NextInGroup is null) _groupTail[t.Pgrp] = t.PrevInGroup;
        else t.NextInGroup.PrevInGroup = t.PrevInGroup;
        t.PrevInGroup = t.NextInGroup = null;
    }

    /// <summary>A process leaves its group for another (setpgid, setsid): detach_pid then attach_pid of PIDTYPE_PGID.</summary>
    private void MoveGroup(VpidTask leader, int pgrp)
    {
        if (leader.Pgrp == pgrp)
            return;
        if (leader.Pgrp > 0)
        {
            UnlinkGroup(leader);
            Detach(leader.Pgrp, leader.VPgid, leader);
        }
        leader.Pgrp = pgrp;
        _uses[pgrp]++;
        LinkGroup(leader);
    }

    private void MoveSession(VpidTask leader, int session)
    {
        if (leader.Session == session)
            return;
        if (leader.Session > 0)
            Detach(leader.Session, leader.VSid, leader);
        leader.Session = session;
        _uses[session]++;
    }

    private static void AddChild(VpidTask parent, VpidTask child)
    {
        child.Parent = parent;
        child.PrevSibling = parent.LastChild;
        child.NextSibling = null;
        if (parent.LastChild is null) parent.FirstChild = child;
        else parent.LastChild.NextSibling = child;
        parent.LastChild = child;
    }

    private static void RemoveChild(VpidTask child)
    {
        var parent = child.Parent;
        if (parent is null)
            return;
        if (child.PrevSibling is null) parent.FirstChild = child.NextSibling;
        else child.PrevSibling.NextSibling = child.NextSibling;
        if (child.NextSibling is null) parent.LastChild = child.PrevSibling;
        else child.NextSibling.PrevSibling = child.PrevSibling;
        child.PrevSibling = child.NextSibling = null;
        child.Parent = null;
    }

    /// <summary>
    /// detach_pid: one id type lets go of a global number; when no type holds it any longer the
    /// number goes back to the pidmap and __free_vpid drops the VPS's mapping of it.
    /// </summary>
    private void Detach(int nr, int vnr, VpidTask t)
    {
        if (--_uses[nr] > 0)
            return;
        // A number below pid_max held by its own trace number was never given in place of
        // another (alloc_pidmap gives only a number the trace's could not be): nothing to look up.
        int tid = _traceOf[nr];
        if ((tid != nr || nr >= _options.PidMax) && _renumbered.TryGetValue(tid, out int mapped) && mapped == nr)
            _renumbered.Remove(tid);
        FreeVpid(vnr, t);
    }

    /// <summary>
    /// __free_vpid: only a virtual number (or 1 inside a VPS) of a sparse VPS has a mapping to drop.
    /// Mappings the host-wide switch made for other tasks stay: nothing ever frees them.
    /// </summary>
    private void FreeVpid(int vnr, VpidTask t)
    {
        if (!IsVirtual(vnr) && (vnr != 1 || t.Vps is null))
            return;
        var vps = t.Vps;
        if (vps is null || !vps.Sparse)
            return;
        int probes = 0;
        if (_hash.Remove(vnr, vps.Id, ref probes))
            vps.Mappings--;
    }

    /// <summary>release_task: the task's numbers go, its VPS counts one task fewer, the object returns to the pool.</summary>
    private void ReleaseTask(VpidTask t)
    {
        RemoveChild(t);
        for (var c = t.FirstChild; c is not null;)
        {
            var next = c.NextSibling;
            c.Parent = null; // a caller that releases a parent has already reparented what it had to
            c.PrevSibling = c.NextSibling = null;
            c = next;
        }
        t.FirstChild = t.LastChild = null;
        Unlist(t);
        if (t.IsLeader)
        {
            if (t.ProcessSlot >= 0)
                _processes.Remove(t);
            // Threads released after their process are walked no more (until the object is reused).
            for (var th = t.NextThread; th is not null; th = th.NextThread)
            {
                Unlist(th);
                _membersExact = false;
            }
        }
        else
        {
            var prev = t.Leader;
            while (prev.NextThread is not null && !ReferenceEquals(prev.NextThread, t))
                prev = prev.NextThread;
            if (!ReferenceEquals(prev.NextThread, t))
                _membersExact = false; // not on its leader's list: what follows it is spliced on
            prev.NextThread = t.NextThread;
        }
        // __unhash_process: PID, TGID, then the leader's PGID and SID. The task leaves the pid
        // hash now even if its number lives on as a group's or a session's.
        if (ReferenceEquals(_byPid[t.Pid], t))
            _byPid[t.Pid] = null;
        Detach(t.Pid, t.VPid, t);
        Detach(t.Leader.Pid, t.VTgid, t);
        if (t.IsLeader)
        {
            if (t.Pgrp > 0)
            {
                UnlinkGroup(t);
                Detach(t.Pgrp, t.VPgid, t);
            }
            if (t.Session > 0)
                Detach(t.Session, t.VSid, t);
        }
        if (t.Notifier != 0 && _notices.TryGetValue(t.Notifier, out var notice) && notice.Child == t.Tid)
            _notices.Remove(t.Notifier); // reaped: its notice was shown before, or never will be
        _tasks.Remove(t.Tid);
        if (t.Vps is { } vps)
            VpsTaskDel(vps, t);
        _pool.Push(t); // NewTask clears it when it is taken again
    }

    /// <summary>vps_task_del: the patch stops a VPS when its last task is released.</summary>
    private void VpsTaskDel(Vps vps, VpidTask t)
    {
        vps.Tasks--;
        if (ReferenceEquals(vps.Init, t))
            vps.Init = null;
        if (vps.Tasks == 0)
        {
            vps.Stopped = true;
            ForgetInside(vps);
        }
    }

    private static void VpsTaskAdd(Vps vps) => vps.Tasks++;

    // ---- the global pid space ----------------------------------------------------------------

    /// <summary>__is_virtual_pid.</summary>
    internal static bool IsVirtual(int nr) => (nr & VpidDiv) != 0;

    /// <summary>
    /// The global pid for a task the trace calls tid: the tid itself when this design could have
    /// given it, else what alloc_pidmap gives; above pid_max (with the failure reported) when the
    /// halved space is full.
    /// </summary>
    private int TakeGlobal(int tid, Outcome o)
    {
        if (tid > 0 && tid < _options.PidMax && !IsVirtual(tid) && _uses[tid] == 0)
        {
            if (tid >= ReservedPids)
                _lastPid = tid; // the cursor follows the trace's kernel, but never back below the boot range
            return tid;
        }
        if (tid > 0)
            o.Note ??= IsVirtual(tid) ? "global pid renumbered: bit 10 is reserved for virtual pids" : "global pid renumbered: the trace's number is taken or above pid_max";
        int pid = AllocGlobal(o);
        if (tid > 0)
            Renumber(tid, pid);
        return pid;
    }

    /// <summary>
    /// The global pid of a task that predates the capture (a snapshot's, or one first seen
    /// acting): the trace's tid when this design could have given it, else a number at pid_max
    /// or above. Any number below pid_max is one the trace's kernel may still hand a task it forks
    /// later (its cursor moves on through the whole range, wrapping to 300); that task's own
    /// number would then be taken here and it would be renumbered too, a false difference between
    /// designs that agree on it. The kernel never allocates at or above pid_max, so nothing the
    /// trace does later can collide there; and no allocation of this design failed for a task
    /// that came before the capture, so none is reported.
    /// </summary>
    private int PreexistingGlobal(int tid)
    {
        if (_renumbered.TryGetValue(tid, out int reserved) && _byPid[reserved] is null)
            return reserved; // a member of its group or session came first and named it
        if (tid > 0 && tid < _options.PidMax && !IsVirtual(tid) && (_uses[tid] == 0 || (_byPid[tid] is null && _traceOf[tid] == tid)))
        {
            if (tid >= ReservedPids)
                _lastPid = tid;
            return tid;
        }
        int pid = AllocOverflow();
        Renumber(tid, pid);
        return pid;
    }

    private void Renumber(int tid, int pid)
    {
        _renumbered[tid] = pid;
        _traceOf[pid] = tid;
    }

    /// <summary>A global pid from alloc_pidmap; above pid_max, with EAGAIN reported, when the halved space is full.</summary>
    private int AllocGlobal(Outcome o)
    {
        int pid = AllocPidmap();
        if (pid > 0)
            return pid;
        o.AllocationFailure = EAGAIN;
        o.Note = "global pid space exhausted: bit 10 halves it";
        return AllocOverflow();
    }

    /// <summary>alloc_pidmap of the patch: the number after last_pid, skipping every number with VPID_BIT set, wrapping to RESERVED_PIDS.</summary>
    private int AllocPidmap()
    {
        int pidMax = _options.PidMax;
        int pid = _lastPid + 1;
        for (int scanned = 0; scanned < pidMax; scanned++, pid++)
        {
            if (IsVirtual(pid))
                pid += VpidDiv;
            if (pid >= pidMax)
                pid = ReservedPids;
            if (_uses[pid] == 0)
            {
                _lastPid = pid;
                return pid;
            }
        }
        return -1;
    }

    private int AllocOverflow()
    {
        int limit = _uses.Length;
        for (int scanned = 0; scanned < _options.PidMax; scanned++)
        {
            int pid = _overflowCursor++;
            if (_overflowCursor >= limit)
                _overflowCursor = _options.PidMax;
            if (!IsVirtual(pid) && _uses[pid] == 0)
                return pid;
        }
        throw new InvalidOperationException("more live tasks than twice pid_max");
    }

    /// <summary>The global number the model uses for a number the trace gives in the host's view.</summary>
    private int ModelNumber(int traceNr)
    {
        if (traceNr <= 0)
            return 0;
        if (_tasks.TryGetValue(traceNr, out var t))
            return t.Pid;
        if (_renumbered.TryGetValue(traceNr, out int nr))
            return nr;
        if (traceNr < _options.PidMax && !IsVirtual(traceNr) && (_uses[traceNr] == 0 || _traceOf[traceNr] == traceNr))
        {
            _traceOf[traceNr] = traceNr;
            return traceNr;
        }
        // A leader listed after its group's members, or gone: numbered as its own snapshot line will be.
        nr = AllocOverflow();
        Renumber(traceNr, nr);
        return nr;
    }

    /// <summary>Records the number the trace's kernel showed for a task: its global tid on the host, its number at its VPS's level inside.</summary>
    private void SetTraceNr(VpidTask t, int nr)
    {
        t.TraceNr = nr;
        if (nr > 0 && t.Vps is { } vps)
            ShowInside(vps, nr, t.Pid, t.Tid);
    }

    private void ShowInside(Vps vps, int nr, int pid, int tid)
    {
        ref var held = ref _insideNumbers.GetOrAdd(vps.Id, nr, out bool shown);
        if (!shown)
        {
            // Chained from the VPS, newest first, through the entries themselves: no list to grow.
            held.Next = vps.LastShown;
            vps.LastShown = nr;
        }
        held.Pid = pid;
        held.Tid = tid;
    }

    /// <summary>A VPS whose last task is released has no caller left to pass the numbers it was shown: they go.</summary>
    private void ForgetInside(Vps vps)
    {
        for (int nr = vps.LastShown; nr != 0;)
        {
            _insideNumbers.Remove(vps.Id, nr, out var held);
            nr = held.Next;
        }
        vps.LastShown = 0;
    }

    /// <summary>
    /// The global number an argument of a caller inside a VPS stands for, when the trace's kernel
    /// had shown it that number for a task: the task's global pid, or 0 once that number has gone
    /// to another task. Otherwise the number as passed.
    /// </summary>
    private int FromTraceInside(VpidTask caller, int nr)
    {
        if (caller.Vps is not { } vps || caller.NestedNs || nr <= 0 || !_insideNumbers.TryGet(vps.Id, nr, out var held))
            return nr;
        return _traceOf[held.Pid] == held.Tid ? held.Pid : 0;
    }

    /// <summary>The global number a host caller's argument stands for: the trace's number, as this design numbers that task.</summary>
    private int FromTrace(int traceNr) => _renumbered.TryGetValue(traceNr, out int nr) ? nr : traceNr;

    /// <summary>The identity a global number stands for: its task, or the task that last held it.</summary>
    private int IdentityOf(int nr) => nr > 0 && nr < _traceOf.Length ? _byPid[nr]?.Tid ?? _traceOf[nr] : 0;
}
