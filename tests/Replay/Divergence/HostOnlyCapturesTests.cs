using Replayer.Ingest.Events;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Replayer.Tests.Replay.Nested;
using Xunit;
using Xunit.Abstractions;

namespace Replayer.Tests.Replay.Divergence;

/// <summary>
/// Where no task leaves the initial namespace, the two designs are the same kernel: every answer
/// and every signal must agree. The one thing the flat design does differently on a bare host is
/// its numbering: global allocation skips every number with bit 10 set (VPID_BIT, MODELS.md), so
/// a task the trace's kernel gave such a number has another one here.
/// </summary>
public sealed class HostOnlyCapturesTests(ITestOutputHelper output)
{
    /// <summary>
    /// The real captures that never leave the initial namespace: no unshare, setns or
    /// clone(CLONE_NEWPID), no snapshot task in another namespace, and no child subreaper (a
    /// Linux 3.4 call the 2006 design lacks: <see cref="A_child_subreaper_is_the_one_host_only_call_the_flat_design_cannot_represent"/>).
    /// </summary>
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (string capture in RealCapturesValidateTests.Captures())
        {
            if (StaysOnTheHost(RealCapturesValidateTests.Read(capture).Events)) data.Add(capture);
        }
        return data;
    }

    private static bool StaysOnTheHost(List<PidEvent> events) => events.All(e => e switch
    {
        Unshare u => (u.Flags & CloneFlags.NewPid) == 0,
        SetNs n => n.NsType != 0 && (n.NsType & CloneFlags.NewPid) == 0,
        Fork f => !f.NewPidNs,
        TaskSnapshot s => s.NsPid is not { Length: > 1 },
        Prctl p => p.Option != Prctl.SetChildSubreaper,
        _ => true,
    });

    [Theory]
    [MemberData(nameof(Captures))]
    public void A_host_only_capture_shows_no_divergence_but_the_numbers_bit_10_takes_away(string capture)
    {
        var (events, ptraced) = RealCapturesValidateTests.Read(capture);
        var replay = PairReplay.Run(events, new ModelSettings { Ptraced = ptraced });
        var divergences = replay.Divergences.ToList();
        output.WriteLine($"{capture}: {events.Count} events, {divergences.Count} with a numbering difference");
        var other = divergences.Where(d => d.Differences.Any(x => x.Category != DivergenceCategory.Numbering)).ToList();
        Assert.True(other.Count == 0, string.Join("\n", other.Take(10)));
        // Same task, another number: only ever one whose real number has bit 10 set, which the vpid design never hands out.
        foreach (var d in divergences)
        {
            Assert.NotEqual(0, d.Nested.RetTarget & VpidModel.VpidDiv);
            Assert.Equal(d.Nested.RetTarget, d.Nested.Ret);
            Assert.Equal(0, d.Vpid.Ret & VpidModel.VpidDiv);
        }
    }

    [Fact]
    public void The_host_only_captures_include_the_fork_storm_and_the_job_control_ones()
    {
        var captures = Captures().Cast<string>().ToList();
        Assert.Contains("traces/captures/fork-storm.txt.gz", captures);
        Assert.Contains("traces/captures/b-jobctl.txt", captures);
        Assert.Contains("traces/strace/threads.txt", captures);
        Assert.DoesNotContain("traces/captures/a-nested.txt", captures);
    }

    [Fact]
    public void A_child_subreaper_is_the_one_host_only_call_the_flat_design_cannot_represent()
    {
        // traces/fresh/subreaper.capture: 26430 sets PR_SET_CHILD_SUBREAPER, then two grandchildren
        // are orphaned. Nested: they go to the subreaper (getppid reads it); the 2006 design has no
        // subreapers, so they go to the host init.
        var (events, _) = RealCapturesValidateTests.Read("traces/fresh/subreaper.capture");
        var replay = PairReplay.Run(events);
        var prctl = replay.Events.Single(e => e.Event is Prctl { Option: Prctl.SetChildSubreaper });
        Assert.True(prctl.Has(DivergenceCategory.Unsupported));
        int subreaper = prctl.Event.Tid;
        var ppids = replay.Events.Where(e => e.Event is GetId { Call: GetIdCall.GetPpid } && e.Nested.RetTarget == subreaper).ToList();
        Assert.NotEmpty(ppids);
        Assert.All(ppids, e =>
        {
            Assert.True(e.Has(DivergenceCategory.Identity), e.ToString());
            Assert.Equal(1, e.Vpid.RetTarget);
        });
    }
}
