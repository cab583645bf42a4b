using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>
/// "Already pending" (legacy_queue, kernel/signal.c) predicted where the capture shows every way a
/// signal leaves a queue (TaskSnapshot.DequeuesTraced, SigWait events), and the kernel's ways of
/// taking a pending signal off that the model must follow for it: signal_deliver (the thread's own
/// queue first), an action that ignores it (do_sigaction), SIGCONT and the stop signals
/// (prepare_signal), and what leaves the queue unsure: rt_sigtimedwait, a signalfd, a shared fd
/// table, a tracer, an exec, a POSIX timer's signal.
/// </summary>
public sealed class SilentDequeueTests
{
    private const SignalResult D = SignalResult.Delivered, P = SignalResult.AlreadyPending;
    private const int SIGUSR1 = Scenario.SIGUSR1, SIGCONT = 18, SIGTSTP = 20;

    /// <summary>A shell (100) that catches SIGUSR1, SIGTSTP and SIGCONT, in a capture that follows (or not) every dequeue; its child 200.</summary>
    private static Scenario Shell(bool followed = true)
    {
        var s = new Scenario().WithHost(dequeuesTraced: followed);
        foreach (int sig in (int[])[SIGUSR1, SIGTSTP, SIGCONT]) s.SigAction(100, sig, Handler.Catch);
        s.Fork(100, 200);
        return s;
    }

    private static SignalResult? Result(Outcome o, int sig) =>
        o.Signals.Select((x, i) => (x, i)).Where(p => p.x.Sig == sig).Select(p => o.UnknownResults.Contains(p.i) ? (SignalResult?)null : p.x.Result).Single();

    private static Outcome Kill(Scenario s, int sig) => s.Kill(200, 100, sig, ret: 0);

    [Fact]
    public void A_second_signal_finds_the_first_pending_where_every_dequeue_is_followed_and_not_elsewhere()
    {
        var s = Shell();
        Assert.Equal(D, Result(Kill(s, SIGUSR1), SIGUSR1));
        Assert.Equal(P, Result(Kill(s, SIGUSR1), SIGUSR1));
        // Taken (signal_deliver): the next one is queued again.
        s.Deliver(100, SIGUSR1, Handler.Catch);
        Assert.Equal(D, Result(Kill(s, SIGUSR1), SIGUSR1));
        // Snapshot and restore keep what is sure.
        var resumed = new NestedPidModel();
        resumed.Restore(s.Model.Snapshot());
        Assert.Equal(s.Model.Snapshot(), resumed.Snapshot());

        var old = Shell(followed: false);
        Assert.Equal(D, Result(Kill(old, SIGUSR1), SIGUSR1));
        var again = Kill(old, SIGUSR1);
        Assert.Null(Result(again, SIGUSR1));
        Assert.StartsWith("whether the recipient still had this signal pending is not known: it may have been taken without a line", again.Note);
    }

    [Theory]
    [InlineData(SigWaitCall.TimedWait)]
    [InlineData(SigWaitCall.SignalFd)]
    public void Rt_sigtimedwait_or_a_signalfd_may_take_a_signal_with_no_line(SigWaitCall call)
    {
        var s = Shell();
        Kill(s, SIGUSR1);
        s.Apply(new SigWait { Tid = 100, Comm = "sh", Call = call });
        Assert.Null(Result(Kill(s, SIGUSR1), SIGUSR1));
        s.Deliver(100, SIGUSR1, Handler.Catch);
        Kill(s, SIGUSR1);
        // Not again: the process may take its signals silently from now on.
        Assert.Null(Result(Kill(s, SIGUSR1), SIGUSR1));
        // A signalfd stays in the fd table a child copies; rt_sigtimedwait is the caller's alone.
        s.Fork(100, 300);
        s.Kill(200, 300, SIGUSR1, ret: 0);
        var second = s.Kill(200, 300, SIGUSR1, ret: 0);
        Assert.Equal(call == SigWaitCall.TimedWait ? P : null, Result(second, SIGUSR1));
    }

    [Fact]
    public void A_process_that_shares_its_fd_table_with_another_is_followed_no_more_nor_is_that_one()
    {
        var s = Shell();
        Kill(s, SIGUSR1);
        s.Fork(100, 300, flags: CloneFlags.Files);
        Assert.Null(Result(Kill(s, SIGUSR1), SIGUSR1));
        s.Kill(200, 300, SIGUSR1, ret: 0);
        Assert.Null(Result(s.Kill(200, 300, SIGUSR1, ret: 0), SIGUSR1));
    }

    [Fact]
    public void An_action_that_ignores_a_pending_signal_takes_it_off_and_one_not_shown_leaves_it_unsure()
    {
        var s = Shell();
        Kill(s, SIGUSR1);
        s.SigAction(100, SIGUSR1, Handler.Ignore);
        s.SigAction(100, SIGUSR1, Handler.Catch);
        Assert.Equal(D, Result(Kill(s, SIGUSR1), SIGUSR1));
        s.SigAction(100, SIGUSR1, Handler.Unknown);
        s.SigAction(100, SIGUSR1, Handler.Catch);
        Assert.Null(Result(Kill(s, SIGUSR1), SIGUSR1));
    }

    [Fact]
    public void SIGCONT_takes_a_pending_stop_signal_off_and_a_stop_signal_a_pending_SIGCONT()
    {
        var s = Shell();
        Kill(s, SIGTSTP);
        Assert.Equal(P, Result(Kill(s, SIGTSTP), SIGTSTP));
        Kill(s, SIGCONT);
        Assert.Equal(D, Result(Kill(s, SIGTSTP), SIGTSTP));
        Assert.Equal(D, Result(Kill(s, SIGCONT), SIGCONT));
    }

    [Fact]
    public void Delivery_takes_the_threads_own_queue_first_and_leaves_the_processs()
    {
        var s = Shell();
        s.Thread(100, 101);
        var own = s.Tgkill(200, 100, 101, SIGUSR1);
        Assert.Equal(D, Result(own, SIGUSR1));
        Assert.Equal(D, Result(Kill(s, SIGUSR1), SIGUSR1));
        s.Deliver(101, SIGUSR1, Handler.Catch);
        Assert.Equal(P, Result(Kill(s, SIGUSR1), SIGUSR1));
        Assert.Equal(D, Result(s.Tgkill(200, 100, 101, SIGUSR1), SIGUSR1));
    }

    [Fact]
    public void A_timer_signal_an_exec_and_a_tracers_notice_leave_nothing_sure()
    {
        var timer = Shell();
        timer.Apply(new Signal { Tid = 100, Comm = "sh", Record = new SignalRecord(SIGUSR1, 100, D, -2, true) });
        Assert.Null(Result(Kill(timer, SIGUSR1), SIGUSR1));
        // The kernel found it pending: so it is, but what queued it may still take it back.
        timer.Kill(200, 100, SIGUSR1, 0, new SignalRecord(SIGUSR1, 100, P, 0, true));
        Assert.Null(Result(Kill(timer, SIGUSR1), SIGUSR1));

        var exec = Shell();
        Kill(exec, SIGUSR1);
        exec.Exec(100);
        exec.SigAction(100, SIGUSR1, Handler.Catch);
        Assert.Null(Result(Kill(exec, SIGUSR1), SIGUSR1));

        var traced = Shell();
        Kill(traced, SIGUSR1);
        // 100 stops for a tracer (its CLD_TRAPPED notice to 1): a tracer may cancel what it takes.
        traced.Apply(new Signal { Tid = 100, Comm = "sh", Record = new SignalRecord(Scenario.SIGCHLD, 1, D, 4, true) });
        Assert.Null(Result(Kill(traced, SIGUSR1), SIGUSR1));
    }

    [Fact]
    public void A_killing_signal_sent_while_blocked_is_queued_not_fatal_so_the_next_finds_it_pending()
    {
        // traces/captures/x-blocked-fatal.txt: python3 blocks SIGUSR2 (default action: terminate).
        var s = Shell();
        const int SIGUSR2 = 12;
        s.SigAction(100, SIGUSR2, Handler.Default);
        s.SigAction(100, Scenario.SIGTERM, Handler.Default);
        s.Apply(new SigMask { Tid = 100, Comm = "sh", Blocked = 1UL << (SIGUSR2 - 1) });
        Assert.Equal(D, Result(Kill(s, SIGUSR2), SIGUSR2));
        Assert.Equal(P, Result(Kill(s, SIGUSR2), SIGUSR2));
        // One not blocked kills at once: the process takes no more.
        Assert.Equal(D, Result(Kill(s, Scenario.SIGTERM), Scenario.SIGTERM));
        Assert.Equal(SignalResult.Ignored, Result(Kill(s, Scenario.SIGTERM), Scenario.SIGTERM));
    }
}
