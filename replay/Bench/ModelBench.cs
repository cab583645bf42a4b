using System.Diagnostics;
using Replayer.Ingest.Events;
using Replayer.Replay.Models;

namespace Replayer.Replay.Bench;

/// <summary>How fast a model replays: events per second on the calling thread, outcome reused.</summary>
public static class ModelBench
{
    /// <summary>Replays <paramref name="events"/> once through <paramref name="model"/> (which should be fresh) and returns events per second.</summary>
    public static double Run(IPidModel model, IReadOnlyList<PidEvent> events)
    {
        var outcome = new Outcome();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < events.Count; i++) model.Apply(events[i], outcome);
        clock.Stop();
        return events.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Bytes the current thread allocated while replaying, to check the hot path allocates nothing.</summary>
    public static long AllocatedBytes(IPidModel model, IReadOnlyList<PidEvent> events)
    {
        var outcome = new Outcome();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < events.Count; i++) model.Apply(events[i], outcome);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
