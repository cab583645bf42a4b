using System.Diagnostics;
using System.Runtime.CompilerServices;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>
/// Turns decoded tracepoint lines, from whichever tool printed them, into canonical events: the
/// pairing logic both the tracefs and the perf reader share. It pairs each sys_enter with the
/// same task's sys_exit, gives a fork the child's global tid from sched_process_fork, attaches
/// the signal_generate lines a kill caused to the Kill and those an exit caused (SIGCHLD, a
/// namespace init's teardown SIGKILLs) to the Exit, and adopts tasks it has no snapshot of.
///
/// Order: events leave in an order a replay can consume. A fork is placed at sched_process_fork,
/// right after its pid is allocated and before the child can run (at its sys_enter if it fails
/// before), a kill at its sys_enter (so a victim's death comes after it), an exit at
/// sched_process_exit (at its notice, where the child became a zombie, when a wait of its
/// parent's or a dying init's teardown came in between), every other call at its sys_exit, where
/// its effect is known to be done.
/// An event placed before its answer is known holds back the ones after it; so that memory stays
/// bounded, at most <see cref="MaxHeld"/> events wait, and the oldest is let go without its
/// answer when more arrive.
/// </summary>
public sealed class TracepointAssembler
{
    /// <summary>Most events held back behind one still waiting for its answer.</summary>
    public const int MaxHeld = 1 << 16;

    /// <summary>
    /// The comm a recording tool gives the child it forks for its command, before the exec
    /// (perf record: "perf-exec"); null when it has none. The tool runs in the capture's view, the
    /// initial namespace of its numbers, and so does that child: first seen with this comm, a task
    /// is adopted there (NSpid = its tid), as strace's command is, and not in a namespace unknown.
    /// </summary>
    public string? CommandComm { get; init; }

    /// <summary>
    /// Forks whose sched_process_fork lines are this close (trace time) to the one before and next
    /// to it in the output are put in the order of the numbers their calls returned, the order alloc_pid
    /// gave them out in the callers' namespace: the pid is allocated a little before the line, on
    /// each CPU, so the lines of two forks at once may come in the other order (fresh/twostorms:
    /// 290 at .283406 on CPU 0, 289 at .283413 on CPU 1). Not by the children's global tids: alloc_pid
    /// takes the namespace's number before the global one, and two calls may interleave between
    /// them (1162 with global 28316, 1163 with 28315). A fork waits this long before it leaves, so
    /// that the one after it can still go first; one in such a run waits for the run's answers.
    /// </summary>
    public const long ForkOrderNs = 100_000;

    /// <summary>
    /// How long (trace time) the forks of such a run wait for all of the run's answers: a vfork
    /// returns only once its child has exec'd or exited (make -j of dash recipes: vforks in the
    /// same microsecond, answered about a millisecond later).
    /// </summary>
    public const long ForkPairWaitNs = 50_000_000;

    /// <summary>
    /// How long (trace time) an exit waits for the SIGCHLD its context sends, or a namespace init's
    /// for its teardown's first SIGKILL, unless it is tearing down a namespace already. The exit
    /// moves to its notice (exit_notify, where the task became a zombie) when it comes in time;
    /// after this, it leaves where it is. On a busy machine exit_notify came 87 ms, 140 ms, 1.4 s
    /// and 1.54 s after sched_process_exit for shells' children, whose parents' wait4(WNOHANG)s in
    /// between answered 0 (whole-system captures of two dozen workloads on two cores), and a
    /// namespace init's teardown 222 ms after (zap_pid_ns_processes, also from exit_notify). An
    /// exit with no notice to come (a parent that ignores SIGCHLD, exit_signal 0, a leader whose
    /// threads live on) holds what comes after it this long: it costs the reader memory for the
    /// events of that much trace time, not the events their order.
    /// </summary>
    public const long ExitGraceNs = 5_000_000_000;

    /// <summary>
    /// How long (trace time) an exit stays after the notice taken for its own, for another to the
    /// same process from its context: then the first was a zombie orphan's, told to its new reaper
    /// (forget_original_parent, just before the exit's own do_notify_parent), which was the dying
    /// task's parent too. Both come in one exit_notify, microseconds apart.
    /// </summary>
    public const long NoticeRunNs = 1_000_000;

    // Tasks by global tid: the living, and the dead whose exit may still collect signals.
    private readonly Dictionary<int, TaskState> _tasks = [];
    // Events in output order: complete ones as they are, the others in a slot; the head leaves once it is complete.
    private readonly Queue<Entry> _out = new();
    // The most recent whole-group exit: perf prints the final SIGCHLD of a thread group whose last thread has released its pid as tid -1.
    private Slot? _lastGroupExit;
    // Trace time of the latest line, to let exits that wait too long go.
    private long _now;
    // Entries put in the output so far, to tell whether anything came between two of them.
    private long _entries;
    // The latest fork placed, and the entry count after it: the next fork may be its neighbour.
    private Slot? _lastFork;
    private long _lastForkEntries;
    // Runs of neighbouring forks close in time, each to be put in the order of its answers once all are known (ForkOrderNs).
    private readonly List<List<Slot>> _forkRuns = [];
    // Finish was called: nothing waits any more.
    private bool _finished;

    /// <summary>A task's state from a /proc snapshot: it is known, and later events need no adoption.</summary>
    public void Snapshot(TaskSnapshot snap)
    {
        var group = GroupFor(snap.Tid, snap.Tgid);
        // A zombie has exited: a leader read so beside a live thread waits for it, and that
        // thread's exit is the group's (a test suite's capture: chromium's leader read a zombie,
        // its thread HangWatcher alive; the thread's sched_process_exit came before tracing_on,
        // its notice for the process after, and with the leader counted live it was not taken
        // for the group's exit, so the parent's wait4 that reaped the process was predicted 0).
        var task = new TaskState(snap.Tid, snap.Comm, group)
        {
            ParentTid = snap.PPid, Mask = snap.Blocked, Dead = snap.Zombie,
        };
        if (!snap.Zombie) group.Live++;
        _tasks[snap.Tid] = task;
        Append(snap with { Seq = -1 });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Feed(in TraceLine line)
    {
        if (line.Time > _now) _now = line.Time;
        if (LastPidLossy && !_lossyTold)
        {
            // Before the trace's first event: any write to ns_last_pid may be missing from here on.
            _lossyTold = true;
            Append(new LastPid { Seq = -1, Time = line.Time, Tid = 0, Comm = "", Lossy = true });
        }
        if (SignalMasks is { } masks && _nextMask < masks.Count && masks[_nextMask].Time <= line.Time) EmitMasks(masks, line.Time);
        if (LastPidWrites is { } writes && _nextLastPid < writes.Count && writes[_nextLastPid].Time <= line.Time) EmitLastPids(writes, line.Time);
        switch (line.Point)
        {
            case Tracepoint.SysEnter: SysEnter(line); break;
            case Tracepoint.SysExit: SysExit(line); break;
            case Tracepoint.NewTask: NewTask(line); break;
            case Tracepoint.Rename: Rename(line); break;
            case Tracepoint.Fork: ProcessFork(line); break;
            case Tracepoint.Exec: ProcessExec(line); break;
            case Tracepoint.ProcessExit: ProcessExit(line); break;
            case Tracepoint.SignalGenerate: SignalGenerate(line); break;
            case Tracepoint.SignalDeliver: SignalDeliver(line); break;
            case Tracepoint.Lost: Append(new Lost { Seq = -1, Time = line.Time, Tid = 0, Comm = "", Cpu = line.Cpu, Count = line.A0 }); break;
        }
        ReleaseStaleHead();
    }

    /// <summary>The next event whose answer is known (or given up on), in output order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryTake(out PidEvent ev)
    {
        while (true)
        {
            if (_out.Count == 0)
            {
                ev = null!;
                return false;
            }
            var head = _out.Peek();
            if (head.Slot is not { } slot)
            {
                ev = _out.Dequeue().Event!;
                return true;
            }
            // Too many wait behind the head: it leaves without its answer.
            bool full = _out.Count > MaxHeld;
            if (full) slot.Close();
            if (!slot.Done || (_now < slot.ReadyAt && !full && !_finished))
            {
                ev = null!;
                return false;
            }
            if (slot.TakeBefore(out ev)) return true;
            _out.Dequeue();
            slot.Left = true;
            if (slot.Dropped) continue;
            ev = slot.Take();
            return true;
        }
    }

    /// <summary>
    /// At the end of the input: everything still waiting leaves as it is, and an exit still
    /// waiting for its notice says so (notice_after_end): the kernel may have sent what
    /// exit_notify sends after the trace ended (a busy capture's namespace inits, torn down, whose
    /// notices came within two seconds of its end).
    /// </summary>
    public void Finish()
    {
        _finished = true;
        foreach (var entry in _out)
        {
            if (entry.Slot is not { } slot) continue;
            if (slot is { Done: false, Event: Exit exit }) slot.Event = exit with { NoticeAfterEnd = true };
            slot.Close();
        }
    }

    // ---- syscalls -------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SysEnter(in TraceLine line)
    {
        var task = Actor(line);
        if (task is null) return;
        // A second enter before the first's exit: the exit line was lost; the first call stays unanswered.
        task.EndCall();
        if (line.Sys == Syscall.Other) return;
        task.Call = line.Sys;
        task.EnteredAt = line.Time;
        task.A0 = line.A0;
        task.A1 = line.A1;
        task.A2 = line.A2;
        task.A3 = line.A3;
        task.Action = (Handler.Unknown, 0);
        switch (line.Sys)
        {
            case Syscall.RtSigaction when line.A1 != 0 && SignalActions is not null:
                if (SignalActions.TryGetValue(new SigactionKey(line.Tid, line.Time, (int)line.A0, line.A1), out var action)) task.Action = action;
                break;
            case Syscall.Clone or Syscall.Clone3 or Syscall.Fork or Syscall.VFork:
                task.CallSlot = Hold(Stamp(new Fork
                {
                    Call = line.Sys switch
                    {
                        Syscall.Clone3 => ForkCall.Clone3,
                        Syscall.Fork => ForkCall.Fork,
                        Syscall.VFork => ForkCall.VFork,
                        _ => ForkCall.Clone,
                    },
                    // clone's flags word is its first argument (exit signal in the low byte); clone3's,
                    // fork's and vfork's flags are known only from task_newtask.
                    Flags = line.Sys == Syscall.Clone ? (ulong)line.A0 : line.Sys == Syscall.VFork ? CloneFlags.Vm | CloneFlags.Vfork : 0,
                }, task, line), task);
                break;
            case Syscall.Kill or Syscall.Tkill or Syscall.Tgkill:
                if (Numbers.PidArg(line.A0) is > 0 and var aimedAt && _tasks.TryGetValue(aimedAt, out var aimed)) aimed.Group.LastKillAimed = line.Time;
                task.CallSlot = Hold(Stamp(new Kill
                {
                    Call = line.Sys == Syscall.Kill ? KillCall.Kill : line.Sys == Syscall.Tkill ? KillCall.Tkill : KillCall.Tgkill,
                    Pid = Numbers.PidArg(line.A0),
                    ThreadArg = line.Sys == Syscall.Tgkill ? Numbers.PidArg(line.A1) : 0,
                    Sig = (int)(line.Sys == Syscall.Tgkill ? line.A2 : line.A1),
                }, task, line), task);
                break;
            case Syscall.RtSigtimedwait or Syscall.Signalfd or Syscall.Signalfd4:
                // From here the thread may take signals with no signal_deliver line: the call's
                // dequeue (or a read of the descriptor made) may come before any line says so.
                Append(Stamp(new SigWait { Call = line.Sys == Syscall.RtSigtimedwait ? SigWaitCall.TimedWait : SigWaitCall.SignalFd }, task, line));
                break;
            case Syscall.ExitGroup:
                // do_group_exit keeps the first group exit code (kernel/exit.c); the status a parent sees is code << 8.
                task.Group.ExitCode ??= (int)((line.A0 & 0xff) << 8);
                task.Group.ExitGroupEntered ??= line.Time;
                break;
            case Syscall.Exit:
                task.ExitCode = (int)((line.A0 & 0xff) << 8);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SysExit(in TraceLine line)
    {
        // The child's own "sys_clone -> 0x0" has no enter: it is the first line of a new task.
        if (!_tasks.TryGetValue(line.Tid, out var task) || task.Call != line.Sys || line.Sys == Syscall.Other)
        {
            if (task is not null && task.Call != Syscall.Other && line.Sys != Syscall.Other) task.EndCall();
            // A wait4 whose entry is not in the trace (a parent waiting since before tracing
            // began) still reaped the child it returns: the models must not keep that zombie.
            else if (task is not null && line.Sys == Syscall.Wait4 && line.A0 > 0)
            {
                Append(Stamp(new Wait { Call = WaitCall.Wait4, Ret = line.A0, EnterLost = true }, task, line));
                task.Group.LastWait = _entries;
            }
            // A waitid likewise: its 0 may have reaped a child, which the line does not name.
            else if (task is not null && line.Sys == Syscall.Waitid && line.A0 == 0)
            {
                Append(Stamp(new Wait { Call = WaitCall.Waitid, EnterLost = true }, task, line));
                task.Group.LastWait = _entries;
            }
            // Likewise an rt_sigtimedwait that took a signal: it did so without a signal_deliver line.
            else if (task is not null && line.Sys == Syscall.RtSigtimedwait && line.A0 > 0)
                Append(Stamp(new SigWait { Call = SigWaitCall.TimedWait }, task, line));
            return;
        }
        // -512..-516 (ERESTARTSYS and kin, include/linux/errno.h) never reach userspace: the call is
        // restarted, and the restart is the event, or the task dies in it and its exit says so.
        bool restarted = line.A0 is >= -516 and <= -512;
        long? ret = restarted ? null : line.A0;
        if (task.CallSlot is { } slot)
        {
            // A fork that failed while a signal came to its process stands where it returned:
            // a fatal one ends copy_process where it meets it (ENOMEM from the stack's vmalloc,
            // EINTR at its last check), and the models must have it first (a busy capture: a
            // shell's clone entered, another shell's kill(-1) delivered SIGTERM to it 1.7 ms
            // later, the clone returned ENOMEM 10 ms after that, and the models, which had the
            // fork at its enter, before the kill, said it made a child).
            if (slot.Event is Fork { Child: <= 0 } && ret < 0 && task.Group.LastDelivered >= task.EnteredAt)
                slot = MoveCall(slot, task, line.Time);
            // An exec's event has no answer of its own (its return is 0 or it never returns).
            if (slot.Event is not Exec) slot.Event = slot.Event with { Ret = ret };
            slot.Dropped = restarted && slot.Event is not Fork { Child: > 0 };
            slot.Close();
            task.CallSlot = null;
            task.Call = Syscall.Other;
            if (slot.Event is Fork && _forkRuns.Count > 0) OrderForks();
            return;
        }
        var ev = restarted ? null : CallEvent(task, ret);
        task.Call = Syscall.Other;
        if (ev is null) return;
        if (ev is SetNs setns && SetnsTargets is { Count: > 0 } targets) ev = Entered(setns, task, line.Time, targets);
        Append(Stamp(ev, task, line));
        if (ev is Wait) task.Group.LastWait = _entries;
    }

    // The event for a call placed at its exit, or null for calls that have none (queries of
    // rt_sigaction, prctl options other than the subreaper's).
    private static PidEvent? CallEvent(TaskState t, long? ret) => t.Call switch
    {
        Syscall.SetPgid => new SetPgid { Pid = Numbers.PidArg(t.A0), Pgid = Numbers.PidArg(t.A1), Ret = ret },
        Syscall.SetSid => new SetSid { Ret = ret },
        Syscall.GetPid => new GetId { Call = GetIdCall.GetPid, Ret = ret },
        Syscall.GetPpid => new GetId { Call = GetIdCall.GetPpid, Ret = ret },
        Syscall.GetPgid => new GetId { Call = GetIdCall.GetPgid, Arg = Numbers.PidArg(t.A0), Ret = ret },
        Syscall.GetPgrp => new GetId { Call = GetIdCall.GetPgrp, Ret = ret },
        Syscall.GetSid => new GetId { Call = GetIdCall.GetSid, Arg = Numbers.PidArg(t.A0), Ret = ret },
        Syscall.GetTid => new GetId { Call = GetIdCall.GetTid, Ret = ret },
        Syscall.Wait4 => new Wait { Call = WaitCall.Wait4, Pid = Numbers.PidArg(t.A0), Options = (int)t.A2, Ret = ret },
        // waitid returns 0 and writes the child into infop, which a tracepoint does not show: the
        // event's answer is the child's number (EVENTS.md, as strace's si_pid gives it), so a 0 is no answer.
        Syscall.Waitid => new Wait { Call = WaitCall.Waitid, Pid = WaitidPid(t.A0, Numbers.PidArg(t.A1)), Options = (int)t.A3, Ret = ret == 0 ? null : ret },
        Syscall.Unshare => new Unshare { Flags = (ulong)t.A0, Ret = ret },
        Syscall.SetNs => new SetNs { Fd = (int)t.A0, NsType = (ulong)t.A1, Ret = ret },
        // act == NULL only reads the disposition: nothing changed.
        Syscall.RtSigaction when t.A1 != 0 => new SigAction { Sig = (int)t.A0, Handler = t.Action.Handler, SaFlags = t.Action.Flags, Ret = ret },
        Syscall.Prctl when t.A0 == Prctl.SetChildSubreaper => new Prctl { Option = (int)t.A0, Arg2 = (ulong)t.A1, Ret = ret },
        Syscall.Prctl when Prctl.ChangesCapabilities((int)t.A0, (ulong)t.A1) =>
            new Prctl { Option = (int)t.A0, Arg2 = (ulong)t.A1, Arg3 = t.A0 == Prctl.CapAmbient ? (ulong)t.A2 : 0, Ret = ret },
        Syscall.SetUid => SetCred.FromArgs(CredCall.SetUid, -1, t.A0, -1, ret),
        Syscall.SetReUid => SetCred.FromArgs(CredCall.SetReUid, t.A0, t.A1, -1, ret),
        Syscall.SetResUid => SetCred.FromArgs(CredCall.SetResUid, t.A0, t.A1, t.A2, ret),
        Syscall.Capset => new SetCred { Call = CredCall.Capset, Ret = ret },
        _ => null,
    };

    /// <summary>pid argument in wait4's convention for waitid(idtype, id): P_ALL -1, P_PID id, P_PGID -id (0: own group); a pidfd names no pid: int.MinValue.</summary>
    public static int WaitidPid(long idtype, int id) => idtype switch
    {
        0 => -1,
        1 => id,
        2 => id == 0 ? 0 : -id,
        _ => int.MinValue,
    };

    // ---- task lifecycle -------------------------------------------------------------------

    private void NewTask(in TraceLine line)
    {
        var task = Actor(line);
        if (task is null) return;
        task.NewTaskFlags = (ulong)line.A1;
        if (task.CallSlot is not { Event: Fork f } slot) return;
        if (f.Call != ForkCall.Clone) slot.Event = f with { Flags = (ulong)line.A1 };
        // The fork stands here: task_newtask is the end of copy_process, after alloc_pid and after
        // the child joined its group and session, and sched_process_fork may come much later (a
        // busy capture: a shell of a fork storm in a pid namespace was preempted 1.6 ms between
        // the two, and a sibling shell's fork, allocated after, took its line first and was
        // predicted the number the first got).
        PlaceFork(task, slot, line.Time);
        task.ForkPlaced = true;
    }

    /// <summary>
    /// Moves a fork to where its pid has just been allocated: copy_process allocates it after
    /// copying the memory, which takes milliseconds for a large process, so a fork entered first
    /// may allocate second (fresh/chromium-ns.capture: a clone entered at .038617 got 103 at
    /// .054636, a clone3 entered at .039819 got 102 at .039857). A fork next to the one before,
    /// close in time, joins its run (<see cref="ForkOrderNs"/>).
    /// </summary>
    private void PlaceFork(TaskState parent, Slot slot, long time)
    {
        slot.Event = slot.Event with { Time = time };
        var before = _lastFork;
        bool neighbour = before is { Left: false } && _entries == _lastForkEntries && time - before.Event.Time <= ForkOrderNs;
        var moved = parent.CallSlot = Move(slot, parent);
        moved.ReadyAt = time + ForkOrderNs;
        _lastFork = moved;
        _lastForkEntries = _entries;
        if (neighbour)
        {
            // The run the earlier one ends (or a new one), held until every answer is in.
            var run = _forkRuns.Count > 0 && _forkRuns[^1][^1] == before ? _forkRuns[^1] : null;
            if (run is null) _forkRuns.Add(run = [before!]);
            run.Add(moved);
            foreach (var member in run) member.ReadyAt = Math.Max(member.ReadyAt, time + ForkPairWaitNs);
        }
    }

    private void Rename(in TraceLine line)
    {
        if (line.Text is null) return;
        if (!_tasks.TryGetValue((int)line.A0, out var task)) return;
        task.Comm = line.Text;
        // An execve renames its task at its point of no return (begin_new_exec, fs/exec.c), where
        // the exec takes effect: PF_FORKNOEXEC is cleared, the caught signals are reset, the
        // credentials committed. sched_process_exec comes once the binary is loaded, which took
        // 40 ms on a busy machine: a bash's setpgid of its child in between answered EACCES (the
        // child had exec'd), and the models, without the exec yet, said 0. The exec stands here,
        // and its file is filled in from sched_process_exec. A thread of a larger group is left
        // as it was: its exec may take its leader's number first (de_thread).
        if (task.Call is Syscall.Execve or Syscall.Execveat && task.CallSlot is null && task.Tid == task.Group.Tgid && task.Group.Live == 1 && !task.Dead)
            task.CallSlot = Hold(Stamp(new Exec { Filename = "" }, task, line), task);
    }

    private void ProcessFork(in TraceLine line)
    {
        // sched_process_fork's pid= is the calling thread (not its tgid), the line's own task.
        var parent = Actor(line);
        if (parent is null) return;
        if (line.ActorComm is { Length: > 0 } now) parent.Comm = now;
        int childTid = (int)line.A1;
        if (childTid <= 0) return;
        Fork fork;
        if (parent.CallSlot is { Event: Fork } slot)
        {
            // Placed at its task_newtask line, or, with none seen, here.
            if (!parent.ForkPlaced) PlaceFork(parent, slot, line.Time);
            var placed = parent.CallSlot!;
            placed.Event = fork = (Fork)placed.Event with { Child = childTid };
        }
        else
        {
            // A task the kernel made without a traced call (a kernel thread, a lost enter line).
            Append(fork = (Fork)Stamp(new Fork { Call = ForkCall.Clone, Flags = parent.NewTaskFlags, Child = childTid, EnterLost = true }, parent, line));
        }
        parent.NewTaskFlags = 0;
        parent.ForkPlaced = false;
        if (_tasks.TryGetValue(childTid, out var previous)) previous.Forget();
        var group = (fork.Flags & CloneFlags.Thread) != 0 ? parent.Group : GroupOf(childTid);
        group.Live++;
        // real_parent: the forking thread, or its own parent's with CLONE_PARENT or CLONE_THREAD.
        int parentTid = (fork.Flags & (CloneFlags.Parent | CloneFlags.Thread)) != 0 ? parent.ParentTid : parent.Tid;
        // copy_process copies the blocked mask: the child starts with its parent's.
        bool thread = (fork.Flags & CloneFlags.Thread) != 0;
        _tasks[childTid] = new TaskState(childTid, line.Text ?? parent.Comm, group)
        {
            ParentTid = parentTid, Mask = parent.Mask,
        };
    }

    /// <summary>
    /// Each thread's blocked mask wherever it changed, as the capture read it (a capture bundle's
    /// "# sigmask:" headers), in time order; empty or null when the capture does not follow masks.
    /// </summary>
    public IReadOnlyList<MaskRecord>? SignalMasks { get; set; }

    // The next of SignalMasks to place.
    private int _nextMask;

    /// <summary>
    /// Places the masks read up to <paramref name="time"/>, before the line of that time: a
    /// SigMask event for a thread the trace knows, when its mask is not the one it had (the probe
    /// prints a thread's mask at its first call after it started, whatever it was).
    /// </summary>
    private void EmitMasks(IReadOnlyList<MaskRecord> masks, long time)
    {
        while (_nextMask < masks.Count && masks[_nextMask].Time <= time)
        {
            var m = masks[_nextMask++];
            if (HeaderThread(m.Tid) is not { } task || task.Mask == m.Mask) continue;
            task.Mask = m.Mask;
            PlaceFromHeader(new SigMask { Blocked = m.Mask }, task, m.Time);
        }
    }

    /// <summary>The thread a header's record (a mask, a write) names, when the trace knows it alive and has announced it.</summary>
    private TaskState? HeaderThread(int tid) => _tasks.TryGetValue(tid, out var task) && !task.Dead && !task.Unannounced ? task : null;

    /// <summary>
    /// Places an event a header's record gives, at the record's time, before the line being fed.
    /// Not counted in _entries: a mask or a write between two forks leaves them neighbours (ForkOrderNs).
    /// </summary>
    private void PlaceFromHeader(PidEvent ev, TaskState task, long time)
    {
        ev.SetEnvelope("", -1, time, task.Tid, task.Comm, null);
        _out.Enqueue(new Entry(ev, null));
    }

    /// <summary>Each setns's pid namespace for the caller's children (a capture bundle's "# setns:" headers), in time order; null or empty when the capture has none.</summary>
    public IReadOnlyList<SetnsEntered>? SetnsTargets { get; set; }

    // SetnsTargets by thread, in time order, each taken once.
    private Dictionary<int, Queue<SetnsEntered>>? _setnsByTid;

    /// <summary>
    /// A setns with the namespace the probe read at its return: the thread's first line not before
    /// the call's entry (a line before it is a call whose entry the trace lacks) and not long
    /// after its exit (none: the probe missed it). The probe and the trace read the same moment,
    /// microseconds apart either way.
    /// </summary>
    private SetNs Entered(SetNs call, TaskState task, long exit, IReadOnlyList<SetnsEntered> targets)
    {
        if (_setnsByTid is null)
        {
            _setnsByTid = [];
            foreach (var t in targets)
            {
                if (!_setnsByTid.TryGetValue(t.Tid, out var q)) _setnsByTid[t.Tid] = q = new Queue<SetnsEntered>();
                q.Enqueue(t);
            }
        }
        if (!_setnsByTid.TryGetValue(task.Tid, out var mine)) return call;
        while (mine.TryPeek(out var early) && early.Time < task.EnteredAt) mine.Dequeue();
        if (!mine.TryPeek(out var e) || e.Time > exit + SetnsSlack) return call;
        mine.Dequeue();
        return e.Inode == 0 ? call : call with { TargetNs = e.Inode, TargetInit = e.Init };
    }

    /// <summary>How long after a setns's exit line the probe's line may come (a preempted probe).</summary>
    private const long SetnsSlack = 1_000_000_000;

    /// <summary>Writes to ns_last_pid while tracing ran (a capture bundle's "# last_pid:" headers), in time order; null or empty when the capture has none.</summary>
    public IReadOnlyList<LastPidWrite>? LastPidWrites { get; set; }

    /// <summary>
    /// The capture's probe lost records, so writes to ns_last_pid may be missing from
    /// <see cref="LastPidWrites"/>: a lossy LastPid event of no task says so before the first event.
    /// </summary>
    public bool LastPidLossy { get; set; }

    private bool _lossyTold;

    // The next of LastPidWrites to place.
    private int _nextLastPid;

    /// <summary>
    /// Places the writes to ns_last_pid that returned by <paramref name="time"/>, before the line
    /// of that time: a LastPid event for a thread the trace knows. The write is a file's, in no
    /// line; a fork that took its number after it has its own line after the write returned.
    /// </summary>
    private void EmitLastPids(IReadOnlyList<LastPidWrite> writes, long time)
    {
        while (_nextLastPid < writes.Count && writes[_nextLastPid].Time <= time)
        {
            var w = writes[_nextLastPid++];
            if (HeaderThread(w.Tid) is { } task) PlaceFromHeader(new LastPid { Value = w.Value, Lossy = w.Lossy }, task, w.Time);
        }
    }

    private void ProcessExec(in TraceLine line)
    {
        int oldTid = (int)line.A1;
        if (oldTid != line.Tid && oldTid > 0 && _tasks.Remove(oldTid, out var thread) && !thread.Dead)
        {
            // A non-leader thread exec'd and took its leader's tid (de_thread, fs/exec.c), the
            // leader having exited first: the thread goes on under the leader's number.
            if (_tasks.Remove(line.Tid, out var leader)) leader.Forget();
            thread.Tid = line.Tid;
            _tasks[line.Tid] = thread;
        }
        var task = Actor(line);
        if (task is null) return;
        var name = line.Text ?? "";
        var (kind, owner) = ExecFiles is not null && ExecFiles.TryGetValue(name, out var found) ? found : (ExecFile.Unknown, 0);
        var exec = new Exec { Filename = name, OldTid = oldTid != line.Tid ? oldTid : 0, File = kind, FileUid = kind == ExecFile.SetUid ? owner : 0 };
        // Placed at its point of no return (Rename): there it stays, with its file now known.
        if (task.CallSlot is { Event: Exec { Filename: "" } placed } slot)
        {
            slot.Event = exec with { Host = placed.Host, Seq = placed.Seq, Time = placed.Time, Tid = placed.Tid, Comm = task.Comm, Ret = placed.Ret };
            slot.Close();
            return;
        }
        Append(Stamp(exec, task, line));
    }

    /// <summary>The exec'd files as the capture found them, by path (a capture bundle's "# exec_file:" headers); null when not given.</summary>
    public IReadOnlyDictionary<string, (ExecFile Kind, int Uid)>? ExecFiles { get; set; }

    /// <summary>What each rt_sigaction call installed, as the capture read it (a capture bundle's "# sigaction:" headers); null when not given, and a call without one stays unknown.</summary>
    public IReadOnlyDictionary<SigactionKey, (Handler Handler, ulong Flags)>? SignalActions { get; set; }

    private void ProcessExit(in TraceLine line)
    {
        var task = Actor(line);
        if (task is null) return;
        if (line.ActorComm is { Length: > 0 } now) task.Comm = now;
        // An exec past its point of no return that never loaded its binary kills its task: there
        // was no exec to speak of (as before the rename placed it).
        if (task.CallSlot is { Event: Exec { Filename: "" } } unloaded) unloaded.Dropped = true;
        // A call still waiting for its exit line will not get one: the task died in it.
        task.EndCall();
        task.Group.Live--;
        NoteChildExit(task, line.Time);
        bool group = line.A1 >= 0 ? line.A1 == 1 : task.Group.Live <= 0;
        var exit = Stamp(new Exit { Group = group, Code = task.ExitCode ?? task.Group.ExitCode }, task, line);
        // Only a whole-group exit notifies a parent (a leader with live threads waits for the last
        // one, whose context sends the SIGCHLD), so only it waits for signals.
        task.Dead = true;
        if (!group)
        {
            Append(exit);
            return;
        }
        task.ExitSlot = _lastGroupExit = Hold(exit, task);
    }

    /// <summary>
    /// Tells the exiting task's parent that a child of its died now, and, while that parent is dead
    /// too, the parent's parent, and so on up to the first live one: a dead parent's children were
    /// handed on (forget_original_parent) to an ancestor, a namespace init among them, whose exit
    /// must then not move past this one (traces/captures/ab-orphan-teardown.txt: an init's orphan,
    /// whose parent died earlier, takes its SIGKILL after the init's sched_process_exit and before its
    /// notice; the teardown had found it dying and sent it nothing).
    /// </summary>
    private void NoteChildExit(TaskState task, long time)
    {
        int parentTid = task.ParentTid;
        for (int depth = 0; depth < MaxReaperWalk && parentTid > 0 && _tasks.TryGetValue(parentTid, out var parent); depth++)
        {
            parent.LastChildExit = time;
            if (!parent.Dead) break;
            parentTid = parent.ParentTid;
        }
    }

    /// <summary>Dead ancestors <see cref="NoteChildExit"/> looks through, at most.</summary>
    private const int MaxReaperWalk = 64;

    // ---- signals --------------------------------------------------------------------------

    private void SignalGenerate(in TraceLine line)
    {
        var record = new SignalRecord((int)line.A0, (int)line.A3, (SignalResult)Math.Clamp(line.A5, 0, 255), (int)line.A2, line.A4 != 0);
        NoteFatal(record);
        if (_tasks.TryGetValue(record.To, out var recipient))
        {
            recipient.Group.LastSignalled = line.Time;
            if (record.Result == SignalResult.Delivered) recipient.Group.LastDelivered = line.Time;
        }
        if (line.Tid < 0)
        {
            // perf's ":-1 -1": the final SIGCHLD of a group whose last thread already released its pid.
            if (_lastGroupExit is { Done: false } last && IsExitNotice(record))
            {
                last.Signals.Add(record);
                last.Close();
                return;
            }
            AppendSignal(record, line, null);
            return;
        }
        _tasks.TryGetValue(line.Tid, out var task);
        if (line.InInterrupt)
        {
            // An interrupt's signal (an interval timer's SIGALRM from the tick, code SI_KERNEL):
            // the task it interrupted only happened to run, and neither its kill nor its exit sent
            // it (traces/captures/ae-timer-signal-in-exit.txt: a perl's SIGALRM generated while
            // an unrelated unshare exited was taken as that exit's).
            bool afterFork = _entries == _lastForkEntries;
            AppendSignal(record, line, task);
            // It is no one's call and names no child yet to run: forks on either side of it stay
            // neighbours (ForkOrderNs; a busy capture: a perl's SIGALRM from the tick came between
            // two shells' forks in one namespace, 18 us apart, whose numbers came in the other order).
            if (afterFork) _lastForkEntries = _entries;
            return;
        }
        if (task is { Dead: false, CallSlot: { Event: Kill } kill })
        {
            if (record.Result == SignalResult.Ignored && recipient?.Group.ExitGroupEntered is { } began && began < line.Time
                && (began > kill.Event.Time || recipient.Group.Live > 0))
                kill = KillAfterGroupExitBegan(kill, task, recipient, line);
            // A kill whose signal comes to a process after that of a kill placed after it (entered
            // later) stands here, after the other: the models would take its signal first (a busy
            // capture: a shell's kill(-1, SIGTERM) entered on one CPU, another shell's kill of a
            // third shell on the other 68 us later; the second's SIGTERM came first, res=0, and
            // began the third's group exit, the first's came 32 us after and was dropped, res=1,
            // and the models, taking the first kill first, said the second's was dropped).
            else if (recipient?.Group.LastKill is { Dropped: false } other && other != kill && other.PlacedAt > kill.PlacedAt)
                kill = MoveCall(kill, task, line.Time);
            kill.Signals.Add(record);
            if (recipient is not null) recipient.Group.LastKill = kill;
            if (Unknown(record)) (kill.Before ??= []).Add(AdoptRecipient(record.To, line));
            return;
        }
        // The parent a snapshot names is a process; the notice goes to the thread that forked the
        // child (a test host's thread pool thread, for a dotnet child it started).
        if (task is { Dead: false, Group.Live: 1 } && task.Call == Syscall.Other && IsExitNotice(record) && task.ParentTid > 0
            && _tasks.TryGetValue(task.ParentTid, out var parentTask) && recipient is { Dead: false }
            && (recipient == parentTask || recipient.Group == parentTask.Group))
        {
            // Its own death told to its parent, from the context of a task the trace never saw
            // exit: its sched_process_exit came before tracing began, its exit_notify after (a busy
            // capture: a child in between at tracing_on, then waited for with ECHILD, and the models
            // kept it alive). The exit stands here, at its notice.
            var exitLine = line;
            exitLine.Point = Tracepoint.ProcessExit;
            exitLine.A0 = line.Tid;
            exitLine.A1 = 1;
            exitLine.ActorComm = null;
            ProcessExit(exitLine);
        }
        if (task is { Dead: true, ExitSlot: { Done: false } exit })
        {
            if (record.Code == SiKernel && !exit.Teardown && exit.PlacedAt != _entries)
            {
                // A dying init's teardown (zap_pid_ns_processes, from exit_notify) can come long
                // after its sched_process_exit: the exit moves here, so that the tasks of its
                // namespace that died in between are dead when the teardown signals them
                // (fresh/chromium-ns2.capture: two zygotes exit 20 ms after the last browser
                // thread's sched_process_exit and 3 ms before its SIGKILLs, which find them exiting).
                // A signal that came to the init in between found it exiting and was dropped (an
                // orphan's notice: traces/captures/aa-notice-to-dying-init.txt): where the exit was,
                // an Exiting event says the group exit had begun.
                exit = MoveGroupExit(exit, task, line);
            }
            bool own = IsExitNotice(record) && IsOwnNotice(task, record);
            if (own && !exit.Teardown && (task.Group.LastSignalled <= exit.Event.Time && task.LastChildExit <= exit.Event.Time
                || _tasks.TryGetValue(record.To, out var parent) && parent.Group.LastWait > exit.PlacedAt))
            {
                // The child is a zombie, and its parent told, from exit_notify on, which sends this
                // notice, not from its sched_process_exit: a wait of the parent's in between finds
                // it still running (a fork storm's sh: a child preempted for 10 ms between the two,
                // the parent's WNOHANG waits answering 0 meanwhile), and the notices of siblings
                // dying together come in the order the parent's lock let them. The exit moves here
                // and says so (at_notice). Not when a signal came to the dying process in between:
                // the kernel saw it exiting (prepare_signal drops what comes to a group exiting),
                // which only the earlier place shows; nor when a child of its died in between: a
                // namespace init's exit_notify kills its namespace and waits for it to empty before
                // the notice (traces/captures/j-hostkill1.txt: init 8557 passes sched_process_exit
                // at .250091, its child 8577, SIGKILLed before, exits at .254388, 8557's notice
                // comes at .254579; the teardown found 8577 with SIGKILL pending and sent nothing).
                // Unless the parent waited in between too: then a signal that came in between
                // found the group exiting all the same, and an Exiting event stays where the exit
                // was (a busy capture: python3's pool worker passed sched_process_exit, its parent's
                // wait4(WNOHANG) answered 0, the parent's SIGTERM to it was dropped, then came the
                // notice; moved without it, the models took the SIGTERM for delivered).
                // A notice the parent dropped, having entered exit_group before it came, has an
                // Exiting event for the parent first (a busy capture: a namespace init's sh entered
                // exit_group 3 us before its child's notice, res=1, and passed sched_process_exit
                // 10 us after; the models, not knowing of the group exit, took it for delivered).
                ExitingBeforeDropped(record, line);
                exit = exit.Event is Exit { Group: true } ? MoveGroupExit(exit, task, line) : MoveExit(exit, task, line);
                // A wait of the parent's under way when the notice came (entered, not returned)
                // may have looked at the children before it or after it (fork-storm.txt.gz: sh-883's
                // notice at .868495, inside sh-669's wait4(-1, WNOHANG) of .868491 to .868498, which
                // returned a younger child): there the exit says only that it stands at its notice
                // (notice_in_wait), and the model keeps not knowing whether the parent's wait
                // saw it; the order of the notices is still known.
                if (_tasks.TryGetValue(record.To, out var told))
                    exit.Event = told.Group.OpenWaits == 0 ? (Exit)exit.Event with { AtNotice = true } : (Exit)exit.Event with { NoticeInWait = true };
            }
            exit.Signals.Add(record);
            if (record.Code == SiKernel) exit.Teardown = true;
            if (Unknown(record)) (exit.Before ??= []).Add(AdoptRecipient(record.To, line));
            // do_notify_parent is the last thing an exit does (kernel/exit.c, exit_notify); the
            // zombie orphans forget_original_parent handed on just before are told of to their
            // new reaper first (fresh/pgkill.capture: sh-26567's two notices to 1, then its own).
            if (own)
            {
                exit.Close();
                task.ToldExit = exit;
                exit.OwnNoticeTo = record.To;
                exit.ReadyAt = Math.Max(exit.ReadyAt, line.Time + NoticeRunNs);
            }
            // A notice to a process that has passed sched_process_exit and whose exit still waits:
            // that process's exit_notify, which hands its children on, has not run yet (it came to
            // the process, not to the reaper it would have handed this child to). Its exit moves
            // here, after the child's (traces/captures/ac-notice-to-exiting-parent.txt: an unshare
            // killed by its namespace's teardown hears of its own child, the nested init, 0.9 ms
            // after its sched_process_exit; placed there, the child went to the dying init, which
            // ignores SIGCHLD, and the model predicted no notice).
            if (IsExitNotice(record) && recipient is { Dead: true, ExitSlot: { Done: false, Event: Exit { Group: true } } held } && recipient != task)
                MoveGroupExit(held, recipient, line);
            return;
        }
        if (task is { Dead: true, ToldExit: { Left: false } closed } && IsExitNotice(record) && record.To == closed.OwnNoticeTo && line.Time <= closed.ReadyAt)
        {
            // The notice taken for the exit's own was an orphan's: this one is (see NoticeRunNs).
            closed.Signals.Add(record);
            closed.ReadyAt = Math.Max(closed.ReadyAt, line.Time + NoticeRunNs);
            return;
        }
        AppendSignal(record, line, task);
    }

    // A signal no traced call explains. Its sender context may be a dead task (a late notice),
    // the idle task (0), or perf's lost tid (-1): none of those is adopted.
    private void AppendSignal(SignalRecord record, in TraceLine line, TaskState? task)
    {
        ExitingBeforeDropped(record, line);
        PidEvent ev = new Signal { Record = record };
        ev = task is { Dead: true } || task is null && line.Tid <= 0
            ? ev with { Seq = -1, Time = line.Time, Tid = line.Tid, Comm = task?.Comm ?? line.Comm }
            : Stamp(ev, task ?? Actor(line)!, line);
        if (Unknown(record)) Append(AdoptRecipient(record.To, line));
        Append(ev);
    }

    /// <summary>
    /// A signal dropped because its recipient's process had begun a group exit that has not
    /// reached sched_process_exit, where the group's exit stands: exit_group sets
    /// SIGNAL_GROUP_EXIT at once, and prepare_signal drops what comes after. An Exiting event at
    /// the exit_group's entry says so first, once per group, as for a kill
    /// (<see cref="KillAfterGroupExitBegan"/>). A busy capture: a perl's interval timer fired
    /// 37 us after the perl entered exit_group, res=1, and the models, not knowing of the group
    /// exit yet, took the SIGALRM for delivered.
    /// </summary>
    private void ExitingBeforeDropped(in SignalRecord record, in TraceLine line)
    {
        if (record.Result != SignalResult.Ignored || !_tasks.TryGetValue(record.To, out var recipient) || recipient.Dead) return;
        var group = recipient.Group;
        if (group.ExitingShown || group.Live <= 0 || group.ExitGroupEntered is not { } began || began >= line.Time) return;
        Append(new Exiting { Seq = -1, Time = began, Tid = recipient.Tid, Comm = recipient.Comm });
        group.ExitingShown = true;
    }

    private void SignalDeliver(in TraceLine line)
    {
        var task = Actor(line);
        if (task is null) return;
        long handler = line.A3;
        int sig = (int)line.A0;
        if (handler == 0 && sig == SigKill)
        {
            // A fatal default action is delivered as SIGKILL (get_signal, kernel/signal.c): the
            // group dies of the signal that was generated to it, or of SIGKILL.
            task.Group.ExitCode ??= task.Group.FatalSig != 0 ? task.Group.FatalSig : SigKill;
        }
        else if (handler > 1)
        {
            if (task.Group.FatalSig == sig) task.Group.FatalSig = 0;
        }
        Append(Stamp(new Deliver
        {
            Sig = sig, Handler = handler switch { 0 => Handler.Default, 1 => Handler.Ignore, _ => Handler.Catch }, SaFlags = (ulong)line.A4,
        }, task, line));
    }

    // Remembers a signal that kills its recipient unless caught, to give the exit its code.
    private void NoteFatal(SignalRecord r)
    {
        if (r.Result != SignalResult.Delivered || !KillsByDefault(r.Sig)) return;
        if (_tasks.TryGetValue(r.To, out var to) && !to.Dead) to.Group.FatalSig = r.Sig;
    }

    // SIGCHLD, SIGCONT, SIGURG, SIGWINCH and the stop signals do not terminate by default (signal(7)).
    private static bool KillsByDefault(int sig) => sig is > 0 and < 65 and not (17 or 18 or 19 or 20 or 21 or 22 or 23 or 28);

    private const int SigKill = 9;
    private const int SiKernel = 0x80;

    // CLD_EXITED, CLD_KILLED, CLD_DUMPED: the notice do_notify_parent sends.
    private static bool IsExitNotice(SignalRecord r) => r.Code is 1 or 2 or 3;

    // Whether an exit notice from a dying task's context is its own: it goes to its parent. With
    // the parent not known, or gone (reparenting is not followed here), any notice may be.
    private bool IsOwnNotice(TaskState task, SignalRecord r) =>
        task.ParentTid <= 0 || r.To == task.ParentTid || !_tasks.TryGetValue(task.ParentTid, out var parent) || parent.Dead;

    // ---- tasks ----------------------------------------------------------------------------

    // The line's task, adopted (with a TaskSnapshot before its first event) if nothing introduced it.
    private TaskState? Actor(in TraceLine line)
    {
        if (line.Tid <= 0) return null;
        if (_tasks.TryGetValue(line.Tid, out var task) && !task.Dead)
        {
            if (line.CommIsCurrent && line.Comm.Length > 0) task.Comm = line.Comm;
            return task;
        }
        if (task is not null) task.Forget();
        var group = GroupFor(line.Tid, line.Tgid);
        group.Live++;
        task = new TaskState(line.Tid, line.Comm, group) { Unannounced = true, ToolsCommand = CommandComm is not null && line.Comm == CommandComm };
        _tasks[line.Tid] = task;
        return task;
    }

    private static ThreadGroup GroupOf(int tgid) => new(tgid) { Known = true };

    // The group of a task first seen, from its tgid when the capture printed one (snapshot, perf's pid/tid).
    private ThreadGroup GroupFor(int tid, int tgid)
    {
        if (tgid <= 0) return new ThreadGroup(tid);
        if (tgid != tid && _tasks.TryGetValue(tgid, out var leader) && !leader.Dead && leader.Group.Tgid == tgid) return leader.Group;
        return GroupOf(tgid);
    }

    // Fills in what every event has, and adopts the actor in front of it if it is new.
    private PidEvent Stamp(PidEvent ev, TaskState task, in TraceLine line)
    {
        if (task.Unannounced)
        {
            task.Unannounced = false;
            var adopted = Adoption(task.Tid, task.Comm, task.Group.Known ? task.Group.Tgid : 0, line.Time);
            if (task.ToolsCommand && task.Tid == task.Group.Tgid)
                adopted = adopted with { Tgid = task.Tid, NsPid = [task.Tid] };
            Append(adopted);
        }
        return ev with { Seq = -1, Time = line.Time, Tid = task.Tid, Comm = task.Comm };
    }

    private static TaskSnapshot Adoption(int tid, string comm, int tgid, long time) =>
        new() { Seq = -1, Time = time, Tid = tid, Comm = comm, Tgid = tgid, Adopted = true };

    // A signal's recipient the stream has not introduced: adopted before the event that names it.
    // A recipient never seen, or a tid whose task has exited and that a signal nonetheless
    // reaches: a new task the trace did not follow. But an exited task stays, dying or a zombie,
    // until it is reaped, and a signal to it is recorded as ignored (prepare_signal drops what a
    // group in exit gets): fresh/nsenter-kill0.capture's dying init SIGKILLs its zombies with
    // res=1 after their sched_process_exit. That names the same task, not a new one; so does
    // any signal to an exited leader whose threads live on.
    private bool Unknown(in SignalRecord r) =>
        r.To > 0 && (!_tasks.TryGetValue(r.To, out var known) || known.Dead && r.Result != SignalResult.Ignored && known.Group.Live <= 0);

    private TaskSnapshot AdoptRecipient(int tid, in TraceLine line)
    {
        var group = new ThreadGroup(tid);
        group.Live++;
        var comm = line.Text ?? "";
        _tasks[tid] = new TaskState(tid, comm, group);
        return Adoption(tid, comm, 0, line.Time);
    }

    // ---- output ---------------------------------------------------------------------------

    /// <summary>
    /// Each run of neighbouring forks whose answers are all in: its forks take the run's places
    /// in the order of the numbers they returned, when all callers' numbers are of one kind (all
    /// global tids, callers on the host, or none) and none has left yet; then they may leave.
    /// </summary>
    private void OrderForks()
    {
        for (int r = _forkRuns.Count - 1; r >= 0; r--)
        {
            var run = _forkRuns[r];
            if (!run.TrueForAll(s => s.Done || s.Left)) continue;
            _forkRuns.RemoveAt(r);
            foreach (var s in run) s.ReadyAt = s.Event.Time + ForkOrderNs;
            if (!run.TrueForAll(s => !s.Left && s.Event is Fork { Child: > 0, Ret: > 0 })) continue;
            bool global = Answer(run[0].Event) == ((Fork)run[0].Event).Child;
            if (!run.TrueForAll(s => (Answer(s.Event) == ((Fork)s.Event).Child) == global)) continue;
            // Selection by answer: each place takes the lowest answer among those from it on.
            var order = run.Select(s => s.Event).ToList();
            bool moves = false;
            for (int i = 0; i < order.Count - 1; i++)
            {
                int lowest = i;
                for (int j = i + 1; j < order.Count; j++)
                    if (Answer(order[j]) < Answer(order[lowest])) lowest = j;
                if (lowest == i) continue;
                (order[i], order[lowest]) = (order[lowest], order[i]);
                moves = true;
            }
            if (!moves || !ChildrenAfterForks(run, order)) continue;
            for (int i = 0; i < run.Count - 1; i++)
            {
                int at = run.FindIndex(i, s => ReferenceEquals(s.Event, order[i]));
                if (at != i) run[i].SwapWith(run[at]);
            }
        }

        static long Answer(PidEvent ev) => ev.Ret ?? 0;
    }

    /// <summary>
    /// Whether, with the run's places taking the forks of <paramref name="order"/>, every event of
    /// a child of the run's forks still comes after its fork. Answers from two namespaces are not
    /// numbers of one allocator, and a vfork's answer comes once its child has run: a busy
    /// capture's sh in one namespace vforked python3 2302 (201 there) 56 us before a sh in another
    /// cloned 2303 (43 there); ordered by answer, the vfork went after 2303's clone, and so after
    /// 2302's first mask change, read between the two; the models, which gave 2302 its parent's
    /// mask at the fork, had every signal blocked in it from then on.
    /// </summary>
    private bool ChildrenAfterForks(List<Slot> run, List<PidEvent> order)
    {
        var holds = new Dictionary<Slot, PidEvent>(run.Count);
        for (int i = 0; i < run.Count; i++) holds[run[i]] = order[i];
        var children = run.Select(s => ((Fork)s.Event).Child).ToHashSet();
        var born = new HashSet<int>();
        bool inRun = false;
        foreach (var entry in _out)
        {
            PidEvent? ev = entry.Event;
            if (entry.Slot is { } slot)
            {
                // A slot its event moved out of, or a call that never answered: nothing goes out there.
                if (slot.Dropped) continue;
                if (holds.TryGetValue(slot, out var fork))
                {
                    inRun = true;
                    born.Add(((Fork)fork).Child);
                    continue;
                }
                ev = slot.Event;
            }
            if (inRun && ev is not null && children.Contains(ev.Tid) && !born.Contains(ev.Tid)) return false;
        }
        return true;
    }

    private void Append(PidEvent ev)
    {
        _out.Enqueue(new Entry(ev, null));
        _entries++;
    }

    // An event that will learn more (its answer, its signals) before it may leave.
    private Slot Hold(PidEvent ev, TaskState owner)
    {
        var slot = new Slot(ev, owner);
        _out.Enqueue(new Entry(null, slot));
        slot.PlacedAt = ++_entries;
        return slot;
    }

    /// <summary>
    /// A kill that entered before a thread of its recipient's process entered exit_group, and whose
    /// signal came after and was dropped: do_group_exit had set SIGNAL_GROUP_EXIT by then, and
    /// prepare_signal dropped the signal. A signal between the call's entry and that flag is
    /// delivered, so the line's result says which came first. A test suite's capture: a test
    /// host's SIGTERM to a chromium entered 11 us before a chromium thread's exit_group, its line
    /// came 64 us after, res=1; standing where it entered, before the group's exit, the kill was
    /// predicted delivered. The kill stands here, after an Exiting event that says the group exit
    /// had begun, once per group. So does one that entered after exit_group did while a thread of
    /// the group was still to pass sched_process_exit, where the group's exit stands (another suite
    /// capture: a chromium's SIGTERM to a sibling process 16 us after a thread of it entered
    /// exit_group, res=1, while the group's other threads were still taking their SIGKILLs).
    /// </summary>
    private Slot KillAfterGroupExitBegan(Slot kill, TaskState sender, TaskState recipient, in TraceLine line)
    {
        var group = recipient.Group;
        if (!group.ExitingShown)
        {
            // Named by the recipient, which is there still: the thread that called exit_group may be gone.
            Append(new Exiting { Seq = -1, Host = kill.Event.Host, Time = group.ExitGroupEntered!.Value, Tid = recipient.Tid, Comm = recipient.Comm });
            group.ExitingShown = true;
        }
        return MoveCall(kill, sender, line.Time);
    }

    /// <summary>A call's event placed again at the end of the output, with <paramref name="time"/>: the call's slot from now on.</summary>
    private Slot MoveCall(Slot call, TaskState owner, long time)
    {
        var moved = Move(call, owner);
        moved.Event = moved.Event with { Time = time };
        owner.CallSlot = moved;
        return moved;
    }

    /// <summary>
    /// Moves a group exit here, later; a signal that came to the group since where it stood found
    /// it exiting and was dropped (prepare_signal): there, an Exiting event says the group exit
    /// had begun. So does a kill that names the group and entered since: its event stands where
    /// it entered, and its signal may come after this line (a busy capture: python3's SIGTERM to
    /// a pool worker entered 15 us before the worker's notice, and its line came 4 us after).
    /// </summary>
    private Slot MoveGroupExit(Slot exit, TaskState task, in TraceLine line)
    {
        var began = exit;
        var moved = MoveExit(exit, task, line);
        if (Math.Max(task.Group.LastSignalled, task.Group.LastKillAimed) > began.Event.Time)
        {
            began.Event = new Exiting { Host = began.Event.Host, Time = began.Event.Time, Tid = began.Event.Tid, Comm = began.Event.Comm };
            began.Dropped = false;
        }
        return moved;
    }

    // A held event leaves its place for one at the end of the output: the old place is let go.
    /// <summary>An exit placed again at <paramref name="line"/>, with its time: the exit happened there, not at sched_process_exit.</summary>
    private Slot MoveExit(Slot exit, TaskState task, in TraceLine line)
    {
        var moved = Move(exit, task);
        moved.Event = moved.Event with { Time = line.Time };
        if (_lastGroupExit == exit) _lastGroupExit = moved;
        return task.ExitSlot = moved;
    }

    private Slot Move(Slot slot, TaskState owner)
    {
        var moved = Hold(slot.Event, owner);
        moved.Before = slot.Before;
        slot.Before = null;
        slot.MoveSignalsTo(moved);
        slot.Dropped = true;
        slot.Done = true;
        return moved;
    }

    /// <summary>One place in the output: an event complete when it came, or a slot still filling in.</summary>
    private readonly record struct Entry(PidEvent? Event, Slot? Slot);

    // An exit whose SIGCHLD never comes (the parent ignores SIGCHLD, exit_signal 0) would hold
    // everything behind it: past a grace period, unless it is tearing down a namespace, it goes.
    private void ReleaseStaleHead()
    {
        if (_out.Count == 0 || _out.Peek().Slot is not { } head) return;
        if (!head.Done && head.Event is Exit && !head.Teardown && _now - head.Event.Time > ExitGraceNs) head.Close();
    }


    /// <summary>One event on its way out, with what is still to be learnt about it.</summary>
    private sealed class Slot(PidEvent ev, TaskState? owner)
    {
        /// <summary>The event as known so far.</summary>
        public PidEvent Event = ev;
        /// <summary>The signal_generate lines attached to a Kill or an Exit (made on the first).</summary>
        public List<SignalRecord> Signals => _signals ??= [];
        private List<SignalRecord>? _signals;
        /// <summary>Adopted snapshots of tasks this event names first, to go out before it.</summary>
        public List<PidEvent>? Before;
        /// <summary>A call the kernel restarted: it answered nothing and leaves no event.</summary>
        public bool Dropped;
        /// <summary>True once nothing more will be learnt: the event may leave.</summary>
        public bool Done;
        /// <summary>An exit that has sent a namespace teardown's SIGKILLs and may wait long for its SIGCHLD.</summary>
        public bool Teardown;
        /// <summary>Trace time before which it may not leave, done or not (a fork: <see cref="ForkOrderNs"/>).</summary>
        public long ReadyAt;
        /// <summary>It has left the output.</summary>
        public bool Left;
        /// <summary>An exit closed on a notice taken for its own: the process that notice went to.</summary>
        public int OwnNoticeTo;
        /// <summary>The count of entries in the output once it was placed: more since means it is no longer the last.</summary>
        public long PlacedAt;

        /// <summary>Hands the signals attached so far to the slot that takes this one's place.</summary>
        public void MoveSignalsTo(Slot other)
        {
            other._signals = _signals;
            _signals = null;
        }
        // The task whose pending call or exit this is, so that a closed slot is forgotten by it.
        private TaskState? _owner = owner;
        // Set once Take has handed out Before: the event itself comes next.
        private int _taken;

        public void Close()
        {
            if (Done) return;
            Done = true;
            if (_owner is { } o)
            {
                if (o.CallSlot == this) { o.CallSlot = null; o.Call = Syscall.Other; o.ForkPlaced = false; }
                if (o.ExitSlot == this) o.ExitSlot = null;
                _owner = null;
            }
        }

        /// <summary>
        /// Trades places with <paramref name="other"/>: each takes the other's event and all that
        /// goes with it, and the tasks waiting on them follow.
        /// </summary>
        public void SwapWith(Slot other)
        {
            (Event, other.Event) = (other.Event, Event);
            (_signals, other._signals) = (other._signals, _signals);
            (Before, other.Before) = (other.Before, Before);
            (Dropped, other.Dropped) = (other.Dropped, Dropped);
            (Done, other.Done) = (other.Done, Done);
            (Teardown, other.Teardown) = (other.Teardown, Teardown);
            (ReadyAt, other.ReadyAt) = (other.ReadyAt, ReadyAt);
            (OwnNoticeTo, other.OwnNoticeTo) = (other.OwnNoticeTo, OwnNoticeTo);
            (_taken, other._taken) = (other._taken, _taken);
            (_owner, other._owner) = (other._owner, _owner);
            Repoint(_owner, other, this);
            Repoint(other._owner, this, other);
        }

        private static void Repoint(TaskState? owner, Slot from, Slot to)
        {
            if (owner is null) return;
            if (owner.CallSlot == from) owner.CallSlot = to;
            if (owner.ExitSlot == from) owner.ExitSlot = to;
        }

        public PidEvent Take()
        {
            Debug.Assert(Done, "only a finished event leaves");
            if (_signals is not { Count: > 0 } signals) return Event;
            return Event switch
            {
                Kill k => k with { Signals = [.. signals] },
                Exit x => x with { Signals = [.. signals] },
                _ => Event,
            };
        }

        public bool TakeBefore(out PidEvent ev)
        {
            if (Before is { } b && _taken < b.Count)
            {
                ev = b[_taken++];
                return true;
            }
            ev = null!;
            return false;
        }
    }

    /// <summary>What the assembler knows of one task (one kernel thread, by global tid).</summary>
    private sealed class TaskState(int tid, string comm, ThreadGroup group)
    {
        /// <summary>The global tid; changes only when a thread execs and takes its leader's.</summary>
        public int Tid = tid;
        /// <summary>The comm as of the latest line (fork, rename, exit, or perf's event-time comm).</summary>
        public string Comm = comm;
        /// <summary>The thread group (process) the task belongs to.</summary>
        public readonly ThreadGroup Group = group;
        /// <summary>The syscall entered and not yet exited, or Other; a wait counts in its group's <see cref="ThreadGroup.OpenWaits"/>.</summary>
        public Syscall Call
        {
            get => _call;
            set
            {
                if (_call is Syscall.Wait4 or Syscall.Waitid) Group.OpenWaits--;
                if (value is Syscall.Wait4 or Syscall.Waitid) Group.OpenWaits++;
                _call = value;
            }
        }
        private Syscall _call;
        /// <summary>The pending call's first arguments.</summary>
        public long A0, A1, A2, A3;
        // When the call in progress entered (its sys_enter line's time).
        public long EnteredAt;
        /// <summary>The pending rt_sigaction's new action, when the capture read it; else unknown.</summary>
        public (Handler Handler, ulong Flags) Action;
        /// <summary>The fork or kill placed at its enter, waiting for its exit.</summary>
        public Slot? CallSlot;
        /// <summary>The exit waiting for the signals its context sends.</summary>
        public Slot? ExitSlot;
        /// <summary>The exit closed on the notice taken for its own, while it may still take another (<see cref="NoticeRunNs"/>).</summary>
        public Slot? ToldExit;
        /// <summary>task_newtask's flags, for the fork line that follows.</summary>
        public ulong NewTaskFlags;
        /// <summary>The pending fork stands at its task_newtask line already (<see cref="PlaceFork"/>).</summary>
        public bool ForkPlaced;
        /// <summary>This thread's own exit(code) status, when it called exit.</summary>
        public int? ExitCode;
        /// <summary>True after sched_process_exit: the tid is free for reuse.</summary>
        public bool Dead;
        /// <summary>The tid of the task that hears of its death (real_parent as forked or snapshotted); 0 when not known.</summary>
        public int ParentTid;
        /// <summary>True until the first event names the task: it must be adopted then.</summary>
        public bool Unannounced;
        /// <summary>First seen bearing <see cref="CommandComm"/>: the child the recording tool forked for its command.</summary>
        public bool ToolsCommand;
        /// <summary>The blocked mask as the capture last gave it (snapshot, inherited at fork, or read); null when not known.</summary>
        public ulong? Mask;
        /// <summary>The time of the latest sched_process_exit of a child of this task.</summary>
        public long LastChildExit = long.MinValue;

        /// <summary>Ends the pending call without an answer.</summary>
        public void EndCall()
        {
            CallSlot?.Close();
            CallSlot = null;
            Call = Syscall.Other;
            ForkPlaced = false;
        }

        /// <summary>The tid now belongs to another task: whatever waited on this one is let go.</summary>
        public void Forget()
        {
            EndCall();
            ExitSlot?.Close();
            ExitSlot = null;
        }
    }

    /// <summary>A thread group, shared by its threads: how it ends.</summary>
    private sealed class ThreadGroup(int tgid)
    {
        public readonly int Tgid = tgid;
        /// <summary>False when the tgid is only a guess (a task adopted from a line that did not print it).</summary>
        public bool Known;
        /// <summary>Threads alive, to tell the last exit when the kernel does not print group_dead.</summary>
        public int Live;
        /// <summary>The status the parent will see: exit_group's code << 8, or the killing signal.</summary>
        public int? ExitCode;
        /// <summary>The latest delivered signal that kills by default, in case it is what kills the group.</summary>
        public int FatalSig;
        /// <summary>The output position (_entries) of the latest wait a thread of the group made.</summary>
        public long LastWait;
        /// <summary>The time of the latest signal generated for a thread of the group (its own exit notices go to others).</summary>
        public long LastSignalled = long.MinValue;
        /// <summary>The time of the latest signal delivered to a thread of the group or to the group (signal_generate res=0).</summary>
        public long LastDelivered = long.MinValue;
        /// <summary>The time of the latest kill, tkill or tgkill entered that names a thread of the group; its signal comes later, if at all.</summary>
        public long LastKillAimed = long.MinValue;
        /// <summary>The kill whose signal came to the group last: a kill placed before it whose signal comes after moves after it.</summary>
        public Slot? LastKill;
        /// <summary>Threads of the group inside wait4 or waitid now (entered, not yet exited).</summary>
        public int OpenWaits;
        /// <summary>When a thread of the group first entered exit_group.</summary>
        public long? ExitGroupEntered;
        /// <summary>An Exiting event for that group exit is in the output (<see cref="KillAfterGroupExitBegan"/>).</summary>
        public bool ExitingShown;
    }
}

/// <summary>One rt_sigaction call of a trace: its thread, the time of its enter line (ns), the signal, the action's address.</summary>
public readonly record struct SigactionKey(int Tid, long Time, int Sig, long Act);

/// <summary>A write to ns_last_pid that returned at <see cref="Time"/>, and the value the writer's namespace then read (a capture bundle's "# last_pid:" line).</summary>
public readonly record struct LastPidWrite(int Tid, long Time, int Value)
{
    /// <summary>The capture's probe lost records: other writes may be missing (<see cref="LastPid.Lossy"/>).</summary>
    public bool Lossy { get; init; }
}

/// <summary>
/// A setns's return as a capture's probe saw it ("# setns:"): the pid namespace the caller's
/// children then go to, by inode and init's global tid; 0 and 0 when it entered none.
/// </summary>
public readonly record struct SetnsEntered(int Tid, long Time, ulong Inode, int Init);

/// <summary>A thread's blocked mask from <see cref="Time"/> on (a capture bundle's "# sigmask:" line; bit sig-1 for signal sig).</summary>
public readonly record struct MaskRecord(int Tid, long Time, ulong Mask);
