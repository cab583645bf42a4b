using System.Text.Json;
using Replayer.Replay.Divergence;

namespace Replayer.Replay.Engine;

/// <summary>
/// What a replay of one trace found: per host and per container, how often and where the designs
/// parted ways (MODELS.md, "Divergence"), what each design's translations cost, what each model
/// said against the kernel's own answers, and the events quarantined because replaying them failed.
/// Everything in it follows from the trace and the replay's settings alone, so replaying twice, or
/// stopping and resuming, writes the same bytes (<see cref="WriteJson"/>); run times live elsewhere.
/// </summary>
public sealed class ReplayReport
{
    public required string Trace { get; init; }

    /// <summary>The models in the order compared: divergences say "left" for the first and "right" for the second.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>The virtual-pid policy for kill -1 and host views ("openvz" or "vpid-only").</summary>
    public required string Policy { get; init; }

    public long Events { get; set; }

    /// <summary>Events on which the designs differed in at least one category.</summary>
    public long DivergentEvents { get; set; }

    public CategoryCounts Divergences { get; } = new();

    /// <summary>Hosts by name.</summary>
    public List<HostReport> Hosts { get; } = [];

    /// <summary>Containers by host, then order of birth.</summary>
    public List<ContainerReport> Containers { get; } = [];

    /// <summary>The divergences kept with their details (all are counted), by host then position.</summary>
    public List<DivergenceRecord> Details { get; } = [];

    /// <summary>Events whose replay failed and were set aside, by host then position.</summary>
    public List<QuarantineRecord> Quarantined { get; } = [];

    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("trace", Trace);
        w.WriteStartArray("models");
        foreach (var m in Models) w.WriteStringValue(m);
        w.WriteEndArray();
        w.WriteString("policy", Policy);
        w.WriteNumber("events", Events);
        w.WriteNumber("divergent_events", DivergentEvents);
        Divergences.Write(w, "divergences");
        JsonArrays.Write(w, "hosts", Hosts, (w, x) => x.Write(w));
        JsonArrays.Write(w, "containers", Containers, (w, x) => x.Write(w));
        JsonArrays.Write(w, "details", Details, (w, x) => x.Write(w));
        JsonArrays.Write(w, "quarantined", Quarantined, (w, x) => x.Write(w));
        w.WriteEndObject();
    }

    /// <summary>The report as report.json holds it: indented UTF-8, a newline at the end.</summary>
    public byte[] ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            WriteJson(w);
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }
}

/// <summary>Divergences counted by category (MODELS.md's seven).</summary>
public sealed class CategoryCounts
{
    private readonly long[] _counts = new long[CategoryNames.All.Length];

    public long this[DivergenceCategory c]
    {
        get => _counts[(int)c];
        set => _counts[(int)c] = value;
    }

    public long Total => _counts.Sum();

    internal void CopyTo(long[] counts) => _counts.CopyTo(counts, 0);

    internal void CopyFrom(long[] counts) => counts.CopyTo(_counts, 0);

    public void Add(CategoryCounts other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
    }

    /// <summary>Writes the counts as an object named <paramref name="name"/>, one number per category.</summary>
    public void Write(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        for (int i = 0; i < _counts.Length; i++) w.WriteNumber(CategoryNames.All[i], _counts[i]);
        w.WriteEndObject();
    }
}

/// <summary>The categories' names as reports and --json spell them.</summary>
public static class CategoryNames
{
    public static readonly string[] All = ["identity", "visibility", "numbering", "signal-set", "reaping", "capacity", "unsupported"];

    public static string Name(DivergenceCategory c) => All[(int)c];
}

/// <summary>One model's translation work over a set of events (MODELS.md, "Translation cost").</summary>
public sealed class ModelCost
{
    public required string Model { get; init; }
    public long TranslationsOut { get; set; }
    public long TranslationsIn { get; set; }
    /// <summary>Modelled probes in the kernel's own structures.</summary>
    public long Probes { get; set; }
    /// <summary>Allocations this design would have failed.</summary>
    public long AllocationFailures { get; set; }
    /// <summary>Events the model could not judge (state from before the capture).</summary>
    public long UnknownState { get; set; }
    /// <summary>Events the design cannot represent.</summary>
    public long Unsupported { get; set; }

    /// <summary>Adds another's counts (of the same model) to these.</summary>
    public void Add(ModelCost other)
    {
        TranslationsOut += other.TranslationsOut;
        TranslationsIn += other.TranslationsIn;
        Probes += other.Probes;
        AllocationFailures += other.AllocationFailures;
        UnknownState += other.UnknownState;
        Unsupported += other.Unsupported;
    }

    /// <summary>Takes another's counts (of the same model) as these.</summary>
    public void CopyFrom(ModelCost other)
    {
        TranslationsOut = other.TranslationsOut;
        TranslationsIn = other.TranslationsIn;
        Probes = other.Probes;
        AllocationFailures = other.AllocationFailures;
        UnknownState = other.UnknownState;
        Unsupported = other.Unsupported;
    }

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("model", Model);
        w.WriteNumber("translations_out", TranslationsOut);
        w.WriteNumber("translations_in", TranslationsIn);
        w.WriteNumber("probes", Probes);
        w.WriteNumber("allocation_failures", AllocationFailures);
        w.WriteNumber("unknown_state", UnknownState);
        w.WriteNumber("unsupported", Unsupported);
        w.WriteEndObject();
    }
}

/// <summary>A model's predictions against the answers the kernel recorded (the oracle check).</summary>
public sealed class OracleCounts
{
    public required string Model { get; init; }
    public long Checked { get; set; }
    public long Agreed { get; set; }
    public long Disagreed { get; set; }
    public long UnknownState { get; set; }

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("model", Model);
        w.WriteNumber("checked", Checked);
        w.WriteNumber("agreed", Agreed);
        w.WriteNumber("disagreed", Disagreed);
        w.WriteNumber("unknown_state", UnknownState);
        w.WriteEndObject();
    }
}

public sealed class HostReport
{
    public required string Host { get; init; }
    public long Events { get; set; }
    /// <summary>Events of the host itself (callers outside every container).</summary>
    public long HostEvents { get; set; }
    public int Containers { get; set; }
    public long DivergentEvents { get; set; }
    public CategoryCounts Divergences { get; } = new();
    public long Quarantined { get; set; }
    /// <summary>Per model, in the order of <see cref="ReplayReport.Models"/>.</summary>
    public List<ModelCost> Costs { get; } = [];
    /// <summary>Per model, in the order of <see cref="ReplayReport.Models"/>.</summary>
    public List<OracleCounts> Oracle { get; } = [];

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("host", Host);
        w.WriteNumber("events", Events);
        w.WriteNumber("host_events", HostEvents);
        w.WriteNumber("containers", Containers);
        w.WriteNumber("divergent_events", DivergentEvents);
        Divergences.Write(w, "divergences");
        w.WriteNumber("quarantined", Quarantined);
        JsonArrays.Write(w, "costs", Costs, (w, x) => x.Write(w));
        JsonArrays.Write(w, "oracle", Oracle, (w, x) => x.Write(w));
        w.WriteEndObject();
    }
}

/// <summary>A container: a top-level pid namespace, or a VPS; "host" stands for the tasks outside every container.</summary>
public sealed class ContainerReport
{
    public required string Host { get; init; }
    /// <summary>"host", or c1, c2, ... in order of birth on its host.</summary>
    public required string Id { get; init; }
    /// <summary>What a person knows it by: the container's name (a VEID), else its init's comm and global pid.</summary>
    public required string Name { get; init; }
    /// <summary>The init's global pid; 0 for the host.</summary>
    public int Init { get; init; }
    /// <summary>Position in the host's stream of the event that made it.</summary>
    public long Born { get; init; }
    public long Events { get; set; }
    public long DivergentEvents { get; set; }
    public CategoryCounts Divergences { get; } = new();
    /// <summary>Index in <see cref="ReplayReport.Details"/> of its first divergence; null when it has none.</summary>
    public int? FirstDivergence { get; set; }
    public long Quarantined { get; set; }
    public List<ModelCost> Costs { get; } = [];

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("host", Host);
        w.WriteString("id", Id);
        w.WriteString("name", Name);
        w.WriteNumber("init", Init);
        w.WriteNumber("born", Born);
        w.WriteNumber("events", Events);
        w.WriteNumber("divergent_events", DivergentEvents);
        Divergences.Write(w, "divergences");
        if (FirstDivergence is int f) w.WriteNumber("first_divergence", f);
        else w.WriteNull("first_divergence");
        w.WriteNumber("quarantined", Quarantined);
        JsonArrays.Write(w, "costs", Costs, (w, x) => x.Write(w));
        w.WriteEndObject();
    }
}

/// <summary>An event as a report shows it: where it is, who did it, and what it was in a few words.</summary>
public sealed record EventRef(long Position, long Time, int Tid, string Comm, string Text)
{
    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("position", Position);
        w.WriteNumber("time", Time);
        w.WriteNumber("tid", Tid);
        w.WriteString("comm", Comm);
        w.WriteString("text", Text);
        w.WriteEndObject();
    }
}

/// <summary>
/// One event on which the designs parted ways in one category: the event, what each model said,
/// the earlier events that made their states differ (the births, group and namespace changes of
/// the tasks involved), and the events around it in its container.
/// </summary>
public sealed class DivergenceRecord
{
    public required string Host { get; init; }
    public required string Container { get; init; }
    public required EventRef Event { get; init; }
    /// <summary>The event's kind as the native format names it (fork, getid, kill, ...).</summary>
    public required string Kind { get; init; }
    public required DivergenceCategory Category { get; init; }
    /// <summary>What the first model said.</summary>
    public required string Left { get; init; }
    /// <summary>What the second model said.</summary>
    public required string Right { get; init; }
    /// <summary>Why, when a model said (a constant note of the model); else null.</summary>
    public string? Note { get; init; }
    /// <summary>Earlier events that made the states differ, oldest first.</summary>
    public required IReadOnlyList<EventRef> Causes { get; init; }
    /// <summary>Events of the same container just before it, oldest first.</summary>
    public required IReadOnlyList<EventRef> Before { get; init; }
    /// <summary>Events of the same container just after it, filled in as the replay goes on.</summary>
    public List<EventRef> After { get; } = [];

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("host", Host);
        w.WriteString("container", Container);
        w.WritePropertyName("event");
        Event.Write(w);
        w.WriteString("kind", Kind);
        w.WriteString("category", CategoryNames.Name(Category));
        w.WriteString("left", Left);
        w.WriteString("right", Right);
        if (Note is null) w.WriteNull("note");
        else w.WriteString("note", Note);
        WriteRefs(w, "causes", Causes);
        WriteRefs(w, "before", Before);
        WriteRefs(w, "after", After);
        w.WriteEndObject();
    }

    private static void WriteRefs(Utf8JsonWriter w, string name, IReadOnlyList<EventRef> refs) =>
        JsonArrays.Write(w, name, refs, (w, r) => r.Write(w));
}

/// <summary>An event whose replay threw: set aside so the replay could finish, and shown here.</summary>
public sealed record QuarantineRecord(string Host, string Container, EventRef Event, string Kind, string Error)
{
    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("host", Host);
        w.WriteString("container", Container);
        w.WritePropertyName("event");
        Event.Write(w);
        w.WriteString("kind", Kind);
        w.WriteString("error", Error);
        w.WriteEndObject();
    }
}

/// <summary>Writes a named JSON array of items, each by the writer given.</summary>
internal static class JsonArrays
{
    public static void Write<T>(Utf8JsonWriter w, string name, IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        w.WriteStartArray(name);
        foreach (var item in items) write(w, item);
        w.WriteEndArray();
    }
}
