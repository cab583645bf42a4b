namespace Replayer.Ingest.Store;

/// <summary>A position within one stream: the first event is revision 0.</summary>
public readonly record struct StreamRevision(long Value)
{
    /// <summary>The revision of a stream that holds nothing.</summary>
    public static readonly StreamRevision None = new(-1);
    public static readonly StreamRevision Start = new(0);
    public StreamRevision Next => new(Value + 1);
    public override string ToString() => Value.ToString();
}

/// <summary>A position in the store as a whole: commit order across every stream; never reused.</summary>
public readonly record struct Position(long Value) : IComparable<Position>
{
    public static readonly Position Start = new(0);
    public int CompareTo(Position other) => Value.CompareTo(other.Value);
    public override string ToString() => Value.ToString();
}

/// <summary>What an append expects of its stream, as in EventStoreDB.</summary>
public readonly record struct ExpectedRevision
{
    private enum Mode : byte { Any, NoStream, StreamExists, Exact }

    private readonly Mode _mode;
    private readonly long _revision;

    private ExpectedRevision(Mode mode, long revision)
    {
        _mode = mode;
        _revision = revision;
    }

    /// <summary>No check at all.</summary>
    public static readonly ExpectedRevision Any = new(Mode.Any, 0);
    /// <summary>The stream must not exist (or the events must already be there, idempotently).</summary>
    public static readonly ExpectedRevision NoStream = new(Mode.NoStream, 0);
    public static readonly ExpectedRevision StreamExists = new(Mode.StreamExists, 0);
    /// <summary>The stream's last event must be at this revision.</summary>
    public static ExpectedRevision Exact(StreamRevision r) => new(Mode.Exact, r.Value);

    /// <summary>
    /// Where the appended events would begin if the expectation holds against a stream whose last
    /// revision is <paramref name="current"/> (None when the stream does not exist); null when it
    /// does not hold. Any appends at the end.
    /// </summary>
    public long? StartFor(StreamRevision current) => _mode switch
    {
        Mode.Any => current.Value + 1,
        Mode.NoStream => 0,
        Mode.StreamExists => current == StreamRevision.None ? null : current.Value + 1,
        _ => _revision + 1,
    };

    public override string ToString() => _mode switch
    {
        Mode.Any => "any",
        Mode.NoStream => "no stream",
        Mode.StreamExists => "stream exists",
        _ => _revision.ToString(),
    };
}

/// <summary>An event to append: its id makes appending it twice a no-op.</summary>
public readonly record struct EventData(Guid Id, string Type, ReadOnlyMemory<byte> Data);

/// <summary>An event as stored.</summary>
public sealed record RecordedEvent(string Stream, StreamRevision Revision, Position Position, Guid Id, string Type,
    ReadOnlyMemory<byte> Data, DateTimeOffset Created);

public sealed record StreamInfo(string Name, StreamRevision Last, long Count);

public sealed record Snapshot(string Stream, StreamRevision Revision, string Type, ReadOnlyMemory<byte> State);

/// <summary>An append whose expected revision did not hold: another writer got there first.</summary>
public sealed class WrongExpectedVersionException(string stream, ExpectedRevision expected, StreamRevision actual, string? detail = null)
    : Exception($"concurrency conflict on stream '{stream}': expected revision {expected}, but the stream is at {(actual == StreamRevision.None ? "no stream" : actual.ToString())}"
        + (detail is null ? "" : $" ({detail})"))
{
    public string Stream { get; } = stream;
    public ExpectedRevision Expected { get; } = expected;
    public StreamRevision Actual { get; } = actual;
}

/// <summary>The store cannot be used: unreachable, read-only, full, or not a replayer store.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The same request may work if tried again: the server restarting, a dropped connection, no connection free.</summary>
    public bool Transient { get; init; }
}

/// <summary>
/// How a store keeps the data of the trace events ingested into it. A store records it once, in
/// its schema version, when it is made, and keeps it: an ingest of the same capture again must give
/// the same bytes to be recognised as events already there.
/// </summary>
public enum EventEncoding
{
    /// <summary>Native JSON, one event a line as in a native trace file: stores of schema version 1.</summary>
    Json = 1,

    /// <summary>The binary form (NativeJson.WriteBinary): stores of schema version 2 and later.</summary>
    Binary = 2,
}

/// <summary>The schema versions this replayer reads and what each means.</summary>
public static class StoreSchema
{
    /// <summary>The version a new PostgreSQL store is made at: binary events, one a row.</summary>
    public const int Current = (int)EventEncoding.Binary;

    /// <summary>
    /// The version a new SQLite store is made at: binary events kept in blocks, several events of
    /// one stream to a row (SqliteEventStore, "Blocks"), each event's own row holding its id,
    /// position and revision. Stores of versions 1 and 2 keep each event's data in its own row.
    /// </summary>
    public const int Blocks = 3;

    /// <summary>How a store of this schema version keeps its events; null for a version this replayer does not know.</summary>
    public static EventEncoding? EncodingOf(string? version) => version switch
    {
        "1" => EventEncoding.Json,
        "2" => EventEncoding.Binary,
        _ => null,
    };

    /// <summary>The error for a store of a version this backend does not know (one made by a newer replayer).</summary>
    public static StoreException Unknown(string description, string? version, string known = "1 and 2") =>
        new($"{description} has schema version {version ?? "(none)"}; this replayer knows versions {known}");
}
