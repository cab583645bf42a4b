using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Replayer.Replay.Cost;

namespace Replayer.Replay.WhatIf;

/// <summary>Containers of a given size a host holds under each design at one pid_max.</summary>
/// <param name="Computed">From the allocators' rules.</param>
/// <param name="Measured">From filling the models, where that is cheap enough to do (null above it).</param>
public sealed record CapacityRow(int PidMax, Capacity Computed, PidCapacity.Measured? Measured);

/// <summary>A whole what-if run: what was asked, every point, capacity, and where it ran.</summary>
public sealed record WhatIfResult
{
    public required WhatIfOptions Options { get; init; }
    public required string Workload { get; init; }
    public List<PointResult> Points { get; init; } = [];
    public List<CapacityRow> Capacity { get; init; } = [];
    /// <summary>CPUs, memory, OS and runtime of the machine that ran it.</summary>
    public string Machine { get; init; } = "";
    public double WallSeconds { get; init; }
    /// <summary>Whether each point ran in a child process sampled over EventPipe.</summary>
    public bool Sampled { get; init; }

    /// <summary>pid_max values capacity is given at: the kernel's default, the largest, and the run's own.</summary>
    public static IEnumerable<int> CapacityPidMaxes(int runPidMax) => new[] { 32768, runPidMax, 4 * 1024 * 1024 }.Distinct().Order();

    /// <summary>Fills the models only up to here: beyond, the formula the fills confirm is given alone.</summary>
    public const int MeasuredUpTo = 262144;

    public static List<CapacityRow> CapacityFor(int runPidMax, int tasksPerContainer) =>
        CapacityPidMaxes(runPidMax)
            .Select(pm => new CapacityRow(pm, PidCapacity.Compute(pm, tasksPerContainer), pm <= MeasuredUpTo ? PidCapacity.Fill(pm, tasksPerContainer) : null))
            .ToList();
}

/// <summary>The what-if results as JSON (also how a child process hands its point back) and as CSV.</summary>
public static class WhatIfData
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        IncludeFields = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static T FromJson<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new InvalidDataException("empty what-if JSON");

    /// <summary>One row per point and design variant.</summary>
    public static string ToCsv(WhatIfResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("containers,tasks_per_container,variant,design,events,translations_out,translations_in,probes_per_event,"
            + "probes_per_translation_host,probes_per_translation_container,probes_per_translation_sparse,p99_probes,max_probes,"
            + "sparse_switches,largest_switch_mappings,spike_probes,hash_entries,bytes_per_container_mean,bytes_per_container_max,"
            + "ns_per_event,allocation_failures,unsupported,cpu_percent_mean,gc_heap_mb_max,alloc_mb_per_s_mean");
        foreach (var p in r.Points)
            foreach (var v in p.Variants)
            {
                var total = new[] { v.Host, v.Container, v.SparseContainer };
                object[] cells =
                [
                    p.Containers, p.TasksPerContainer, v.Variant, v.Design, v.Events,
                    total.Sum(c => c.TranslationsOut), total.Sum(c => c.TranslationsIn), v.ProbesPerEvent,
                    v.Host.ProbesPerTranslation, v.Container.ProbesPerTranslation, v.SparseContainer.ProbesPerTranslation, v.P99Probes, v.MaxProbes,
                    v.Spikes.Count, v.Spikes.Count == 0 ? 0 : v.Spikes.Max(s => s.Switch.Mappings), v.SpikeProbes, v.HashEntries,
                    v.Memory.MeanBytes, v.Memory.MaxBytes, v.NanosecondsPerEvent, v.AllocationFailures, v.Unsupported,
                    p.Runtime?.CpuPercentMean ?? double.NaN, p.Runtime?.GcHeapMbMax ?? double.NaN, p.Runtime?.AllocMbPerSecondMean ?? double.NaN,
                ];
                sb.AppendLine(string.Join(",", cells.Select(Cell)));
            }
        return sb.ToString();
    }

    private static string Cell(object c) => c switch
    {
        string s => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s,
        double d when double.IsNaN(d) => "",
        double d => d.ToString("0.####", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => c.ToString() ?? "",
    };
}
