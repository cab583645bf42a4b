using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Engine;
using Replayer.Replay.Synthetic;
using Xunit;

namespace Replayer.Tests.Replay.Engine;

/// <summary>A host that takes the lane model's outcomes from segments keeps the books of one that steps every model itself.</summary>
public sealed class LaneSegmentTests
{
    [Theory]
    [InlineData("mixed", 1)]
    [InlineData("kills", 3)]
    [InlineData("orphans", 7)]
    [InlineData("init-exits", 2)]
    public void Stepping_with_the_lane_s_outcomes_gives_the_bookings_of_stepping_whole(string workload, int seed)
    {
        // Workloads rich in signals, reparenting and teardown kills: the outcomes' lists must come through.
        var events = NestedKernel.Trace(WorkloadSpec.Named(workload) with { Events = 8_000, Seed = seed, PidMax = 32768 }).ToList();
        var settings = new ReplaySettings { PidMax = 32768 };
        var whole = new HostReplay(events[0].Host, settings, "t");
        var split = new HostReplay(events[0].Host, settings, "t");
        Assert.True(split.Lane >= 0);
        // Segments of odd sizes, reused as the lane reuses them.
        var segment = new LaneSegment(97);
        int kept = 0;
        for (int from = 0; from < events.Count; from += segment.Events.Length)
        {
            segment.Reset(split.Position);
            for (int i = from; i < Math.Min(events.Count, from + segment.Events.Length); i++)
            {
                segment.Add(events[i]);
                split.Ahead(segment);
            }
            for (int i = 0; i < segment.Count; i++)
            {
                var (wc, wb) = whole.Step(segment.Events[i]);
                var (sc, sb) = split.Step(segment.Events[i], segment, i);
                Assert.Equal(wc, sc);
                Assert.Equal(Describe(wb), Describe(sb));
                if (wb.Findings is { Length: > 0 }) kept++;
            }
        }
        Assert.Equal(whole.Snapshot(), split.Snapshot());
        Assert.True(kept > 0, "the workload made no divergence to compare");
    }

    [Fact]
    public void An_event_the_lane_has_not_taken_is_not_stepped_as_taken()
    {
        var events = NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Events = 10, Seed = 1, PidMax = 32768 }).ToList();
        var host = new HostReplay(events[0].Host, new ReplaySettings { PidMax = 32768 }, "t");
        var segment = new LaneSegment(4);
        segment.Reset(host.Position);
        segment.Add(events[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => host.Step(events[0], segment, 0));
        segment.Reset(host.Position + 1);
        segment.Add(events[0]);
        host.Ahead(segment);
        Assert.Throws<InvalidOperationException>(() => host.Step(events[0], segment, 0));
    }

    private static string Describe(Booking b) =>
        $"{b.Position} {b.Left} {b.Right} {b.Categories} " +
        string.Join(";", (b.Findings ?? []).Select(f => $"{f.Category} {f.Left} {f.Right} {f.Note} {string.Join(",", f.Causes.Select(c => c.Position))}"));
}
