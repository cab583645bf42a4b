using System.Diagnostics;
using Replayer.Actors.Diagnostics;
using Replayer.Tests.Support;

namespace Replayer.Tests.Actors.Diagnostics;

public sealed class RuntimeCounterSamplerTests
{
    [Fact]
    public void A_replay_in_a_child_process_is_sampled_over_EventPipe_for_cpu_heap_and_allocation()
    {
        using var dir = new TempDir();
        var point = dir.File("point.json");
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(ReplayerProcess.Dll);
        foreach (var a in new[] { "whatif", "--containers", "10", "--tasks-per-container", "10", "--events", "200000", "--point-out", point })
            start.ArgumentList.Add(a);

        var run = RuntimeCounterSampler.Run(start, intervalSeconds: 0.25, TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(point), "the child wrote its point");
        Assert.NotEmpty(run.Values("cpu-usage"));
        Assert.Contains(run.Values("cpu-usage"), v => v > 0);
        Assert.Contains(run.Values("gc-heap-size"), v => v > 1);
        // Recording 200,000 events allocates: the rate is seen.
        Assert.Contains(run.Values("alloc-rate"), v => v > 1_000_000);
        Assert.All(run.Samples, s => Assert.InRange(s.Seconds, -0.5, run.WallSeconds + 0.5));
    }
}
