using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Validation;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>
/// The rules real captures corrected (RealCapturesValidateTests): each named after what the kernel
/// does, with the capture that showed it.
/// </summary>
public sealed class OracleRuleTests
{
    private const SignalResult D = SignalResult.Delivered, I = SignalResult.Ignored;

    /// <summary>A shell (100) that catches SIGCHLD, as dash and bash do.</summary>
    private static Scenario Shell()
    {
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Catch);
        return s;
    }

    [Fact]
    public void An_exits_SIGCHLD_while_the_parent_has_other_children_has_an_unknown_result()
    {
        // fork-storm: a child's SIGCHLD comes from exit_notify, after sched_process_exit by a delay
        // the capture does not show; a later sibling's can come first.
        var s = Shell();
        s.Fork(100, 200);
        s.Fork(100, 201);
        var first = s.Exit(200);
        Assert.Equal([100], first.Signals.Select(x => x.To));
        Assert.Equal([0], first.UnknownResults);
        // The shell's disposition is known: the note says what is not.
        Assert.StartsWith("whether the recipient already had this signal pending is not known: a sibling's exit notice", first.Note);
    }

    [Fact]
    public void An_exit_at_its_notice_comes_in_the_parents_order_so_its_SIGCHLD_and_the_next_WNOHANG_wait_are_known()
    {
        // traces/captures/fork-storm.txt.gz with the exits at their notices: sh 669's children die
        // together; each exit stands where its SIGCHLD was generated, under the parent's lock.
        var s = Shell();
        s.Fork(100, 200);
        s.Fork(100, 201);
        s.Fork(100, 202);
        var first = s.Apply(new Exit { Tid = 200, Comm = "sh", Group = true, Code = 0, AtNotice = true });
        Assert.Equal([(100, D)], Scenario.Sent(first, Scenario.SIGCHLD));
        Assert.Empty(first.UnknownResults);
        // The second finds the first pending: "already pending" stays unknown (a silent dequeue: this
        // capture does not say it follows them; SilentDequeueTests has one that does).
        var second = s.Apply(new Exit { Tid = 201, Comm = "sh", Group = true, Code = 0, AtNotice = true });
        Assert.Equal([0], second.UnknownResults);
        Assert.StartsWith("whether the recipient still had this signal pending is not known", second.Note);
        // Two zombies the parent has been told of: a WNOHANG wait reaps the older, 200.
        var reaped = s.Wait(100, options: WNOHANG, ret: 200);
        Assert.Equal((Verdict.Predicted, 200L), (reaped.Verdict, reaped.Ret));
        // 202 passed sched_process_exit only (no at_notice): whether it is a zombie yet is open.
        s.Exit(202);
        var told = s.Wait(100, options: WNOHANG, ret: 201);
        Assert.Equal((Verdict.Predicted, 201L), (told.Verdict, told.Ret));
        Assert.Equal(Verdict.UnknownState, s.Wait(100, options: WNOHANG, ret: 0).Verdict);
        // Snapshot and restore keep what the notice settled.
        var resumed = new NestedPidModel();
        resumed.Restore(s.Model.Snapshot());
        Assert.Equal(s.Model.Snapshot(), resumed.Snapshot());
    }

    [Fact]
    public void An_exits_SIGCHLD_to_a_parent_with_no_other_child_and_an_empty_queue_is_delivered()
    {
        var s = Shell();
        s.Fork(100, 200);
        var o = s.Exit(200);
        Assert.Equal([(100, D)], Scenario.Sent(o, Scenario.SIGCHLD));
        Assert.Empty(o.UnknownResults);
    }

    [Fact]
    public void Already_pending_is_not_predicted_where_a_queued_signal_may_have_been_taken_without_a_line()
    {
        var s = Shell();
        s.SigAction(100, Scenario.SIGUSR1, Handler.Catch);
        s.Fork(100, 200);
        Assert.Equal([(100, D)], Scenario.Sent(s.Kill(200, 100, Scenario.SIGUSR1), Scenario.SIGUSR1));
        var again = s.Kill(200, 100, Scenario.SIGUSR1);
        Assert.Equal([0], again.UnknownResults);
        Assert.StartsWith("whether the recipient still had this signal pending is not known: it may have been taken without a line", again.Note);
        // Taken (signal_deliver): the queue is known empty again.
        s.Deliver(100, Scenario.SIGUSR1, Handler.Catch);
        var third = s.Kill(200, 100, Scenario.SIGUSR1);
        Assert.Equal([(100, D)], Scenario.Sent(third, Scenario.SIGUSR1));
        Assert.Empty(third.UnknownResults);
    }

    private const int WNOHANG = 1, SA_RESTORER = 0x4000000;

    [Fact]
    public void A_SIGCHLD_taken_shows_its_actions_flags_and_the_waits_after_it_are_predicted()
    {
        // tracefs shows that rt_sigaction changed SIGCHLD, not to what: whether the shell's children
        // are reaped at once (SIG_IGN, SA_NOCLDWAIT) is unknown until signal_deliver prints the
        // action's sa_handler and sa_flags (traces/fresh/twostorms.capture: 1,212 waits unknown before).
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Unknown);
        s.Fork(100, 200);
        s.Exit(200);
        Assert.Equal(Verdict.UnknownState, s.Wait(100, ret: 200).Verdict);
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch, saFlags: SA_RESTORER);
        s.Fork(100, 201);
        s.Exit(201);
        var reaped = s.Wait(100, ret: 201);
        Assert.Equal((Verdict.Predicted, 201L), (reaped.Verdict, reaped.Ret));
        // SA_NOCLDWAIT: reaped at once, a wait finds no child.
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch, saFlags: SA_RESTORER | 2);
        s.Fork(100, 202);
        s.Exit(202);
        var none = s.Wait(100, ret: -10);
        Assert.Equal((Verdict.Predicted, -10L), (none.Verdict, none.Ret));
    }

    [Fact]
    public void The_first_SIGCHLD_taken_after_a_notice_sent_while_one_was_pending_does_not_show_that_notice_came()
    {
        // fresh/pgkill.capture: bash's children 200 and 201 exit; 201's CLD_KILLED notice, sent a
        // little after its sched_process_exit, came 44 us after bash took the CLD_EXITED pending
        // from 200, and a WNOHANG wait between them returned 0.
        var s = Shell();
        s.Fork(100, 200);
        s.Fork(100, 201);
        s.Exit(200, signals: new SignalRecord(Scenario.SIGCHLD, 100, D, 1, true));
        s.Exit(201, code: 9, signals: new SignalRecord(Scenario.SIGCHLD, 100, D, 2, true));
        s.Wait(100, ret: 200);
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch);
        Assert.Equal(Verdict.UnknownState, s.Wait(100, options: WNOHANG, ret: 0).Verdict);
        // A second one can only come of a notice sent after the first was taken: 201's.
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch);
        var reaped = s.Wait(100, options: WNOHANG, ret: 201);
        Assert.Equal((Verdict.Predicted, 201L), (reaped.Verdict, reaped.Ret));
    }

    /// <summary>d-initdeath's shape: 300 (SIGCHLD default) unshares and forks init 301, which forks 302 and 303.</summary>
    private static Scenario DyingInit(Handler parentSigchld)
    {
        var s = new Scenario().WithHost();
        s.Fork(100, 300);
        s.SigAction(300, Scenario.SIGCHLD, parentSigchld);
        s.Unshare(300);
        s.Fork(300, 301, ret: 301);
        s.SigAction(301, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(301, 302, ret: 2);
        s.Fork(301, 303, ret: 3);
        return s;
    }

    [Fact]
    public void A_dying_inits_SIGCHLD_is_predicted_with_its_exit_and_its_parent_reaps_it_once_the_namespace_is_empty()
    {
        var s = DyingInit(Handler.Default);
        var o = s.Exit(301);
        Assert.Equal([302, 303], o.Killed);
        Assert.Equal([(300, I)], Scenario.Sent(o, Scenario.SIGCHLD));
        Assert.Empty(s.Exit(302, code: 9).Signals);
        Assert.Equal(0, s.Wait(300, options: 1).Ret);
        Assert.Empty(s.Exit(303, code: 9).Signals);
        Assert.Equal(301, s.Wait(300).Ret);
    }

    /// <summary>
    /// A busy capture whose signal actions were not read: the teardown killed an unshare (302)
    /// and its child (304); 304 died first, and whether its notice left it a zombie or had it
    /// reaped at once was not known (302's SIGCHLD action was not). 302's exit hands 304 to the
    /// dying init, which ignores SIGCHLD from its teardown on, so 304 is gone either way, and the
    /// init's parent's wait4 reaps the init: predicted, where the model, holding 304 still, had
    /// said the wait slept (-ERESTARTSYS). With the zombie handed to a parent that does not
    /// ignore SIGCHLD, whether it is there is still not known.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_zombie_that_may_be_reaped_already_handed_to_a_parent_that_ignores_SIGCHLD_is_gone_either_way(bool toDyingInit)
    {
        var s = DyingInit(Handler.Default);
        s.Fork(302, 304, ret: 4);
        s.SigAction(302, Scenario.SIGCHLD, Handler.Unknown);
        if (toDyingInit)
        {
            Assert.Equal([302, 303, 304], s.Exit(301).Killed);
            s.Exit(304, code: 9, signals: new SignalRecord(Scenario.SIGCHLD, 302, I, 2, true));
            s.Exit(302, code: 9);
            s.Exit(303, code: 9);
            var wait = s.Wait(300, ret: 301);
            Assert.Equal((Verdict.Predicted, 301L), (wait.Verdict, wait.Ret));
            return;
        }
        // 302 exits alone: 304 goes to the live init, whose SIGCHLD is caught.
        s.Exit(304, code: 0, signals: new SignalRecord(Scenario.SIGCHLD, 302, I, 1, true));
        var orphaned = s.Exit(302, code: 0, signals: new SignalRecord(Scenario.SIGCHLD, 301, D, 1, true));
        Assert.Equal(Verdict.UnknownState, orphaned.Verdict);
        Assert.Equal(Verdict.UnknownState, s.Wait(301, pid: 4, options: WNOHANG, ret: 4).Verdict);
    }

    [Fact]
    public void A_dying_init_whose_parent_ignores_SIGCHLD_sends_nothing_and_is_released_when_its_namespace_is_empty()
    {
        var s = DyingInit(Handler.Ignore);
        var o = s.Exit(301);
        Assert.Empty(Scenario.Sent(o, Scenario.SIGCHLD));
        s.Exit(302, code: 9);
        Assert.Equal(0, s.Wait(300, options: 1).Ret);
        s.Exit(303, code: 9);
        Assert.Equal(-10, s.Wait(300).Ret);
    }

    [Fact]
    public void A_signal_to_a_thread_waiting_in_its_vfork_may_be_blocked_so_whether_it_is_ignored_is_not_known()
    {
        // fresh/threads-spawn.capture: CPython (as glibc's posix_spawn) blocks every signal around
        // its vfork and restores the mask once the call returns; a child that exits before its
        // parent resumes has its SIGCHLD queued (res=0) where SIG_DFL would have it ignored.
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Default);
        s.Fork(100, 200, flags: CloneFlags.Vm | CloneFlags.Vfork, call: ForkCall.VFork);
        s.Exec(200);

        // The state survives a snapshot: a replay resumed here predicts the same.
        var resumed = new NestedPidModel();
        resumed.Restore(s.Model.Snapshot());
        Assert.Equal(s.Model.Snapshot(), resumed.Snapshot());
        var exit = new Exit { Host = "h", Tid = 200, Comm = "true", Group = true, Signals = [] };
        var fromResumed = new Outcome();
        resumed.Apply(exit, fromResumed);

        var early = s.Exit(200);
        Assert.Equal([100], early.Signals.Select(x => x.To));
        Assert.Equal([0], early.UnknownResults);
        Assert.Equal([0], fromResumed.UnknownResults);

        // Once the parent acts, its vfork has returned and its mask is back: SIG_DFL SIGCHLD is ignored.
        s.Wait(100, ret: 200);
        s.Fork(100, 201, flags: CloneFlags.Vm | CloneFlags.Vfork, call: ForkCall.VFork);
        s.Exec(201);
        s.Get(100, GetIdCall.GetPid, ret: 100);
        var later = s.Exit(201);
        Assert.Equal([(100, I)], Scenario.Sent(later, Scenario.SIGCHLD));
        Assert.Empty(later.UnknownResults);
    }

    [Fact]
    public void A_blocked_signal_is_queued_not_ignored_where_the_capture_follows_masks()
    {
        // traces/captures/o-sigmask.txt: perl blocks SIGCHLD (SIG_DFL), and its child's SIGCHLD is
        // queued (res=0) where an unblocked one is ignored; runuser's watching parent likewise.
        const ulong Chld = 1UL << (Scenario.SIGCHLD - 1);
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Default);
        s.Apply(new SigMask { Tid = 100, Comm = "perl", Blocked = Chld });
        s.Fork(100, 200);
        var blocked = s.Exit(200);
        Assert.Equal([(100, D)], Scenario.Sent(blocked, Scenario.SIGCHLD));
        Assert.Empty(blocked.UnknownResults);

        // The child inherits the mask (copy_process): its own child's SIGCHLD is queued too.
        s.Wait(100, ret: 200);
        s.Fork(100, 201);
        s.Fork(201, 202);
        Assert.Equal([(201, D)], Scenario.Sent(s.Exit(202), Scenario.SIGCHLD));

        // Waiting under an empty temporary mask (sigsuspend): the parent ignores it again.
        s.Apply(new SigMask { Tid = 100, Comm = "perl", Blocked = 0 });
        // Unblocked, the SIGCHLD queued before leaves the queue (signal_deliver, SIG_DFL).
        s.Apply(new Deliver { Tid = 100, Comm = "perl", Sig = Scenario.SIGCHLD, Handler = Handler.Default });
        var waiting = s.Exit(201);
        Assert.Equal([(100, I)], Scenario.Sent(waiting, Scenario.SIGCHLD));
        s.Wait(100, ret: 201);

        // With masks known, a vfork leaves nothing unknown: the mask the capture gives decides.
        s.Apply(new SigMask { Tid = 100, Comm = "perl", Blocked = ulong.MaxValue });
        s.Fork(100, 203, flags: CloneFlags.Vm | CloneFlags.Vfork, call: ForkCall.VFork);
        s.Exec(203);
        var resumed = new NestedPidModel();
        resumed.Restore(s.Model.Snapshot());
        Assert.Equal(s.Model.Snapshot(), resumed.Snapshot());
        var early = s.Exit(203);
        Assert.Equal([(100, D)], Scenario.Sent(early, Scenario.SIGCHLD));
        Assert.Empty(early.UnknownResults);
        // SIGKILL cannot be blocked, whatever the mask says.
        s.Fork(100, 204);
        s.Apply(new SigMask { Tid = 204, Comm = "sleep", Blocked = ulong.MaxValue });
        var kill = s.Apply(new Kill { Tid = 100, Comm = "perl", Call = KillCall.Kill, Pid = 204, Sig = Scenario.SIGKILL, Ret = 0 });
        Assert.Equal([(204, D)], Scenario.Sent(kill, Scenario.SIGKILL));
    }

    [Fact]
    public void Without_masks_in_the_capture_no_signal_is_taken_to_be_blocked()
    {
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Default);
        s.Fork(100, 200);
        Assert.Equal([(100, I)], Scenario.Sent(s.Exit(200), Scenario.SIGCHLD));
        // A snapshot that gives the mask (a capture that follows masks) is taken at its word.
        var t = new Scenario();
        t.Host(1, ppid: 0);
        t.Apply(new TaskSnapshot
        {
            Tid = 100, Comm = "su", Tgid = 100, PPid = 1, Pgid = 100, Sid = 100, NsPid = [100], NsPgid = [100], NsSid = [100],
            PidNs = Scenario.HostNs, Blocked = 0xfffffffe7ffbfeff,
        });
        t.SigAction(100, Scenario.SIGCHLD, Handler.Default);
        t.Fork(100, 200);
        Assert.Equal([(100, D)], Scenario.Sent(t.Exit(200), Scenario.SIGCHLD));
    }

    /// <summary>
    /// fresh/chromium-ns.capture's shape: the init (301) leaves a thread (310) as the namespace's
    /// reaper and exits; the thread forks 320, which forks 321. When 310 dies, its process is all
    /// dead: the namespace is torn down, and 320 is left with no parent the model can name.
    /// </summary>
    private static Scenario ThreadedDyingInit()
    {
        var s = DyingInit(Handler.Default);
        s.Exit(302);
        s.Exit(303);
        s.Wait(301, ret: 2);
        s.Wait(301, ret: 3);
        s.Thread(301, 310, ret: 4);
        s.Exit(301, group: false);
        s.Fork(310, 320, ret: 5);
        s.Fork(320, 321, ret: 6);
        s.Exit(310, group: true);
        s.Exit(320, code: 9);
        return s;
    }

    [Fact]
    public void A_wait_for_a_dying_init_whose_namespace_holds_an_orphan_of_no_known_parent_has_an_unknown_answer()
    {
        // Who reaps 321 (and so when the namespace is empty) is not known: neither is whether the
        // init is a zombie yet. Said otherwise, the wait would be predicted to sleep.
        var s = ThreadedDyingInit();
        s.Exit(321, code: 9);
        var wait = s.Wait(300, pid: 301, ret: 301);
        Assert.Equal(Verdict.UnknownState, wait.Verdict);
    }

    [Fact]
    public void A_dying_inits_recorded_notice_says_its_namespace_is_empty_and_its_parent_then_reaps_it()
    {
        // The kernel tells the init's parent only once zap_pid_ns_processes has seen every other
        // task of the namespace reaped: what the model still holds there is gone (here 321, whose
        // exit the capture did not show), and the init is a zombie.
        var s = ThreadedDyingInit();
        var notice = s.Apply(new Signal { Tid = 310, Comm = "sh", Record = new(Scenario.SIGCHLD, 300, I, 1, true) });
        Assert.Equal(Verdict.UnknownState, notice.Verdict); // the model held 321 alive
        var wait = s.Wait(300, pid: 301, ret: 301);
        Assert.Equal(301, wait.Ret);
        Assert.NotEqual(Verdict.UnknownState, wait.Verdict);
        Assert.Equal(-10, s.Wait(300, ret: -10).Ret);
    }

    [Fact]
    public void The_recorded_d_initdeath_teardown_agrees_event_by_event()
    {
        var s = DyingInit(Handler.Default);
        s.Exit(301, signals:
        [
            new(Scenario.SIGKILL, 302, D, 128, true),
            new(Scenario.SIGKILL, 303, D, 128, true),
            new(Scenario.SIGCHLD, 300, I, 1, true),
        ]);
        s.Exit(302, code: 9);
        s.Exit(303, code: 9);
        s.Wait(300, ret: 301);
        var report = Validator.Run("d-initdeath", "nested", s.Events);
        Assert.True(report.Clean, string.Join("\n", report.Disagreements));
        Assert.Equal(3, report.ByKind["exit"].Agreed);
    }

    [Fact]
    public void A_live_tracers_SIGCHLD_for_a_reaped_tracee_is_not_an_exit_notice_of_the_tracer()
    {
        // pair/tracefs: strace's wait4 reaps a traced zombie and do_notify_parent tells the real
        // parent (23078) in strace's context; nothing goes to strace's own parent.
        var s = Shell();
        s.Fork(100, 200);
        s.Fork(100, 300);
        s.SigAction(300, Scenario.SIGCHLD, Handler.Catch);
        var o = s.Apply(new Signal { Tid = 200, Comm = "strace", Record = new(Scenario.SIGCHLD, 300, D, 1, true) });
        Assert.Equal([300], o.Signals.Select(x => x.To));
        Assert.Equal(D, o.Signals[0].Result);
    }

    [Fact]
    public void A_task_that_stopped_for_its_tracer_never_has_a_signal_ignored()
    {
        // sig_ignored: "if (t->ptrace && sig != SIGKILL) return false".
        var s = Shell();
        s.Fork(100, 200);
        s.Fork(100, 300);
        s.SigAction(300, Scenario.SIGCHLD, Handler.Default);
        Assert.Equal([(300, I)], Scenario.Sent(s.Kill(100, 300, Scenario.SIGCHLD), Scenario.SIGCHLD));
        s.Apply(new Signal { Tid = 300, Comm = "python3", Record = new(Scenario.SIGCHLD, 200, I, 4, true) });
        Assert.Equal([(300, D)], Scenario.Sent(s.Kill(100, 300, Scenario.SIGCHLD), Scenario.SIGCHLD));
        // Its children, attached at fork or not by options the capture does not show: not known.
        s.Fork(300, 301);
        s.SigAction(301, Scenario.SIGCHLD, Handler.Default);
        Assert.Equal([0], s.Kill(100, 301, Scenario.SIGCHLD).UnknownResults);
        // The tracer's exit detaches its tracees.
        s.Exit(200);
        Assert.Equal([(300, I)], Scenario.Sent(s.Kill(100, 300, Scenario.SIGCHLD), Scenario.SIGCHLD));
    }

    [Fact]
    public void A_tracers_wait_is_unknown_since_it_also_reports_its_tracees_stops()
    {
        var s = Shell();
        s.Fork(100, 200);
        s.Fork(100, 300);
        Assert.Equal(-10, s.Wait(200, options: 1).Ret);
        s.Apply(new Signal { Tid = 300, Comm = "python3", Record = new(Scenario.SIGCHLD, 200, I, 4, true) });
        var o = s.Wait(200, options: 1);
        Assert.False(o.HasRet);
        Assert.Equal(Verdict.UnknownState, o.Verdict);
    }

    [Theory]
    [InlineData(Scenario.SIGCHLD, 0)]
    [InlineData(64, 0)]
    [InlineData(Scenario.SIGKILL, -22)]
    [InlineData(19, -22)]
    [InlineData(0, -22)]
    [InlineData(65, -22)]
    public void Rt_sigaction_returns_0_and_EINVAL_for_SIGKILL_SIGSTOP_and_signals_out_of_range(int sig, int ret)
    {
        var s = Shell();
        var o = s.Apply(new SigAction { Tid = 100, Comm = "sh", Sig = sig, Handler = Handler.Catch, Ret = ret });
        Assert.True(o.HasRet);
        Assert.Equal(ret, o.Ret);
    }

    [Fact]
    public void Prctl_set_child_subreaper_returns_0_even_for_a_task_the_capture_never_introduced()
    {
        var s = Shell();
        var o = s.Apply(new Prctl { Tid = 4242, Comm = "python3", Option = Prctl.SetChildSubreaper, Arg2 = 1, Ret = 0 });
        Assert.True(o.HasRet);
        Assert.Equal(0, o.Ret);
    }

    [Fact]
    public void Wnohang_does_not_know_whether_exit_notify_has_made_the_zombie_yet()
    {
        // fresh/pool.capture: wait4(child, WNOHANG) = 0 after the child's sched_process_exit, before its SIGCHLD.
        var s = Shell();
        s.Fork(100, 200);
        s.Exit(200);
        var early = s.Wait(100, options: 1);
        Assert.False(early.HasRet);
        Assert.Equal(Verdict.UnknownState, early.Verdict);
        // The parent took a SIGCHLD only that death explains: the zombie is there now.
        s.Deliver(100, Scenario.SIGCHLD, Handler.Catch);
        Assert.Equal(200, s.Wait(100, options: 1).Ret);
    }

    [Fact]
    public void Waitids_answer_is_the_reaped_childs_number_in_the_callers_view()
    {
        var s = Shell();
        s.Unshare(100);
        s.Fork(100, 200, ret: 200);
        s.Fork(200, 201, ret: 2);
        s.Exit(201);
        var o = s.Apply(new Wait { Tid = 200, Comm = "python3", Call = WaitCall.Waitid, Pid = 2, Options = 4, Ret = 2 });
        Assert.Equal(2, o.Ret);
        Assert.Equal(201, o.RetTarget);
    }

    [Fact]
    public void A_setpgid_the_trace_says_succeeded_is_followed_even_where_the_model_could_not_predict_it()
    {
        // pair/strace.txt: bash makes a job's group while the model cannot say it would succeed.
        var s = new Scenario().WithHost();
        s.Host(200, ppid: 100, pgid: 100, sid: 100);
        var unknown = s.SetPgid(100, 200, 200, ret: 0);
        Assert.Equal(Verdict.UnknownState, unknown.Verdict);
        s.Fork(100, 201);
        Assert.Equal(0, s.SetPgid(100, 201, 200).Ret);
    }

    /// <summary>strace (200) tracing 300, a child of the shell 100 (pair/tracefs's shape).</summary>
    private static Scenario Traced()
    {
        var s = Shell();
        s.Fork(100, 200);
        s.SigAction(200, Scenario.SIGCHLD, Handler.Default);
        s.Fork(100, 300);
        s.Apply(new Signal { Tid = 300, Comm = "sh", Record = new(Scenario.SIGCHLD, 200, I, 4, true) });
        return s;
    }

    [Fact]
    public void A_ptraced_tasks_exit_tells_its_tracer_not_its_parent()
    {
        var s = Traced();
        var o = s.Exit(300);
        Assert.Equal([(200, I)], Scenario.Sent(o, Scenario.SIGCHLD));
    }

    [Fact]
    public void A_tracers_wait_that_returns_a_live_tracee_reports_a_stop_and_reaps_nothing()
    {
        var s = Traced();
        s.Wait(200, options: 0x40000000, ret: 300);
        Assert.Equal(300, s.Model.NumberOf(100, 300, IdKind.Pid));
        Assert.Equal(0, s.Wait(100, options: 1).Ret);
    }

    [Fact]
    public void A_tracers_wait_on_another_parents_dead_tracee_lets_it_go_to_that_parent()
    {
        // wait_task_zombie's EXIT_TRACE: the real parent reaps it afterwards (its answer is not predicted).
        var s = Traced();
        s.Exit(300);
        s.Wait(200, options: 0x40000000, ret: 300);
        // Still the shell's child: its wait is not predicted to sleep (as it would with 300 gone and 200 alive).
        var o = s.Wait(100, ret: 300);
        Assert.False(o.HasRet);
        Assert.Equal(Verdict.UnknownState, o.Verdict);
    }

    /// <summary>The global init, SIGCHLD at SIG_DFL, its SIGCHLD flags read (none) or not, and shell 100.</summary>
    private static Scenario WithInit(bool flagsKnown)
    {
        var s = new Scenario();
        s.Apply(new TaskSnapshot
        {
            Tid = 1, Comm = "init", Tgid = 1, Pgid = 0, Sid = 0, NsPid = [1], NsPgid = [0], NsSid = [0], PidNs = Scenario.HostNs,
            SigIgn = 0, SigCgt = 0, SigchldFlags = flagsKnown ? 0UL : null,
        });
        s.Host(100);
        return s;
    }

    /// <summary>
    /// A busy capture: a nobody's sleep (300) was killed and died a zombie, its shell (200) killed
    /// too; handed on where the capture could not say (a subreaper among 200's ancestors was not
    /// ruled out), it went to pid 1, which made no call and reaped it at once. Later kill(-1)s of
    /// nobody's shells were predicted to signal it, and the kernel found it gone (74 predicted
    /// signals not recorded). A zombie orphaned to a parent not known may be gone: it is signalled
    /// only if it is there.
    /// </summary>
    [Fact]
    public void A_zombie_orphaned_to_a_parent_not_known_is_signalled_by_kill_minus_1_only_if_it_is_there()
    {
        var s = WithInit(flagsKnown: true);
        s.Host(200, ppid: 100, exitSignal: 17);
        s.SigAction(200, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(200, 300);
        s.Host(400);
        s.Exit(300, code: 9, signals: [new(Scenario.SIGCHLD, 200, D, 2, true)]);
        var orphaning = s.Exit(200, code: 9, signals: [new(Scenario.SIGCHLD, 100, D, 2, true)]);
        Assert.Equal(Verdict.UnknownState, orphaning.Verdict);
        var kill = s.Kill(400, -1, 15, ret: 0, new SignalRecord(15, 100, D, 0, true));
        Assert.Contains(kill.MaybeSent, i => kill.Signals[i].To == 300);
        var report = Validator.Run("mix", "nested", s.Events);
        Assert.Equal((0, 0L), (report.Disagreed, report.Totals.Unrecorded));
    }

    [Fact]
    public void Kill_minus_1_signals_a_zombie_that_may_have_been_reaped_at_its_exit_only_if_it_is_there()
    {
        // wm51 (a busy capture): pid 1 made no call, so its SIGCHLD flags were not read; its
        // children 200 (killed) may have been reaped as they died. A later kill(-1) got no line for it.
        foreach (bool flagsKnown in (bool[])[false, true])
        {
            var s = WithInit(flagsKnown);
            s.Host(200, exitSignal: 17);
            s.Host(300);
            s.Exit(200, code: 9, signals: [new(Scenario.SIGCHLD, 1, I, 2, true)]);
            var kill = s.Kill(100, -1, 15, ret: 0, new SignalRecord(15, 300, D, 0, true));
            Assert.True((flagsKnown ? 0 : 1) == kill.MaybeSent.Count, $"{flagsKnown}: {string.Join(", ", kill.Signals)} {kill.Verdict} {kill.Note}");
            var report = Validator.Run("wm51", "nested", s.Events);
            Assert.Equal(0, report.Disagreed);
            Assert.Equal(flagsKnown ? 1 : 0, report.Totals.Unrecorded);
            // The zombie alone: whether any process was signalled is not known.
            var alone = new Scenario();
            foreach (var ev in s.Events.Where(e => e is not Kill && e.Tid != 300)) alone.Apply(ev);
            var lone = alone.Kill(100, -1, 15, ret: -3);
            Assert.Equal(flagsKnown ? (Verdict.Predicted, true) : (Verdict.UnknownState, false), (lone.Verdict, lone.HasRet));
        }
    }

    [Fact]
    public void A_zombie_of_the_global_init_when_tracing_began_may_be_reaped_with_no_line()
    {
        // A test suite's capture: sleep 200, init's zombie at tracing_on, answered kill -0 with 0,
        // then with ESRCH, with no line of init's between. A zombie of another parent stays until
        // a wait of that parent's, which the capture shows.
        var s = new Scenario().WithHost();
        s.Host(200, exitSignal: 17, zombie: true);
        s.Host(300, ppid: 100, exitSignal: 17, zombie: true);
        foreach (long ret in (long[])[0, -3])
            Assert.Equal(Verdict.UnknownState, s.Kill(100, 200, 0, ret: ret).Verdict);
        var other = s.Kill(100, 300, 0, ret: 0);
        Assert.Equal((Verdict.Predicted, 0L), (other.Verdict, other.Ret));
        Assert.Equal(0, Validator.Run("t", "nested", s.Events).Disagreed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_process_whose_leader_had_exited_beside_a_live_thread_may_be_in_a_group_exit_until_a_thread_acts(bool dropped)
    {
        // A test suite's capture: chromium 500's leader read a zombie, its thread 501 running
        // (State R, nothing pending); the test host's SIGTERM to 500 after tracing_on was dropped
        // (res=1): the leader had run exit_group, and 501 was on its way out. The model, which
        // took the leader for gone alone (pthread_exit), said delivered. /proc shows neither.
        Scenario Chromium(ulong? threadPending = null)
        {
            var s = new Scenario().WithHost();
            foreach (var (tid, zombie) in ((int, bool)[])[(500, true), (501, false)])
                s.Apply(new TaskSnapshot
                {
                    Tid = tid, Comm = "chromium", Tgid = 500, PPid = 100, Pgid = 100, Sid = 100, NsPid = [tid], NsPgid = [100], NsSid = [100],
                    PidNs = Scenario.HostNs, SigIgn = 0, SigCgt = 0, ExitSignal = tid == 500 ? 17 : -1, Zombie = zombie,
                    SigPnd = zombie ? null : threadPending,
                });
            return s;
        }
        var s = Chromium();
        var kill = s.Kill(100, 500, 15, ret: 0, new SignalRecord(15, 500, dropped ? I : D, 0, true));
        // The call's answer (0) is known; the signal's result is not.
        Assert.Equal((Verdict.Predicted, 0L), (kill.Verdict, kill.Ret));
        Assert.Equal([0], kill.UnknownResults);
        Assert.Contains("group exit may have begun", kill.Note);
        Assert.Equal(0, Validator.Run("t", "nested", s.Events).Disagreed);
        // A call of the live thread shows the process was not exiting: a thread of a group exit makes none.
        var acted = Chromium();
        acted.Get(501, GetIdCall.GetPid, ret: 500);
        var after = acted.Kill(100, 500, 15, ret: 0, new SignalRecord(15, 500, D, 0, true));
        Assert.Empty(after.UnknownResults);
        Assert.Equal(D, Scenario.Sent(after, 15).Single().Result);
        // So does a signal it takes other than SIGKILL.
        var took = Chromium();
        took.Deliver(501, 10, Handler.Catch);
        Assert.Empty(took.Kill(100, 500, 15, ret: 0, new SignalRecord(15, 500, D, 0, true)).UnknownResults);
        // The thread read with SIGKILL pending: the group exit had begun, listed after the zombie leader or not.
        var killed = Chromium(threadPending: 1UL << 8);
        var late = killed.Kill(100, 500, 15, ret: 0, new SignalRecord(15, 500, I, 0, true));
        Assert.Empty(late.UnknownResults);
        Assert.Equal(I, Scenario.Sent(late, 15).Single().Result);
    }

    [Fact]
    public void A_task_whose_pending_signals_the_window_check_could_not_tell_may_have_any_pending()
    {
        // A busy capture: python3 1311, forked in the window and gone before the second read,
        // blocked SIGCHLD, and a child of its died there: the next child's SIGCHLD said already
        // pending (res=2), and the model, reading no SigPnd, said delivered. Its block now says
        // "pending: unknown", which the reader gives as any standard signal maybe pending.
        const ulong Usr1 = 1UL << 9;
        Outcome KillUsr1(ulong? pending)
        {
            var s = new Scenario().WithHost();
            s.Apply(new TaskSnapshot
            {
                Tid = 300, Comm = "python3", Tgid = 300, PPid = 100, Pgid = 100, Sid = 100, NsPid = [300], NsPgid = [100], NsSid = [100],
                PidNs = Scenario.HostNs, SigIgn = 0, SigCgt = 0, Blocked = Usr1, SigPnd = pending, ShdPnd = pending,
            });
            return s.Kill(100, 300, 10, ret: 0, new SignalRecord(10, 300, SignalResult.AlreadyPending, 0, true));
        }
        var unknown = KillUsr1(Replayer.Ingest.Formats.Proc.ProcSnapshotParser.MaybePending);
        Assert.Equal([0], unknown.UnknownResults);
        // Read as none pending, it is predicted delivered: what the model said before.
        Assert.Equal(D, Scenario.Sent(KillUsr1(0), 10).Single().Result);
        // Neither SIGKILL nor SIGSTOP is among the maybe: they would say the process was dying or stopping.
        Assert.Equal(0UL, Replayer.Ingest.Formats.Proc.ProcSnapshotParser.MaybePending & (1UL << 8 | 1UL << 18));
    }

    [Fact]
    public void A_kill_of_a_group_may_reach_a_process_whose_group_was_not_shown()
    {
        // A test suite's capture: backend 300, forked in the window (its block has no group),
        // called setsid there; the postmaster's kill(-300, SIGTERM) answered 0 and signalled it.
        var s = new Scenario().WithHost();
        s.Apply(new TaskSnapshot { Tid = 300, Comm = "postgres", Tgid = 300, PPid = 100, NsPid = [300], PidNs = Scenario.HostNs });
        var kill = s.Kill(100, -300, 15, ret: 0, new SignalRecord(15, 300, D, 0, true));
        Assert.Equal(Verdict.UnknownState, kill.Verdict);
        Assert.Single(kill.MaybeSent);
        Assert.Equal(0, Validator.Run("t", "nested", s.Events).Disagreed);
        // With its group shown (its own, after the setsid), the answer is known.
        var known = new Scenario().WithHost();
        known.Host(300, ppid: 100);
        var told = known.Kill(100, -300, 15, ret: 0, new SignalRecord(15, 300, D, 0, true));
        Assert.Equal((Verdict.Predicted, 0L), (told.Verdict, told.Ret));
        Assert.Empty(told.MaybeSent);
    }

    /// <summary>
    /// A busy capture: a bash's kill of a job's group, while a process whose group the capture
    /// did not show was about (so maybe a member), was taken to reach a namespace's shell forked
    /// from such a process; the SIGTERM, at the shell's default, began its group exit in the
    /// model, and twelve of its children's notices were then said to be dropped. A signal the
    /// call only maybe sent changes nothing until the capture shows it sent.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_signal_a_kill_only_maybe_sent_changes_nothing_unless_the_capture_shows_it(bool sent)
    {
        var s = new Scenario().WithHost();
        s.Apply(new TaskSnapshot { Tid = 300, Comm = "sh", Tgid = 300, PPid = 100, NsPid = [300], PidNs = Scenario.HostNs, SigIgn = 0, SigCgt = 0 });
        s.Host(400, ppid: 100);
        SignalRecord[] records = sent ? [new(15, 400, D, 0, true), new(15, 300, D, 0, true)] : [new(15, 400, D, 0, true)];
        var kill = s.Kill(100, -400, 15, ret: 0, records);
        Assert.Contains(kill.MaybeSent, i => kill.Signals[i].To == 300);
        // SIGUSR1 to 300: dropped if the SIGTERM came (its group exit had begun), delivered if not.
        var usr1 = s.Kill(100, 300, 10, ret: 0, new SignalRecord(10, 300, sent ? I : D, 0, true));
        Assert.Equal([(300, sent ? I : D)], Scenario.Sent(usr1, 10));
        Assert.Equal(0, Validator.Run("t", "nested", s.Events).Disagreed);
    }

    [Fact]
    public void A_call_naming_a_zombie_that_may_have_been_reaped_at_its_exit_is_not_known()
    {
        // A test suite's capture: a sleep orphaned to pid 1, which made no call (its SIGCHLD flags
        // not read) and keeps SIGCHLD at SIG_DFL; a loop's kill -0 to the sleep answered ESRCH
        // once it had died. With the flags read (no SA_NOCLDWAIT) the zombie stays: 0.
        foreach (bool flagsKnown in (bool[])[false, true])
        {
            var s = WithInit(flagsKnown);
            s.Host(200, exitSignal: 17);
            s.Exit(200, signals: [new(Scenario.SIGCHLD, 1, I, 1, true)]);
            var probe = s.Kill(100, 200, 0, ret: flagsKnown ? 0 : -3);
            var tgkill = s.Tgkill(100, 200, 200, 0);
            var getsid = s.Get(100, GetIdCall.GetSid, arg: 200, ret: flagsKnown ? 200 : -3);
            foreach (var o in (Outcome[])[probe, tgkill, getsid])
                Assert.True((flagsKnown ? Verdict.Predicted : Verdict.UnknownState) == o.Verdict, $"{flagsKnown}: {o.Verdict} {o.Note}");
            Assert.Equal(0, Validator.Run("t", "nested", s.Events).Disagreed);
        }
    }

    /// <summary>
    /// A capture of a command's descendants, made by a test host while processes it had started
    /// for other tests ran (read untraced): one of them ended with no line, and the command's own
    /// SIGCHLD to the host found one already pending, where the model said delivered. A child the
    /// capture does not trace may die unseen, so its parent's SIGCHLD queue is not known.
    /// </summary>
    [Fact]
    public void A_SIGCHLD_to_a_process_with_a_child_the_capture_does_not_trace_may_find_one_pending()
    {
        foreach (bool untracedChild in (bool[])[true, false])
        {
            var s = Shell();
            if (untracedChild)
                s.Apply(new TaskSnapshot { Tid = 370, Comm = "dotnet", Tgid = 370, PPid = 100, Pgid = 100, Sid = 100, NsPid = [370], NsPgid = [100], NsSid = [100], PidNs = Scenario.HostNs, Untraced = true });
            s.Fork(100, 449, ret: 449);
            var exit = s.Exit(449, signals: [new(Scenario.SIGCHLD, 100, SignalResult.AlreadyPending, 1, true)]);
            Assert.Equal([(100, D)], Scenario.Sent(exit, Scenario.SIGCHLD));
            if (untracedChild)
            {
                Assert.Equal([0], exit.UnknownResults);
                Assert.StartsWith("whether the recipient already had SIGCHLD pending is not known: a child of its that the capture does not trace", exit.Note);
                Assert.Equal(0, Validator.Run("t", "nested", s.Events).Disagreed);
            }
            else
            {
                // Without it, nothing could have queued one: delivered, and the kernel's answer disagrees.
                Assert.Empty(exit.UnknownResults);
                Assert.Equal(1, Validator.Run("t", "nested", s.Events).Disagreed);
            }
        }
    }

    /// <summary>
    /// Once the capture turned out not to show every task (one adopted when first seen), an older
    /// process may have children the model does not know: its wait for any child is not known.
    /// Its WNOHANG wait for a child it names, which the model has among its own, is (a busy
    /// capture: a pool's handler thread polled its four workers 324 times, all not known before).
    /// </summary>
    [Fact]
    public void A_WNOHANG_wait_for_a_named_known_child_is_predicted_when_other_children_may_be_unknown()
    {
        const int WNOHANG = 1;
        var s = Shell();
        s.Apply(new TaskSnapshot { Tid = 900, Comm = "python3", Tgid = 900, Adopted = true });
        s.Fork(100, 200);
        var named = s.Wait(100, pid: 200, options: WNOHANG, ret: 0);
        Assert.Equal((Verdict.Predicted, 0L), (named.Verdict, named.Ret));
        var any = s.Wait(100, pid: -1, options: WNOHANG, ret: 0);
        Assert.Equal(Verdict.UnknownState, any.Verdict);
        var blocking = s.Wait(100, pid: 200, ret: -512);
        Assert.Equal(Verdict.UnknownState, blocking.Verdict);
    }

    /// <summary>
    /// A busy capture: a shell older than the capture, whose every wait(-1) was not known once
    /// some task had been adopted, answered ECHILD to its first: it had no child then, so every
    /// one since is born in the trace, and its waits for any child are predicted from there
    /// (one with __WALL, which would see clone children too, is not).
    /// </summary>
    [Fact]
    public void An_ECHILD_to_a_wait_for_any_child_shows_an_older_process_has_no_unseen_children()
    {
        const int WNOHANG = 1, WALL = 0x40000000, ECHILD = 10;
        var s = Shell();
        s.Apply(new TaskSnapshot { Tid = 900, Comm = "python3", Tgid = 900, Adopted = true });
        Assert.Equal(Verdict.UnknownState, s.Wait(100, options: WNOHANG, ret: -ECHILD).Verdict);
        s.Fork(100, 200);
        var after = s.Wait(100, options: WNOHANG, ret: 0);
        Assert.Equal((Verdict.Predicted, 0L), (after.Verdict, after.Ret));
        Assert.Equal(Verdict.UnknownState, s.Wait(100, options: WNOHANG | WALL, ret: 0).Verdict);
    }

    /// <summary>
    /// A busy capture: setsid perl 4466, older than the capture, forked a child just before tracing
    /// began that exited at once, seen by neither /proc read; killed, perl handed the zombie to
    /// init with a CLD_EXITED notice, then told init of its own death. The first notice is not
    /// known; a process born in the trace, all of whose children the trace has, gets no such leave.
    /// </summary>
    [Fact]
    public void More_death_notices_than_known_children_from_an_older_process_are_not_known()
    {
        foreach (bool older in (bool[])[true, false])
        {
            var s = new Scenario();
            s.Apply(new TaskSnapshot
            {
                Tid = 1, Comm = "init", Tgid = 1, Pgid = 1, Sid = 1, NsPid = [1], NsPgid = [1], NsSid = [1], PidNs = Scenario.HostNs,
                SigIgn = 0, SigCgt = 0, SigchldFlags = 0,
            });
            s.Host(100, ppid: 1);
            s.SigAction(100, Scenario.SIGCHLD, Handler.Default);
            if (older)
                s.Apply(new TaskSnapshot
                {
                    Tid = 4466, Comm = "perl", Tgid = 4466, PPid = 1, Pgid = 4466, Sid = 4466, NsPid = [4466], NsPgid = [4466], NsSid = [4466],
                    PidNs = Scenario.HostNs, ExitSignal = Scenario.SIGCHLD,
                });
            else s.Fork(100, 4466);
            var exit = s.Exit(4466, code: 9, signals: [new(Scenario.SIGCHLD, 1, I, 1, true), new(Scenario.SIGCHLD, older ? 1 : 100, I, 2, true)]);
            Assert.True((older ? Verdict.UnknownState : Verdict.Predicted) == exit.Verdict, exit.Note);
            var report = Validator.Run("b1", "nested", s.Events);
            Assert.Equal(older ? 0 : 1, report.Disagreed);
        }
    }

    /// <summary>
    /// An untraced process forks with no line, so a number no known task holds may be held by its
    /// child, at its level and above: a command's `kill -0` to a sleep a shell loop forked after
    /// the snapshot answered 0 where the model said ESRCH. Below it, in a namespace of the
    /// command's own, a number not known is free, and so it is everywhere when every process is traced.
    /// </summary>
    [Fact]
    public void A_number_no_known_task_holds_is_not_known_free_where_an_untraced_process_lives()
    {
        foreach (bool untraced in (bool[])[false, true])
        {
            var s = new Scenario();
            TaskSnapshot Block(int tid, int ppid) => new()
            {
                Tid = tid, Comm = "sh", Tgid = tid, PPid = ppid, Pgid = tid, Sid = tid, NsPid = [tid], NsPgid = [tid], NsSid = [tid],
                PidNs = Scenario.HostNs, Untraced = untraced,
            };
            s.Apply(Block(1, 0));
            s.Apply(Block(50, 1));
            s.Host(100, ppid: 1, pgid: 100, sid: 100);
            var probe = s.Kill(100, 777, 0, ret: 0);
            Assert.Equal(untraced ? (false, Verdict.UnknownState) : (true, Verdict.Predicted), (probe.HasRet, probe.Verdict));
            if (!untraced) Assert.Equal(-3L, probe.Ret);
            // The command's own namespace: every number there is its tasks'.
            s.Unshare(100);
            s.Fork(100, 200);
            var inside = s.Kill(200, 7, 0, ret: -3);
            Assert.Equal((true, -3L), (inside.HasRet, inside.Ret));
        }
    }

    /// <summary>
    /// A capture that follows a command's descendants traces no snapshot process but the
    /// capturer's: one may exit unseen, and its number be taken again. A command's `kill -0` to a
    /// sleep gone since the snapshot answered ESRCH where the model, which held it alive, said 0.
    /// What names such a process is not known, but for the global init, which outlives everything;
    /// a kill of many signals it only if it is still there.
    /// </summary>
    [Fact]
    public void A_process_the_capture_does_not_trace_may_be_gone_and_what_names_it_is_not_known()
    {
        foreach (bool untraced in (bool[])[false, true])
        {
            var s = new Scenario();
            TaskSnapshot Block(int tid, int ppid, int pgid) => new()
            {
                Tid = tid, Comm = "sleep", Tgid = tid, PPid = ppid, Pgid = pgid, Sid = 50, NsPid = [tid], NsPgid = [pgid], NsSid = [50],
                PidNs = Scenario.HostNs, Untraced = untraced,
            };
            s.Apply(Block(1, 0, 1));
            s.Apply(Block(50, 1, 50));
            s.Apply(Block(60, 50, 60));
            s.Host(100, ppid: 50, pgid: 60, sid: 50);
            s.Fork(100, 200);
            var probe = s.Kill(200, 60, 0, ret: -3);
            var init = s.Kill(200, 1, 0, ret: 0);
            const int SIGCONT = 18;
            var group = s.Kill(200, -60, SIGCONT, ret: 0);
            var all = s.Kill(100, -1, SIGCONT, ret: 0);
            Assert.Equal(untraced ? (false, Verdict.UnknownState) : (true, Verdict.Predicted), (probe.HasRet, probe.Verdict));
            if (untraced) Assert.StartsWith("the call names a process the capture does not trace", probe.Note);
            Assert.Equal((true, 0L), (init.HasRet, init.Ret));
            // The group's other member, the traced 100, takes it: 0 either way; the gone 60's is maybe sent.
            Assert.Equal((true, 0L, untraced ? 1 : 0), (group.HasRet, group.Ret, group.MaybeSent.Count));
            Assert.Equal(untraced ? 2 : 0, all.MaybeSent.Count); // 50 and 60; 200 is traced
            Assert.Equal(untraced ? 0 : 1, Validator.Run("follow", "nested", s.Events).Disagreed);
        }
    }

    [Fact]
    public void Setpgid_into_the_group_of_a_process_whose_group_is_not_known_is_not_known()
    {
        // wm70 (a busy capture): bash's job 28173, forked in the window and made its group's
        // leader there, is listed with no group; bash then put the job's next process 28236 into it.
        foreach (bool groupKnown in (bool[])[false, true])
        {
            var s = new Scenario().WithHost();
            s.Apply(new TaskSnapshot
            {
                Tid = 200, Comm = "sleep", Tgid = 200, PPid = 100, NsPid = [200], PidNs = Scenario.HostNs, ExitSignal = 17,
                Pgid = groupKnown ? 200 : 0, Sid = groupKnown ? 100 : 0, NsPgid = groupKnown ? [200] : null, NsSid = groupKnown ? [100] : null,
            });
            s.Fork(100, 300, ret: 300);
            var o = s.SetPgid(100, 300, 200, ret: 0);
            Assert.Equal(groupKnown ? (Verdict.Predicted, true) : (Verdict.UnknownState, false), (o.Verdict, o.HasRet));
        }
    }

    /// <summary>
    /// A task adopted when first seen (its namespace not known) was in a namespace that existed
    /// then, so a namespace a traced clone made after it holds it at no level: a kill(-1) from that
    /// namespace's init is judged. A task adopted after the namespace was made may be in it: the
    /// kill stays not known (a
    /// busy capture: the e-kill1 workload's kill(-1), every one not known once tasks of a
    /// namespace made in the window had been adopted).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_namespace_made_while_tracing_holds_no_task_adopted_before_it(bool adoptedAfter)
    {
        var s = Shell();
        s.SigAction(100, Scenario.SIGTERM, Handler.Default);
        Assert.Equal(Verdict.UnknownState, s.Get(900, GetIdCall.GetPid, ret: 4).Verdict);
        // Processes that come and go before the namespace is made: a restore numbers the
        // processes left anew, and what the namespace was made after must follow.
        foreach (int gone in (int[])[250, 251, 252, 253, 254, 255])
        {
            s.Fork(100, gone, ret: gone);
            s.Exit(gone);
            s.Wait(100, pid: gone, ret: gone);
        }
        s.Fork(100, 300, ret: 300, flags: CloneFlags.NewPid);
        s.Fork(300, 301, ret: 2);
        s.Fork(300, 302, ret: 3);
        if (adoptedAfter) Assert.Equal(Verdict.UnknownState, s.Get(901, GetIdCall.GetPid, ret: 5).Verdict);
        var resumed = new NestedPidModel();
        resumed.Restore(s.Model.Snapshot());
        Assert.Equal(s.Model.Snapshot(), resumed.Snapshot());
        var kill = s.Kill(300, -1, Scenario.SIGTERM, ret: 0, new SignalRecord(Scenario.SIGTERM, 301, D, 0, true), new SignalRecord(Scenario.SIGTERM, 302, D, 0, true));
        var again = new Outcome();
        resumed.Apply(s.Events[^1], again);
        Assert.Equal((kill.Verdict, kill.HasRet, kill.Ret), (again.Verdict, again.HasRet, again.Ret));
        var report = Validator.Run("t", "nested", s.Events);
        Assert.Equal(0, report.Disagreed);
        if (adoptedAfter)
        {
            Assert.Equal(Verdict.UnknownState, kill.Verdict);
            return;
        }
        Assert.Equal((Verdict.Predicted, 0L), (kill.Verdict, kill.Ret));
        Assert.Equal([(301, D), (302, D)], Scenario.Sent(kill, Scenario.SIGTERM));
        Assert.Equal(3, report.ByKind["kill"].Agreed);
    }
}
