using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>Reaping: do_wait, wait_task_zombie (kernel/exit.c).</summary>
public sealed partial class NestedPidModel
{
    /// <summary>
    /// wait4/waitid: the children of every thread of the caller (unless __WNOTHREAD) that match
    /// the pid argument (resolved in the caller's namespace) and the clone/non-clone rule; a
    /// zombie among them is reaped and its number in the caller's view returned; none at all is
    /// ECHILD; live ones only is 0 with WNOHANG, else the call sleeps until a signal interrupts it.
    /// </summary>
    private void ApplyWait(Wait w, Outcome o)
    {
        var cur = Current(w, o);
        if (cur is null) return;
        TaskStruct? zombie = null;
        int ret = UnknownAnswer;
        if (w.EnterLost) Unknown(o, Outcome.EnterLostNote);
        else
        {
            zombie = DoWait(cur, w, o, out ret);
            if (ret == UnknownAnswer) Unknown(o, o.Note ?? "which children the call may reap is not known");
            else if (w.Ret is long got && got > 0 && got != ret && FindPidNs((int)got, cur.Ns, out var other) is var found
                && (found == Lookup.None || found == Lookup.Found && other!.Parent is null))
            {
                // The kernel reaped a task the model never had, or had without knowing whose child
                // it was (first seen after its fork: forked between the /proc snapshot and tracing_on
                // and gone before /proc was read again): the caller's children were not all known,
                // whatever the model predicted.
                ret = UnknownAnswer;
                Unknown(o, found == Lookup.None ? NeverKnownNote : ParentUnknownNote);
            }
            else o.Return(ret, zombie?.Tid ?? 0);
        }

        // A waitid that returned 0 (its line does not name the child) where the model cannot say
        // which child it reaped, or whether one (WNOHANG; begun before tracing did), may have
        // reaped any one dead child: each may be gone now (a busy capture's python3 reaped a child
        // so, and at its own exit the model had the zombie handed to init, which the kernel did not tell).
        if (w.Call == WaitCall.Waitid && w.Ret is null && ret == UnknownAnswer && (w.Options & WNOWAIT) == 0) MayHaveReapedOne(cur);

        // Follow the trace: the child it says was reaped goes.
        if ((w.Options & WNOWAIT) != 0) return;
        if (w.Ret == -ECHILD && !w.EnterLost) ForgetAutoreaped(cur, w, o);
        // The kernel found no child of the process at all that such a wait looks at (those whose
        // exit signal is SIGCHLD): any it has from here on, the trace sees born (a busy capture:
        // a shell older than the capture, whose every wait(-1) stayed not known once some task
        // had been adopted, answered ECHILD to its first).
        if (w.Ret == -ECHILD && !w.EnterLost && w.Pid == -1 && (w.Call == WaitCall.Wait4 || (w.Options & WEXITED) != 0)
            && (w.Options & (WNOTHREAD | WALL | WCLONE)) == 0) cur.Signal!.NoUnseenChildren = true;
        TaskStruct? reaped = null;
        if (w.Ret is long r && r > 0)
        {
            // A child that has not exited was reported stopped or continued (WUNTRACED, or a
            // tracer's ptrace stop: pair/tracefs's strace gets 23069 back while it runs), not reaped.
            // A tracer's wait on a tracee of another parent only lets it go to that parent
            // (wait_task_zombie's EXIT_TRACE), which reaps it later.
            if (FindPidNs((int)r, cur.Ns, out var named) == Lookup.Found && named!.Hashed && named.IsLeader && named.Signal is { Dead: true }
                && (named.Parent is null || named.Parent.Signal == cur.Signal)) reaped = named;
        }
        else if (w.Ret is null && ret != UnknownAnswer && zombie is not null)
        {
            reaped = zombie;
        }
        if (reaped is not null) Reap(reaped, o);
    }

    private static void MayHaveReapedOne(TaskStruct cur)
    {
        for (var th = cur.Signal!.FirstThread; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                if (c.IsLeader && c.Hashed && c.Signal is { Dead: true } s) s.AutoreapUnknown = true;
    }

    /// <summary>Why a wait that returned a child the model had without its parent is not judged.</summary>
    internal const string ParentUnknownNote = "the call reaped a child whose parent the model did not know (first seen after its fork)";

    /// <summary>Why a wait that returned a child the model never had is not judged.</summary>
    internal const string NeverKnownNote = "the call reaped a child the capture never showed (forked and gone between the /proc snapshot and tracing_on, or its lines lost)";

    /// <summary>release_task of a reaped child's process: every thread, then the leader.</summary>
    private void Reap(TaskStruct reaped, Outcome o)
    {
        var s = reaped.Signal!;
        for (var th = s.FirstThread; th is not null;)
        {
            var next = th.NextThread;
            th.Exited = true;
            if (th != reaped) ReleaseTask(th, o);
            th = next;
        }
        s.GroupExit = true;
        s.MarkDead();
        ReleaseTask(reaped, o);
    }

    /// <summary>
    /// The kernel answered ECHILD: no child the call could wait for was left. A dead child the
    /// model kept because whether its parent reaped it at once was not known (SIG_IGN or
    /// SA_NOCLDWAIT unseen when it died) and that the call would have found was reaped then.
    /// </summary>
    private void ForgetAutoreaped(TaskStruct cur, Wait w, Outcome o)
    {
        if (w.Pid is 0 or < -1) return;
        for (var th = cur.Signal!.FirstThread; th is not null; th = th.NextThread)
        {
            if ((w.Options & WNOTHREAD) != 0 && th != cur) continue;
            for (var c = th.FirstChild; c is not null;)
            {
                var next = c.NextSibling;
                if (c.IsLeader && c.Hashed && c.Signal is { Dead: true, AutoreapUnknown: true } && EligibleChild(c, w.Options) != 0
                    && (w.Pid == -1 || PidNrNs(c, cur.Ns) == w.Pid))
                    Reap(c, o);
                c = next;
            }
        }
    }

    private TaskStruct? DoWait(TaskStruct cur, Wait w, Outcome o, out int ret)
    {
        ret = UnknownAnswer;
        // A tracer's wait also walks its ptraced list and reports its tracees' stops, whoever
        // their parents are (do_wait, ptrace_do_wait): ptrace is not modelled (pair/tracefs: strace's
        // wait4 returns tracees that are not its children, and 0 under WNOHANG while they run).
        if (cur.Signal!.IsTracer)
        {
            o.Note = "the caller is a tracer: its wait reports its tracees' ptrace stops";
            return null;
        }
        int options = w.Options;
        // wait4 always waits for exits; waitid only when asked (WEXITED).
        bool exited = w.Call == WaitCall.Wait4 || (options & WEXITED) != 0;
        TaskStruct? wanted = null;
        bool byGroup = false;
        o.TranslationsIn++;
        if (w.Pid < -1 || w.Pid > 0)
        {
            var r = FindPidNs(Math.Abs(w.Pid), cur.Ns, out wanted);
            if (r == Lookup.Unknown) return null;
            byGroup = w.Pid < 0;
            if (r == Lookup.None)
            {
                ret = -ECHILD;
                return null;
            }
        }
        else if (w.Pid == 0)
        {
            wanted = Leader(cur).Pgrp;
            byGroup = true;
            if (wanted is null) return null;
        }
        var scan = new WaitScan();
        if (wanted is not null && !byGroup)
        {
            // One child named: only it can match, so it is looked at where it is, not among every
            // child (do_wait_pid and is_effectively_child, kernel/exit.c, since Linux 5.6).
            if (OnChildrenOfWaiter(wanted, cur, options)) WaitConsiderTask(wanted, options, exited, ref scan);
        }
        else
        {
            for (var th = cur.Signal!.FirstThread; th is not null; th = th.NextThread)
            {
                if ((options & WNOTHREAD) != 0 && th != cur) continue;
                for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                {
                    if (wanted is not null && c.Pgrp != wanted) continue;
                    if (byGroup && c.Pgrp is null) { scan.Unknown = true; continue; }
                    WaitConsiderTask(c, options, exited, ref scan);
                }
            }
        }
        if (scan.StopUnknown)
        {
            o.Note = "whether a stopped or continued child is reported (WUNTRACED, WCONTINUED) is not followed";
            return null;
        }
        var zombie = scan.Zombie;
        // exit_notify makes the zombie an unrecorded while after sched_process_exit, where the
        // exit's event stands (fresh/pool.capture: wait4(pid, WNOHANG) = 0 between a child's
        // exit at .287705 and its SIGCHLD at .288333). Unless its notice is known to have come,
        // WNOHANG may find it still running, and a wait among several dead children may find
        // another one a zombie first; a blocking wait for the only one returns it either way.
        if (zombie is { Signal.NotifySeen: false } && ((options & WNOHANG) != 0 || scan.Dead > 1))
        {
            o.Note = "whether the dead child's parent had been told yet (exit_notify) is not in the capture";
            return null;
        }
        if (scan.Dead > 1 && scan.Unordered)
        {
            o.Note = "which dead child the call reaps first is not known: one was first seen after its fork, and where it stands among its siblings is not known";
            return null;
        }
        if (zombie is not null && !scan.Unknown)
        {
            o.TranslationsOut++;
            // waitid's answer is the child in infop (si_pid), in the caller's view like wait4's return.
            int nr = PidNrNs(zombie, cur.Ns);
            ret = nr == TaskStruct.UnknownNr ? UnknownAnswer : nr;
            return zombie;
        }
        // Children the capture may not show matter to a wait for any child or a group, not to a
        // WNOHANG one for a child it names and the model has among the caller's (a busy capture:
        // a pool's handler thread polled each of its process's four workers with wait4(pid,
        // WNOHANG) 324 times, every answer not known once some other task had been adopted). A
        // blocking one stays not known: what it returns hangs on how that child's death went,
        // which such a capture may not show whole (traces/strace/initdeath.txt: unshare's
        // wait4 for its namespace's init, whose namespace the model did not see empty).
        bool namedAndFound = wanted is not null && !byGroup && scan.Eligible && (options & WNOHANG) != 0;
        if (scan.Unknown || (!scan.Eligible && scan.MaybeEligible) || (!_allKnown && ChildrenMayBeUnknown(cur, options) && !namedAndFound)) return zombie;
        if (!scan.Eligible) ret = -ECHILD;
        else if ((options & WNOHANG) != 0) ret = 0;
        // Nothing to reap yet: the call sleeps; the capture records how a signal ended it.
        else ret = w.Ret is -EINTR or -ERESTARTSYS ? (int)w.Ret : -ERESTARTSYS;
        return zombie;
    }

    /// <summary>What do_wait's walk over the children has found so far.</summary>
    private struct WaitScan
    {
        /// <summary>Some child matched; some child's match depends on an exit signal not known; which one may be reaped is not known.</summary>
        public bool Eligible, MaybeEligible, Unknown;

        /// <summary>A matching child has stopped or continued at some time: a WUNTRACED or WCONTINUED wait may report it.</summary>
        public bool StopUnknown;

        /// <summary>Matching children that are zombies.</summary>
        public int Dead;

        /// <summary>One of them stands where on the children list is not known (<see cref="SignalStruct.PlaceUnknown"/>).</summary>
        public bool Unordered;

        /// <summary>The first of them, the one the call reaps.</summary>
        public TaskStruct? Zombie;
    }

    /// <summary>wait_consider_task for a child that matches the pid argument.</summary>
    private static void WaitConsiderTask(TaskStruct c, int options, bool exited, ref WaitScan scan)
    {
        int match = EligibleChild(c, options);
        if (match < 0)
        {
            // A child whose exit signal is not known: it matters if it is a zombie, or if nothing else is eligible.
            if (c.Signal!.Dead && scan.Zombie is null) scan.Unknown = true;
            scan.MaybeEligible = true;
            return;
        }
        if (match == 0) return;
        scan.Eligible = true;
        var cs = c.Signal!;
        // wait_task_stopped and wait_task_continued report a child that stopped or went on, once
        // each, and reap nothing: which stop or continue is still unreported is not followed.
        if ((options & (WUNTRACED | WCONTINUED)) != 0 && cs.JobControlSeen && !cs.Dead) scan.StopUnknown = true;
        // A zombie is one whose parent was told: a dying init still waiting for its namespace is not
        // one yet, and when it becomes one is not known while an orphan there has no known parent.
        bool dyingInit = c.Placed && c.Ns.DyingInit == c;
        if (dyingInit && cs.Dead && exited && EmptyingUnknown(c.Ns, c))
        {
            scan.Unknown = true;
            return;
        }
        if (!cs.Dead || !cs.Notified || dyingInit || !exited) return;
        scan.Dead++;
        scan.Unordered |= cs.PlaceUnknown;
        if (scan.Zombie is not null) return;
        if (cs.AutoreapUnknown) scan.Unknown = true;
        scan.Zombie = c;
    }

    /// <summary>
    /// is_effectively_child: the task's real parent is the waiter (or, without __WNOTHREAD, a
    /// thread of its process on the thread list), and the task is on that parent's children list,
    /// so the walk over every thread's children would have met it.
    /// </summary>
    private static bool OnChildrenOfWaiter(TaskStruct c, TaskStruct cur, int options)
    {
        var th = c.Parent;
        if (th is null || (c.PrevSibling is null && th.FirstChild != c)) return false;
        if ((options & WNOTHREAD) != 0) return th == cur && OnThreadList(cur);
        return th.Signal == cur.Signal && OnThreadList(th);
    }

    /// <summary>The thread is on its process's thread list.</summary>
    private static bool OnThreadList(TaskStruct th) => th.PrevThread is not null || th.Signal!.FirstThread == th;

    /// <summary>eligible_child: __WALL takes all; else __WCLONE takes only children whose exit signal is not SIGCHLD, and no __WCLONE only those whose is.</summary>
    private static int EligibleChild(TaskStruct c, int options)
    {
        if ((options & WALL) != 0) return 1;
        if (c.ExitSignal == TaskStruct.UnknownExitSignal) return -1;
        return (c.ExitSignal != Sig.SIGCHLD) ^ ((options & WCLONE) != 0) ? 0 : 1;
    }

    /// <summary>
    /// A process that predates the capture may have children the snapshot did not tie to it,
    /// until a wait of its for any child found none (SignalStruct.NoUnseenChildren): from then on
    /// every child it has is one the trace saw born, of those such a wait looks at.
    /// </summary>
    private static bool ChildrenMayBeUnknown(TaskStruct cur, int options) =>
        !Leader(cur).Born && !(cur.Signal!.NoUnseenChildren && (options & (WALL | WCLONE)) == 0);
}
