using System.Globalization;
using System.Net;
using System.Text;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Replay.WhatIf;

/// <summary>
/// report.html of a what-if run: one self-contained page (inline CSS and SVG, no script, no
/// external URL), every string that comes from the user or a trace HTML-escaped.
/// </summary>
public static class WhatIfReport
{
    private static string Esc(string s) => WebUtility.HtmlEncode(s);

    private static string N(double v) => SvgChart.Number(v);

    public static string Render(WhatIfResult r)
    {
        var o = r.Options;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>replayer what-if: ")
          .Append(Esc(string.Join(", ", o.Containers))).Append(" containers</title><style>").Append(Css).Append("</style></head><body>");
        sb.Append("<h1>What would each design cost on a host with many containers?</h1>");
        sb.Append("<p class=\"run\">Workload <code>").Append(Esc(r.Workload)).Append("</code>, ")
          .Append(Esc(string.Join(", ", o.Containers))).Append(" containers of ").Append(o.TasksPerContainer).Append(" tasks, ")
          .Append(N(o.Events)).Append(" events per point and design, pid_max ").Append(N(o.PidMax)).Append(", ")
          .Append(o.HashBuckets).Append(" hash buckets, migration rate ").Append(o.MigrationRate.ToString("0.###", CultureInfo.InvariantCulture))
          .Append(", seed ").Append(o.Seed).Append(". Ran in ").Append(r.WallSeconds.ToString("0.0", CultureInfo.InvariantCulture))
          .Append(" s on ").Append(Esc(r.Machine)).Append(r.Sampled ? "; each point in a child process, sampled over EventPipe." : "; in process, not sampled.").Append("</p>");

        Findings(sb, r);
        sb.Append("<h2>Cost per event</h2><div class=\"charts\">");
        sb.Append(ProbesPerEvent(r)).Append(ProbesPerTranslation(r)).Append("</div>");
        sb.Append("<h2>Memory, capacity, spikes</h2><div class=\"charts\">");
        sb.Append(Memory(r)).Append(CapacityChart(r)).Append(Spikes(r)).Append("</div>");
        sb.Append("<h2>Divergences and the replayer's own cost</h2><div class=\"charts\">");
        sb.Append(Divergences(r)).Append(Timing(r)).Append(Runtime(r)).Append("</div>");
        Table(sb, r);
        CapacityTable(sb, r);
        RuntimeTable(sb, r);
        StageTable(sb, r);
        sb.Append("<h2>What is counted</h2><ul class=\"notes\">")
          .Append("<li>Each design replays the workload as its own kernel recorded it (the numbers a caller passes are the ones its design gave out); costs are counted from the end of the containers' setup.</li>")
          .Append("<li>Probes: memory loads in the kernel's own structures. Linear virtual pids: one arithmetic step, or a load of the VPS init. Sparse: the vpid_hash chain head and every entry walked. Nested, out: a level compare and a load. Nested, in: today's idr, its head and one node per level of 64-slot nodes; 2.6.24's global pid hash of (nr, ns), the chain head and every upid walked.</li>")
          .Append("<li>A switch to sparse numbering (a migrated VPS whose numbers are not global + 1024) runs under the host-wide tasklist lock; as posted it maps every task of the host. It is a spike, shown apart and left out of the per-event means.</li>")
          .Append("<li>Bytes per container: virtual pids, the vnr each of a task's four struct pids carries (8 bytes with alignment) and 32 bytes per vpid_mapping; nested, one struct upid per level above the host (16 bytes today, 32 in 2.6.24 with its hash link), plus today's xa_nodes (576 bytes) or 2.6.24's first pidmap page (4 KiB) per namespace.</li>")
          .Append("<li>Capacity: every container task needs a host-level number. Nested namespaces: pid_max less the 300 reserved; virtual pids: the numbers with bit 10 clear, half as many.</li>")
          .Append("</ul></body></html>\n");
        return sb.ToString();
    }

    private const string Css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1700px;color:#222;padding:0 16px}
        h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
        .charts{display:flex;flex-wrap:wrap;gap:12px}
        svg.chart{background:#fff;border:1px solid #ddd}
        svg .title{font-weight:600;font-size:14px}svg .tick,svg .value{font-size:11px;fill:#444}
        svg .legend{font-size:11px}svg .label{font-size:12px;fill:#333}svg .note{font-size:13px;fill:#888}
        svg .axis{stroke:#333}svg .grid{stroke:#eee}
        table{border-collapse:collapse;margin:8px 0;font-size:12px}
        th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f4f4f4}
        td.l,th.l{text-align:left}code{background:#f4f4f4;padding:0 3px}
        .findings li{margin:3px 0}
        """;

    private static IEnumerable<string> Variants(WhatIfResult r) =>
        r.Points.SelectMany(p => p.Variants.Select(v => v.Variant)).Distinct();

    private static VariantResult? Find(PointResult p, string variant) => p.Variants.FirstOrDefault(v => v.Variant == variant);

    private static Series Line(WhatIfResult r, string name, string variant, Func<VariantResult, double> y, bool dashed = false) =>
        new(name, r.Points.Select(p => (p, v: Find(p, variant))).Where(t => t.v is not null)
            .Select(t => ((double)t.p.Containers, y(t.v!))).ToList(), dashed);

    private static string ProbesPerEvent(WhatIfResult r) =>
        SvgChart.Lines("Modelled probes per event (spikes apart)", "containers", "probes per event",
            Variants(r).Select(v => Line(r, v, v, x => x.ProbesPerEvent)).ToList());

    private static string ProbesPerTranslation(WhatIfResult r)
    {
        var series = new List<Series>();
        foreach (var era in new[] { KernelEra.Modern, KernelEra.Linux2_6_24 })
            series.Add(Line(r, WhatIfSweep.VariantName(era) + ", in containers", WhatIfSweep.VariantName(era), v => v.Container.ProbesPerTranslation));
        string posted = WhatIfSweep.VariantName(SparseWalk.HostWide), local = WhatIfSweep.VariantName(SparseWalk.VpsLocal);
        series.Add(Line(r, "vpid, linear VPS", posted, v => v.Container.ProbesPerTranslation));
        series.Add(Line(r, "vpid, sparse VPS (host-wide switch)", posted, v => v.SparseContainer.ProbesPerTranslation));
        series.Add(Line(r, "vpid, sparse VPS (VPS-local switch)", local, v => v.SparseContainer.ProbesPerTranslation, dashed: true));
        return SvgChart.Lines("Probes per translation, by where the caller lives", "containers", "probes per translation",
            series.Where(s => s.Points.Count > 0).ToList());
    }

    private static string Memory(WhatIfResult r)
    {
        var series = Variants(r).Select(v => Line(r, v + ", mean", v, x => x.Memory.MeanBytes)).ToList();
        series.Add(Line(r, "vpid as posted, costliest VPS", WhatIfSweep.VariantName(SparseWalk.HostWide), x => x.Memory.MaxBytes, dashed: true));
        return SvgChart.Lines("Bytes of translation state per container", "containers", "bytes per container", series);
    }

    private static string CapacityChart(WhatIfResult r)
    {
        var groups = r.Capacity.Select(c => $"pid_max {N(c.PidMax)}").ToList();
        return SvgChart.Bars($"Containers of {r.Options.TasksPerContainer} tasks a host holds", "containers",
            groups,
            [
                ("nested namespaces", r.Capacity.Select(c => (double)c.Computed.NestedContainers).ToList()),
                ("virtual pids (bit 10 reserved)", r.Capacity.Select(c => (double)c.Computed.VpidContainers).ToList()),
            ]);
    }

    private static string Spikes(WhatIfResult r)
    {
        var series = new List<Series>();
        foreach (var walk in new[] { SparseWalk.HostWide, SparseWalk.VpsLocal })
        {
            string v = WhatIfSweep.VariantName(walk);
            series.Add(Line(r, $"{v}: mappings, largest switch", v, x => x.Spikes.Count == 0 ? 0 : x.Spikes.Max(s => s.Switch.Mappings)));
            series.Add(Line(r, $"{v}: probes, largest switch", v, x => x.Spikes.Count == 0 ? 0 : x.Spikes.Max(s => s.Switch.Probes), dashed: true));
        }
        return SvgChart.Lines("Sparse switch under tasklist_lock: one spike", "containers", "mappings / probes", series);
    }

    private static string Divergences(WhatIfResult r)
    {
        var categories = r.Points.SelectMany(p => p.Divergences.Keys).Distinct().ToList();
        var series = categories.Select(c => new Series(c.ToLowerInvariant(),
            r.Points.Select(p => ((double)p.Containers, (double)p.Divergences.GetValueOrDefault(c))).ToList())).ToList();
        return SvgChart.Lines("Divergences: nested trace through the patch as posted", "containers", "events", series);
    }

    private static string Timing(WhatIfResult r) =>
        SvgChart.Lines("The replayer's measured time per event", "containers", "ns per event",
            Variants(r).Select(v => Line(r, v, v, x => x.NanosecondsPerEvent)).ToList());

    private static string Runtime(WhatIfResult r)
    {
        var sampled = r.Points.Where(p => p.Runtime is not null).ToList();
        if (sampled.Count == 0)
            return SvgChart.Lines("Replay process runtime counters: not sampled (ran in process)", "containers", "value", []);
        return SvgChart.Lines("Replay process runtime counters (EventPipe)", "containers", "value",
        [
            new("CPU %, mean", sampled.Select(p => ((double)p.Containers, p.Runtime!.CpuPercentMean)).ToList()),
            new("GC heap MB, max", sampled.Select(p => ((double)p.Containers, p.Runtime!.GcHeapMbMax)).ToList()),
            new("allocation MB/s, mean", sampled.Select(p => ((double)p.Containers, p.Runtime!.AllocMbPerSecondMean)).ToList()),
            new("working set MB, max", sampled.Select(p => ((double)p.Containers, p.Runtime!.WorkingSetMbMax)).ToList(), Dashed: true),
        ]);
    }

    /// <summary>The shapes in words, each read off the numbers of this run.</summary>
    private static void Findings(StringBuilder sb, WhatIfResult r)
    {
        if (r.Points.Count == 0) return;
        var first = r.Points[0];
        var last = r.Points[^1];
        string Span(string variant, Func<VariantResult, double> f, string what)
        {
            var a = Find(first, variant);
            var b = Find(last, variant);
            // A 0 means nothing of the kind ran at that point (no linear VPS when the only container migrated).
            string At(VariantResult v, int containers) => f(v) == 0 ? $"none at {N(containers)}" : $"{N(f(v))} at {N(containers)}";
            return a is null || b is null ? "" : $"<li>{Esc(what)}: {At(a, first.Containers)} containers, {At(b, last.Containers)}.</li>";
        }
        string posted = WhatIfSweep.VariantName(SparseWalk.HostWide);
        sb.Append("<h2>Findings of this run</h2><ul class=\"findings\">");
        sb.Append(Span(posted, v => v.Container.ProbesPerTranslation, "Linear virtual pids, probes per translation"));
        sb.Append(Span(posted, v => v.SparseContainer.ProbesPerTranslation, "Sparse virtual pids after migrations, probes per translation"));
        sb.Append(Span(posted, v => v.HashEntries, "vpid_hash mappings"));
        sb.Append(Span(posted, v => v.Spikes.Count == 0 ? 0 : v.Spikes.Max(s => s.Switch.Mappings), "Largest host-wide sparse switch, mappings made under the lock"));
        sb.Append(Span(WhatIfSweep.VariantName(KernelEra.Linux2_6_24), v => v.Container.ProbesPerTranslation, "Nested under 2.6.24's pid hash, probes per translation"));
        sb.Append(Span(WhatIfSweep.VariantName(KernelEra.Linux2_6_24), v => v.HashEntries, "2.6.24 pid hash entries (the sum of level + 1 over pids)"));
        sb.Append(Span(WhatIfSweep.VariantName(KernelEra.Modern), v => v.Container.ProbesPerTranslation, "Nested under today's idr, probes per translation"));
        foreach (var c in r.Capacity)
            sb.Append($"<li>At pid_max {N(c.PidMax)}, containers of {c.Computed.TasksPerContainer} tasks: nested {N(c.Computed.NestedContainers)}, virtual pids {N(c.Computed.VpidContainers)}"
                + (c.Measured is { } m ? $" (filling the models: {N(m.NestedPids / c.Computed.TasksPerContainer)} and {N(m.VpidContainers)})" : "")
                + Overflow(r.Options.Containers.Where(n => n > c.Computed.VpidContainers && n <= c.Computed.NestedContainers), "fit nested namespaces but not the halved space")
                + Overflow(r.Options.Containers.Where(n => n > c.Computed.NestedContainers), "fit neither design") + ".</li>");
        sb.Append("</ul>");
    }

    private static string Overflow(IEnumerable<int> points, string what)
    {
        var list = points.ToList();
        return list.Count == 0 ? "" : $"; this run's {string.Join(", ", list.Select(n => N(n)))} containers {what}";
    }

    private static void Table(StringBuilder sb, WhatIfResult r)
    {
        sb.Append("<h2>Every point</h2><table><tr><th>containers</th><th class=\"l\">design</th><th>events counted</th><th>out / event</th><th>in / event</th>")
          .Append("<th>probes / event</th><th>probes / translation (host, container, sparse)</th><th>p99 probes (up to)</th><th>max probes</th><th>sparse switches</th>")
          .Append("<th>largest switch: mappings</th><th>hash entries</th><th>bytes / container (mean, max)</th><th>ns / event</th><th>allocation failures</th><th>unsupported</th></tr>");
        foreach (var p in r.Points)
            foreach (var v in p.Variants)
            {
                var parts = new[] { v.Host, v.Container, v.SparseContainer };
                long events = Math.Max(1, parts.Sum(x => x.Events));
                sb.Append("<tr><td>").Append(N(p.Containers)).Append("</td><td class=\"l\">").Append(Esc(v.Variant)).Append("</td><td>").Append(N(v.Events))
                  .Append("</td><td>").Append(N((double)parts.Sum(x => x.TranslationsOut) / events))
                  .Append("</td><td>").Append(N((double)parts.Sum(x => x.TranslationsIn) / events))
                  .Append("</td><td>").Append(N(v.ProbesPerEvent))
                  .Append("</td><td>").Append(string.Join(", ", parts.Select(x => x.TranslationsIn + x.TranslationsOut == 0 ? "-" : N(x.ProbesPerTranslation))))
                  .Append("</td><td>").Append(N(v.P99Probes))
                  .Append("</td><td>").Append(N(v.MaxProbes))
                  .Append("</td><td>").Append(v.Spikes.Count)
                  .Append("</td><td>").Append(v.Spikes.Count == 0 ? "-" : N(v.Spikes.Max(s => s.Switch.Mappings)))
                  .Append("</td><td>").Append(N(v.HashEntries))
                  .Append("</td><td>").Append(N(v.Memory.MeanBytes)).Append(", ").Append(N(v.Memory.MaxBytes))
                  .Append("</td><td>").Append(N(v.NanosecondsPerEvent))
                  .Append("</td><td>").Append(N(v.AllocationFailures))
                  .Append("</td><td>").Append(N(v.Unsupported)).Append("</td></tr>");
            }
        sb.Append("</table>");
        sb.Append("<table><tr><th>containers</th>");
        var categories = r.Points.SelectMany(p => p.Divergences.Keys).Distinct().ToList();
        foreach (var c in categories) sb.Append("<th>").Append(Esc(c.ToLowerInvariant())).Append("</th>");
        sb.Append("</tr>");
        foreach (var p in r.Points)
        {
            sb.Append("<tr><td>").Append(N(p.Containers)).Append("</td>");
            foreach (var c in categories) sb.Append("<td>").Append(N(p.Divergences.GetValueOrDefault(c))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table>");
    }

    private static void CapacityTable(StringBuilder sb, WhatIfResult r)
    {
        sb.Append("<h2>Pid-space capacity</h2><table><tr><th>pid_max</th><th>tasks per container</th><th>nested: host numbers</th><th>nested: containers</th>")
          .Append("<th>virtual pids: global numbers</th><th>virtual pids: containers</th><th class=\"l\">measured by filling the models</th></tr>");
        foreach (var c in r.Capacity)
            sb.Append("<tr><td>").Append(N(c.PidMax)).Append("</td><td>").Append(c.Computed.TasksPerContainer)
              .Append("</td><td>").Append(N(c.Computed.NestedPids)).Append("</td><td>").Append(N(c.Computed.NestedContainers))
              .Append("</td><td>").Append(N(c.Computed.VpidPids)).Append("</td><td>").Append(N(c.Computed.VpidContainers))
              .Append("</td><td class=\"l\">").Append(c.Measured is { } m
                  ? $"nested namespace took {N(m.NestedPids + 299)} tasks ({N(m.NestedPids)} above RESERVED_PIDS); virtual pids made {N(m.VpidContainers)} containers whole"
                  : "not filled (above " + N(WhatIfResult.MeasuredUpTo) + ")")
              .Append("</td></tr>");
        sb.Append("</table>");
    }

    private static void StageTable(StringBuilder sb, WhatIfResult r)
    {
        var stages = r.Points.SelectMany(p => p.StageSeconds.Keys).Distinct().ToList();
        if (stages.Count == 0) return;
        sb.Append("<h2>Where each point's time went (wall seconds)</h2><table><tr><th>containers</th>");
        foreach (var st in stages) sb.Append("<th>").Append(Esc(st)).Append("</th>");
        sb.Append("</tr>");
        foreach (var p in r.Points)
        {
            sb.Append("<tr><td>").Append(N(p.Containers)).Append("</td>");
            foreach (var st in stages) sb.Append("<td>").Append(p.StageSeconds.TryGetValue(st, out var v) ? v.ToString("0.00", CultureInfo.InvariantCulture) : "-").Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table>");
    }

    private static void RuntimeTable(StringBuilder sb, WhatIfResult r)
    {
        if (!r.Points.Any(p => p.Runtime is not null)) return;
        sb.Append("<h2>The replay process, sampled over EventPipe</h2><table><tr><th>containers</th><th>samples</th><th>CPU % mean</th><th>CPU % max</th>")
          .Append("<th>GC heap MB max</th><th>allocation MB/s mean</th><th>working set MB max</th><th>wall s</th></tr>");
        foreach (var p in r.Points)
        {
            if (p.Runtime is not { } rt) continue;
            sb.Append("<tr><td>").Append(N(p.Containers)).Append("</td><td>").Append(rt.Samples).Append("</td><td>").Append(N(rt.CpuPercentMean))
              .Append("</td><td>").Append(N(rt.CpuPercentMax)).Append("</td><td>").Append(N(rt.GcHeapMbMax)).Append("</td><td>").Append(N(rt.AllocMbPerSecondMean))
              .Append("</td><td>").Append(N(rt.WorkingSetMbMax)).Append("</td><td>").Append(N(rt.WallSeconds)).Append("</td></tr>");
        }
        sb.Append("</table>");
    }
}
