using System.Text.Json;
using Replayer.Cli.Commands;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Cli;

/// <summary>What `replayer bench` counts as the process's memory.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_huge_pages_held_are_read_from_the_status_line_the_kernel_writes()
    {
        var status = _dir.File("status");
        File.WriteAllText(status, "Name:\tdotnet\nVmHWM:\t  129824 kB\nVmRSS:\t  129116 kB\nHugetlbPages:\t  575488 kB\nThreads:\t27\n");
        Assert.Equal(575488L * 1024, BenchCommand.HugePagesHeld(status));

        // No such line (a kernel before 4.4), a garbled one, or no file: none counted, no error.
        File.WriteAllText(status, "Name:\tdotnet\nVmHWM:\t  129824 kB\n");
        Assert.Equal(0, BenchCommand.HugePagesHeld(status));
        File.WriteAllText(status, "HugetlbPages:\t  57x488 kB\n");
        Assert.Equal(0, BenchCommand.HugePagesHeld(status));
        File.WriteAllText(status, "HugetlbPages:\t  575488 MB\n");
        Assert.Equal(0, BenchCommand.HugePagesHeld(status));
        Assert.Equal(0, BenchCommand.HugePagesHeld(_dir.File("missing")));
    }

    /// <summary>
    /// The runtime's large pages (DOTNET_GCLargePages) put the collected heap in huge pages, which
    /// the resident set the kernel reports leaves out: the bench's peak must count them, or a
    /// replay run that way would report a fraction of its memory. Needs huge pages reserved
    /// (vm.nr_hugepages); CI reserves them.
    /// </summary>
    [Fact]
    public void A_replay_on_large_pages_counts_them_in_its_peak_memory()
    {
        const int needed = 128; // the region range below, in 2 MiB pages
        long free = HugePagesFree();
        Assert.True(free >= needed,
            $"this test needs {needed} free huge pages and the machine has {free} not reserved by another process: reserve them with `sysctl vm.nr_hugepages=N` (as .ci/run does)");

        var store = _dir.File("s.db");
        Assert.Equal(0, ReplayerProcess.Run(store, "ingest", Repo.PathOf("traces/captures/d-initdeath.txt"), "--trace", "t").ExitCode);
        var env = new Dictionary<string, string>
        {
            ["DOTNET_GCLargePages"] = "1",
            ["DOTNET_GCHeapHardLimit"] = "0x10000000",
            ["DOTNET_GCRegionRange"] = "0x10000000",
        };
        var onLarge = ReplayerProcess.RunWith(store, null, env, "bench", "replay", "--trace", "t", "--json");
        // The runtime reserves its whole range of huge pages as it starts, and cannot start without them.
        Assert.True(onLarge.ExitCode == 0, $"{onLarge.Stderr}\n{string.Join('\n', File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("HugePages_", StringComparison.Ordinal)))}");
        var plain = ReplayerProcess.Run(store, "bench", "replay", "--trace", "t", "--json");
        Assert.True(plain.ExitCode == 0, plain.Stderr);

        var large = Memory(onLarge.Stdout);
        var normal = Memory(plain.Stdout);
        Assert.Equal(0, normal.Huge);
        Assert.Equal(normal.Resident, normal.Peak);
        Assert.True(large.Huge >= 2 << 20, $"a replay on large pages held {large.Huge} bytes of them");
        // The peak is the resident set and the huge pages together; the heap is no longer in the resident set.
        Assert.Equal(large.Resident + large.Huge, large.Peak);
        Assert.True(large.Resident > 0, onLarge.Stdout);
    }

    /// <summary>
    /// The model bench replays the shape of host it is asked for: how many containers, and how
    /// many tasks each, set how much state the model reaches over (docs/performance.md, the
    /// thirtieth sitting); a shape the generator refuses is bad input, named.
    /// </summary>
    [Fact]
    public void The_model_bench_replays_the_containers_it_is_asked_for()
    {
        var store = _dir.File("m.db");
        var run = ReplayerProcess.Run(store, "bench", "model", "--events", "2000", "--containers", "3", "--tasks-per-container", "8", "--rounds", "1");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches(@"^nested: 2,000 events, 3 containers of 8 tasks, best [0-9,]+ events/s on one thread", run.Stdout);
        var defaults = ReplayerProcess.Run(store, "bench", "model", "--model", "vpid", "--events", "2000", "--rounds", "1");
        Assert.True(defaults.ExitCode == 0, defaults.Stderr);
        Assert.StartsWith("vpid: 2,000 events, 4 containers of 20 tasks,", defaults.Stdout);
        var none = ReplayerProcess.Run(store, "bench", "model", "--containers", "0");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("containers must be between 1 and", none.Stderr);
    }

    private static (long Peak, long Huge, long Resident) Memory(string json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        return (root.GetProperty("peak_memory_bytes").GetInt64(), root.GetProperty("huge_pages_bytes").GetInt64(),
            root.GetProperty("resident_peak_bytes").GetInt64());
    }

    /// <summary>Huge pages a new process can have: free, less those other processes have reserved and not touched yet (counted free too).</summary>
    private static long HugePagesFree()
    {
        long free = 0, reserved = 0;
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("HugePages_Free:", StringComparison.Ordinal)) free = long.Parse(line["HugePages_Free:".Length..].Trim());
            else if (line.StartsWith("HugePages_Rsvd:", StringComparison.Ordinal)) reserved = long.Parse(line["HugePages_Rsvd:".Length..].Trim());
        return free - reserved;
    }
}
