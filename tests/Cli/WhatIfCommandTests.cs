using System.Text.Json;
using Replayer.Replay.WhatIf;
using Replayer.Tests.Support;

namespace Replayer.Tests.Cli;

/// <summary>`replayer whatif` as a user runs it: each point in a sampled child, report, CSV and JSON written.</summary>
public sealed class WhatIfCommandTests
{
    [Fact]
    public void A_sweep_runs_each_point_in_a_sampled_child_and_writes_report_csv_and_json()
    {
        using var dir = new TempDir();
        var outDir = dir.File("out");
        var r = ReplayerProcess.Run(dir.File("unused.db"), "whatif", "--containers", "10,1", "--tasks-per-container", "10",
            "--events", "20000", "--pid-max", "32768", "--kernel", "2.6.24", "--out", outDir);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("report:", r.Stdout);
        var result = WhatIfData.FromJson<WhatIfResult>(File.ReadAllText(Path.Combine(outDir, "whatif.json")));
        Assert.Equal([1, 10], result.Points.Select(p => p.Containers));
        Assert.True(result.Sampled);
        Assert.All(result.Points, p =>
        {
            Assert.NotNull(p.Runtime);
            Assert.True(p.Runtime!.Samples > 0, "the child was sampled");
            Assert.True(p.Runtime.GcHeapMbMax > 0);
            Assert.Equal(["nested, pid hash (2.6.24)", "vpid as posted (host-wide switch)", "vpid, VPS-local switch"], p.Variants.Select(v => v.Variant));
        });
        var csv = File.ReadAllLines(Path.Combine(outDir, "whatif.csv"));
        Assert.Equal(1 + 2 * 3, csv.Length);
        Assert.StartsWith("containers,tasks_per_container,variant", csv[0]);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "report.html")));
        Assert.Empty(Directory.GetFiles(outDir, ".point-*"));
    }

    [Fact]
    public void A_container_count_that_is_not_a_number_is_bad_input()
    {
        using var dir = new TempDir();
        var r = ReplayerProcess.Run(dir.File("unused.db"), "whatif", "--containers", "1,ten", "--out", dir.File("out"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'ten' is not a container count", r.Stderr);
    }
}
