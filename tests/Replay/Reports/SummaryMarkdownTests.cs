using Replayer.Replay.Engine;
using Replayer.Replay.Reports;

namespace Replayer.Tests.Replay.Reports;

public sealed class SummaryMarkdownTests
{
    private static string Render(ReplayReport report, int top = SummaryMarkdown.DefaultTop)
    {
        var w = new StringWriter();
        SummaryMarkdown.Write(report, w, top);
        return w.ToString();
    }

    private static string Section(string md, string heading)
    {
        int start = md.IndexOf("\n## " + heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {heading}");
        int end = md.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        return end < 0 ? md[start..] : md[start..end];
    }

    [Fact]
    public void Each_container_that_diverged_has_its_first_divergence_listed()
    {
        var report = SampleReports.TwoHosts();
        var md = Render(report);
        var lines = Section(md, "First divergence per container").Split('\n');

        var diverged = report.Containers.Where(c => c.FirstDivergence is not null).ToList();
        Assert.Equal(5, diverged.Count);
        foreach (var c in diverged)
        {
            var d = report.Details[c.FirstDivergence!.Value];
            string line = Assert.Single(lines, l => l.StartsWith($"- **{SummaryMarkdown.Md(c.Host)} {SummaryMarkdown.Md(c.Id)}**", StringComparison.Ordinal));
            Assert.Contains($"detail #{c.FirstDivergence}", line);
            Assert.Contains($"event {d.Event.Position:N0}", line);
            Assert.Contains(SummaryMarkdown.Md(d.Left), line);
            Assert.Contains(SummaryMarkdown.Md(d.Right), line);
        }
        // A container that never diverged is not in the list.
        Assert.DoesNotContain(lines, l => l.Contains("**node-a c3**"));
    }

    [Fact]
    public void Totals_hosts_models_and_quarantine_are_those_of_the_report()
    {
        var report = SampleReports.TwoHosts();
        var md = Render(report);

        Assert.Contains($"| events | {report.Events:N0} |", md);
        Assert.Contains($"| divergent events | {report.DivergentEvents:N0} (", md);
        Assert.Contains($"| divergences | {report.Divergences.Total:N0} ({report.Details.Count} kept with details) |", md);
        foreach (var name in CategoryNames.All)
            Assert.Contains($"| {name} | {report.Divergences[Enum.Parse<Replayer.Replay.Divergence.DivergenceCategory>(name.Replace("-", ""), ignoreCase: true)]:N0} |", md);
        foreach (var h in report.Hosts)
        {
            Assert.Contains($"| {h.Host} | {h.Events:N0} | {h.HostEvents:N0} | {h.Containers} | {h.DivergentEvents} | {h.Divergences.Total} | {h.Quarantined} |", md);
            foreach (var o in h.Oracle)
                Assert.Contains($"| {h.Host} | {o.Model} | {o.Checked:N0} | {o.Agreed:N0} | {o.Disagreed} | {o.UnknownState} |", md);
        }
        var quarantine = Section(md, "Quarantined events");
        Assert.Contains($"Quarantined events ({report.Quarantined.Count})", quarantine);
        foreach (var q in report.Quarantined)
            Assert.Contains(SummaryMarkdown.Md(q.Error), quarantine);
    }

    [Fact]
    public void The_most_divergent_container_comes_first()
    {
        var md = Render(SampleReports.TwoHosts());
        var rows = Section(md, "Containers that diverged").Split('\n').Where(l => l.StartsWith("| node-", StringComparison.Ordinal)).ToList();
        // c2 on node-a diverged three times (one of them not kept), more than any other.
        Assert.StartsWith("| node-a | c2 |", rows[0]);
        Assert.Equal(5, rows.Count);
    }

    [Fact]
    public void Text_from_the_trace_stays_text_in_markdown()
    {
        var md = Render(SampleReports.TwoHosts());
        // Every angle bracket is escaped, so no raw HTML can start.
        Assert.DoesNotMatch(@"(?<!\\)[<>]", md);
        Assert.Contains(@"\<script\>alert(1)\</script\>", md);
        Assert.Contains(@"db\|primary", md);
        // The note's line break and separator cannot end the list item early.
        Assert.Contains(@"line one\x0aline two", md);
        Assert.DoesNotContain("line two\u2028", md);
        foreach (var line in Section(md, "First divergence per container").Split('\n').Skip(3).Where(l => l.Length > 0))
            Assert.StartsWith("- ", line);
    }

    [Fact]
    public void Past_the_top_containers_the_rest_are_counted_and_left_to_the_html()
    {
        var md = Render(SampleReports.Large(containers: 60, details: 120), top: 20);
        Assert.Contains("## Containers that diverged most (top 20 of 60)", md);
        Assert.Contains("- and 40 more containers: see report.html or divergences.csv", md);
        Assert.Equal(20, Section(md, "First divergence per container").Split('\n').Count(l => l.StartsWith("- **", StringComparison.Ordinal)));
    }
}
