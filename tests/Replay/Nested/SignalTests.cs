using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>kill, tkill, tgkill and signal results (kernel/signal.c), with facts from the captures' NOTES.</summary>
public sealed class SignalTests
{
    private const SignalResult D = SignalResult.Delivered, I = SignalResult.Ignored, P = SignalResult.AlreadyPending;

    /// <summary>The host shell with known default actions for SIGTERM and SIGCHLD (as strace shows them).</summary>
    private static Scenario Host()
    {
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGTERM, Handler.Default);
        s.SigAction(100, Scenario.SIGCHLD, Handler.Default);
        return s;
    }

    /// <summary>e-kill1: an init (201) with two sleeps, a shell ignoring TERM with its child, and an unshare with a nested init.</summary>
    private static Scenario KillMinusOneWorkload()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Exec(200);
        s.Unshare(200);
        s.Fork(200, 201);
        s.Exec(201);
        s.Fork(201, 202);
        s.Exec(202);
        s.Fork(201, 203);
        s.Exec(203);
        s.Fork(201, 204);
        s.SigAction(204, Scenario.SIGTERM, Handler.Ignore);
        s.Fork(204, 207);
        s.Exec(207);
        s.Fork(201, 205);
        s.Exec(205);
        s.Unshare(205);
        s.Fork(205, 206);
        s.Exec(206);
        return s;
    }

    [Fact]
    public void Kill_minus_one_from_namespace_init_spares_the_init_itself()
    {
        var s = KillMinusOneWorkload();
        var o = s.Kill(201, -1, Scenario.SIGTERM);
        Assert.Equal(0, o.Ret);
        Assert.Equal([(202, D), (203, D), (204, I), (207, I), (205, D), (206, I)], Scenario.Sent(o, Scenario.SIGTERM));
        Assert.Empty(o.UnknownResults);
    }

    [Fact]
    public void Kill_minus_one_inside_a_namespace_reaches_its_processes_in_task_list_order_and_translates_every_process()
    {
        // Two containers forked in turns: 200 (init of the first), 300 (of the second), then 201, 301, 202.
        var s = Host();
        s.Unshare(100);
        s.Fork(100, 200, ret: 200);
        s.Unshare(100);
        s.Fork(100, 300, ret: 300);
        s.Fork(200, 201, ret: 2);
        s.Fork(300, 301, ret: 2);
        s.Fork(200, 202, ret: 3);
        var restored = new Scenario();
        restored.Model.Restore(s.Model.Snapshot());
        foreach (var run in new[] { s, restored })
        {
            var o = run.Kill(200, -1, Scenario.SIGTERM);
            Assert.Equal(0, o.Ret);
            Assert.Equal([201, 202], Scenario.Sent(o, Scenario.SIGTERM).Select(x => x.To));
            // pid_nr_ns for each of the seven processes on the task list (1, 100, 200, 300, 201, 301, 202).
            Assert.Equal(7, o.TranslationsOut);
        }
    }

    [Fact]
    public void Kill_minus_one_with_no_other_process_is_ESRCH()
    {
        var s = Host();
        s.Unshare(100);
        s.Fork(100, 201);
        Assert.Equal(-3, s.Kill(201, -1, Scenario.SIGTERM).Ret);
    }

    [Fact]
    public void Namespace_init_ignores_SIGTERM_from_the_host_but_takes_SIGKILL()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Unshare(200);
        s.Fork(200, 201);
        s.Exec(201);
        Assert.Equal([(201, I)], Scenario.Sent(s.Kill(100, 201, Scenario.SIGTERM, ret: 0), Scenario.SIGTERM));
        Assert.Equal([(201, D)], Scenario.Sent(s.Kill(100, 201, Scenario.SIGKILL, ret: 0), Scenario.SIGKILL));
    }

    [Fact]
    public void Namespace_init_ignores_a_default_signal_from_inside_even_SIGKILL()
    {
        // f2: kill(1, SIGTERM) from inside returns 0 and signal_generate says res=1.
        var s = Host();
        s.Fork(100, 200);
        s.Unshare(200);
        s.Fork(200, 201);
        s.Exec(201);
        s.Fork(201, 202);
        var term = s.Kill(202, 1, Scenario.SIGTERM);
        Assert.Equal(0, term.Ret);
        Assert.Equal([(201, I)], Scenario.Sent(term, Scenario.SIGTERM));
        Assert.Equal([(201, I)], Scenario.Sent(s.Kill(202, 1, Scenario.SIGKILL), Scenario.SIGKILL));
        s.SigAction(201, Scenario.SIGTERM, Handler.Catch);
        Assert.Equal([(201, D)], Scenario.Sent(s.Kill(202, 1, Scenario.SIGTERM), Scenario.SIGTERM));
    }

    [Fact]
    public void An_unknown_disposition_is_unknown_state_not_a_guess()
    {
        var s = new Scenario().WithHost();
        s.Fork(100, 200);
        var o = s.Kill(100, 200, Scenario.SIGTERM);
        Assert.Equal(0, o.Ret);
        Assert.Equal([0], o.UnknownResults);
        // After exec a caught signal is no longer possible: SIGCHLD (default ignore) is then known to be ignored.
        s.Exec(200);
        Assert.Empty(s.Kill(100, 200, Scenario.SIGCHLD).UnknownResults);
    }

    [Fact]
    public void Exec_resets_handlers_and_keeps_SIG_IGN()
    {
        var s = Host();
        s.Fork(100, 200);
        s.SigAction(200, Scenario.SIGTERM, Handler.Catch);
        s.SigAction(200, Scenario.SIGHUP, Handler.Ignore);
        s.Exec(200);
        var term = s.Kill(100, 200, Scenario.SIGHUP);
        Assert.Equal([(200, I)], Scenario.Sent(term, Scenario.SIGHUP));
        Assert.Equal([(200, D)], Scenario.Sent(s.Kill(100, 200, Scenario.SIGTERM), Scenario.SIGTERM));
    }

    [Fact]
    public void Kill_of_a_group_reaches_its_newest_member_first()
    {
        // b-jobctl: setpgid(5411, 5411) then setpgid(5412, 5411): kill(-5411) signals 5412 then 5411.
        var s = Host();
        s.Fork(100, 5411);
        Assert.Equal(0, s.SetPgid(100, 5411, 5411).Ret);
        s.Fork(100, 5412);
        Assert.Equal(0, s.SetPgid(100, 5412, 5411).Ret);
        Assert.Equal(0, s.SetPgid(5412, 5412, 5411).Ret);
        Assert.Equal(0, s.SetPgid(5411, 5411, 5411).Ret);
        var o = s.Kill(100, -5411, Scenario.SIGTERM);
        Assert.Equal(0, o.Ret);
        Assert.Equal([(5412, D), (5411, D)], Scenario.Sent(o, Scenario.SIGTERM));
        Assert.Equal(-3, s.Kill(100, -5999, Scenario.SIGTERM).Ret);
    }

    [Fact]
    public void Kill_zero_after_nsenter_reaches_host_members_of_the_group()
    {
        var s = Host();
        s.Host(300, ppid: 100, pgid: 300, sid: 100);
        s.InNs([301, 1], 0xF00, ppid: 300, pgid: 300, sid: 100, nspgid: [300, 0], nssid: [100, 0]);
        s.Fork(100, 400);
        s.SetNs(400, 0xF00);
        s.Fork(400, 401, ret: 401);
        var o = s.Kill(401, 0, Scenario.SIGTERM);
        Assert.Equal(0, o.Ret);
        Assert.Equal([401, 400, 100], o.Signals.Select(x => x.To));
    }

    [Fact]
    public void Setpgid_after_the_child_exec_is_EACCES_and_into_a_missing_group_EPERM()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Exec(200);
        Assert.Equal(-13, s.SetPgid(100, 200, 200).Ret);
        s.Fork(100, 201);
        Assert.Equal(-1, s.SetPgid(100, 201, 999).Ret);
        Assert.Equal(-3, s.SetPgid(201, 100, 100).Ret);
    }

    [Fact]
    public void Kill_of_a_non_leader_thread_signals_its_whole_process_through_that_thread()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Thread(200, 201);
        s.SigAction(200, Scenario.SIGUSR1, Handler.Catch);
        var o = s.Kill(100, 201, Scenario.SIGUSR1);
        Assert.Equal(0, o.Ret);
        Assert.Equal(200, o.RetTarget);
        Assert.Equal([(201, D)], Scenario.Sent(o, Scenario.SIGUSR1));
        // On the process queue: a kill to the leader reaches the same queue, where the first may
        // still be or may have been taken without a line (sigtimedwait): the result is not known.
        s.Deliver(100, Scenario.SIGCHLD, Handler.Unknown);
        var again = s.Kill(100, 200, Scenario.SIGUSR1);
        Assert.Equal([200], again.Signals.Select(x => x.To));
        Assert.Equal([0], again.UnknownResults);
    }

    [Fact]
    public void A_SIGCHLD_taken_with_one_unseen_death_notice_makes_that_child_a_known_zombie()
    {
        const int WNOHANG = 1;
        var s = Host();
        s.Fork(100, 200);
        s.Fork(100, 201);
        s.Exit(200);
        // Told, not yet known to have heard: a WNOHANG wait may still find 200 running.
        Assert.False(s.Wait(100, -1, WNOHANG).HasRet);
        s.Deliver(100, Scenario.SIGCHLD, Handler.Unknown);
        Assert.Equal(200, s.Wait(100, -1, WNOHANG).Ret);
    }

    [Fact]
    public void A_SIGCHLD_taken_after_the_last_unseen_child_was_reaped_finds_the_one_left()
    {
        const int WNOHANG = 1;
        var s = Host();
        s.Fork(100, 200);
        s.Fork(100, 201);
        s.Fork(100, 202);
        s.Exit(200);
        s.Exit(201);
        // Two unseen: the signal could be for either, and marks neither.
        s.Deliver(100, Scenario.SIGCHLD, Handler.Unknown);
        Assert.False(s.Wait(100, -1, WNOHANG).HasRet);
        Assert.False(s.Wait(100, 201, WNOHANG).HasRet);
        // 201, the last to become unseen, is reaped by number: 200's is the only notice left.
        Assert.Equal(201, s.Wait(100, 201).Ret);
        s.Deliver(100, Scenario.SIGCHLD, Handler.Unknown);
        Assert.Equal(200, s.Wait(100, -1, WNOHANG).Ret);
    }

    [Fact]
    public void Tgkill_uses_the_threads_own_queue_and_checks_the_tgid()
    {
        var s = Host();
        s.Fork(100, 200);
        s.Thread(200, 201);
        s.Thread(200, 202);
        s.SigAction(200, Scenario.SIGUSR1, Handler.Catch);
        s.Deliver(100, Scenario.SIGCHLD, Handler.Unknown);
        Assert.Equal([(201, D)], Scenario.Sent(s.Tgkill(200, 200, 201, Scenario.SIGUSR1), Scenario.SIGUSR1));
        Assert.Equal([(202, D)], Scenario.Sent(s.Tgkill(200, 200, 202, Scenario.SIGUSR1), Scenario.SIGUSR1));
        // 201's own queue has one: whether it is still there is not in the capture.
        Assert.Equal([0], s.Tgkill(200, 200, 201, Scenario.SIGUSR1).UnknownResults);
        s.Deliver(201, Scenario.SIGUSR1, Handler.Catch);
        Assert.Equal([(201, D)], Scenario.Sent(s.Tgkill(200, 200, 201, Scenario.SIGUSR1), Scenario.SIGUSR1));
        Assert.Equal(-3, s.Tgkill(200, 100, 201, Scenario.SIGUSR1).Ret);
        Assert.Equal(0, s.Tgkill(200, 200, 201, 0).Ret);
    }

    [Fact]
    public void A_ptraced_recipient_counts_every_signal_as_delivered()
    {
        var s = new Scenario(new NestedOptions { Ptraced = true }).WithHost();
        s.Fork(100, 200);
        s.SigAction(200, Scenario.SIGTERM, Handler.Ignore);
        Assert.Equal([(200, D)], Scenario.Sent(s.Kill(100, 200, Scenario.SIGTERM), Scenario.SIGTERM));
    }

    [Fact]
    public void A_recorded_result_teaches_the_disposition_it_proves()
    {
        var s = new Scenario().WithHost();
        s.Fork(100, 200);
        var first = s.Kill(100, 200, Scenario.SIGUSR1, ret: 0, new SignalRecord(Scenario.SIGUSR1, 200, I, 0, true));
        Assert.Equal([0], first.UnknownResults);
        var second = s.Kill(100, 200, Scenario.SIGUSR1);
        Assert.Empty(second.UnknownResults);
        Assert.Equal([(200, I)], Scenario.Sent(second, Scenario.SIGUSR1));
    }
}
