using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Synthetic;
using Replayer.Replay.Engine;
using Replayer.Tests.Replay.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Engine;

/// <summary>A host's replay, resumed from a snapshot anywhere, books every later event as an uninterrupted one does.</summary>
public sealed class HostReplayTests
{
    public static TheoryData<string, int> Cuts() => new()
    {
        { "synthetic", 0 },
        { "synthetic", 1 },
        { "synthetic", 4_999 },
        { "synthetic", 20_000 },
        { "traces/captures/d-initdeath.txt", 0 },
        { "traces/captures/d-initdeath.txt", 150 },
        { "traces/captures/f-nsenter.txt", 100 },
        { "traces/captures/c-orphan.txt", 60 },
    };

    private static List<PidEvent> Events(string source) => source == "synthetic"
        ? NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Events = 40_000, Seed = 7, PidMax = 32768 }).ToList()
        : RealCapturesValidateTests.Read(source).Events;

    [Theory]
    [MemberData(nameof(Cuts))]
    public void A_replay_resumed_from_a_snapshot_books_the_rest_as_an_uninterrupted_one(string source, int cut)
    {
        var events = Events(source);
        var settings = new ReplaySettings();
        var whole = new HostReplay(events[0].Host, settings, "t");
        var first = new HostReplay(events[0].Host, settings, "t");
        var expected = new List<string>();
        for (int i = 0; i < events.Count; i++)
        {
            var step = Describe(whole.Step(events[i]));
            if (i < cut) first.Step(events[i]);
            else expected.Add(step);
        }
        var resumed = new HostReplay(events[0].Host, settings, "t");
        resumed.Restore(first.Snapshot());
        Assert.Equal(cut, resumed.Position);
        var actual = events.Skip(cut).Select(ev => Describe(resumed.Step(ev))).ToList();
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i] == actual[i], $"event {cut + i}: uninterrupted {expected[i]}, resumed {actual[i]}");
    }

    private static string Describe((int Container, Booking Booking) s) =>
        $"c{s.Container} {s.Booking.Position} {s.Booking.Left} {s.Booking.Right} {s.Booking.Categories} " +
        string.Join(" | ", s.Booking.Findings?.Select(f => $"{f.Category} {f.Left} / {f.Right} causes {string.Join(",", f.Causes.Select(c => c.Position))}") ?? []);
}
