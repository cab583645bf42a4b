using Replayer.Ingest.Store;

namespace Replayer.Tests.Actors.Fleet;

/// <summary>A store whose snapshot saves to some streams fail, as a server going away would make them: the rest goes to the real store.</summary>
public sealed class FailingStore(IEventStore inner, Func<string, bool> failSave) : IEventStore
{
    public string Description => inner.Description;
    public EventEncoding Encoding => inner.Encoding;
    public Task<IAppendSession> BeginAppendAsync(CancellationToken ct = default) => inner.BeginAppendAsync(ct);
    public IAsyncEnumerable<RecordedEvent> ReadStreamAsync(string stream, StreamRevision from, long maxCount = long.MaxValue, CancellationToken ct = default) =>
        inner.ReadStreamAsync(stream, from, maxCount, ct);
    public Task<int> ReadStreamDataAsync(string stream, StreamRevision from, int maxCount, EventChunk into, CancellationToken ct = default) =>
        inner.ReadStreamDataAsync(stream, from, maxCount, into, ct);
    public IAsyncEnumerable<RecordedEvent> ReadAllAsync(Position after, long maxCount = long.MaxValue, CancellationToken ct = default) => inner.ReadAllAsync(after, maxCount, ct);
    public Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(string prefix, CancellationToken ct = default) => inner.ListStreamsAsync(prefix, ct);
    public Task DeleteStreamsAsync(IReadOnlyCollection<string> streams, CancellationToken ct = default) => inner.DeleteStreamsAsync(streams, ct);
    public Task<Position?> GetCheckpointAsync(string name, CancellationToken ct = default) => inner.GetCheckpointAsync(name, ct);
    public Task SetCheckpointAsync(string name, Position position, CancellationToken ct = default) => inner.SetCheckpointAsync(name, position, ct);
    public Task<Snapshot?> LoadSnapshotAsync(string stream, CancellationToken ct = default) => inner.LoadSnapshotAsync(stream, ct);
    public Task<Position> LastPositionAsync(CancellationToken ct = default) => inner.LastPositionAsync(ct);
    public ValueTask DisposeAsync() => inner.DisposeAsync();

    public Task SaveSnapshotAsync(string stream, StreamRevision revision, string type, Stream state, CancellationToken ct = default) =>
        failSave(stream)
            ? throw new StoreException($"cannot reach the store (injected, saving {stream})") { Transient = true }
            : inner.SaveSnapshotAsync(stream, revision, type, state, ct);
}
