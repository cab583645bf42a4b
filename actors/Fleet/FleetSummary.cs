using System.Text;
using System.Text.Json;
using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Fleet;

/// <summary>
/// The fleet at a glance, one row per trace and host: events, divergent events and divergences by
/// category, what each model's pid lookups cost, and capacity warnings (a model that could not
/// allocate a pid, or a capacity divergence: one design runs out where the other does not).
/// Written as fleet.json (for scripts) and fleet.md (for a morning read).
/// </summary>
public static class FleetSummary
{
    public const string Json = "fleet.json", Markdown = "fleet.md";

    /// <summary>Why a host needs a look at its capacity; empty when it does not.</summary>
    public static IEnumerable<string> CapacityWarnings(HostReport h)
    {
        if (h.Divergences[DivergenceCategory.Capacity] is var c and > 0)
            yield return $"{c:N0} capacity divergence(s): an allocation fails in one design only";
        foreach (var cost in h.Costs.Where(cost => cost.AllocationFailures > 0))
            yield return $"{cost.Model}: {cost.AllocationFailures:N0} pid allocation failure(s)";
    }

    public static void Write(IReadOnlyList<ReplayReport> reports, string dir, DateTime stamp)
    {
        File.WriteAllBytes(Path.Combine(dir, Json), ToJson(reports, stamp));
        File.WriteAllText(Path.Combine(dir, Markdown), ToMarkdown(reports, stamp), new UTF8Encoding(false));
    }

    public static byte[] ToJson(IReadOnlyList<ReplayReport> reports, DateTime stamp)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("generated", stamp.ToString("yyyy-MM-ddTHH:mm:ssZ"));
            w.WriteNumber("events", reports.Sum(r => r.Events));
            w.WriteNumber("divergent_events", reports.Sum(r => r.DivergentEvents));
            w.WriteStartArray("hosts");
            foreach (var r in reports)
                foreach (var h in r.Hosts)
                {
                    w.WriteStartObject();
                    w.WriteString("trace", r.Trace);
                    w.WriteString("host", h.Host);
                    w.WriteNumber("events", h.Events);
                    w.WriteNumber("containers", h.Containers);
                    w.WriteNumber("divergent_events", h.DivergentEvents);
                    h.Divergences.Write(w, "divergences");
                    w.WriteNumber("quarantined", h.Quarantined);
                    w.WriteStartArray("costs");
                    foreach (var c in h.Costs)
                    {
                        w.WriteStartObject();
                        w.WriteString("model", c.Model);
                        w.WriteNumber("translations_out", c.TranslationsOut);
                        w.WriteNumber("translations_in", c.TranslationsIn);
                        w.WriteNumber("probes", c.Probes);
                        w.WriteNumber("allocation_failures", c.AllocationFailures);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteStartArray("capacity_warnings");
                    foreach (var warning in CapacityWarnings(h)) w.WriteStringValue(warning);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    public static string ToMarkdown(IReadOnlyList<ReplayReport> reports, DateTime stamp)
    {
        var s = new StringBuilder();
        s.AppendLine($"# Fleet replay, {stamp:yyyy-MM-dd HH:mm} UTC").AppendLine();
        s.AppendLine($"{reports.Sum(r => r.Hosts.Count):N0} host(s) in {reports.Count:N0} trace(s): {reports.Sum(r => r.Events):N0} events, " +
            $"{reports.Sum(r => r.DivergentEvents):N0} divergent. Each trace's full report is in its folder (report.html).").AppendLine();
        s.Append("| trace | host | events | divergent |");
        foreach (var name in CategoryNames.All) s.Append($" {name} |");
        s.AppendLine(" translations (out/in) | probes | capacity |");
        s.Append("| --- | --- | ---: | ---: |");
        foreach (var _ in CategoryNames.All) s.Append(" ---: |");
        s.AppendLine(" --- | --- | --- |");
        foreach (var r in reports)
            foreach (var h in r.Hosts)
            {
                s.Append($"| {Cell(r.Trace)} | {Cell(h.Host)} | {h.Events:N0} | {h.DivergentEvents:N0} |");
                for (int i = 0; i < CategoryNames.All.Length; i++) s.Append($" {h.Divergences[(DivergenceCategory)i]:N0} |");
                s.Append($" {string.Join("; ", h.Costs.Select(c => $"{c.Model} {c.TranslationsOut:N0}/{c.TranslationsIn:N0}"))} |");
                s.Append($" {string.Join("; ", h.Costs.Select(c => $"{c.Model} {c.Probes:N0}"))} |");
                var warnings = CapacityWarnings(h).ToList();
                s.AppendLine($" {(warnings.Count == 0 ? "ok" : Cell(string.Join("; ", warnings)))} |");
            }
        return s.ToString();
    }

    /// <summary>A table cell: a pipe would end it early.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|");
}
