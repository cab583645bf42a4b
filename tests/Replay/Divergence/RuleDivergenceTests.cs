using Replayer.Ingest.Events;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Replayer.Tests.Replay.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Divergence;

/// <summary>
/// Each rule of MODELS.md where the designs part, pinned on a small event list written the way a
/// kernel would have recorded it, so that a rule is checked apart from any capture.
/// </summary>
public sealed class RuleDivergenceTests
{
    private const int SIGKILL = 9, SIGTERM = 15, SIGCHLD = 17, SI_KERNEL = 128;

    /// <summary>
    /// The host init 1, a shell 100 and another host process 200; 100 (SIGTERM and SIGCHLD at
    /// SIG_DFL) unshares and forks the init 300, which forks 301 and 302 (2 and 3 inside).
    /// </summary>
    private static Scenario Namespace()
    {
        var s = new Scenario().WithHost();
        s.Host(200);
        s.SigAction(100, SIGTERM, Handler.Default);
        s.SigAction(100, SIGCHLD, Handler.Default);
        s.Unshare(100);
        s.Fork(100, 300, ret: 300);
        s.Fork(300, 301, ret: 2);
        s.Fork(300, 302, ret: 3);
        return s;
    }

    private static SignalRecord Sent(int sig, int to, SignalResult result = SignalResult.Delivered, int code = 0) => new(sig, to, result, code, true);

    private static EventPair Last(Scenario s, VpidOptions? vpid = null) => PairReplay.Run(s.Events, vpid: vpid).Events[^1];

    private static int[] Recipients(Outcome o, int sig) => o.Signals.Where(x => x.Sig == sig).Select(x => x.To).Order().ToArray();

    [Fact]
    public void Kill_minus_one_from_a_namespace_init_reaches_the_host_under_vpid_only()
    {
        // Nested: every process numbered above 1 in the caller's namespace. Flat, as posted: every
        // process on the host whose virtual pid is above 1 (the host init has 1).
        var s = Namespace();
        s.Kill(300, -1, SIGTERM, 0, Sent(SIGTERM, 301), Sent(SIGTERM, 302));
        var e = Last(s);
        Assert.Equal([301, 302], Recipients(e.Nested, SIGTERM));
        Assert.Equal([100, 200, 301, 302], Recipients(e.Vpid, SIGTERM));
        Assert.Equal([DivergenceCategory.SignalSet], e.Differences.Select(d => d.Category));
    }

    [Fact]
    public void Kill_minus_one_from_a_namespace_init_under_the_OpenVZ_policy_stays_in_the_VPS_like_nested()
    {
        var s = Namespace();
        s.Kill(300, -1, SIGTERM, 0, Sent(SIGTERM, 301), Sent(SIGTERM, 302));
        var e = Last(s, new VpidOptions { Policy = KillPolicy.OpenVz });
        Assert.Equal([301, 302], Recipients(e.Vpid, SIGTERM));
        Assert.Empty(e.Differences);
    }

    [Fact]
    public void Kill_minus_one_from_the_host_spares_every_VPS_init_under_vpid_but_not_a_namespace_init_under_nested()
    {
        // Nested: the namespace init has a host number above 1, so it is a target (and ignores a
        // SIG_DFL SIGTERM from an ancestor namespace). Flat: its virtual pid is 1, so it is spared.
        var s = Namespace();
        s.Kill(100, -1, SIGTERM, 0, Sent(SIGTERM, 200), Sent(SIGTERM, 300, SignalResult.Ignored), Sent(SIGTERM, 301), Sent(SIGTERM, 302));
        var e = Last(s);
        Assert.Equal([200, 300, 301, 302], Recipients(e.Nested, SIGTERM));
        Assert.Contains(new SignalOutcome(SIGTERM, 300, SignalResult.Ignored, 0), e.Nested.Signals);
        Assert.Equal([200, 301, 302], Recipients(e.Vpid, SIGTERM));
        Assert.Equal([DivergenceCategory.SignalSet], e.Differences.Select(d => d.Category));
    }

    [Fact]
    public void A_SIGTERM_from_the_host_to_a_namespace_init_is_ignored_under_nested_and_delivered_to_a_VPS_init()
    {
        // Init protection: only SIGKILL and SIGSTOP are forced through from an ancestor namespace.
        // The patch has no init protection: a VPS init is an ordinary process to the host.
        var s = Namespace();
        s.Kill(100, 300, SIGTERM, 0, Sent(SIGTERM, 300, SignalResult.Ignored));
        var e = Last(s);
        Assert.Equal([new SignalOutcome(SIGTERM, 300, SignalResult.Ignored, 0)], e.Nested.Signals);
        Assert.Equal([new SignalOutcome(SIGTERM, 300, SignalResult.Delivered, 0)], e.Vpid.Signals);
        Assert.Equal([DivergenceCategory.SignalSet], e.Differences.Select(d => d.Category));

        s.Kill(100, 300, SIGKILL, 0, Sent(SIGKILL, 300));
        Assert.Empty(Last(s).Differences);
    }

    [Theory]
    [InlineData(OrphanReaper.VpsInit)]
    [InlineData(OrphanReaper.HostInit)]
    public void An_orphan_inside_goes_to_the_namespace_init_and_to_the_VPS_init_unless_the_host_init_is_chosen(OrphanReaper reaper)
    {
        var s = Namespace();
        s.Fork(301, 303, ret: 4);
        s.Exit(301, signals: Sent(SIGCHLD, 300, SignalResult.Ignored, 1));
        var e = Last(s, new VpidOptions { Reaper = reaper });
        Assert.Equal([new Reparent(303, 300)], e.Nested.Reparented);
        if (reaper == OrphanReaper.VpsInit)
        {
            Assert.Equal([new Reparent(303, 300)], e.Vpid.Reparented);
            Assert.Empty(e.Differences);
        }
        else
        {
            Assert.Equal([new Reparent(303, 1)], e.Vpid.Reparented);
            Assert.Equal([DivergenceCategory.Reaping], e.Differences.Select(d => d.Category));
        }
    }

    [Fact]
    public void A_namespace_init_exit_kills_the_namespace_under_nested_and_nothing_as_posted()
    {
        // Nested: SIGKILL (SI_KERNEL) to every other task of the namespace, ascending from 2. The
        // patch stops a VPS only when its last task is gone.
        var s = Namespace();
        s.Exit(300, signals: [Sent(SIGKILL, 301, code: SI_KERNEL), Sent(SIGKILL, 302, code: SI_KERNEL), Sent(SIGCHLD, 100, SignalResult.Ignored, 1)]);
        var e = Last(s);
        Assert.Equal([301, 302], e.Nested.Killed);
        Assert.Equal([301, 302], Recipients(e.Nested, SIGKILL));
        Assert.Empty(e.Vpid.Killed);
        Assert.Empty(Recipients(e.Vpid, SIGKILL));
        Assert.Contains(DivergenceCategory.Reaping, e.Differences.Select(d => d.Category));
        Assert.Contains(DivergenceCategory.SignalSet, e.Differences.Select(d => d.Category));
    }

    [Fact]
    public void A_namespace_init_exit_under_the_OpenVZ_stop_policy_kills_the_same_tasks()
    {
        // OpenVZ kills a VPS's tasks when its init exits: the same victims, the same SIGKILLs. Only
        // where the init's children are parked differs: with their own dying init under nested
        // (zap_pid_ns_processes waits for them), with the host init here.
        var s = Namespace();
        s.Exit(300, signals: [Sent(SIGKILL, 301, code: SI_KERNEL), Sent(SIGKILL, 302, code: SI_KERNEL), Sent(SIGCHLD, 100, SignalResult.Ignored, 1)]);
        var e = Last(s, new VpidOptions { Stop = StopPolicy.InitExit });
        Assert.Equal([301, 302], e.Vpid.Killed);
        Assert.Equal(Recipients(e.Nested, SIGKILL), Recipients(e.Vpid, SIGKILL));
        Assert.Equal([new Reparent(301, 300), new Reparent(302, 300)], e.Nested.Reparented);
        Assert.Equal([new Reparent(301, 1), new Reparent(302, 1)], e.Vpid.Reparented);
        Assert.Equal([DivergenceCategory.Reaping], e.Differences.Select(d => d.Category));
    }

    [Fact]
    public void After_setns_getpgid_getsid_and_getppid_read_0_under_nested_and_the_host_numbers_under_vpid()
    {
        // The entered task's group, session and parent live outside the namespace: no number there
        // under nested; under the flat design a task that entered from the host keeps them, shown
        // as global numbers (seed 001: pgid 6879, sid 6879 inside).
        var s = Namespace();
        s.Host(400, ppid: 100, pgid: 100, sid: 100);
        s.SetNs(400, 0xABC);
        s.Fork(400, 401, ret: 401);
        s.Get(401, GetIdCall.GetPid, ret: 4);
        s.Get(401, GetIdCall.GetPgid, ret: 0);
        s.Get(401, GetIdCall.GetSid, ret: 0);
        s.Get(401, GetIdCall.GetPpid, ret: 0);
        var events = PairReplay.Run(s.Events).Events;
        var (pgid, sid, ppid) = (events[^3], events[^2], events[^1]);
        foreach (var (e, host) in new[] { (pgid, 100), (sid, 100), (ppid, 400) })
        {
            Assert.Equal(0, e.Nested.Ret);
            Assert.Equal(host, e.Vpid.Ret);
            Assert.Equal(host, e.Vpid.RetTarget);
            Assert.Equal([DivergenceCategory.Visibility], e.Differences.Select(d => d.Category));
        }
    }
}
