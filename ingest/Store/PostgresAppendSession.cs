using Npgsql;
using NpgsqlTypes;

namespace Replayer.Ingest.Store;

/// <summary>
/// One transaction holding the append lock, on its own connection. Events go to the server by a
/// binary COPY, the fastest way in (a million rows in seconds, where one INSERT per row costs a
/// round trip each); the COPY is ended before any other statement, since a connection in COPY
/// mode takes nothing else, and its rows belong to the transaction like any others.
/// </summary>
internal sealed class PostgresAppendSession : AppendSessionBase
{
    /// <summary>How many stored events one read fetches ahead while a re-append is verified.</summary>
    private const int IdBlock = 8192;

    /// <summary>The store, for its error messages.</summary>
    private readonly PostgresEventStore _store;
    /// <summary>The session's own connection, out of the pool.</summary>
    private readonly NpgsqlConnection _c;
    /// <summary>The transaction every statement of the session runs in.</summary>
    private readonly NpgsqlTransaction _tx;
    /// <summary>Reads a run of stored events (id, type, data), for idempotent re-appends; prepared once.</summary>
    private readonly NpgsqlCommand _idsFrom;
    /// <summary>
    /// Stored events read ahead, by stream key. A re-ingest verifies every event, and one
    /// round trip each would take minutes for a million; per stream, because a capture's hosts
    /// interleave. They cannot go stale: no one else writes while the session holds the lock.
    /// </summary>
    private readonly Dictionary<long, StoredIds> _ahead = [];

    /// <summary>Revisions [From, From + Count) of one stream, as stored.</summary>
    private sealed class StoredIds
    {
        public readonly Guid[] Ids = new Guid[IdBlock];
        public readonly string[] Types = new string[IdBlock];
        public readonly byte[][] Data = new byte[IdBlock][];
        public long From;
        public long Count;
    }

    /// <summary>When the session began: the creation time of every event it appends.</summary>
    private readonly DateTime _now = DateTime.UtcNow;
    /// <summary>The COPY under way while inserts follow one another; null between statements.</summary>
    private NpgsqlBinaryImporter? _copy;

    public PostgresAppendSession(PostgresEventStore store, NpgsqlConnection c, NpgsqlTransaction tx)
    {
        _store = store;
        _c = c;
        _tx = tx;
        _idsFrom = new NpgsqlCommand($"SELECT revision, id, type, data FROM events WHERE stream = @s AND revision >= @r ORDER BY revision LIMIT {IdBlock}", c, tx);
        _idsFrom.Parameters.Add(new NpgsqlParameter<long>("s", NpgsqlDbType.Bigint));
        _idsFrom.Parameters.Add(new NpgsqlParameter<long>("r", NpgsqlDbType.Bigint));
    }

    protected override async ValueTask<(long Id, StreamRevision Last)?> FindStreamAsync(string name, CancellationToken ct)
    {
        try
        {
            await EndCopyAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT id, last FROM streams WHERE name = @n", _c, _tx);
            cmd.Parameters.AddWithValue("n", name);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await r.ReadAsync(ct) ? (r.GetInt64(0), new StreamRevision(r.GetInt64(1))) : null;
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    protected override async ValueTask<long> CreateStreamAsync(string name, CancellationToken ct)
    {
        try
        {
            await EndCopyAsync(ct);
            await using var cmd = new NpgsqlCommand("INSERT INTO streams(name, last) VALUES(@n, -1) RETURNING id", _c, _tx);
            cmd.Parameters.AddWithValue("n", name);
            return (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    protected override async ValueTask<bool> HoldsAsync(long stream, long revision, EventData ev, CancellationToken ct)
    {
        if (!_ahead.TryGetValue(stream, out var block)) _ahead[stream] = block = new StoredIds();
        if (revision < block.From || revision >= block.From + block.Count) await ReadAheadAsync(stream, revision, block, ct);
        if (revision >= block.From + block.Count) return false;
        long i = revision - block.From;
        return block.Ids[i] == ev.Id && block.Types[i] == ev.Type && block.Data[i].AsSpan().SequenceEqual(ev.Data.Span);
    }

    /// <summary>Fetches a stream's stored events from a revision on, as far as they run without a gap.</summary>
    private async ValueTask ReadAheadAsync(long stream, long revision, StoredIds block, CancellationToken ct)
    {
        try
        {
            await EndCopyAsync(ct);
            ((NpgsqlParameter<long>)_idsFrom.Parameters[0]).TypedValue = stream;
            ((NpgsqlParameter<long>)_idsFrom.Parameters[1]).TypedValue = revision;
            if (!_idsFrom.IsPrepared) await _idsFrom.PrepareAsync(ct);
            block.From = revision;
            block.Count = 0;
            await using var r = await _idsFrom.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct) && r.GetInt64(0) == revision + block.Count)
            {
                block.Ids[block.Count] = r.GetGuid(1);
                block.Types[block.Count] = r.GetString(2);
                block.Data[block.Count] = r.GetFieldValue<byte[]>(3);
                block.Count++;
            }
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    protected override ValueTask InsertAsync(long stream, long revision, EventData ev, CancellationToken ct)
    {
        // Synchronous on purpose: the importer buffers rows and touches the socket once per
        // buffer, so the async forms would only add a state machine per row on the ingest's
        // hottest path.
        try
        {
            var copy = _copy ??= _c.BeginBinaryImport("COPY events(stream, revision, id, type, data, created) FROM STDIN (FORMAT BINARY)");
            copy.StartRow();
            copy.Write(stream, NpgsqlDbType.Bigint);
            copy.Write(revision, NpgsqlDbType.Bigint);
            copy.Write(ev.Id, NpgsqlDbType.Uuid);
            copy.Write(ev.Type, NpgsqlDbType.Text);
            copy.Write(ev.Data, NpgsqlDbType.Bytea);
            copy.Write(_now, NpgsqlDbType.TimestampTz);
            return ValueTask.CompletedTask;
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    /// <summary>Sends the rows still buffered and leaves COPY mode, so that another statement can run.</summary>
    private async ValueTask EndCopyAsync(CancellationToken ct)
    {
        if (_copy is null) return;
        var copy = _copy;
        _copy = null;
        try
        {
            await copy.CompleteAsync(ct);
        }
        finally
        {
            await copy.DisposeAsync();
        }
    }

    protected override async ValueTask SetLastAsync(long stream, long last, CancellationToken ct)
    {
        try
        {
            await EndCopyAsync(ct);
            await using var cmd = new NpgsqlCommand("UPDATE streams SET last = @l WHERE id = @s", _c, _tx);
            cmd.Parameters.AddWithValue("l", last);
            cmd.Parameters.AddWithValue("s", stream);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    protected override async Task CommitTransactionAsync(CancellationToken ct)
    {
        try
        {
            await EndCopyAsync(ct);
            await _tx.CommitAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    protected override async ValueTask RollbackAsync()
    {
        try
        {
            // Disposing an unfinished importer cancels the COPY; none of its rows stay.
            if (_copy is not null) await _copy.DisposeAsync();
            _copy = null;
            await _tx.RollbackAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The connection is broken or the transaction already failed: the server has rolled back by itself.
        }
    }

    protected override async ValueTask DisposeResourcesAsync()
    {
        await _idsFrom.DisposeAsync();
        await _tx.DisposeAsync();
        await _c.DisposeAsync();
    }
}
