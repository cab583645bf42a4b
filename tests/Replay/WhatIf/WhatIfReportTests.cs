using System.Diagnostics;
using Replayer.Replay.WhatIf;
using Replayer.Tests.Support;

namespace Replayer.Tests.Replay.WhatIf;

/// <summary>report.html as a browser sees it: headless Chromium, offline, no script.</summary>
public sealed class WhatIfReportTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static WhatIfResult SmallRun(string workloadName)
    {
        var options = new WhatIfOptions { Containers = [1, 10], TasksPerContainer = 10, Events = 4000, PidMax = 32768, Seed = 3 };
        var sweep = new WhatIfSweep(options, new ContainerHostSource());
        return new WhatIfResult
        {
            Options = options,
            Workload = workloadName,
            Points = options.Containers.Select(sweep.RunPoint).ToList(),
            Capacity = WhatIfResult.CapacityFor(options.PidMax, options.TasksPerContainer),
            Machine = "test <machine>",
        };
    }

    private static string RunChromium(string profile, params string[] args)
    {
        Assert.True(File.Exists(Chromium), "headless Chromium is needed: apt-get install -y chromium");
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", $"--user-data-dir={profile}" })
            start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish in 90 s");
        }
        return stdout.Result;
    }

    [Fact]
    public void The_report_renders_its_charts_in_headless_Chromium_offline_with_every_user_string_escaped()
    {
        using var dir = new TempDir();
        var html = WhatIfReport.Render(SmallRun("<script>alert(1)</script>.yaml"));
        var file = dir.File("report.html");
        File.WriteAllText(file, html);

        // Self-contained: nothing to fetch, nothing to run.
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);

        var dom = RunChromium(dir.File("profile"), "--dump-dom", "file://" + file);
        Assert.Equal(8, CountOf(dom, "<svg")); // probes per event and per translation, memory, capacity, spikes, divergences, time, runtime
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;.yaml", dom);
        Assert.Contains("test &lt;machine&gt;", dom);
        Assert.DoesNotContain("<script>", dom);
        Assert.True(CountOf(dom, "<polyline") >= 10, "the line charts drew their lines");
        Assert.True(CountOf(dom, "<rect") >= 4, "the capacity chart drew its bars");

        var shot = dir.File("report.png");
        RunChromium(dir.File("profile2"), "--window-size=1400,2000", $"--screenshot={shot}", "file://" + file);
        Assert.True(new FileInfo(shot).Length > 50_000, "a screenshot with charts on it");
    }

    private static int CountOf(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
