using Npgsql;
using NpgsqlTypes;

namespace Replayer.Ingest.Store;

/// <summary>A host stream's replay, leased to one worker until <see cref="Expires"/> (the server's clock).</summary>
public sealed record HostLease(string Settings, string Stream, string Owner, DateTime Expires);

/// <summary>
/// Leases of host streams to replay workers, in the store's own database: one row per (settings
/// key, host stream) with its owner and when the lease expires. A worker claims the first free row
/// with FOR UPDATE SKIP LOCKED, so workers that claim at once take different rows and never wait
/// on each other; it renews the lease while it replays (the heartbeat) and releases it when done.
/// A worker that dies renews nothing: its lease expires and another worker claims the row and
/// resumes from the latest snapshot. Every time is the server's (now()), so the workers' clocks
/// need not agree.
/// </summary>
public sealed class PostgresLeases
{
    /// <summary>The store whose connections and error messages the leases share.</summary>
    private readonly PostgresEventStore _store;

    private PostgresLeases(PostgresEventStore store) => _store = store;

    /// <summary>The leases of a store, creating their table if need be (under the store's schema lock: CREATE IF NOT EXISTS races with itself).</summary>
    public static async Task<PostgresLeases> OpenAsync(PostgresEventStore store, CancellationToken ct = default)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        try
        {
            await using var exists = new NpgsqlCommand("SELECT to_regclass('replay_leases') IS NOT NULL", c);
            if (!(bool)(await exists.ExecuteScalarAsync(ct))!)
            {
                await using var tx = await c.BeginTransactionAsync(ct);
                await using var cmd = new NpgsqlCommand($"""
                    SELECT pg_advisory_xact_lock({PostgresEventStore.SchemaLock});
                    CREATE TABLE IF NOT EXISTS replay_leases(
                        settings text COLLATE "C" NOT NULL,
                        stream text COLLATE "C" NOT NULL,
                        owner text,
                        expires_at timestamptz NOT NULL DEFAULT '-infinity',
                        heartbeat timestamptz,
                        not_before timestamptz NOT NULL DEFAULT '-infinity',
                        PRIMARY KEY(settings, stream));
                    """, c, tx);
                await cmd.ExecuteNonQueryAsync(ct);
                await tx.CommitAsync(ct);
            }
        }
        catch (NpgsqlException e)
        {
            throw store.Translate(e);
        }
        return new PostgresLeases(store);
    }

    /// <summary>
    /// Claims one of the candidates, (settings key, stream) pairs: one no worker holds, whose last
    /// lease expired, or that this owner holds already; never one released with a not-before still
    /// to come. Null when every candidate is held or deferred.
    /// </summary>
    public async Task<HostLease?> ClaimAsync(IReadOnlyList<(string Settings, string Stream)> candidates, string owner, TimeSpan ttl, CancellationToken ct = default)
    {
        if (candidates.Count == 0) return null;
        await using var c = await _store.OpenConnectionAsync(ct);
        try
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            await using (var add = new NpgsqlCommand("""
                INSERT INTO replay_leases(settings, stream) SELECT * FROM unnest(@k, @s) ON CONFLICT DO NOTHING
                """, c, tx))
            {
                add.Parameters.AddWithValue("k", candidates.Select(x => x.Settings).ToArray());
                add.Parameters.AddWithValue("s", candidates.Select(x => x.Stream).ToArray());
                await add.ExecuteNonQueryAsync(ct);
            }
            await using var claim = new NpgsqlCommand("""
                UPDATE replay_leases l SET owner = @o, expires_at = now() + @ttl, heartbeat = now()
                FROM (SELECT settings, stream FROM replay_leases
                      WHERE (settings, stream) IN (SELECT * FROM unnest(@k, @s))
                        AND not_before <= now() AND (owner IS NULL OR owner = @o OR expires_at < now())
                      ORDER BY not_before, settings, stream LIMIT 1
                      FOR UPDATE SKIP LOCKED) free
                WHERE l.settings = free.settings AND l.stream = free.stream
                RETURNING l.settings, l.stream, l.expires_at
                """, c, tx);
            claim.Parameters.AddWithValue("o", owner);
            claim.Parameters.AddWithValue("ttl", NpgsqlDbType.Interval, ttl);
            claim.Parameters.AddWithValue("k", candidates.Select(x => x.Settings).ToArray());
            claim.Parameters.AddWithValue("s", candidates.Select(x => x.Stream).ToArray());
            HostLease? lease = null;
            await using (var r = await claim.ExecuteReaderAsync(ct))
                if (await r.ReadAsync(ct)) lease = new HostLease(r.GetString(0), r.GetString(1), owner, r.GetDateTime(2));
            await tx.CommitAsync(ct);
            return lease;
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    /// <summary>The heartbeat: extends the lease; false when it is no longer this owner's (it expired and another worker claimed it).</summary>
    public async Task<bool> RenewAsync(HostLease lease, TimeSpan ttl, CancellationToken ct = default) =>
        await ExecuteAsync("""
            UPDATE replay_leases SET expires_at = now() + @ttl, heartbeat = now()
            WHERE settings = @k AND stream = @s AND owner = @o
            """, lease, ttl, ct) == 1;

    /// <summary>Gives the lease up; no worker may claim the stream again before <paramref name="notBefore"/> from now.</summary>
    public Task ReleaseAsync(HostLease lease, TimeSpan notBefore, CancellationToken ct = default) =>
        ExecuteAsync("""
            UPDATE replay_leases SET owner = NULL, expires_at = '-infinity', not_before = now() + @ttl
            WHERE settings = @k AND stream = @s AND owner = @o
            """, lease, notBefore, ct);

    private async Task<int> ExecuteAsync(string sql, HostLease lease, TimeSpan interval, CancellationToken ct)
    {
        await using var c = await _store.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            cmd.Parameters.AddWithValue("ttl", NpgsqlDbType.Interval, interval);
            cmd.Parameters.AddWithValue("k", lease.Settings);
            cmd.Parameters.AddWithValue("s", lease.Stream);
            cmd.Parameters.AddWithValue("o", lease.Owner);
            return await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw _store.Translate(e);
        }
    }

    /// <summary>
    /// A session-level advisory lock on a name (one batch at a time per store and output): held
    /// until the returned handle is disposed or the process dies (the server drops it with the
    /// connection). Null when another session holds it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryLockAsync(string name, CancellationToken ct = default)
    {
        var c = await _store.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended(@n, 0))", c);
            cmd.Parameters.AddWithValue("n", name);
            if ((bool)(await cmd.ExecuteScalarAsync(ct))!) return new NamedLock(c, name);
        }
        catch (NpgsqlException e)
        {
            await c.DisposeAsync();
            throw _store.Translate(e);
        }
        await c.DisposeAsync();
        return null;
    }

    /// <summary>A held advisory lock: unlocked explicitly, since a pooled connection may keep its session (and the lock) after it is closed.</summary>
    private sealed class NamedLock(NpgsqlConnection connection, string name) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended(@n, 0))", connection);
                cmd.Parameters.AddWithValue("n", name);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and the server dropped the lock with it.
            }
            await connection.DisposeAsync();
        }
    }
}
