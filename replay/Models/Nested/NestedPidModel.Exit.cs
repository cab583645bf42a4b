using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>Exits: do_exit, exit_notify, forget_original_parent, zap_pid_ns_processes (kernel/exit.c, kernel/pid_namespace.c).</summary>
public sealed partial class NestedPidModel
{
    /// <summary>The exit being replayed stands at its notice (Exit.AtNotice): exit_notify runs here, not an unrecorded while later.</summary>
    private bool _atNotice;

    /// <summary>The exit being replayed stands at its notice, in the notices' order (Exit.AtNotice or Exit.NoticeInWait).</summary>
    private bool _noticeOrdered;

    private void ApplyExit(Exit x, Outcome o)
    {
        if (!_host.Idr.TryGetValue(x.Tid, out var cur) || !cur.Hashed || cur.Exited || cur.Signal?.Leader is null)
        {
            // A thread de_thread or a teardown already took, or one the capture never introduced.
            if (x.Signals.Length > 0) Unknown(o, "the exiting task was not known");
            else o.Verdict = Verdict.NotApplicable;
            FollowRecordedSignals(x.Signals, o, null);
            return;
        }
        if (!cur.Placed) Unknown(o, "the exiting task's namespace is not known");
        // A process whose parent is not known stays a zombie here; a recorded SIGCHLD will name the parent.
        var orphan = Leader(cur).Parent is null ? Leader(cur) : null;
        _atNotice = x.AtNotice;
        _noticeOrdered = x.AtNotice || x.NoticeInWait;
        _exitRecords = x.Signals;
        try
        {
            DoExit(cur, x.Group, x.Code, o);
        }
        finally
        {
            _atNotice = _noticeOrdered = false;
            _exitRecords = [];
        }
        UnseenOrphanNotices(cur, x, o);
        OrphanedGroupNotices(x.Signals, o);
        FollowRecordedSignals(x.Signals, o, orphan);
    }

    /// <summary>
    /// A process older than the capture may have had children the capture never showed: forked
    /// after /proc's listing was read and before tracing began, and dead by the second read, with
    /// no line of their own for the window check to find them by (a busy capture: setsid perl
    /// 4466 forked a child 0.15 s before tracing_on that exited at once; killed, perl handed the
    /// zombie to init with a CLD_EXITED notice, then told init of itself, and the model, which
    /// knew of no child, sent one notice). When its exit's lines hold more death notices than the
    /// model sends, the others are not known.
    /// </summary>
    private void UnseenOrphanNotices(TaskStruct cur, Exit x, Outcome o)
    {
        if (!x.Group || Leader(cur).Born) return;
        int recorded = 0, predicted = 0;
        foreach (var r in x.Signals)
            if (r.Sig == Sig.SIGCHLD && r.Code is >= Sig.CLD_EXITED and <= Sig.CLD_DUMPED) recorded++;
        foreach (var s in o.Signals)
            if (s.Sig == Sig.SIGCHLD) predicted++;
        if (recorded > predicted) Unknown(o, "a death notice for a child the capture did not show: forked just before tracing began, and dead since");
    }

    /// <summary>
    /// kill_orphaned_pgrp: a group orphaned by this exit gets SIGHUP then SIGCONT from the kernel
    /// when it has stopped jobs. Stopped state is in no capture, so the model does not say whether
    /// they come; when the capture has them, it predicts their results.
    /// </summary>
    private void OrphanedGroupNotices(SignalRecord[] records, Outcome o)
    {
        foreach (var r in records)
        {
            if (r.Sig is not (Sig.SIGHUP or Sig.SIGCONT) || r.Code != Sig.SI_KERNEL || Predicted(o, r)) continue;
            if (!_host.Idr.TryGetValue(r.To, out var t) || !t.Hashed || t.Signal?.Leader is null) continue;
            o.Note ??= "an orphaned group's SIGHUP/SIGCONT: whether it had stopped jobs is not in the capture, only the results are predicted";
            SendSignal(r.Sig, t, r.Group, Tri.Yes, r.Code, o);
        }
    }

    /// <summary>do_exit for one thread; the process dies with its last thread.</summary>
    private void DoExit(TaskStruct cur, bool groupExit, int? code, Outcome o)
    {
        var s = cur.Signal!;
        cur.Exited = true;
        cur.Pending = cur.PendingSure = 0;
        if (groupExit) s.GroupExit = true;
        bool groupDead = FindAliveThread(s, null) is null;
        if (groupDead)
        {
            s.GroupExit = true;
            s.MarkDead();
        }
        ForgetOriginalParent(cur, groupDead, o);
        ExitNotify(cur, groupDead, code, o);
    }

    /// <summary>
    /// exit_notify: a leader whose group died tells its parent (unless it is a namespace init with
    /// tasks left: zap_pid_ns_processes waits for them first); a non-leader thread is released at
    /// once, and when it was the last one of a zombie leader's group, the leader's parent is told.
    /// </summary>
    private void ExitNotify(TaskStruct cur, bool groupDead, int? code, Outcome o)
    {
        var s = cur.Signal!;
        if (s.Leader != cur)
        {
            ReleaseTask(cur, o);
            if (groupDead && s.Leader.Exited) NotifyOrWait(s.Leader, code, o);
            return;
        }
        if (groupDead) NotifyOrWait(cur, code, o);
    }

    /// <summary>
    /// A dying namespace init tells its parent from its own exit_notify, which runs only once
    /// zap_pid_ns_processes has waited for every other task of the namespace to be reaped
    /// (kernel/pid_namespace.c: the wait on pid_allocated == init_pids, reached from
    /// forget_original_parent). So the signal is generated in the init's context and recorded
    /// with its exit (d-initdeath.txt: `sh-372 ... signal_generate: sig=17 ... pid=370 res=1`
    /// after the SIGKILLs of the teardown and the victims' exits); it is predicted here, from the
    /// parent's state now, while the init becomes a zombie its parent can reap only once the
    /// namespace is empty.
    /// </summary>
    private void NotifyOrWait(TaskStruct leader, int? code, Outcome o)
    {
        bool waiting = leader.Placed && leader.Ns.DyingInit == leader;
        if (waiting && leader.Ns.Tasks > 1)
        {
            DoNotifyParent(leader, code, o, reapWhenEmpty: true);
            return;
        }
        if (waiting) leader.Ns.DyingInit = null;
        DoNotifyParent(leader, code, o, reapWhenEmpty: false);
    }

    /// <summary>The signal_generate lines recorded with the exit being replayed.</summary>
    private SignalRecord[] _exitRecords = [];

    /// <summary>Whether an exit's lines hold a teardown's SIGKILL (SI_KERNEL).</summary>
    private static bool HasTeardownRecord(SignalRecord[] records)
    {
        foreach (var r in records)
            if (r.Sig == Sig.SIGKILL && r.Code == Sig.SI_KERNEL) return true;
        return false;
    }

    /// <summary>
    /// A process from the snapshot hangs under its parent's leader (/proc's PPid is a process);
    /// the kernel's real_parent is the thread that forked it, which its notice names (a .NET or
    /// python3 thread that started a process). A recorded SIGCHLD to another live thread of that
    /// process is to its real parent: the child moves to that thread's list first.
    /// </summary>
    private void ParentThreadFromNotice(TaskStruct leader)
    {
        leader.ParentThreadUnknown = false;
        if (leader.Parent is not { Signal: { } ps } parent) return;
        foreach (var r in _exitRecords)
            if (r.Sig == Sig.SIGCHLD && r.To != parent.Tid && _host.Idr.TryGetValue(r.To, out var th) && th.Signal == ps && th.Hashed && !th.Exited)
            {
                AddChild(th, leader);
                return;
            }
    }

    /// <summary>
    /// A dying init's notice to its parent, seen in the trace: the kernel sends it only once
    /// zap_pid_ns_processes has waited for every other task of the namespace to be reaped
    /// (pid_allocated back to the init's own), so whatever the model still holds there is gone,
    /// reaped where the capture shows nothing: an orphan of the init's last threads goes to the
    /// zapping thread, whose kernel_wait4 reaps it (kernel/exit.c, find_child_reaper and
    /// find_new_reaper; fresh/chromium-ns.capture: a zygote's children orphaned while the
    /// browser's threads die). Threads go before their leaders. A task the model held alive there
    /// makes the event's answer unknown: the model missed its end.
    /// </summary>
    private void EmptyDyingNamespace(PidNamespace ns, TaskStruct init, Outcome o)
    {
        var gone = new List<(int Nr, TaskStruct Task)>();
        foreach (var (nr, t) in ns.Idr)
            if (t.Hashed && t.Signal != init.Signal) gone.Add((nr, t));
        if (gone.Count == 0) return;
        gone.Sort((a, b) => (a.Task.IsLeader, a.Nr).CompareTo((b.Task.IsLeader, b.Nr)));
        foreach (var (_, t) in gone)
        {
            if (!t.Hashed) continue;
            if (t.Signal is not { Dead: true }) Unknown(o, "the dying init's notice came while the model held a task of its namespace alive");
            ReleaseTask(t, o);
        }
    }

    /// <summary>
    /// Whether a dying init's namespace holds a task whose reaping the model cannot follow (an
    /// orphan whose new parent was not known, or a zombie that may have been reaped already):
    /// then when the init becomes reapable is not known.
    /// </summary>
    private static bool EmptyingUnknown(PidNamespace ns, TaskStruct init)
    {
        foreach (var (_, t) in ns.Idr)
            if (t.Hashed && t.Signal != init.Signal && t.Signal?.Leader == t && (t.Parent is null || t.Signal is { Dead: true, AutoreapUnknown: true }))
                return true;
        return false;
    }

    /// <summary>After a release: an init waiting for its namespace to empty becomes reapable once only its own pid is left.</summary>
    private void NotifyDyingInits(PidNamespace ns, Outcome o)
    {
        for (var n = ns; n is not null && n.Level > 0; n = n.Parent)
        {
            if (n.DyingInit is { } init && n.Tasks <= 1)
            {
                n.DyingInit = null;
                if (init.Hashed && init.Signal is { AutoreapWhenEmpty: true }) ReleaseTask(init, o);
            }
        }
    }

    /// <summary>
    /// do_notify_parent: the exit signal to the parent (si_pid in the parent's view). A parent whose
    /// SIGCHLD is SIG_IGN gets nothing and the child is reaped at once; SA_NOCLDWAIT sends the
    /// signal and still reaps at once.
    /// </summary>
    private void DoNotifyParent(TaskStruct leader, int? code, Outcome o, bool reapWhenEmpty = false)
    {
        var ls = leader.Signal!;
        if (leader.ParentThreadUnknown) ParentThreadFromNotice(leader);
        ls.MarkNotified();
        ls.NotifyResult = -1;
        var parent = leader.Parent;
        if (parent is null || !parent.Hashed || parent.Signal is null || leader.ExitSignal == TaskStruct.UnknownExitSignal)
        {
            ls.AutoreapUnknown = true;
            Unknown(o, parent is null ? "the exiting process's parent is not known" : "the exiting process's exit signal is not known");
            return;
        }
        var traced = IsTraced(leader);
        if (traced != Tri.No && !_options.Ptraced)
        {
            // exit_notify of a ptraced task tells its tracer (tsk->parent), with SIGCHLD and never
            // an autoreap; the real parent hears of it only when the tracer's wait lets it go
            // (wait_task_zombie, in the tracer's context), which no model here follows.
            ls.AutoreapUnknown = true;
            if (traced == Tri.Yes && _host.Idr.TryGetValue(leader.TracerTid, out var tracer) && tracer.Signal is not null)
                ls.NotifyResult = SendSignal(Sig.SIGCHLD, tracer, group: true, Tri.No, Sig.CLD_EXITED, o);
            else Unknown(o, "the exiting task may be ptraced: its tracer, not its parent, is told");
            return;
        }
        int sig = leader.ExitSignal;
        bool autoreap = false;
        var ps = parent.Signal;
        if (sig == Sig.SIGCHLD && !_options.Ptraced)
        {
            var h = ps.Action[Sig.SIGCHLD];
            if (h == Disposition.Ignore)
            {
                autoreap = true;
                sig = 0;
            }
            else if (h is Disposition.Unknown or Disposition.NotCaught)
            {
                // SIG_IGN sends nothing and reaps at once; SIG_DFL sends a signal that is ignored.
                ls.AutoreapUnknown = true;
                Unknown(o, "whether the parent ignores SIGCHLD is not known");
                return;
            }
            else if (ps.NoCldWait == Tri.Yes)
            {
                autoreap = true;
            }
            else if (ps.NoCldWait == Tri.Unknown)
            {
                ls.AutoreapUnknown = true;
            }
        }
        ls.NotifyResult = byte.MaxValue;
        if (sig > 0 && Sig.Valid(sig))
        {
            int cld = code is int c && (c & 0x7f) != 0 ? Sig.CLD_KILLED : Sig.CLD_EXITED;
            if (sig == Sig.SIGCHLD)
            {
                ls.NoticeBehindPending = (ps.SharedPending & Sig.Bit(Sig.SIGCHLD)) != 0;
                ls.NoticeEpoch = ps.SigchldTaken;
            }
            // At its notice, the exit comes in the order the parent's siglock gave the notices.
            ls.NotifyResult = SendSignal(sig, parent, group: true, Tri.No, cld, o, unordered: !_noticeOrdered && HasOtherChild(parent, leader));
            if (_atNotice) ls.MarkNotifySeen();
            // The parent's next SIGCHLD taken may be this one: it tells nothing of another. So also
            // when a wait of the parent's was under way at the notice (notice_in_wait): whether the
            // wait saw it is not known, that it was sent here is (a busy capture: sh took this
            // SIGCHLD after its blocking wait4 reaped the child, and the model took it for the
            // notice of another child, whose exit_notify came 1.4 s after its sched_process_exit).
            if (_noticeOrdered && ls.NotifyResult == (int)SignalResult.Delivered) ps.SeenNoticePending = true;
        }
        if (!autoreap) return;
        if (reapWhenEmpty) ls.AutoreapWhenEmpty = true;
        else ReleaseTask(leader, o);
    }

    /// <summary>
    /// Whether another child of the parent's process could notify it too. An exit's SIGCHLD is
    /// generated in exit_notify, an unrecorded while after sched_process_exit (where the capture
    /// places the exit): fork-storm.txt has a child exiting at .838768 whose SIGCHLD comes at
    /// .848640, after fifteen later siblings' and two of the parent's signal_deliver lines. With
    /// siblings about, whether this one finds the parent's SIGCHLD already pending is not in the
    /// capture.
    /// </summary>
    private static bool HasOtherChild(TaskStruct parent, TaskStruct child)
    {
        for (var th = parent.Signal!.FirstThread; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                if (c != child) return true;
        return false;
    }

    /// <summary>
    /// forget_original_parent: the children of an exiting thread go to another live thread of its
    /// process, else the nearest child subreaper in the same namespace, else the dying task's own
    /// namespace's init (not the orphan's: one that entered through setns is adopted outside).
    /// </summary>
    private void ForgetOriginalParent(TaskStruct father, bool groupDead, Outcome o)
    {
        TaskStruct? childReaper = null;
        bool reaperKnown = FindChildReaper(father, groupDead, ref childReaper, o);
        // Detached first: when the init itself is the reaper (its namespace is being torn down),
        // its orphans come back to its own list.
        var c = father.FirstChild;
        father.FirstChild = father.LastChild = null;
        while (c is not null)
        {
            var next = c.NextSibling;
            // Each leaves the father's count as it leaves the detached list (a release on the way may take one first).
            if (c.Parent == father && c.Signal is { UnseenNotice: true }) father.UnseenChildren--;
            c.NextSibling = c.PrevSibling = null;
            c.Parent = null;
            bool known = false;
            var reaper = reaperKnown ? FindNewReaper(father, childReaper, out known) : null;
            if (known && reaper is not null)
            {
                AddChild(reaper, c);
                o.Reparented.Add(new Reparent(c.Tid, reaper.Tid));
                ReparentLeader(c, o);
            }
            else
            {
                // Who adopts it, and so who hears of it if it is already a zombie, is not known;
                // nor whether that one reaps it at once (SIG_IGN, SA_NOCLDWAIT): a zombie may be
                // gone from here (a busy capture: a nobody's killed sleep, orphaned to pid 1,
                // which made no call and reaped it at once; the next kill(-1)s of nobody's shells
                // were predicted to signal it, and the kernel found it gone).
                if (c.Signal is { Dead: true } zombie && c.IsLeader) zombie.AutoreapUnknown = true;
                Unknown(o, "an orphan's new parent depends on subreapers the capture did not show");
            }
            c = next;
        }
    }

    /// <summary>
    /// find_child_reaper: the namespace's reaper, unless the exiting task is it; then another live
    /// thread takes over, or, with the last thread gone, the namespace is torn down.
    /// </summary>
    private bool FindChildReaper(TaskStruct father, bool groupDead, ref TaskStruct? reaper, Outcome o)
    {
        if (!father.Placed) return false;
        var ns = father.Ns;
        if (ns.Level == 0)
        {
            reaper = ns.ChildReaper ?? (_host.Idr.TryGetValue(1, out var init) && init.Hashed ? init : null);
            return reaper is not null && reaper != father;
        }
        if (ns.ChildReaper is null) return false;
        if (ns.ChildReaper.Signal != father.Signal)
        {
            reaper = ns.ChildReaper;
            return true;
        }
        var alive = FindAliveThread(father.Signal!, father);
        if (alive is not null)
        {
            ns.ChildReaper = alive;
            reaper = alive;
            return true;
        }
        if (groupDead) ZapPidNsProcesses(ns, father, o);
        reaper = father;
        return true;
    }

    /// <summary>find_new_reaper: a live thread of the father, else the first subreaper ancestor at the father's level.</summary>
    private static TaskStruct? FindNewReaper(TaskStruct father, TaskStruct? childReaper, out bool known)
    {
        known = true;
        var alive = FindAliveThread(father.Signal!, father);
        if (alive is not null) return alive;
        var fs = father.Signal!;
        // A namespace's init torn down keeps its children: the walk looks for a subreaper among
        // ancestors at the father's level, and an init's parent is always outside its namespace.
        if (childReaper is not null && childReaper.Signal == fs && father.Placed && father.Ns.Level > 0) return childReaper;
        if (fs.HasChildSubreaper != Tri.No)
        {
            int level = father.Ns.Level;
            int steps = 0;
            for (var r = Leader(father).Parent; r is not null; r = Leader(r).Parent)
            {
                // A parent chain longer than any real one is a loop in a contradictory trace.
                if (++steps > MaxAncestors) { known = false; return null; }
                if (!r.Placed) { known = false; return null; }
                if (r.Ns.Level != level || r.Tid == 0 || r.Signal is null) break;
                // Whether the namespace's own reaper is a subreaper does not matter: it is the answer either way.
                if (childReaper is not null && r.Signal == childReaper.Signal) return childReaper;
                var rs = r.Signal;
                if (rs.IsChildSubreaper == Tri.Unknown) { known = false; return null; }
                if (rs.IsChildSubreaper == Tri.No) continue;
                var thread = FindAliveThread(rs, null);
                if (thread is not null) return thread;
            }
            if (Leader(father).Parent is null && fs.HasChildSubreaper == Tri.Unknown)
            {
                known = false;
                return null;
            }
        }
        return childReaper;
    }

    /// <summary>How far a subreaper search walks up before it gives up (pid_max is at most 4M: no real chain is this long).</summary>
    private const int MaxAncestors = 1 << 22;

    /// <summary>reparent_leader: the orphan's exit signal becomes SIGCHLD; a zombie orphan makes its new parent hear of it now.</summary>
    private void ReparentLeader(TaskStruct child, Outcome o)
    {
        child.ExitSignal = Sig.SIGCHLD;
        if (child.Signal is not { Dead: true } s || !child.Hashed) return;
        // A zombie that may be gone already (reaped at once, or by a wait the capture could not
        // name it in) is told of to its new parent only if it is still there.
        if (s.AutoreapUnknown)
        {
            // Gone either way when the new parent ignores SIGCHLD: do_notify_parent sends it
            // nothing and reaps the zombie at once, if it was still there. A dying init's teardown
            // sets SIG_IGN (zap_pid_ns_processes), and its orphans empty its namespace so (a busy
            // capture with no signal actions read: an unshare killed in a dying namespace left a
            // zombie whose own reaping was not known; its init's parent's wait4 reaped the init,
            // and the model, holding the zombie still, said the wait slept).
            if (IsTraced(child) == Tri.No && !_options.Ptraced && child.Parent?.Signal is { } ps
                && ps.Action[Sig.SIGCHLD] == Disposition.Ignore && child.ExitSignal == Sig.SIGCHLD)
            {
                ReleaseTask(child, o);
                return;
            }
            Unknown(o, "an orphan that may have been reaped already is told of to its new parent only if it was not");
            return;
        }
        DoNotifyParent(child, null, o);
    }

    /// <summary>
    /// zap_pid_ns_processes: the dying init ignores SIGCHLD from now on (its killed children reap
    /// themselves), the namespace takes no new task, and every other task of it and of its
    /// descendants gets SIGKILL (SI_KERNEL) in ascending order of their numbers in it, from 2,
    /// skipping those already dying of SIGKILL, and its zombie children are reaped. The init's parent
    /// hears of it when the namespace is empty.
    /// </summary>
    private void ZapPidNsProcesses(PidNamespace ns, TaskStruct init, Outcome o)
    {
        var s = init.Signal!;
        s.Action[Sig.SIGCHLD] = Disposition.Ignore;
        DisablePidAllocation(ns);
        ns.DyingInit = s.Leader;
        if (!ns.Complete) Unknown(o, "the dying init's namespace may hold tasks the capture did not show");
        if (_noticeOrdered && !HasTeardownRecord(_exitRecords))
        {
            // The exit stands at its notice and no teardown SIGKILL came before it: the teardown
            // ran where the capture shows nothing (before tracing_on; a busy capture's init 8769:
            // its sleeps took their SIGKILLs then and died after, its notice came once its
            // kernel_wait4 had reaped them), or found nobody to kill. Either way the namespace is
            // empty by the notice, which is now.
            EmptyDyingNamespace(ns, init, o);
            return;
        }
        _scratchNr.Clear();
        foreach (var (nr, _) in ns.Idr)
            if (nr >= 2) _scratchNr.Add(nr);
        _scratchNr.Sort();
        foreach (var nr in _scratchNr)
        {
            var t = ns.Idr[nr];
            if (!t.Hashed || t.Signal?.Leader is null || (t.Pending & Sig.Bit(Sig.SIGKILL)) != 0) continue;
            if (t.Signal.MaybeDying && !t.Signal.GroupExit)
            {
                // Skipped if an earlier signal, whose action the capture did not show, killed it.
                Unknown(o, "a task the teardown may skip as already dying: an earlier signal's action is not known");
                continue;
            }
            int before = o.Signals.Count;
            SendSignal(Sig.SIGKILL, t, group: true, Tri.Yes, Sig.SI_KERNEL, o);
            if (o.Signals.Count > before && o.Signals[before].Result == SignalResult.Delivered) o.Killed.Add(t.Tid);
        }
        // Then kernel_wait4(-1, __WALL) until ECHILD: a child already a zombie is reaped at once. Its
        // notice came before SIGCHLD was set to SIG_IGN above, or found the init exiting and was
        // dropped (an orphan of the init dying of the same kill(-1)); the others reap themselves.
        for (var th = s.FirstThread; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null;)
            {
                var next = c.NextSibling;
                if (c.IsLeader && c.Hashed && c.Signal is { Dead: true }) Reap(c, o);
                c = next;
            }
    }
}
