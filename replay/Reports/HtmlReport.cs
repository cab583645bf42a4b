using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;

namespace Replayer.Replay.Reports;

/// <summary>
/// report.html: one file that opens offline. The summary, the container table, the timeline and
/// the quarantine are written here as escaped HTML and SVG; the divergence list and drill-down are
/// drawn by the inline script from the report itself, embedded as JSON, with textContent only.
/// A Content-Security-Policy lets nothing load and only this file's own script and style run
/// (by their hashes), so even a mistake in escaping could not run a trace's text or reach out.
/// </summary>
public static class HtmlReport
{
    /// <summary>Tables longer than this start collapsed, so a thousand containers do not bury the rest.</summary>
    public const int OpenRows = 50;

    /// <summary>The page's whole style sheet, inlined (report.css).</summary>
    private static readonly string Style = Resource("report.css");
    /// <summary>The page's whole script, inlined (report.js): sorting, the divergence list, the drill-down.</summary>
    private static readonly string Script = Resource("report.js");

    public static void Write(ReplayReport report, TextWriter w)
    {
        WriteHead(report, w);
        w.Write("<body>\n<header><h1>Divergence report: ");
        HtmlText.Write(w, report.Trace);
        w.Write("</h1>\n<p class=\"sub\">");
        WriteModels(report, w);
        w.Write("</p>\n<nav><a href=\"#summary\">Summary</a><a href=\"#containers\">Containers</a><a href=\"#timeline\">Timeline</a>"
            + "<a href=\"#divergences\">Divergences</a><a href=\"#quarantined\">Quarantined</a></nav>\n</header>\n<main>\n");
        WriteSummary(report, w);
        WriteContainers(report, w);
        WriteTimeline(report, w);
        WriteDivergences(report, w);
        WriteQuarantined(report, w);
        w.Write("</main>\n<script type=\"application/json\" id=\"report-data\">");
        w.Write(EmbeddedJson(report));
        w.Write("</script>\n<script>");
        w.Write(Script);
        w.Write("</script>\n</body>\n</html>\n");
    }

    /// <summary>
    /// The report as JSON that is inert inside a script element: the encoder writes &lt;, &gt;, &amp;,
    /// quotes and every non-ASCII character (U+2028 and U+2029 among them) as \u escapes, so no
    /// "&lt;/script&gt;" or line terminator can appear in it, whatever the trace holds.
    /// </summary>
    internal static string EmbeddedJson(ReplayReport report)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
            report.WriteJson(w);
        return Encoding.ASCII.GetString(buffer.WrittenSpan);
    }

    private static void WriteHead(ReplayReport report, TextWriter w)
    {
        w.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        w.Write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; base-uri 'none'; form-action 'none'; ");
        w.Write($"script-src '{Hash(Script)}'; style-src '{Hash(Style)}'\">\n");
        w.Write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Divergence report: ");
        HtmlText.Write(w, report.Trace);
        w.Write("</title>\n<style>");
        w.Write(Style);
        w.Write("</style>\n</head>\n");
    }

    private static string Hash(string inline) =>
        "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));

    private static void WriteModels(ReplayReport report, TextWriter w)
    {
        for (int i = 0; i < report.Models.Count; i++)
        {
            if (i > 0) w.Write(" against ");
            w.Write("<strong>");
            HtmlText.Write(w, report.Models[i]);
            w.Write(i == 0 ? "</strong> (left)" : i == 1 ? "</strong> (right)" : "</strong>");
        }
        w.Write(", policy ");
        HtmlText.Write(w, report.Policy);
    }

    private static void WriteSummary(ReplayReport report, TextWriter w)
    {
        w.Write("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">");
        Card(w, "events", N(report.Events), "events");
        Card(w, "divergent-events", N(report.DivergentEvents), $"divergent events ({Share(report.DivergentEvents, report.Events)})");
        Card(w, "divergences", N(report.Divergences.Total), $"divergences ({N(report.Details.Count)} kept with details)");
        Card(w, "containers", N(report.Containers.Count(c => c.Id != "host")), $"containers on {N(report.Hosts.Count)} hosts");
        Card(w, "quarantined", N(report.Quarantined.Count), "quarantined events");
        w.Write("</div>\n<h3>Divergences by category</h3>\n<table id=\"categories\"><thead><tr><th>category</th><th class=\"n\">divergences</th><th>what it means</th></tr></thead><tbody>\n");
        foreach (var c in Enum.GetValues<DivergenceCategory>())
        {
            string name = CategoryNames.Name(c);
            w.Write($"<tr data-category=\"{name}\"><td><span class=\"swatch c-{name}\"></span>{name}</td><td class=\"n\">{N(report.Divergences[c])}</td><td>{Categories.Meaning(c)}</td></tr>\n");
        }
        w.Write("</tbody></table>\n");
        WriteHosts(report, w);
        WriteOracle(report, w);
        WriteCosts(report, w);
        w.Write("</section>\n");
    }

    private static void Card(TextWriter w, string id, string number, string label) =>
        w.Write($"<div class=\"card\"><span class=\"n\" id=\"n-{id}\">{number}</span><span class=\"l\">{label}</span></div>");

    private static void WriteHosts(ReplayReport report, TextWriter w)
    {
        w.Write("<h3>Hosts</h3>\n<table id=\"hosts\" class=\"wide\"><thead><tr><th>host</th><th class=\"n\">events</th><th class=\"n\">host events</th>"
            + "<th class=\"n\">containers</th><th class=\"n\">divergent events</th><th class=\"n\">divergences</th><th class=\"n\">quarantined</th></tr></thead><tbody>\n");
        foreach (var h in report.Hosts)
        {
            w.Write("<tr><td class=\"host\">");
            HtmlText.Write(w, h.Host);
            w.Write($"</td><td class=\"n\">{N(h.Events)}</td><td class=\"n\">{N(h.HostEvents)}</td><td class=\"n\">{N(h.Containers)}</td>"
                + $"<td class=\"n\">{N(h.DivergentEvents)}</td><td class=\"n\">{N(h.Divergences.Total)}</td><td class=\"n\">{N(h.Quarantined)}</td></tr>\n");
        }
        w.Write("</tbody></table>\n");
    }

    private static void WriteOracle(ReplayReport report, TextWriter w)
    {
        w.Write("<h3>Models against the kernel's recorded answers</h3>\n<table id=\"oracle\" class=\"wide\"><thead><tr><th>host</th><th>model</th>"
            + "<th class=\"n\">checked</th><th class=\"n\">agreed</th><th class=\"n\">disagreed</th><th class=\"n\">unknown state</th></tr></thead><tbody>\n");
        foreach (var h in report.Hosts)
            foreach (var o in h.Oracle)
                OracleRow(w, h.Host, o.Model, o.Checked, o.Agreed, o.Disagreed, o.UnknownState);
        if (report.Hosts.Count > 1)
            foreach (var m in report.Models)
            {
                var all = report.Hosts.SelectMany(h => h.Oracle).Where(o => o.Model == m).ToList();
                OracleRow(w, "all hosts", m, all.Sum(o => o.Checked), all.Sum(o => o.Agreed), all.Sum(o => o.Disagreed), all.Sum(o => o.UnknownState));
            }
        w.Write("</tbody></table>\n");
    }

    private static void OracleRow(TextWriter w, string host, string model, long checkedCount, long agreed, long disagreed, long unknown)
    {
        w.Write("<tr><td class=\"host\">");
        HtmlText.Write(w, host);
        w.Write("</td><td>");
        HtmlText.Write(w, model);
        w.Write($"</td><td class=\"n\">{N(checkedCount)}</td><td class=\"n\">{N(agreed)}</td><td class=\"n\">{N(disagreed)}</td><td class=\"n\">{N(unknown)}</td></tr>\n");
    }

    private static void WriteCosts(ReplayReport report, TextWriter w)
    {
        w.Write("<h3>Translation cost</h3>\n<table id=\"costs\" class=\"wide\"><thead><tr><th>host</th><th>model</th><th class=\"n\">translations out</th>"
            + "<th class=\"n\">translations in</th><th class=\"n\">probes</th><th class=\"n\">allocation failures</th><th class=\"n\">unknown state</th>"
            + "<th class=\"n\">unsupported</th></tr></thead><tbody>\n");
        foreach (var h in report.Hosts)
            foreach (var c in h.Costs)
                CostRow(w, h.Host, c);
        if (report.Hosts.Count > 1)
            foreach (var m in report.Models)
            {
                var all = new ModelCost { Model = m };
                foreach (var c in report.Hosts.SelectMany(h => h.Costs).Where(c => c.Model == m)) all.Add(c);
                CostRow(w, "all hosts", all);
            }
        w.Write("</tbody></table>\n");
    }

    private static void CostRow(TextWriter w, string host, ModelCost c)
    {
        w.Write("<tr><td class=\"host\">");
        HtmlText.Write(w, host);
        w.Write("</td><td>");
        HtmlText.Write(w, c.Model);
        w.Write($"</td><td class=\"n\">{N(c.TranslationsOut)}</td><td class=\"n\">{N(c.TranslationsIn)}</td><td class=\"n\">{N(c.Probes)}</td>"
            + $"<td class=\"n\">{N(c.AllocationFailures)}</td><td class=\"n\">{N(c.UnknownState)}</td><td class=\"n\">{N(c.Unsupported)}</td></tr>\n");
    }

    private static void WriteContainers(ReplayReport report, TextWriter w)
    {
        int rows = report.Containers.Count;
        int hosts = report.Containers.Count(c => c.Id == "host");
        string what = $"{N(rows - hosts)} containers" + (hosts > 0 ? ", plus each host's own tasks" : "");
        w.Write("<section id=\"containers\">\n<h2>Containers</h2>\n<p class=\"muted\">Click a heading to sort. A container's first divergence is the one that matters most: the rest may follow from it.</p>\n");
        w.Write($"<details{(rows <= OpenRows ? " open" : "")}><summary>{what}</summary>\n<div class=\"wide\"><table id=\"container-table\" class=\"sortable\"><thead><tr>"
            + "<th>host</th><th>id</th><th>name</th><th class=\"n\">init</th><th class=\"n\">born</th><th class=\"n\">events</th><th class=\"n\">divergent events</th><th class=\"n\">divergences</th>");
        foreach (var name in CategoryNames.All) w.Write($"<th class=\"n\">{name}</th>");
        w.Write("<th class=\"n\">quarantined</th>");
        foreach (var m in report.Models)
        {
            w.Write("<th class=\"n\">");
            HtmlText.Write(w, m);
            w.Write(" translations</th><th class=\"n\">");
            HtmlText.Write(w, m);
            w.Write(" probes</th>");
        }
        w.Write("<th class=\"n\">first divergence</th></tr></thead><tbody>\n");
        foreach (var c in report.Containers) ContainerRow(report, w, c);
        w.Write("</tbody></table></div>\n</details>\n</section>\n");
    }

    private static void ContainerRow(ReplayReport report, TextWriter w, ContainerReport c)
    {
        w.Write("<tr><td class=\"host\">");
        HtmlText.Write(w, c.Host);
        w.Write("</td><td class=\"id\">");
        HtmlText.Write(w, c.Id);
        w.Write("</td><td class=\"name\">");
        HtmlText.Write(w, c.Name);
        w.Write($"</td><td class=\"n\">{c.Init}</td><td class=\"n\">{N(c.Born)}</td><td class=\"n\">{N(c.Events)}</td><td class=\"n\">{N(c.DivergentEvents)}</td><td class=\"n\">{N(c.Divergences.Total)}</td>");
        foreach (var cat in Enum.GetValues<DivergenceCategory>()) w.Write($"<td class=\"n\">{N(c.Divergences[cat])}</td>");
        w.Write($"<td class=\"n\">{N(c.Quarantined)}</td>");
        foreach (var m in report.Models)
        {
            var cost = c.Costs.FirstOrDefault(x => x.Model == m);
            w.Write(cost is null
                ? "<td class=\"n\"></td><td class=\"n\"></td>"
                : $"<td class=\"n\">{N(cost.TranslationsOut + cost.TranslationsIn)}</td><td class=\"n\">{N(cost.Probes)}</td>");
        }
        if (c.FirstDivergence is int i && i >= 0 && i < report.Details.Count)
        {
            var d = report.Details[i];
            w.Write($"<td class=\"n\" data-v=\"{i}\"><a href=\"#d{i}\">#{i} at {N(d.Event.Position)}, {CategoryNames.Name(d.Category)}</a></td></tr>\n");
        }
        else
        {
            w.Write("<td class=\"n\" data-v=\"-1\"></td></tr>\n");
        }
    }

    // The timeline's geometry, in SVG user units: a label column, then the host's stream from position 0 to its end.
    private const int Width = 1000, LabelWidth = 96, RightMargin = 10, RowHeight = 18, TopMargin = 6, AxisHeight = 22;

    private static void WriteTimeline(ReplayReport report, TextWriter w)
    {
        w.Write("<section id=\"timeline\">\n<h2>Divergence timeline</h2>\n<p class=\"muted\">One row per category, position in the host's stream across. Click a mark for its drill-down.</p>\n");
        var byHost = new Dictionary<string, List<int>>();
        for (int i = 0; i < report.Details.Count; i++)
        {
            string host = report.Details[i].Host;
            if (!byHost.TryGetValue(host, out var list)) byHost[host] = list = [];
            list.Add(i);
        }
        var hosts = report.Hosts.Select(h => (h.Host, h.Events)).ToList();
        foreach (var host in byHost.Keys.Where(k => report.Hosts.All(h => h.Host != k))) hosts.Add((host, 0));
        foreach (var (host, events) in hosts)
        {
            var marks = byHost.GetValueOrDefault(host) ?? [];
            w.Write("<h3>");
            HtmlText.Write(w, host);
            w.Write($" <span class=\"muted\">({N(marks.Count)} divergences kept with details)</span></h3>\n");
            WriteHostTimeline(report, w, host, events, marks);
        }
        w.Write("</section>\n");
    }

    private static void WriteHostTimeline(ReplayReport report, TextWriter w, string host, long events, List<int> marks)
    {
        long span = Math.Max(1, events);
        foreach (int i in marks) span = Math.Max(span, report.Details[i].Event.Position + 1);
        int rows = CategoryNames.All.Length;
        int height = TopMargin + rows * RowHeight + AxisHeight;
        double plot = Width - LabelWidth - RightMargin;
        w.Write($"<svg class=\"timeline\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"divergences of host ");
        HtmlText.Write(w, host);
        w.Write(" by position\">\n");
        for (int r = 0; r < rows; r++)
        {
            int y = TopMargin + r * RowHeight;
            w.Write($"<text x=\"4\" y=\"{y + 13}\">{CategoryNames.All[r]}</text><line class=\"grid\" x1=\"{LabelWidth}\" x2=\"{Width - RightMargin}\" y1=\"{y + RowHeight}\" y2=\"{y + RowHeight}\"/>\n");
        }
        int axis = TopMargin + rows * RowHeight + 15;
        for (int t = 0; t <= 4; t++)
        {
            long position = span * t / 4;
            string anchor = t == 0 ? "start" : t == 4 ? "end" : "middle";
            w.Write($"<text x=\"{X(LabelWidth + plot * t / 4)}\" y=\"{axis}\" text-anchor=\"{anchor}\">{N(position)}</text>");
        }
        w.Write('\n');
        foreach (int i in marks)
        {
            var d = report.Details[i];
            string name = CategoryNames.Name(d.Category);
            double x = LabelWidth + plot * d.Event.Position / span;
            int y = TopMargin + (int)d.Category * RowHeight + 3;
            w.Write($"<rect class=\"mk c-{name}\" data-d=\"{i}\" x=\"{X(Math.Min(x, Width - RightMargin - 3))}\" y=\"{y}\" width=\"3\" height=\"12\"><title>#{i} at {N(d.Event.Position)}: {name} on ");
            HtmlText.Write(w, d.Kind);
            w.Write(" by ");
            HtmlText.Write(w, d.Event.Comm);
            w.Write($" ({d.Event.Tid})</title></rect>\n");
        }
        w.Write("</svg>\n");
    }

    private static void WriteDivergences(ReplayReport report, TextWriter w)
    {
        w.Write("<section id=\"divergences\">\n<h2>Divergences</h2>\n<p class=\"muted\">");
        w.Write($"{N(report.Divergences.Total)} divergences counted, {N(report.Details.Count)} kept with details. ");
        w.Write("Click a row, or a mark on the timeline, for the event, what each model said, why, and the events around it.</p>\n");
        w.Write("<noscript><p>The list and the drill-down need JavaScript; divergences.csv and report.json hold the same divergences.</p></noscript>\n");
        w.Write("<div id=\"drill\" hidden></div>\n<div class=\"controls\"><label>category <select id=\"f-cat\"><option value=\"\">all</option>");
        foreach (var name in CategoryNames.All) w.Write($"<option>{name}</option>");
        w.Write("</select></label><label>filter <input id=\"f-text\" type=\"search\" placeholder=\"host, container, comm, kind, outcome\"></label>"
            + "<button id=\"prev\">previous</button><span id=\"pager-text\"></span><button id=\"next\">next</button></div>\n");
        w.Write("<div class=\"wide\"><table id=\"list\"><thead><tr><th class=\"n\">#</th><th>host</th><th>container</th><th class=\"n\">position</th><th>comm</th><th>kind</th><th>category</th><th>");
        HtmlText.Write(w, report.Models.Count > 0 ? report.Models[0] : "left");
        w.Write(" (left)</th><th>");
        HtmlText.Write(w, report.Models.Count > 1 ? report.Models[1] : "right");
        w.Write(" (right)</th></tr></thead><tbody></tbody></table></div>\n</section>\n");
    }

    private static void WriteQuarantined(ReplayReport report, TextWriter w)
    {
        int rows = report.Quarantined.Count;
        w.Write("<section id=\"quarantined\">\n<h2>Quarantined events</h2>\n");
        if (rows == 0)
        {
            w.Write("<p>None: every event replayed.</p>\n</section>\n");
            return;
        }
        w.Write("<p class=\"muted\">Events whose replay failed, set aside so the replay could finish.</p>\n");
        w.Write($"<details{(rows <= OpenRows ? " open" : "")}><summary>{N(rows)} quarantined events</summary>\n<div class=\"wide\"><table id=\"quarantine-table\" class=\"sortable\"><thead><tr>"
            + "<th>host</th><th>container</th><th class=\"n\">position</th><th class=\"n\">time (ns)</th><th class=\"n\">tid</th><th>comm</th><th>kind</th><th>event</th><th>error</th></tr></thead><tbody>\n");
        foreach (var q in report.Quarantined)
        {
            w.Write("<tr><td class=\"host\">");
            HtmlText.Write(w, q.Host);
            w.Write("</td><td>");
            HtmlText.Write(w, q.Container);
            w.Write($"</td><td class=\"n\">{N(q.Event.Position)}</td><td class=\"n\">{N(q.Event.Time)}</td><td class=\"n\">{q.Event.Tid}</td><td class=\"comm\">");
            HtmlText.Write(w, q.Event.Comm);
            w.Write("</td><td>");
            HtmlText.Write(w, q.Kind);
            w.Write("</td><td>");
            HtmlText.Write(w, q.Event.Text);
            w.Write("</td><td>");
            HtmlText.Write(w, q.Error);
            w.Write("</td></tr>\n");
        }
        w.Write("</tbody></table></div>\n</details>\n</section>\n");
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string X(double x) => x.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Share(long part, long whole) =>
        whole == 0 ? "0%" : (100.0 * part / whole).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Resource(string name)
    {
        using var s = typeof(HtmlReport).Assembly.GetManifestResourceStream("Replayer.Replay.Reports." + name)
            ?? throw new InvalidOperationException($"the report's {name} is missing from the assembly");
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }
}
