using System.Runtime.InteropServices;
using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Xunit;
using Xunit.Abstractions;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>
/// Throughput of the vpid model on one core: a generated workload (fork, exit, wait, kill, getpid,
/// setsid over N VPSs) replayed through fresh models, best pass reported, timed in the thread's CPU time. The tests here check
/// that the measurement replays every event and that a warm replay allocates nothing; the figure
/// itself is printed, never asserted. Scale it with REPLAYER_BENCH_EVENTS and REPLAYER_BENCH_VPS:
/// REPLAYER_BENCH_EVENTS=2000000 dotnet test tests -c Release --filter "FullyQualifiedName~VpidBenchmark" --logger "console;verbosity=detailed"
/// </summary>
public sealed class VpidBenchmark(ITestOutputHelper output)
{
    /// <summary>Replays <paramref name="events"/> through <paramref name="passes"/> fresh models; returns the best events per second.</summary>
    public static double EventsPerSecond(IReadOnlyList<PidEvent> events, int passes, VpidOptions? options = null)
    {
        var array = events.ToArray();
        var outcome = new Outcome();
        double best = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            var model = new VpidModel(options);
            long start = ThreadCpuNanoseconds();
            for (int i = 0; i < array.Length; i++)
                model.Apply(array[i], outcome);
            double seconds = (ThreadCpuNanoseconds() - start) / 1e9;
            best = Math.Max(best, array.Length / seconds);
        }
        return best;
    }

    /// <summary>
    /// CPU time of the calling thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID)): what "events per
    /// second on one core" means on a machine other processes share; wall time would count their turns.
    /// </summary>
    public static long ThreadCpuNanoseconds()
    {
        if (ClockGettime(ClockThreadCpuTimeId, out var ts) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }

    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGettime(int clock, out Timespec ts);

    /// <summary>A workload of <paramref name="vpss"/> VPSs and <paramref name="events"/> events in all.</summary>
    public static IReadOnlyList<PidEvent> Workload(int vpss, int events, int seed = 2006)
    {
        // The patch leaves about 16,000 global pids at pid_max 32768: keep the live tasks below that.
        var w = new VpidWorkload(seed) { MaxPerVps = Math.Clamp(12_000 / vpss, 2, 24) };
        for (int i = 0; i < vpss; i++) w.AddVps();
        w.Run(events - w.Events.Count);
        return w.Events;
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    [Fact]
    public void Benchmark_replays_a_generated_workload_and_reports_events_per_second()
    {
        int events = Env("REPLAYER_BENCH_EVENTS", 200_000), vpss = Env("REPLAYER_BENCH_VPS", 100);
        var workload = Workload(vpss, events);
        Assert.Equal(events, workload.Count);
        double rate = EventsPerSecond(workload, passes: 5);
        Assert.True(rate > 0);
        output.WriteLine($"vpid model: {workload.Count:N0} events, {vpss} VPSs: {rate / 1e6:F2} M events/s (best of 5, one core)");
    }

    /// <summary>
    /// Once its pool, tables and outcome lists have grown to the workload's peak (one replay, then
    /// a restore of the empty state, which keeps them), a replay allocates nothing but the Vps object of each container created.
    /// </summary>
    [Fact]
    public void A_warm_replay_allocates_nothing()
    {
        var workload = Workload(50, 60_000).ToArray();
        var model = new VpidModel();
        var outcome = new Outcome();
        var empty = model.Snapshot();
        foreach (var ev in workload)
            model.Apply(ev, outcome);
        model.Restore(empty);
        long allocated = 0;
        foreach (var ev in workload)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            model.Apply(ev, outcome);
            if (ev is not Container { Action: ContainerAction.Create }) // a new VPS is a new object
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
        Assert.True(model.TaskCount > 50);
    }
}
