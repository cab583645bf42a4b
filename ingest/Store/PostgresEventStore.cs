using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Replayer.Ingest.Store;

/// <summary>
/// The server store: one PostgreSQL database. An append session is one transaction that first
/// takes a transaction-scoped advisory lock, so writers run one at a time as in SQLite: global
/// positions (an identity column, never reused) are drawn in commit order, and a catch-up reader
/// never sees position N+1 committed while N is still to come. A client killed mid-session drops
/// its connection, and the server rolls the transaction back: all or none.
/// </summary>
public sealed class PostgresEventStore : IEventStore
{
    /// <summary>The advisory lock every append session and deletion holds: "replayer" in ASCII.</summary>
    internal const long AppendLock = 0x7265706c61796572;
    /// <summary>Held while creating the schema: CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL.</summary>
    internal const long SchemaLock = AppendLock + 1;

    /// <summary>The pool every connection of this store comes from.</summary>
    private readonly NpgsqlDataSource _source;
    /// <summary>The server's address, for messages.</summary>
    private readonly string _server;
    /// <summary>The database, for messages.</summary>
    private readonly string _database;
    /// <summary>The role, for messages.</summary>
    private readonly string _user;

    private PostgresEventStore(NpgsqlConnectionStringBuilder b)
    {
        Description = PostgresConnectionSpec.Describe(b);
        _server = b.Host!.Contains(',') || b.Host.StartsWith('/') ? b.Host : $"{b.Host}:{b.Port}";
        _database = b.Database ?? b.Username ?? "";
        _user = b.Username ?? Environment.UserName;
        _source = NpgsqlDataSource.Create(b);
    }

    public string Description { get; }

    public EventEncoding Encoding { get; private set; }

    /// <summary>Opens a store from a postgres:// URI or an Npgsql connection string, creating its schema if need be.</summary>
    public static async Task<PostgresEventStore> OpenAsync(string spec, CancellationToken ct = default)
    {
        var store = new PostgresEventStore(PostgresConnectionSpec.Parse(spec));
        try
        {
            await store.MigrateAsync(ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    internal async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct)
    {
        try
        {
            return await _source.OpenConnectionAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>What went wrong, in words that name the server and the database, never the password.</summary>
    internal StoreException Translate(NpgsqlException e)
    {
        // Class 57P (operator intervention: the server shutting down or starting up) passes once
        // the server is back; Npgsql's IsTransient covers lost connections and class 08.
        bool transient = e.IsTransient || e is PostgresException { SqlState: ['5', '7', 'P', _, _] };
        if (e is PostgresException pg)
        {
            // SQLSTATE codes: PostgreSQL manual, Appendix A.
            return new StoreException(pg.SqlState switch
            {
                "28P01" or "28000" => $"{Description}: authentication failed for user '{_user}' ({pg.MessageText})",
                "3D000" => $"{Description}: database '{_database}' does not exist on {_server}",
                "25006" => $"{Description} is read-only: {pg.MessageText}",
                "53100" => $"{Description} is full (no space left on the server): {pg.MessageText}",
                "53300" => $"{Description}: the server accepts no more connections ({pg.MessageText})",
                "42501" => $"{Description}: user '{_user}' may not do this: {pg.MessageText}",
                "57P01" or "57P02" or "57P03" => $"{Description}: the server is shutting down or starting up ({pg.MessageText})",
                _ => $"{Description}: {pg.MessageText} (SQLSTATE {pg.SqlState})",
            }, e) { Transient = transient };
        }
        if (e.InnerException is SocketException or IOException or TimeoutException)
            return new StoreException($"cannot reach the PostgreSQL server {_server} (database '{_database}'): {e.InnerException.Message}", e) { Transient = true };
        return new StoreException($"{Description}: {e.Message}", e) { Transient = transient };
    }

    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var c = await OpenConnectionAsync(ct);
        try
        {
            // A store already made is only checked, so that a read-only server (a standby) can be read.
            if (await SchemaVersionAsync(c, ct) is { } existing)
            {
                Encoding = StoreSchema.EncodingOf(existing) ?? throw StoreSchema.Unknown(Description, existing);
                return;
            }
            await using var tx = await c.BeginTransactionAsync(ct);
            await using (var lk = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock})", c, tx))
                await lk.ExecuteNonQueryAsync(ct);
            // Names sort as bytes (COLLATE "C"), as in SQLite, whatever the database's locale.
            await using var cmd = new NpgsqlCommand("""
                CREATE TABLE IF NOT EXISTS store_info(key text PRIMARY KEY, value text NOT NULL);
                CREATE TABLE IF NOT EXISTS streams(
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    name text COLLATE "C" NOT NULL UNIQUE,
                    last bigint NOT NULL);
                CREATE TABLE IF NOT EXISTS events(
                    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    stream bigint NOT NULL,
                    revision bigint NOT NULL,
                    id uuid NOT NULL,
                    type text NOT NULL,
                    data bytea NOT NULL,
                    created timestamptz NOT NULL,
                    UNIQUE(stream, revision));
                CREATE TABLE IF NOT EXISTS checkpoints(name text COLLATE "C" PRIMARY KEY, position bigint NOT NULL);
                CREATE TABLE IF NOT EXISTS snapshots(stream text COLLATE "C" NOT NULL, revision bigint NOT NULL, type text NOT NULL,
                    state bytea NOT NULL, PRIMARY KEY(stream, revision));
                INSERT INTO store_info(key, value) VALUES('schema', @current) ON CONFLICT DO NOTHING;
                SELECT value FROM store_info WHERE key = 'schema';
                """, c, tx);
            cmd.Parameters.AddWithValue("current", StoreSchema.Current.ToString());
            var v = await cmd.ExecuteScalarAsync(ct) as string;
            Encoding = StoreSchema.EncodingOf(v) ?? throw StoreSchema.Unknown(Description, v);
            await tx.CommitAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>The schema version the database records; null when it holds no store yet.</summary>
    private static async Task<string?> SchemaVersionAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass('store_info') IS NOT NULL", c);
        if (!(bool)(await exists.ExecuteScalarAsync(ct))!) return null;
        await using var cmd = new NpgsqlCommand("SELECT value FROM store_info WHERE key = 'schema'", c);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    public async Task<IAppendSession> BeginAppendAsync(CancellationToken ct = default)
    {
        var c = await OpenConnectionAsync(ct);
        try
        {
            var tx = await c.BeginTransactionAsync(ct);
            await TakeAppendLockAsync(c, tx, ct);
            return new PostgresAppendSession(this, c, tx);
        }
        catch (NpgsqlException e)
        {
            await c.DisposeAsync();
            throw Translate(e);
        }
    }

    /// <summary>
    /// Waits for the writer before this one to commit. Without it two sessions could draw
    /// positions 1-100 and 101-200 and commit in the other order, and a reader that had seen 200
    /// would resume after it and never see 1-100. No timeout: an ingest may hold it for minutes.
    /// </summary>
    private static async Task TakeAppendLockAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var lk = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AppendLock})", c, tx) { CommandTimeout = 0 };
        await lk.ExecuteNonQueryAsync(ct);
    }

    public async IAsyncEnumerable<RecordedEvent> ReadStreamAsync(string stream, StreamRevision from, long maxCount = long.MaxValue,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT e.revision, e.position, e.id, e.type, e.data, e.created FROM events e
            JOIN streams s ON s.id = e.stream
            WHERE s.name = @name AND e.revision >= @from ORDER BY e.revision LIMIT @n
            """, c);
        cmd.Parameters.AddWithValue("name", stream);
        cmd.Parameters.AddWithValue("from", from.Value);
        cmd.Parameters.AddWithValue("n", maxCount);
        await using var r = await ExecuteReaderAsync(cmd, ct);
        while (await ReadAsync(r, ct))
        {
            yield return new RecordedEvent(stream, new StreamRevision(r.GetInt64(0)), new Position(r.GetInt64(1)),
                r.GetGuid(2), r.GetString(3), r.GetFieldValue<byte[]>(4), r.GetFieldValue<DateTimeOffset>(5));
        }
    }

    /// <summary>The replay's read: revisions and data only, into the chunk.</summary>
    public async Task<int> ReadStreamDataAsync(string stream, StreamRevision from, int maxCount, EventChunk into, CancellationToken ct = default)
    {
        into.Reset(stream);
        await using var c = await OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT e.revision, e.data FROM events e
            JOIN streams s ON s.id = e.stream
            WHERE s.name = @name AND e.revision >= @from ORDER BY e.revision LIMIT @n
            """, c);
        cmd.Parameters.AddWithValue("name", stream);
        cmd.Parameters.AddWithValue("from", from.Value);
        cmd.Parameters.AddWithValue("n", (long)maxCount);
        await using var r = await ExecuteReaderAsync(cmd, ct);
        while (await ReadAsync(r, ct))
            into.Add(r.GetInt64(0), r.GetFieldValue<byte[]>(1));
        return into.Count;
    }

    public async IAsyncEnumerable<RecordedEvent> ReadAllAsync(Position after, long maxCount = long.MaxValue,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT s.name, e.revision, e.position, e.id, e.type, e.data, e.created FROM events e
            JOIN streams s ON s.id = e.stream
            WHERE e.position > @after ORDER BY e.position LIMIT @n
            """, c);
        cmd.Parameters.AddWithValue("after", after.Value);
        cmd.Parameters.AddWithValue("n", maxCount);
        await using var r = await ExecuteReaderAsync(cmd, ct);
        while (await ReadAsync(r, ct))
        {
            yield return new RecordedEvent(r.GetString(0), new StreamRevision(r.GetInt64(1)), new Position(r.GetInt64(2)),
                r.GetGuid(3), r.GetString(4), r.GetFieldValue<byte[]>(5), r.GetFieldValue<DateTimeOffset>(6));
        }
    }

    // An iterator cannot catch around a yield, so reads translate their errors in these two.
    private async Task<NpgsqlDataReader> ExecuteReaderAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        try { return await cmd.ExecuteReaderAsync(ct); }
        catch (NpgsqlException e) { throw Translate(e); }
    }

    private async Task<bool> ReadAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        try { return await r.ReadAsync(ct); }
        catch (NpgsqlException e) { throw Translate(e); }
    }

    public async Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(string prefix, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        // starts_with rather than LIKE: stream names may hold % and _.
        await using var cmd = new NpgsqlCommand("SELECT name, last FROM streams WHERE starts_with(name, @p) ORDER BY name", c);
        cmd.Parameters.AddWithValue("p", prefix);
        var list = new List<StreamInfo>();
        await using var r = await ExecuteReaderAsync(cmd, ct);
        while (await ReadAsync(r, ct))
        {
            var last = new StreamRevision(r.GetInt64(1));
            list.Add(new StreamInfo(r.GetString(0), last, last.Value + 1));
        }
        return list;
    }

    public async Task DeleteStreamsAsync(IReadOnlyCollection<string> streams, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        try
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            // A session that has found a stream must not have it deleted under it before it commits.
            await TakeAppendLockAsync(c, tx, ct);
            await using var cmd = new NpgsqlCommand("""
                DELETE FROM events WHERE stream IN (SELECT id FROM streams WHERE name = ANY(@n));
                DELETE FROM streams WHERE name = ANY(@n);
                DELETE FROM snapshots s USING unnest(@n) AS d(name) WHERE s.stream = d.name OR left(s.stream, length(d.name) + 1) = d.name || '#';
                """, c, tx);
            cmd.Parameters.AddWithValue("n", streams.ToArray());
            await cmd.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    public async Task<Position?> GetCheckpointAsync(string name, CancellationToken ct = default)
    {
        var v = await ScalarAsync("SELECT position FROM checkpoints WHERE name = @a", ct, name);
        return v is long p ? new Position(p) : null;
    }

    public Task SetCheckpointAsync(string name, Position position, CancellationToken ct = default) =>
        ScalarAsync("INSERT INTO checkpoints(name, position) VALUES(@a, @b) ON CONFLICT(name) DO UPDATE SET position = excluded.position",
            ct, name, position.Value);

    public async Task SaveSnapshotAsync(string stream, StreamRevision revision, string type, Stream state, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        try
        {
            // Npgsql writes a Stream parameter as it reads it: the state is never whole in memory.
            await using var cmd = new NpgsqlCommand("""
                DELETE FROM snapshots WHERE stream = @a;
                INSERT INTO snapshots(stream, revision, type, state) VALUES(@a, @b, @c, @d);
                """, c);
            cmd.Parameters.AddWithValue("a", stream);
            cmd.Parameters.AddWithValue("b", revision.Value);
            cmd.Parameters.AddWithValue("c", type);
            cmd.Parameters.Add(new NpgsqlParameter("d", NpgsqlTypes.NpgsqlDbType.Bytea) { Value = state, Size = checked((int)(state.Length - state.Position)) });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    public async Task<Snapshot?> LoadSnapshotAsync(string stream, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT revision, type, state FROM snapshots WHERE stream = @s ORDER BY revision DESC LIMIT 1", c);
        cmd.Parameters.AddWithValue("s", stream);
        await using var r = await ExecuteReaderAsync(cmd, ct);
        if (!await ReadAsync(r, ct)) return null;
        return new Snapshot(stream, new StreamRevision(r.GetInt64(0)), r.GetString(1), r.GetFieldValue<byte[]>(2));
    }

    public async Task<Position> LastPositionAsync(CancellationToken ct = default) =>
        new((long)(await ScalarAsync("SELECT COALESCE(MAX(position), 0) FROM events", ct))!);

    /// <summary>One statement on a pooled connection; its arguments bind to @a, @b, @c, @d in order.</summary>
    private async Task<object?> ScalarAsync(string sql, CancellationToken ct, params object[] args)
    {
        await using var c = await OpenConnectionAsync(ct);
        try
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            for (int i = 0; i < args.Length; i++) cmd.Parameters.AddWithValue(((char)('a' + i)).ToString(), args[i]);
            return await cmd.ExecuteScalarAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
