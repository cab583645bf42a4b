using Replayer.Ingest.Events;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>Exit, wait, orphans and namespace teardown (kernel/exit.c, kernel/pid_namespace.c).</summary>
public sealed class ReapingTests
{
    private const SignalResult D = SignalResult.Delivered, I = SignalResult.Ignored;

    private static Scenario Host()
    {
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGTERM, Handler.Default);
        s.SigAction(100, Scenario.SIGCHLD, Handler.Catch);
        return s;
    }

    /// <summary>An unshare 200 (SIGCHLD at its default) and the init 201 of its namespace, a shell that catches SIGCHLD.</summary>
    private static Scenario Init()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Exec(200);
        s.SigAction(200, Scenario.SIGCHLD, Handler.Default);
        s.Unshare(200);
        s.Fork(200, 201);
        s.SigAction(201, Scenario.SIGCHLD, Handler.Catch);
        return s;
    }

    /// <summary>d-initdeath: init 201 (a shell, SIGCHLD caught) with sleeps 202, 203, a shell 204 with its sleep 207, an unshare 205 with a nested init 208.</summary>
    private static Scenario InitWithChildren()
    {
        var s = Init();
        s.Fork(201, 202);
        s.Fork(201, 203);
        s.Fork(201, 204);
        s.Fork(201, 205);
        Assert.Equal(6, s.Fork(201, 206).Ret);
        Assert.Equal([(201, D)], Scenario.Sent(s.Exit(206), Scenario.SIGCHLD));
        Assert.Equal(6, s.Wait(201).Ret);
        Assert.Equal(7, s.Fork(204, 207).Ret);
        s.Unshare(205);
        Assert.Equal(8, s.Fork(205, 208).Ret);
        return s;
    }

    [Fact]
    public void Wait_returns_the_child_number_in_the_waiters_namespace()
    {
        var s = InitWithChildren();
        s.Exit(202);
        Assert.Equal(2, s.Wait(201).Ret);
        s.Exit(203);
        Assert.Equal(203, s.Model.NumberOf(100, 203, IdKind.Pid));
        // Blocking: the only dead child is returned once exit_notify has made it a zombie.
        Assert.Equal(3, s.Wait(201).Ret);
    }

    [Fact]
    public void Wait_with_nothing_to_wait_for_is_ECHILD_and_with_live_children_WNOHANG_is_0()
    {
        var s = Host();
        Assert.Equal(-10, s.Wait(100).Ret);
        s.Fork(100, 200);
        Assert.Equal(0, s.Wait(100, options: 1).Ret);
        Assert.Equal(-10, s.Wait(100, pid: 999).Ret);
    }

    /// <summary>
    /// A busy capture's sh reaped children forked and dead between the /proc snapshot and
    /// tracing_on, gone before /proc was read again: no line showed them. The model, sure it knew
    /// every task, predicted WNOHANG's 0; the kernel's answer names a task it never had.
    /// </summary>
    [Fact]
    public void A_wait_that_reaps_a_child_the_model_never_had_is_not_judged_and_one_it_had_is()
    {
        var s = Host();
        s.Fork(100, 200);
        var never = s.Wait(100, options: 1, ret: 300);
        Assert.Equal(Verdict.UnknownState, never.Verdict);
        Assert.Equal(NestedPidModel.NeverKnownNote, never.Note);
        // Its live child 200, which the model has: a wait that says it reaped it is judged (WNOHANG: 0).
        var known = s.Wait(100, options: 1, ret: 200);
        Assert.Equal((Verdict.Predicted, 0L), (known.Verdict, known.Ret));
    }

    /// <summary>
    /// A busy capture's sh 7158 had zombies 11247 and 11249, forked between the /proc snapshot and
    /// tracing_on and gone before /proc was read again: first seen at their first line, whose
    /// child they were not known. Their notices named 7158 their parent, which put them last on
    /// its children list, behind 11259, forked in the trace; the kernel had them first. The
    /// model predicted 11259 where 7158's wait4(WNOHANG)s reaped them. Without the notice, the
    /// model does not know they are 7158's children at all.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_wait_among_zombies_one_of_which_was_first_seen_after_its_fork_is_not_judged(bool notice)
    {
        var s = Host();
        s.Apply(new TaskSnapshot { Tid = 300, Tgid = 300, Comm = "sh", Adopted = true });
        s.Fork(100, 200);
        s.Apply(new Exit { Tid = 300, Comm = "sh", Group = true, Code = 0, AtNotice = notice, Signals = notice ? [Notice(100)] : [] });
        // 200's exit stands at its notice: the model is sure it is a zombie.
        s.Apply(new Exit { Tid = 200, Comm = "sh", Group = true, Code = 0, AtNotice = true, Signals = [Notice(100)] });
        var other = s.Wait(100, options: 1, ret: 300);
        Assert.Equal(Verdict.UnknownState, other.Verdict);
        if (notice) Assert.StartsWith("which dead child the call reaps first is not known", other.Note, StringComparison.Ordinal);
        else Assert.Equal(NestedPidModel.ParentUnknownNote, other.Note);
        // The one the model had in its place is still there, and judged, once it is the only zombie.
        var known = s.Wait(100, options: 1, ret: 200);
        Assert.Equal((Verdict.Predicted, 200L), (known.Verdict, known.Ret));
    }

    /// <summary>
    /// A busy capture's sh 5113: child 5298's exit_notify came 1.4 s after its sched_process_exit,
    /// past the exit's grace, so its notice was unseen; child 6017's notice came while 5113's
    /// blocking wait4 was under way (notice_in_wait), which reaped it; then 5113 took a SIGCHLD,
    /// 6017's. Taken for 5298's, it made 5298 a zombie for sure, and the next wait4(WNOHANG),
    /// which answered 0, was predicted to reap it.
    /// </summary>
    [Fact]
    public void A_sigchld_taken_after_a_notice_that_came_during_a_wait_may_be_that_notice()
    {
        var s = Host();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(100, 200);
        s.Fork(100, 300);
        s.Exit(300);
        s.Apply(new Exit { Tid = 200, Comm = "sleep", Group = true, Code = 0, NoticeInWait = true, Signals = [Notice(100)] });
        s.Wait(100, ret: 200);
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch);
        var after = s.Wait(100, options: 1, ret: 0);
        Assert.Equal(Verdict.UnknownState, after.Verdict);
    }

    /// <summary>
    /// A busy capture's python3 2126 waited with waitid (which returns 0 and names the reaped child
    /// in memory the trace does not show) from before tracing began; at its exit the model handed
    /// the zombie it still had to init and predicted init's SIGCHLD, which the kernel, having no
    /// such zombie, did not send.
    /// </summary>
    [Fact]
    public void A_zombie_a_waitid_may_have_reaped_is_not_told_of_to_its_new_parent()
    {
        var s = Host();
        s.SigAction(1, Scenario.SIGCHLD, Handler.Default);
        s.Fork(100, 200);
        s.Apply(new Exit { Tid = 200, Comm = "sh", Group = true, Code = 0, AtNotice = true, Signals = [Notice(100)] });
        s.Apply(new Wait { Tid = 100, Comm = "python3", Call = WaitCall.Waitid, EnterLost = true });
        var exit = s.Exit(100);
        // No notice of 200 to init, which ignores SIGCHLD at its default: 200 may be gone. (100's
        // own is not predicted either: a snapshot task's exit signal is not known.)
        Assert.DoesNotContain(exit.Signals, x => x.To == 1 && x.Sig == Scenario.SIGCHLD);
        Assert.Equal(Verdict.UnknownState, exit.Verdict);
    }

    /// <summary>
    /// A dying thread's children go to the first live thread of its process (find_alive_thread),
    /// and the kernel's thread list starts with the leader whatever the tids. A CI run's test host
    /// was process 32356 with threads 352 and on (tids had wrapped); the thread that forked its
    /// command died first, and the command's notice went to 32356, where the model, its threads
    /// seeded in the order of their tids, had sent it to 352.
    /// </summary>
    [Fact]
    public void A_dying_threads_children_go_to_its_leader_though_the_snapshot_lists_lower_tids_first()
    {
        var s = Host();
        s.Host(352, ppid: 100, pgid: 32356, sid: 32356, tgid: 32356);
        s.Host(360, ppid: 100, pgid: 32356, sid: 32356, tgid: 32356);
        s.Host(32356, ppid: 100);
        s.SigAction(32356, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(360, 362);
        s.Exit(360, group: false);
        var o = s.Exit(362, signals: Notice(32356));
        Assert.Equal([(32356, D)], Scenario.Sent(o, Scenario.SIGCHLD));
    }

    /// <summary>
    /// A busy capture: python3 thread 14805 of process 6847 vforked pidinfo 14808 just before
    /// tracing began; the snapshot's PPid said 6847, and the kernel's notice went to 14805, the
    /// real parent (so did a .NET thread's child in another capture).
    /// </summary>
    [Fact]
    public void A_snapshot_childs_notice_to_another_thread_of_its_parents_process_is_to_its_real_parent()
    {
        var s = Host();
        s.Apply(new TaskSnapshot
        {
            Tid = 300, Comm = "pidinfo", Tgid = 300, PPid = 100, Pgid = 100, Sid = 100,
            NsPid = [300], NsPgid = [100], NsSid = [100], PidNs = Scenario.HostNs, ExitSignal = Scenario.SIGCHLD,
        });
        s.Thread(100, 101);
        var o = s.Apply(new Exit { Tid = 300, Comm = "pidinfo", Group = true, Code = 0, AtNotice = true, Signals = [Notice(101)] });
        Assert.Equal([(101, D)], Scenario.Sent(o, Scenario.SIGCHLD));
        // On 101's list now: its wait reaps it.
        Assert.Equal(300, s.Wait(101, options: 1).Ret);
    }

    private static SignalRecord Notice(int to) => new(Scenario.SIGCHLD, to, SignalResult.Delivered, 1, true);

    [Fact]
    public void Init_death_kills_its_namespace_in_ascending_order_from_2_and_its_parent_hears_last()
    {
        var s = InitWithChildren();
        var o = s.Exit(201);
        Assert.Equal([202, 203, 204, 205, 207, 208], o.Killed);
        Assert.All(o.Signals.Where(x => x.Sig != Scenario.SIGCHLD), x => Assert.Equal((Scenario.SIGKILL, 128, D), (x.Sig, x.Code, x.Result)));
        // The init's own exit_notify sends its SIGCHLD, recorded with its exit; it runs once the namespace is empty.
        Assert.Equal([(200, I)], Scenario.Sent(o, Scenario.SIGCHLD));
        // The killed tasks make no SIGCHLD (the dying init ignores it now), and the init is no zombie until the last is gone.
        foreach (var tid in new[] { 202, 205, 204, 207, 208 }) Assert.Empty(s.Exit(tid, code: 9).Signals);
        Assert.Equal(0, s.Wait(200, options: 1).Ret);
        Assert.Empty(s.Exit(203, code: 9).Signals);
        Assert.Equal(201, s.Wait(200).Ret);
        Assert.Equal(-12, s.Fork(200, 0).Ret);
    }

    [Fact]
    public void An_inits_exit_at_its_notice_with_no_teardown_recorded_was_torn_down_where_the_capture_shows_nothing()
    {
        // A busy capture: init 8769's sched_process_exit and teardown came before tracing_on; its
        // sleeps took their SIGKILLs then and died after it; its notice came once the teardown's
        // kernel_wait4 had reaped them. The model predicted SIGKILLs to the two zombies.
        var s = Init();
        s.Fork(201, 202);
        s.Fork(201, 203);
        s.Deliver(202, Scenario.SIGKILL, Handler.Default);
        s.Exit(202, code: 9);
        s.Deliver(203, Scenario.SIGKILL, Handler.Default);
        s.Exit(203, code: 9);
        var o = s.Apply(new Exit { Tid = 201, Comm = "sh", Group = true, Code = 0, AtNotice = true, Signals = [Notice(200)] });
        Assert.Empty(Scenario.Sent(o, Scenario.SIGKILL));
        Assert.Equal([(200, I)], Scenario.Sent(o, Scenario.SIGCHLD));
        Assert.Equal(Verdict.Predicted, o.Verdict);
        // Reaped by the teardown: gone, and the init is a zombie its parent reaps.
        Assert.Equal(-1, s.Model.NumberOf(100, 202, IdKind.Pid));
        Assert.Equal(-1, s.Model.NumberOf(100, 203, IdKind.Pid));
        Assert.Equal(201, s.Wait(200).Ret);
        // With a teardown SIGKILL recorded, the teardown is this event's, and predicted in full.
        var t = Init();
        t.Fork(201, 202);
        t.Fork(201, 203);
        var torn = t.Apply(new Exit { Tid = 201, Comm = "sh", Group = true, Code = 0, AtNotice = true,
            Signals = [new SignalRecord(Scenario.SIGKILL, 202, SignalResult.Delivered, 128, true), Notice(200)] });
        Assert.Equal([(202, D), (203, D)], Scenario.Sent(torn, Scenario.SIGKILL));
    }

    [Fact]
    public void An_init_alone_tells_its_parent_at_once()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Unshare(200);
        s.SigAction(200, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(200, 201);
        var o = s.Exit(201);
        Assert.Empty(o.Killed);
        Assert.Equal([(200, D)], Scenario.Sent(o, Scenario.SIGCHLD));
    }

    [Fact]
    public void An_orphan_goes_to_the_init_of_its_namespace_and_getppid_reads_1()
    {
        // c-orphan: the orphan's getppid() turns to 1 and the init reaps it.
        var s = InitWithChildren();
        var o = s.Exit(204);
        Assert.Contains(new Reparent(207, 201), o.Reparented);
        Assert.Equal(1, s.Get(207, GetIdCall.GetPpid).Ret);
        Assert.Equal([(201, D)], Scenario.Sent(s.Exit(207), Scenario.SIGCHLD));
        Assert.Equal(4, s.Wait(201, pid: 4).Ret);
        Assert.Equal(7, s.Wait(201, pid: 7).Ret);
    }

    [Fact]
    public void An_orphan_goes_to_the_nearest_child_subreaper()
    {
        // c2-subreaper: prctl(PR_SET_CHILD_SUBREAPER, 1), then a grandchild is orphaned.
        var s = Host();
        s.Fork(100, 200);
        Assert.Equal(0, s.Subreaper(200).Ret);
        s.Fork(200, 201);
        s.Fork(201, 202);
        var o = s.Exit(201);
        Assert.Contains(new Reparent(202, 200), o.Reparented);
        Assert.Equal(200, s.Get(202, GetIdCall.GetPpid).Ret);
    }

    [Fact]
    public void A_setns_child_orphaned_is_adopted_outside_and_reads_getppid_0()
    {
        var s = Host();
        s.Host(300, ppid: 100, pgid: 300, sid: 100);
        s.InNs([301, 1], 0xF00, ppid: 300, pgid: 300, sid: 100, nspgid: [300, 0], nssid: [100, 0]);
        s.Apply(new Prctl { Tid = 100, Option = Prctl.SetChildSubreaper, Arg2 = 0, Ret = 0 });
        s.Fork(100, 400);
        s.SetNs(400, 0xF00);
        s.Fork(400, 401, ret: 401);
        var o = s.Exit(400);
        Assert.Contains(new Reparent(401, 1), o.Reparented);
        Assert.Equal(0, s.Get(401, GetIdCall.GetPpid).Ret);
    }

    [Fact]
    public void An_orphan_whose_ancestors_may_be_subreapers_has_an_unknown_new_parent()
    {
        var s = Host();
        s.Fork(100, 400);
        s.Fork(400, 401);
        var o = s.Exit(400);
        Assert.Empty(o.Reparented);
        Assert.Equal(Verdict.UnknownState, s.Get(401, GetIdCall.GetPpid, ret: 1).Verdict);
    }

    [Fact]
    public void A_zombie_orphan_makes_its_new_reaper_get_SIGCHLD()
    {
        var s = InitWithChildren();
        s.SigAction(204, Scenario.SIGCHLD, Handler.Catch);
        s.Exit(207);
        var o = s.Exit(204);
        Assert.Contains((201, D), Scenario.Sent(o, Scenario.SIGCHLD));
        Assert.Contains(new Reparent(207, 201), o.Reparented);
        Assert.Equal(7, s.Wait(201, pid: 7).Ret);
    }

    [Fact]
    public void A_parent_ignoring_SIGCHLD_gets_no_signal_and_the_child_is_reaped_at_once()
    {
        var s = Host();
        s.Fork(100, 200);
        s.SigAction(200, Scenario.SIGCHLD, Handler.Ignore);
        s.Fork(200, 201);
        Assert.Empty(s.Exit(201).Signals);
        Assert.Equal(-10, s.Wait(200).Ret);
        s.SigAction(200, Scenario.SIGCHLD, Handler.Default, flags: 2);
        s.Fork(200, 202);
        Assert.Equal([(200, I)], Scenario.Sent(s.Exit(202), Scenario.SIGCHLD));
        Assert.Equal(-10, s.Wait(200).Ret);
    }

    [Fact]
    public void A_SIGCHLD_to_a_parent_with_one_already_queued_has_an_unknown_result()
    {
        // b-jobctl's second SIGCHLD was res=2; but the first may have been taken without a line,
        // so "already pending" is not predicted. A lone child's, onto an empty queue, is delivered.
        var s = Host();
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(100, 200);
        Assert.Equal([(100, D)], Scenario.Sent(s.Exit(200), Scenario.SIGCHLD));
        Assert.Equal(200, s.Wait(100).Ret);
        s.Fork(100, 201);
        var second = s.Exit(201);
        Assert.Equal([100], second.Signals.Select(x => x.To));
        Assert.Equal([0], second.UnknownResults);
    }

    [Fact]
    public void Exit_group_with_a_live_thread_tells_the_parent_when_the_last_thread_goes()
    {
        // g-threads: the leader's exit_group, then the sleeper thread's exit sends SIGCHLD, and wait4 returns the tgid.
        var s = Host();
        s.Fork(100, 200);
        s.Thread(200, 201);
        Assert.Empty(s.Exit(200).Signals);
        Assert.Equal([(100, D)], Scenario.Sent(s.Exit(201), Scenario.SIGCHLD));
        Assert.Equal(200, s.Wait(100).Ret);
    }

    [Fact]
    public void A_thread_exiting_alone_tells_nobody_and_its_children_go_to_a_sibling()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Thread(200, 201);
        s.Fork(201, 202, call: ForkCall.VFork);
        var o = s.Exit(201, group: false);
        Assert.Empty(o.Signals);
        Assert.Contains(new Reparent(202, 200), o.Reparented);
    }

    [Fact]
    public void An_orphaned_groups_SIGHUP_and_SIGCONT_from_the_capture_get_their_results_predicted()
    {
        var s = Host();
        s.Fork(100, 200);
        s.SetPgid(200, 0, 0);
        s.Fork(200, 201);
        s.SigAction(201, Scenario.SIGHUP, Handler.Ignore);
        var o = s.Exit(200, signals:
        [
            new SignalRecord(Scenario.SIGHUP, 201, SignalResult.Ignored, 128, true),
            new SignalRecord(18, 201, SignalResult.Delivered, 128, true),
        ]);
        Assert.Equal([(201, I)], Scenario.Sent(o, Scenario.SIGHUP));
        // SIGCONT's action was inherited from a shell that predates the capture: not known.
        Assert.Contains(o.Signals.FindIndex(x => x.Sig == 18), o.UnknownResults);
    }

    [Fact]
    public void Unknown_parent_disposition_makes_the_exit_unknown_state_and_the_record_teaches_it()
    {
        var s = new Scenario().WithHost();
        s.Fork(100, 200);
        s.Fork(100, 201);
        var first = s.Exit(200, signals: new SignalRecord(Scenario.SIGCHLD, 100, D, 1, true));
        Assert.Equal(Verdict.UnknownState, first.Verdict);
        Assert.Equal([(100, D)], Scenario.Sent(s.Exit(201), Scenario.SIGCHLD));
    }

    [Fact]
    public void An_ECHILD_wait_shows_that_a_child_whose_autoreap_was_not_known_was_reaped_at_exit()
    {
        // traces/captures/w-autoreap-unread.txt: perl's SA_NOCLDWAIT unread (a capture without
        // bpftrace), its children die; its wait4 says ECHILD: they were reaped as they exited.
        var s = Host();
        s.Subreaper(100);
        s.Fork(100, 200);
        s.SigAction(200, Scenario.SIGCHLD, Handler.Unknown);
        s.Fork(200, 201);
        s.Fork(200, 202);
        s.Exit(201);
        s.Exit(202);
        Assert.Equal(Verdict.UnknownState, s.Wait(200, ret: -10).Verdict);
        // So perl's exit passes no zombie on to its reaper (100, a subreaper, which would hear of
        // each): the one SIGCHLD is for perl's own death.
        var exit = s.Exit(200);
        Assert.Equal([(100, D)], Scenario.Sent(exit, Scenario.SIGCHLD));
        Assert.Equal((Verdict.Predicted, -10L), (s.Wait(100, pid: 201, ret: -10).Verdict, s.Wait(100, pid: 202, ret: -10).Ret));
    }

    [Fact]
    public void A_WUNTRACED_wait_among_children_that_have_stopped_is_unknown_as_it_may_report_a_stop()
    {
        // traces/captures/y-stopped-child.txt: bash (job control) stops its background job and
        // lets it go on; its wait4(-1, WNOHANG|WUNTRACED|WCONTINUED) returns each stopped child.
        const int WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, SIGSTOP = 19;
        var s = Host();
        s.Fork(100, 200);
        // Before any stop: nothing to report, nothing to reap.
        var none = s.Wait(100, options: WNOHANG | WUNTRACED | WCONTINUED, ret: 0);
        Assert.Equal((Verdict.Predicted, 0L), (none.Verdict, none.Ret));
        s.Deliver(200, SIGSTOP, Handler.Default);
        var stopped = s.Wait(100, options: WNOHANG | WUNTRACED | WCONTINUED, ret: 200);
        Assert.Equal(Verdict.UnknownState, stopped.Verdict);
        Assert.StartsWith("whether a stopped or continued child is reported", stopped.Note);
        // Without WUNTRACED or WCONTINUED a stop is never reported: the answer is known.
        var running = s.Wait(100, options: WNOHANG, ret: 0);
        Assert.Equal((Verdict.Predicted, 0L), (running.Verdict, running.Ret));
    }

    [Fact]
    public void A_SIGCHLD_taken_after_a_notice_seen_in_place_says_nothing_of_a_notice_not_seen()
    {
        // A namespace init's kill -1 ends a child and an orphan at once: the orphan passed
        // sched_process_exit first, but the child's notice came first (its exit stands there);
        // the SIGCHLD the init takes is that child's, and its WNOHANG wait finds the orphan not a
        // zombie yet (a whole-system capture of `unshare --pid --fork sh -c 'sleep 0.2 &
        // sh -c "sleep 0.1 &"; kill -TERM -1; wait'` among other workloads: wait4 answered 0).
        const int WNOHANG = 1;
        var s = Host();
        s.Fork(100, 200);
        s.Fork(100, 201);
        s.Exit(201);
        s.Apply(new Exit { Tid = 200, Comm = "sh", Group = true, Code = 0, AtNotice = true });
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch);
        var first = s.Wait(100, options: WNOHANG, ret: 200);
        Assert.Equal((Verdict.Predicted, 200L), (first.Verdict, first.Ret));
        var next = s.Wait(100, options: WNOHANG, ret: 0);
        Assert.Equal(Verdict.UnknownState, next.Verdict);
        Assert.StartsWith("whether the dead child's parent had been told yet", next.Note);
    }

    [Fact]
    public void A_notice_to_an_init_that_began_its_exit_is_dropped_and_the_teardown_reaps_the_zombie_it_left()
    {
        // aa-notice-to-dying-init and a whole-system mix: an init's child dies after the init's
        // exit_group and before its teardown. Its notice is dropped (SIGNAL_GROUP_EXIT), so it is
        // no autoreap: the child stays a zombie until zap_pid_ns_processes' kernel_wait4 reaps it.
        var s = Init();
        Assert.Equal(2, s.Fork(201, 202).Ret);
        // The host kills both (kill(-1, SIGKILL) as in the mix); the init takes it first.
        Assert.Equal([(201, D), (202, D)], Scenario.Sent(s.Kill(100, -1, Scenario.SIGKILL), Scenario.SIGKILL).Where(x => x.To >= 201).ToArray());
        s.Deliver(201, Scenario.SIGKILL, Handler.Default);
        Assert.Equal(Verdict.NotApplicable, s.Apply(new Exiting { Tid = 201, Comm = "sh" }).Verdict);
        s.Deliver(202, Scenario.SIGKILL, Handler.Default);
        var notice = s.Apply(new Exit { Tid = 202, Comm = "sleep", Group = true, Code = 15, AtNotice = true });
        Assert.Equal([(201, I)], Scenario.Sent(notice, Scenario.SIGCHLD));
        var teardown = s.Exit(201);
        Assert.Equal([(202, I)], Scenario.Sent(teardown, Scenario.SIGKILL));
        Assert.Equal([(200, I)], Scenario.Sent(teardown, Scenario.SIGCHLD));
        // Reaped, not handed on: the init keeps no zombie to reparent to itself.
        Assert.Empty(teardown.Reparented);
        // The zombie is gone with the teardown, and the init is a zombie its parent reaps.
        Assert.Equal(-1, s.Model.NumberOf(100, 202, IdKind.Pid));
        Assert.Equal(201, s.Wait(200).Ret);
    }

    [Fact]
    public void A_torn_down_init_keeps_its_live_children_whatever_its_ancestors_subreapers()
    {
        // find_new_reaper looks for a subreaper among ancestors at the init's own level, and an
        // init's parent is outside its namespace: its children stay with it, known, even where
        // whether an ancestor is a subreaper is not (an init whose parent the capture lost).
        var s = Init();
        Assert.Equal(2, s.Fork(201, 202).Ret);
        // The unshare dies first: whether a host subreaper adopts the init is not known.
        Assert.Contains("subreaper", s.Exit(200).Note ?? "", StringComparison.Ordinal);
        var teardown = s.Exit(201);
        Assert.Equal([202], teardown.Killed);
        // Kept by the init, which reaps it: what the report shows as where it went.
        Assert.Equal([new Reparent(202, 201)], teardown.Reparented);
        Assert.DoesNotContain("subreaper", teardown.Note ?? "", StringComparison.Ordinal);
        // Its child dies of the SIGKILL and reaps itself (SIGCHLD is SIG_IGN now).
        Assert.Empty(s.Exit(202, code: 9).Signals);
        Assert.Equal(-1, s.Model.NumberOf(100, 202, IdKind.Pid));
    }

    [Fact]
    public void A_teardown_does_not_say_whether_it_kills_a_task_an_earlier_signal_of_unknown_action_may_have_killed()
    {
        // zap_pid_ns_processes skips a task with SIGKILL pending, as complete_signal leaves every
        // thread of a group a fatal signal reached. Where the signal's action is not in the capture
        // (perf, strace), whether it was fatal is not known, and so whether the teardown skips it.
        var s = Init();
        s.SigAction(201, Scenario.SIGTERM, Handler.Unknown);
        Assert.Equal(2, s.Fork(201, 202).Ret);
        var kill = s.Kill(201, -1, Scenario.SIGTERM);
        Assert.Contains(kill.UnknownResults, i => kill.Signals[i].To == 202);
        var teardown = s.Exit(201);
        Assert.Equal(Verdict.UnknownState, teardown.Verdict);
        Assert.StartsWith("a task the teardown may skip as already dying", teardown.Note, StringComparison.Ordinal);
        Assert.Empty(Scenario.Sent(teardown, Scenario.SIGKILL));
        // Once a thread of it takes a signal other than SIGKILL, it was not dying: the next teardown would kill it.
        var t = new Scenario().WithHost();
        t.Fork(100, 300);
        t.Unshare(300);
        t.Fork(300, 301);
        t.SigAction(301, Scenario.SIGTERM, Handler.Unknown);
        t.Fork(301, 302);
        t.Kill(301, -1, Scenario.SIGTERM);
        t.Deliver(302, Scenario.SIGTERM, Handler.Catch);
        Assert.Equal([(302, D)], Scenario.Sent(t.Exit(301), Scenario.SIGKILL));
    }
}
