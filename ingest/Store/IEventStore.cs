namespace Replayer.Ingest.Store;

/// <summary>
/// An event store with EventStoreDB's semantics (EVENTS.md): named streams, appends with an
/// expected revision and optimistic concurrency, idempotence by event id, reads of one stream by
/// revision and of all streams by global position, catch-up subscriptions, checkpoints and
/// snapshots. Two backends implement it: SQLite (embedded, the default) and PostgreSQL.
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>What the store is, for messages: the file, or the server and database.</summary>
    string Description { get; }

    /// <summary>How the trace events ingested into this store are kept (the ingest writes them so, every reader reads either).</summary>
    EventEncoding Encoding { get; }

    /// <summary>Starts an atomic unit of appends, to one stream or many: all of it lands, or none.</summary>
    Task<IAppendSession> BeginAppendAsync(CancellationToken ct = default);

    /// <summary>Reads a stream forwards from a revision; an unknown stream reads as empty.</summary>
    IAsyncEnumerable<RecordedEvent> ReadStreamAsync(string stream, StreamRevision from, long maxCount = long.MaxValue, CancellationToken ct = default);

    /// <summary>
    /// Reads up to <paramref name="maxCount"/> events of a stream from a revision into a chunk,
    /// revisions and data only (what a replay needs), and says how many it read; an unknown stream
    /// reads as empty. One short read: the chunk is reset first.
    /// </summary>
    Task<int> ReadStreamDataAsync(string stream, StreamRevision from, int maxCount, EventChunk into, CancellationToken ct = default);

    /// <summary>Reads every stream by global position, starting after <paramref name="after"/>.</summary>
    IAsyncEnumerable<RecordedEvent> ReadAllAsync(Position after, long maxCount = long.MaxValue, CancellationToken ct = default);

    /// <summary>The streams whose names start with a prefix, with their last revisions.</summary>
    Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(string prefix, CancellationToken ct = default);

    /// <summary>Removes streams and everything they hold, atomically; positions are never reused.</summary>
    Task DeleteStreamsAsync(IReadOnlyCollection<string> streams, CancellationToken ct = default);

    /// <summary>The last position a named reader recorded; null when it never did.</summary>
    Task<Position?> GetCheckpointAsync(string name, CancellationToken ct = default);

    Task SetCheckpointAsync(string name, Position position, CancellationToken ct = default);

    /// <summary>
    /// Keeps replay state of a stream as of a revision; it replaces whatever snapshot of the stream
    /// was saved before (a replay started again from the beginning starts its snapshots afresh). State about a stream kept under a derived name, "STREAM#anything", is deleted
    /// with the stream.
    /// </summary>
    /// <remarks>The state is read from the stream's position to its end, and written as it is read: a host's state can be hundreds of megabytes.</remarks>
    Task SaveSnapshotAsync(string stream, StreamRevision revision, string type, Stream state, CancellationToken ct = default);

    /// <summary>The snapshot of a stream saved last; null when there is none.</summary>
    Task<Snapshot?> LoadSnapshotAsync(string stream, CancellationToken ct = default);

    /// <summary>The last global position written, or <see cref="Position.Start"/> for an empty store.</summary>
    Task<Position> LastPositionAsync(CancellationToken ct = default);
}

/// <summary>An atomic unit of appends. Nothing is visible to readers until <see cref="CommitAsync"/>.</summary>
public interface IAppendSession : IAsyncDisposable
{
    /// <summary>
    /// Appends one event. The expected revision is checked at the first append to a stream in this
    /// session. Events whose ids the stream already holds at the same revisions are taken as
    /// already written (idempotence) and add nothing; a mix of old and new is a conflict.
    /// </summary>
    ValueTask AppendAsync(string stream, ExpectedRevision expected, EventData ev, CancellationToken ct = default);

    /// <summary>What this session has done to a stream so far (nothing, for a stream it has not touched).</summary>
    StreamAppend Appended(string stream);

    /// <summary>Makes every append of the session durable and visible, and says what was added.</summary>
    Task<AppendSummary> CommitAsync(CancellationToken ct = default);
}

/// <summary>What a committed session did, per stream.</summary>
public sealed record AppendSummary(IReadOnlyDictionary<string, StreamAppend> Streams)
{
    public long Added => Streams.Values.Sum(s => s.Added);
    public long AlreadyPresent => Streams.Values.Sum(s => s.AlreadyPresent);
}

public sealed record StreamAppend(long Added, long AlreadyPresent, StreamRevision Last);

public static class EventStoreExtensions
{
    /// <summary>Appends events to one stream atomically.</summary>
    public static async Task<StreamAppend> AppendToStreamAsync(this IEventStore store, string stream, ExpectedRevision expected,
        IEnumerable<EventData> events, CancellationToken ct = default)
    {
        await using var session = await store.BeginAppendAsync(ct);
        foreach (var ev in events) await session.AppendAsync(stream, expected, ev, ct);
        var summary = await session.CommitAsync(ct);
        return summary.Streams.TryGetValue(stream, out var s) ? s : new StreamAppend(0, 0, StreamRevision.None);
    }

    /// <summary>Keeps replay state held in memory (<see cref="IEventStore.SaveSnapshotAsync"/>).</summary>
    public static async Task SaveSnapshotAsync(this IEventStore store, string stream, StreamRevision revision, string type, ReadOnlyMemory<byte> state,
        CancellationToken ct = default)
    {
        // Over the caller's own array where there is one: a snapshot can be hundreds of megabytes.
        using var bytes = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(state, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(state.ToArray(), writable: false);
        await store.SaveSnapshotAsync(stream, revision, type, bytes, ct);
    }

    /// <summary>
    /// A catch-up subscription to all streams: everything after <paramref name="after"/>, then
    /// new events as they are committed, until cancelled. Readers resume from a checkpoint.
    /// </summary>
    public static async IAsyncEnumerable<RecordedEvent> SubscribeToAllAsync(this IEventStore store, Position after,
        TimeSpan pollInterval, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var last = after;
        while (!ct.IsCancellationRequested)
        {
            bool any = false;
            await foreach (var e in store.ReadAllAsync(last, 4096, ct))
            {
                any = true;
                last = e.Position;
                yield return e;
            }
            if (!any)
            {
                try { await Task.Delay(pollInterval, ct); }
                catch (OperationCanceledException) { yield break; }
            }
        }
    }
}
