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
    /// <summary>The store, for its error messages.</summary>
    private readonly PostgresEventStore _store;
    /// <summary>The session's own connection, out of the pool.</summary>
    private readonly NpgsqlConnection _c;
    /// <summary>The transaction every statement of the session runs in.</summary>
    private readonly NpgsqlTransaction _tx;
    /// <summary>The id an already stored event has, for idempotent re-appends; prepared once.</summary>
    private readonly NpgsqlCommand _idAt;
    /// <summary>When the session began: the creation time of every event it appends.</summary>
    private readonly DateTime _now = DateTime.UtcNow;
    /// <summary>The COPY under way while inserts follow one another; null between statements.</summary>
    private NpgsqlBinaryImporter? _copy;

    public PostgresAppendSession(PostgresEventStore store, NpgsqlConnection c, NpgsqlTransaction tx)
    {
        _store = store;
        _c = c;
        _tx = tx;
        _idAt = new NpgsqlCommand("SELECT id FROM events WHERE stream = @s AND revision = @r", c, tx);
        _idAt.Parameters.Add(new NpgsqlParameter<long>("s", NpgsqlDbType.Bigint));
        _idAt.Parameters.Add(new NpgsqlParameter<long>("r", NpgsqlDbType.Bigint));
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

    protected override async ValueTask<Guid?> IdAtAsync(long stream, long revision, CancellationToken ct)
    {
        try
        {
            await EndCopyAsync(ct);
            ((NpgsqlParameter<long>)_idAt.Parameters[0]).TypedValue = stream;
            ((NpgsqlParameter<long>)_idAt.Parameters[1]).TypedValue = revision;
            if (!_idAt.IsPrepared) await _idAt.PrepareAsync(ct);
            return await _idAt.ExecuteScalarAsync(ct) is Guid g ? g : null;
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
        await _idAt.DisposeAsync();
        await _tx.DisposeAsync();
        await _c.DisposeAsync();
    }
}
