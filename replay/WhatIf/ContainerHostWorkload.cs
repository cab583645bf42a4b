using Replayer.Ingest.Events;
using Replayer.Replay.Models;

namespace Replayer.Replay.WhatIf;

/// <summary>The shape of one synthetic host: how many containers, how big, how busy.</summary>
/// <param name="Containers">Containers on the host, those restored from a checkpoint included.</param>
/// <param name="TasksPerContainer">Tasks each container keeps alive (its init included).</param>
/// <param name="Events">Events to write; the setup of every container is written whole even past it.</param>
/// <param name="Seed">Seed of every random choice.</param>
/// <param name="MigrationRate">Fraction of the containers that arrive by migration (at least one when above 0).</param>
/// <param name="PidMax">pid_max of the recording kernel: host tids are handed out below it, cyclically.</param>
public sealed record HostShape(int Containers, int TasksPerContainer, int Events, int Seed, double MigrationRate, int PidMax)
{
    /// <summary>Containers that arrive by migration.</summary>
    public int Migrations => MigrationRate <= 0 || Containers == 0 ? 0 : Math.Max(1, (int)(Containers * MigrationRate));
}

/// <summary>
/// A host full of containers, written the way its kernel would have recorded it (MODELS.md,
/// "Divergence"): the kernel is a model, whose answers become each event's Ret and signal records,
/// and whose view gives the numbers a caller passes. Containers start as clone(CLONE_NEWPID) from
/// a host shell, their init forks the rest; then tasks query their ids, probe siblings with kill
/// (signal 0) and getpgid by number, fork short-lived children that exit and are waited for by
/// number, and the host probes container tasks by their global pid. A migrating container arrives
/// later, restored as CRIU restores one: clone3(CLONE_NEWPID, set_tid = [1]) for its init, then
/// clone3 with set_tid = the virtual number each task had on its source host (bit 10 set, as a
/// virtual-pid source would have numbered it), which is do_fork_pid(..., vpid) in the 2006 patch.
/// </summary>
public static class ContainerHostWorkload
{
    public const string Name = "containers";

    private const int HostInit = 1, Shell = 2, SIGCHLD = 17;
    private const int ReservedPids = 300, VpidDiv = 1024;
    /// <summary>Short-lived children alive at once, host-wide: the same mix of events at every container count.</summary>
    private const int ShortLivedMax = 16;

    /// <summary>The events, with <paramref name="kernel"/> (fresh) as the recording kernel.</summary>
    public static WorkloadRun Generate(HostShape shape, IPidModel kernel)
    {
        var w = new Writer(shape, kernel);
        w.Run();
        return new WorkloadRun(w.Events, w.SteadyFrom);
    }

    private sealed class Writer(HostShape shape, IPidModel kernel)
    {
        /// <summary>The trace so far.</summary>
        public readonly List<PidEvent> Events = new(shape.Events + shape.Containers * (shape.TasksPerContainer + 2) + 16);
        /// <summary>The kernel's answer to the last event.</summary>
        private readonly Outcome _o = new();
        private readonly Random _rng = new(shape.Seed);
        /// <summary>Host tids in use (live or zombie), for the cyclic allocator.</summary>
        private readonly HashSet<int> _used = [];
        /// <summary>Per container: its live tasks, init first.</summary>
        private readonly List<List<int>> _containers = [];
        /// <summary>Short-lived children not yet exited: (child, parent), oldest first.</summary>
        private readonly Queue<(int Child, int Parent)> _shortLived = new();
        /// <summary>Index of the first event after every started container is set up.</summary>
        public int SteadyFrom;
        /// <summary>Where the next host tid is looked for (alloc_pid's cursor).</summary>
        private int _cursor = ReservedPids;
        private long _time;

        public void Run()
        {
            Emit(Root(HostInit, 0));
            Emit(Root(Shell, HostInit));
            foreach (int tid in new[] { HostInit, Shell })
                Emit(new SigAction { Tid = tid, Sig = SIGCHLD, Handler = Handler.Default, Ret = 0 });
            _used.Add(HostInit);
            _used.Add(Shell);

            int migrations = shape.Migrations, started = shape.Containers - migrations;
            for (int i = 0; i < started; i++) StartContainer();
            SteadyFrom = Events.Count;
            // Migrations arrive spread over the first half of the run, so that most events see them.
            int steady = Math.Max(0, shape.Events - Events.Count);
            var arrivals = new Queue<int>();
            for (int m = 0; m < migrations; m++) arrivals.Enqueue(Events.Count + (int)((long)steady * (m + 1) / (2 * (migrations + 1))));
            int migrated = 0;
            while (Events.Count < shape.Events || arrivals.Count > 0)
            {
                if (arrivals.Count > 0 && (Events.Count >= arrivals.Peek() || Events.Count >= shape.Events))
                {
                    arrivals.Dequeue();
                    RestoreContainer(migrated++);
                    continue;
                }
                if (_containers.Count == 0) Host();
                else Step();
            }
        }

        private void Step()
        {
            int roll = _rng.Next(100);
            if (roll < 5)
            {
                Host();
                return;
            }
            var tasks = _containers[_rng.Next(_containers.Count)];
            if (tasks.Count == 0) return;
            int actor = tasks[_rng.Next(tasks.Count)];
            if (roll < 30)
                Emit(new GetId { Tid = actor, Call = (GetIdCall)_rng.Next(6) });
            else if (roll < 55)
                Emit(new Kill { Tid = actor, Pid = Seen(actor, tasks[_rng.Next(tasks.Count)]), Sig = 0 });
            else if (roll < 65)
                Emit(new GetId { Tid = actor, Call = GetIdCall.GetPgid, Arg = Seen(actor, tasks[_rng.Next(tasks.Count)]) });
            else if (roll < 95)
                Churn(actor);
            else
                Emit(new Wait { Tid = actor, Pid = -1, Options = 1 });
        }

        /// <summary>The host probes a container task by its global pid, as a monitoring agent would.</summary>
        private void Host()
        {
            if (_containers.Count == 0)
            {
                Emit(new GetId { Tid = Shell, Call = GetIdCall.GetPid });
                return;
            }
            var tasks = _containers[_rng.Next(_containers.Count)];
            int target = tasks.Count > 0 ? tasks[_rng.Next(tasks.Count)] : Shell;
            Emit(new Kill { Tid = Shell, Pid = Seen(Shell, target), Sig = 0 });
        }

        /// <summary>A short-lived child: forked now; the oldest earlier one exits and its parent waits for it by number.</summary>
        private void Churn(int actor)
        {
            if (_shortLived.Count >= ShortLivedMax || (_shortLived.Count > 0 && _rng.Next(2) == 0))
            {
                var (child, parent) = _shortLived.Dequeue();
                int nr = Seen(parent, child);
                Emit(new Exit { Tid = child, Group = true, Code = 0 });
                var reap = Emit(new Wait { Tid = parent, Pid = nr, Options = 0 });
                if (reap.Ret is > 0) _used.Remove(child);
                return;
            }
            int tid = NextTid();
            if (tid == 0)
            {
                // Every host number is taken: the host is full, the task can only look at itself.
                Emit(new GetId { Tid = actor, Call = GetIdCall.GetPid });
                return;
            }
            var fork = Emit(new Fork { Tid = actor, Child = tid, Call = ForkCall.Fork });
            if (fork.Ret is > 0) _shortLived.Enqueue((tid, actor));
            else _used.Remove(tid);
        }

        private void StartContainer()
        {
            var tasks = new List<int>(shape.TasksPerContainer);
            int init = NextTid();
            if (init == 0) return;
            var made = Emit(new Fork { Tid = Shell, Child = init, Call = ForkCall.Clone, Flags = CloneFlags.NewPid });
            if (made.Ret is not > 0) return;
            tasks.Add(init);
            _containers.Add(tasks);
            for (int i = 1; i < shape.TasksPerContainer; i++)
            {
                int tid = NextTid();
                if (tid == 0) return;
                var fork = Emit(new Fork { Tid = init, Child = tid, Call = ForkCall.Fork });
                if (fork.Ret is > 0) tasks.Add(tid);
                else _used.Remove(tid);
            }
        }

        /// <summary>
        /// A container restored from a checkpoint made on a virtual-pid host: each task asks for the
        /// virtual number it had there, its old global pid + 1024, which no fresh allocation here matches.
        /// </summary>
        private void RestoreContainer(int index)
        {
            var tasks = new List<int>(shape.TasksPerContainer);
            int init = NextTid();
            if (init == 0) return;
            var made = Emit(new Fork { Tid = Shell, Child = init, Call = ForkCall.Clone3, Flags = CloneFlags.NewPid, SetTid = [1] });
            if (made.Ret is not > 0) return;
            tasks.Add(init);
            _containers.Add(tasks);
            // The source host's numbers: a run of its global pids (bit 10 clear), different for each migration.
            int sourcePid = ReservedPids + 97 * index % 8000;
            for (int i = 1; i < shape.TasksPerContainer; i++)
            {
                if (IsVirtual(sourcePid)) sourcePid += VpidDiv;
                int vpid = sourcePid++ + VpidDiv;
                int tid = NextTid();
                if (tid == 0) return;
                var fork = Emit(new Fork { Tid = init, Child = tid, Call = ForkCall.Clone3, SetTid = [vpid] });
                if (fork.Ret is > 0) tasks.Add(tid);
                else _used.Remove(tid);
            }
        }

        private static bool IsVirtual(int nr) => (nr & VpidDiv) != 0;

        /// <summary>The number <paramref name="viewer"/> would pass for <paramref name="target"/>: its view in the recording kernel.</summary>
        private int Seen(int viewer, int target)
        {
            int nr = kernel.NumberOf(viewer, target, IdKind.Pid);
            return nr > 0 ? nr : target;
        }

        /// <summary>alloc_pid at the host level: the next free tid after the cursor, below pid_max, wrapping to RESERVED_PIDS; 0 when full.</summary>
        private int NextTid()
        {
            int max = shape.PidMax;
            for (int scanned = 0; scanned < max; scanned++)
            {
                int tid = _cursor++;
                if (_cursor >= max) _cursor = ReservedPids;
                if (_used.Add(tid)) return tid;
            }
            return 0;
        }

        private PidEvent Emit(PidEvent ev)
        {
            ev = ev with { Host = "whatif", Seq = Events.Count, Time = ++_time * 1000, Comm = ev.Comm.Length == 0 ? "task" : ev.Comm };
            kernel.Apply(ev, _o);
            ev = Recorded(ev, _o);
            Events.Add(ev);
            return ev;
        }

        /// <summary>The event as the kernel recorded it: the model's answer as Ret, its signals as signal_generate records.</summary>
        private static PidEvent Recorded(PidEvent ev, Outcome o)
        {
            long? ret = o.HasRet ? o.Ret : null;
            SignalRecord[] Signals() => o.Signals.Count == 0 ? [] : o.Signals.Select(s => new SignalRecord(s.Sig, s.To, s.Result, s.Code, true)).ToArray();
            return ev switch
            {
                Kill k => k with { Ret = ret, Signals = Signals() },
                Exit x => x with { Signals = Signals() },
                Fork f => f with { Ret = ret, Child = o.HasRet && o.Ret < 0 ? 0 : f.Child },
                TaskSnapshot or SigAction or SigMask or SigWait or Exiting or LastPid or Lost => ev,
                _ => ev with { Ret = ret },
            };
        }

        private static TaskSnapshot Root(int tid, int parent) => new()
        {
            Tid = tid, Tgid = tid, PPid = parent, Pgid = tid, Sid = tid,
            NsPid = [tid], NsPgid = [tid], NsSid = [tid], PidNs = 1, Comm = tid == HostInit ? "init" : "sh",
        };
    }
}
