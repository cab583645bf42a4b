namespace Replayer.Ingest.Store;

/// <summary>
/// The rules of an append, the same on every backend: the expectation is checked at a stream's
/// first append in a session; events already in the stream with the same ids and the same bytes
/// at the same revisions are taken as written before (idempotence), and a stream that holds other
/// events there is a conflict. Comparing the bytes as well as the id is stricter than
/// EventStoreDB, and lets ids be derived from a position alone, without hashing every event. Backends supply the primitives, inside their own transaction.
/// </summary>
public abstract class AppendSessionBase : IAppendSession
{
    private sealed class StreamState
    {
        public required long Id;
        /// <summary>The stream's last revision before this session.</summary>
        public required StreamRevision Before;
        /// <summary>The revision the next event takes.</summary>
        public long Next;
        /// <summary>True while incoming events are being matched against ones already stored.</summary>
        public bool Verifying;
        public long Added;
        public long AlreadyPresent;
        public required ExpectedRevision Expected;
    }

    // Streams touched by this session, by name; the last one is kept aside for the common case
    // of a run of events to one stream.
    private readonly Dictionary<string, StreamState> _streams = new(StringComparer.Ordinal);
    private string? _lastName;
    private StreamState? _last;
    private bool _done;

    /// <summary>The stream's key and last revision, or null when it does not exist.</summary>
    protected abstract ValueTask<(long Id, StreamRevision Last)?> FindStreamAsync(string name, CancellationToken ct);
    protected abstract ValueTask<long> CreateStreamAsync(string name, CancellationToken ct);
    /// <summary>Whether the stream holds this very event (same id, type and data) at a revision.</summary>
    protected abstract ValueTask<bool> HoldsAsync(long stream, long revision, EventData ev, CancellationToken ct);
    protected abstract ValueTask InsertAsync(long stream, long revision, EventData ev, CancellationToken ct);
    protected abstract ValueTask SetLastAsync(long stream, long last, CancellationToken ct);
    protected abstract Task CommitTransactionAsync(CancellationToken ct);
    protected abstract ValueTask RollbackAsync();

    public async ValueTask AppendAsync(string stream, ExpectedRevision expected, EventData ev, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        var s = ReferenceEquals(stream, _lastName) || stream == _lastName ? _last! : await StateAsync(stream, expected, ct);
        _lastName = stream;
        _last = s;
        if (s.Verifying)
        {
            if (s.Next <= s.Before.Value)
            {
                if (await HoldsAsync(s.Id, s.Next, ev, ct))
                {
                    s.Next++;
                    s.AlreadyPresent++;
                    return;
                }
            }
            throw new WrongExpectedVersionException(stream, s.Expected, s.Before,
                s.AlreadyPresent == 0
                    ? "it holds other events"
                    : $"the first {s.AlreadyPresent} events were there already, event {s.Next} is not");
        }
        await InsertAsync(s.Id, s.Next, ev, ct);
        s.Next++;
        s.Added++;
    }

    private async ValueTask<StreamState> StateAsync(string stream, ExpectedRevision expected, CancellationToken ct)
    {
        if (_streams.TryGetValue(stream, out var known)) return known;
        var found = await FindStreamAsync(stream, ct);
        var before = found?.Last ?? StreamRevision.None;
        var start = expected.StartFor(before);
        if (start is null || start.Value > before.Value + 1)
            throw new WrongExpectedVersionException(stream, expected, before);
        long id = found?.Id ?? await CreateStreamAsync(stream, ct);
        var s = new StreamState
        {
            Id = id,
            Before = before,
            Next = start.Value,
            Verifying = start.Value <= before.Value,
            Expected = expected,
        };
        _streams[stream] = s;
        return s;
    }

    public StreamAppend Appended(string stream) =>
        _streams.TryGetValue(stream, out var s)
            ? new StreamAppend(s.Added, s.AlreadyPresent, new StreamRevision(Math.Max(s.Before.Value, s.Next - 1)))
            : new StreamAppend(0, 0, StreamRevision.None);

    public async Task<AppendSummary> CommitAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        foreach (var s in _streams.Values)
        {
            if (s.Added > 0) await SetLastAsync(s.Id, s.Next - 1, ct);
        }
        await CommitTransactionAsync(ct);
        _done = true;
        return new AppendSummary(_streams.Keys.ToDictionary(k => k, Appended));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_done)
        {
            _done = true;
            await RollbackAsync();
        }
        await DisposeResourcesAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask DisposeResourcesAsync();
}
