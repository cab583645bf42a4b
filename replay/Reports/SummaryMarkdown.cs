using System.Globalization;
using System.Text;
using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;

namespace Replayer.Replay.Reports;

/// <summary>
/// summary.md: the report in the few screens a person reads in a terminal or on a forge: totals,
/// hosts, what each model said against the kernel and cost, the containers that diverged most
/// with the first divergence of each (MODELS.md: "per container, the first divergence matters
/// most"), and the quarantined events. Text from the trace is escaped so that it stays text.
/// </summary>
public static class SummaryMarkdown
{
    /// <summary>Containers, and quarantined events, listed before the rest is left to report.html.</summary>
    public const int DefaultTop = 20;

    public static void Write(ReplayReport report, TextWriter w, int top = DefaultTop)
    {
        WriteTotals(report, w);
        WriteCategories(report, w);
        WriteHosts(report, w);
        WriteOracle(report, w);
        WriteCosts(report, w);
        var ranked = RankContainers(report);
        WriteTopContainers(report, w, ranked, top);
        WriteFirstDivergences(report, w, ranked, top);
        WriteQuarantined(report, w, top);
    }

    /// <summary>Containers that diverged, most divergences first; ties in the report's order (host, then birth).</summary>
    private static List<ContainerReport> RankContainers(ReplayReport report) =>
        [.. report.Containers.Where(c => c.Divergences.Total > 0).OrderByDescending(c => c.Divergences.Total)];

    private static void WriteTotals(ReplayReport report, TextWriter w)
    {
        w.WriteLine($"# Divergence report: {Md(report.Trace)}");
        w.WriteLine();
        w.WriteLine($"{ModelsLine(report)}, policy {Md(report.Policy)}.");
        w.WriteLine();
        w.WriteLine("| | |");
        w.WriteLine("| --- | ---: |");
        w.WriteLine($"| events | {N(report.Events)} |");
        w.WriteLine($"| divergent events | {N(report.DivergentEvents)} ({Share(report.DivergentEvents, report.Events)}) |");
        w.WriteLine($"| divergences | {N(report.Divergences.Total)} ({N(report.Details.Count)} kept with details) |");
        w.WriteLine($"| containers | {N(report.Containers.Count(c => c.Id != "host"))} on {N(report.Hosts.Count)} hosts |");
        w.WriteLine($"| quarantined events | {N(report.Quarantined.Count)} |");
        w.WriteLine();
    }

    private static string ModelsLine(ReplayReport report) => report.Models.Count switch
    {
        0 => "No models compared",
        1 => $"Model **{Md(report.Models[0])}**",
        _ => $"Models compared: **{Md(report.Models[0])}** (left) and **{Md(report.Models[1])}** (right)",
    };

    private static void WriteCategories(ReplayReport report, TextWriter w)
    {
        w.WriteLine("## Divergences by category");
        w.WriteLine();
        w.WriteLine("| category | divergences | what it means |");
        w.WriteLine("| --- | ---: | --- |");
        foreach (var c in Enum.GetValues<DivergenceCategory>())
            w.WriteLine($"| {CategoryNames.Name(c)} | {N(report.Divergences[c])} | {Categories.Meaning(c)} |");
        w.WriteLine();
    }

    private static void WriteHosts(ReplayReport report, TextWriter w)
    {
        w.WriteLine("## Hosts");
        w.WriteLine();
        w.WriteLine("| host | events | host events | containers | divergent events | divergences | quarantined |");
        w.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var h in report.Hosts)
            w.WriteLine($"| {Md(h.Host)} | {N(h.Events)} | {N(h.HostEvents)} | {N(h.Containers)} | {N(h.DivergentEvents)} | {N(h.Divergences.Total)} | {N(h.Quarantined)} |");
        w.WriteLine();
    }

    private static void WriteOracle(ReplayReport report, TextWriter w)
    {
        w.WriteLine("## Models against the kernel's recorded answers");
        w.WriteLine();
        w.WriteLine("| host | model | checked | agreed | disagreed | unknown state |");
        w.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var h in report.Hosts)
            foreach (var o in h.Oracle)
                w.WriteLine($"| {Md(h.Host)} | {Md(o.Model)} | {N(o.Checked)} | {N(o.Agreed)} | {N(o.Disagreed)} | {N(o.UnknownState)} |");
        w.WriteLine();
    }

    private static void WriteCosts(ReplayReport report, TextWriter w)
    {
        w.WriteLine("## Translation cost");
        w.WriteLine();
        w.WriteLine("| host | model | translations out | translations in | probes | allocation failures | unknown state | unsupported |");
        w.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var h in report.Hosts)
            foreach (var c in h.Costs)
                w.WriteLine($"| {Md(h.Host)} | {Md(c.Model)} | {N(c.TranslationsOut)} | {N(c.TranslationsIn)} | {N(c.Probes)} | {N(c.AllocationFailures)} | {N(c.UnknownState)} | {N(c.Unsupported)} |");
        w.WriteLine();
    }

    private static void WriteTopContainers(ReplayReport report, TextWriter w, List<ContainerReport> ranked, int top)
    {
        w.WriteLine(ranked.Count <= top
            ? $"## Containers that diverged ({N(ranked.Count)})"
            : $"## Containers that diverged most (top {N(top)} of {N(ranked.Count)})");
        w.WriteLine();
        if (ranked.Count == 0)
        {
            w.WriteLine("No container diverged.");
            w.WriteLine();
            return;
        }
        w.WriteLine("| host | container | name | events | divergent events | divergences | by category |");
        w.WriteLine("| --- | --- | --- | ---: | ---: | ---: | --- |");
        foreach (var c in ranked.Take(top))
            w.WriteLine($"| {Md(c.Host)} | {Md(c.Id)} | {Md(c.Name)} | {N(c.Events)} | {N(c.DivergentEvents)} | {N(c.Divergences.Total)} | {ByCategory(c.Divergences)} |");
        w.WriteLine();
    }

    private static void WriteFirstDivergences(ReplayReport report, TextWriter w, List<ContainerReport> ranked, int top)
    {
        w.WriteLine("## First divergence per container");
        w.WriteLine();
        if (ranked.Count == 0)
        {
            w.WriteLine("None.");
            w.WriteLine();
            return;
        }
        string left = report.Models.Count > 0 ? report.Models[0] : "left";
        string right = report.Models.Count > 1 ? report.Models[1] : "right";
        foreach (var c in ranked.Take(top))
        {
            if (c.FirstDivergence is not int i || i < 0 || i >= report.Details.Count)
            {
                w.WriteLine($"- **{Md(c.Host)} {Md(c.Id)}** ({Md(c.Name)}): not kept with details");
                continue;
            }
            var d = report.Details[i];
            w.WriteLine($"- **{Md(c.Host)} {Md(c.Id)}** ({Md(c.Name)}): detail #{i}, event {N(d.Event.Position)} at {N(d.Event.Time)} ns, "
                + $"by tid {d.Event.Tid} ({Md(d.Event.Comm)}): {Md(d.Event.Text)} ({Md(d.Kind)}), {CategoryNames.Name(d.Category)}: "
                + $"{Md(left)} said {Md(d.Left)}; {Md(right)} said {Md(d.Right)}"
                + (d.Note is null ? "" : $" ({Md(d.Note)})"));
        }
        if (ranked.Count > top) w.WriteLine($"- and {N(ranked.Count - top)} more containers: see report.html or divergences.csv");
        w.WriteLine();
    }

    private static void WriteQuarantined(ReplayReport report, TextWriter w, int top)
    {
        w.WriteLine($"## Quarantined events ({N(report.Quarantined.Count)})");
        w.WriteLine();
        if (report.Quarantined.Count == 0)
        {
            w.WriteLine("None: every event replayed.");
            w.WriteLine();
            return;
        }
        w.WriteLine("| host | container | position | tid | comm | kind | error |");
        w.WriteLine("| --- | --- | ---: | ---: | --- | --- | --- |");
        foreach (var q in report.Quarantined.Take(top))
            w.WriteLine($"| {Md(q.Host)} | {Md(q.Container)} | {N(q.Event.Position)} | {q.Event.Tid} | {Md(q.Event.Comm)} | {Md(q.Kind)} | {Md(q.Error)} |");
        if (report.Quarantined.Count > top)
        {
            w.WriteLine();
            w.WriteLine($"And {N(report.Quarantined.Count - top)} more: see report.html or report.json.");
        }
        w.WriteLine();
    }

    private static string ByCategory(CategoryCounts counts) =>
        string.Join(", ", Enum.GetValues<DivergenceCategory>().Where(c => counts[c] > 0).Select(c => $"{CategoryNames.Name(c)} {N(counts[c])}"));

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Share(long part, long whole) =>
        whole == 0 ? "0%" : (100.0 * part / whole).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    /// <summary>
    /// Text from the trace as Markdown that renders as the same text: the punctuation that starts
    /// emphasis, code, links, raw HTML, entities or a table cell is backslash-escaped (CommonMark
    /// lets any ASCII punctuation be), and control characters and line breaks (U+2028 and U+2029
    /// too) are spelled \xNN or \uNNNN.
    /// </summary>
    internal static string Md(string s)
    {
        var b = new StringBuilder(s.Length + 8);
        foreach (char c in s)
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '&' or '~' or '#' or '!')
                b.Append('\\').Append(c);
            else if (char.IsControl(c))
                b.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else if (c is '\u2028' or '\u2029')
                b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else
                b.Append(c);
        }
        return b.ToString();
    }
}
