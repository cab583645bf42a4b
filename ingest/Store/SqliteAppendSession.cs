using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Replayer.Ingest.Store;

/// <summary>
/// One IMMEDIATE transaction on its own connection. Events go in through one statement prepared
/// once and bound with SQLite's own calls: Microsoft.Data.Sqlite's command layer costs about three
/// times as much per row (measured: 3.8 s against 1.3 s for 1M rows), and an ingest is nothing
/// but rows.
/// </summary>
internal sealed class SqliteAppendSession : AppendSessionBase
{
    private readonly SqliteEventStore _store;
    private readonly SqliteConnection _c;
    // The prepared insert, owned by this session and finalized with it.
    private sqlite3_stmt? _insert;
    private readonly SqliteCommand _holds;
    private readonly long _now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    // The last position given out: the store's high-water mark when the session began, then ours.
    private long _position;
    private readonly long _positionAtStart;

    public SqliteAppendSession(SqliteEventStore store, SqliteConnection c)
    {
        _store = store;
        _c = c;
        Check(raw.sqlite3_prepare_v2(c.Handle, "INSERT INTO events(position, stream, revision, id, type, data, created) VALUES(?, ?, ?, ?, ?, ?, ?)",
            out _insert));
        using (var hw = c.CreateCommand())
        {
            hw.CommandText = "SELECT last FROM store_position WHERE id = 0";
            _position = _positionAtStart = (long)Run(hw.ExecuteScalar)!;
        }
        _holds = c.CreateCommand();
        _holds.CommandText = "SELECT id, type, data FROM events WHERE stream = $s AND revision = $r";
        _holds.Parameters.Add("$s", SqliteType.Integer);
        _holds.Parameters.Add("$r", SqliteType.Integer);
        _holds.Prepare();
    }

    protected override ValueTask<(long Id, StreamRevision Last)?> FindStreamAsync(string name, CancellationToken ct)
    {
        using var cmd = _c.CreateCommand();
        cmd.CommandText = "SELECT id, last FROM streams WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        using var r = Run(cmd.ExecuteReader);
        return ValueTask.FromResult<(long, StreamRevision)?>(r.Read() ? (r.GetInt64(0), new StreamRevision(r.GetInt64(1))) : null);
    }

    protected override ValueTask<long> CreateStreamAsync(string name, CancellationToken ct)
    {
        using var cmd = _c.CreateCommand();
        cmd.CommandText = "INSERT INTO streams(name, last) VALUES($n, -1) RETURNING id";
        cmd.Parameters.AddWithValue("$n", name);
        return ValueTask.FromResult((long)Run(cmd.ExecuteScalar)!);
    }

    protected override ValueTask<bool> HoldsAsync(long stream, long revision, EventData ev, CancellationToken ct)
    {
        _holds.Parameters[0].Value = stream;
        _holds.Parameters[1].Value = revision;
        using var r = Run(_holds.ExecuteReader);
        bool same = r.Read()
            && new Guid(r.GetFieldValue<byte[]>(0)) == ev.Id
            && r.GetString(1) == ev.Type
            && r.GetFieldValue<byte[]>(2).AsSpan().SequenceEqual(ev.Data.Span);
        return ValueTask.FromResult(same);
    }

    protected override ValueTask InsertAsync(long stream, long revision, EventData ev, CancellationToken ct)
    {
        // Synchronous on purpose: SQLite has no asynchronous I/O, and an await per row would cost
        // more than the row.
        var st = _insert!;
        Span<byte> id = stackalloc byte[16];
        ev.Id.TryWriteBytes(id);
        raw.sqlite3_bind_int64(st, 1, ++_position);
        raw.sqlite3_bind_int64(st, 2, stream);
        raw.sqlite3_bind_int64(st, 3, revision);
        raw.sqlite3_bind_blob(st, 4, id);
        raw.sqlite3_bind_text(st, 5, ev.Type);
        raw.sqlite3_bind_blob(st, 6, ev.Data.Span);
        raw.sqlite3_bind_int64(st, 7, _now);
        int rc = raw.sqlite3_step(st);
        raw.sqlite3_reset(st);
        if (rc != raw.SQLITE_DONE) Check(rc);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask SetLastAsync(long stream, long last, CancellationToken ct)
    {
        using var cmd = _c.CreateCommand();
        cmd.CommandText = "UPDATE streams SET last = $l WHERE id = $s";
        cmd.Parameters.AddWithValue("$l", last);
        cmd.Parameters.AddWithValue("$s", stream);
        Run(cmd.ExecuteNonQuery);
        return ValueTask.CompletedTask;
    }

    protected override Task CommitTransactionAsync(CancellationToken ct)
    {
        using var cmd = _c.CreateCommand();
        cmd.CommandText = _position == _positionAtStart ? "COMMIT" : $"UPDATE store_position SET last = {_position} WHERE id = 0; COMMIT";
        Run(cmd.ExecuteNonQuery);
        return Task.CompletedTask;
    }

    protected override ValueTask RollbackAsync()
    {
        try
        {
            using var cmd = _c.CreateCommand();
            cmd.CommandText = "ROLLBACK";
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // SQLite rolls back by itself on some errors (a full disk); there is nothing left to undo.
        }
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask DisposeResourcesAsync()
    {
        if (_insert is not null)
        {
            raw.sqlite3_finalize(_insert);
            _insert = null;
        }
        _holds.Dispose();
        await _c.DisposeAsync();
    }

    private void Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw _store.Translate(new SqliteException(raw.sqlite3_errmsg(_c.Handle).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_c.Handle)));
    }

    private T Run<T>(Func<T> op)
    {
        try { return op(); }
        catch (SqliteException e) { throw _store.Translate(e); }
    }
}
