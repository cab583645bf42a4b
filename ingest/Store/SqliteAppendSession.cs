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

    // A store of blocks (schema version 3): each event's row names the block its data goes in, and
    // the block being filled is written when the next event cannot join it (another stream, a
    // revision not next, full) and at the commit.
    private readonly bool _blocks;
    private sqlite3_stmt? _insertBlock;
    private readonly SqliteEventStore.BlockLookup? _lookup;
    private long _lastBlock;
    private bool _open;
    private long _blockStream, _blockFirst;
    private int _blockCount, _blockLength;
    private byte[] _block = [];

    public SqliteAppendSession(SqliteEventStore store, SqliteConnection c)
    {
        _store = store;
        _c = c;
        _blocks = store.Blocks;
        Check(raw.sqlite3_prepare_v2(c.Handle, _blocks
                ? "INSERT INTO events(position, stream, revision, id, type, block, created) VALUES(?, ?, ?, ?, ?, ?, ?)"
                : "INSERT INTO events(position, stream, revision, id, type, data, created) VALUES(?, ?, ?, ?, ?, ?, ?)",
            out _insert));
        using (var hw = c.CreateCommand())
        {
            hw.CommandText = "SELECT last FROM store_position WHERE id = 0";
            _position = _positionAtStart = (long)Run(hw.ExecuteScalar)!;
            if (_blocks)
            {
                hw.CommandText = "SELECT coalesce(max(id), 0) FROM blocks";
                _lastBlock = (long)Run(hw.ExecuteScalar)!;
                Check(raw.sqlite3_prepare_v2(c.Handle, "INSERT INTO blocks(id, stream, first, count, data) VALUES(?, ?, ?, ?, ?)", out _insertBlock));
                _lookup = new SqliteEventStore.BlockLookup(c, store.Description);
            }
        }
        _holds = c.CreateCommand();
        _holds.CommandText = _blocks
            ? "SELECT id, type, block FROM events WHERE stream = $s AND revision = $r"
            : "SELECT id, type, data FROM events WHERE stream = $s AND revision = $r";
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
            && (_lookup is null ? r.GetFieldValue<byte[]>(2) : Run(() => _lookup.DataOf(r.GetInt64(2), revision))).AsSpan().SequenceEqual(ev.Data.Span);
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
        if (_blocks) raw.sqlite3_bind_int64(st, 6, Block(stream, revision, ev.Data.Span));
        else raw.sqlite3_bind_blob(st, 6, ev.Data.Span);
        raw.sqlite3_bind_int64(st, 7, _now);
        int rc = raw.sqlite3_step(st);
        raw.sqlite3_reset(st);
        if (rc != raw.SQLITE_DONE) Check(rc);
        return ValueTask.CompletedTask;
    }

    /// <summary>Adds an event's data to the block being filled, starting another when it cannot join; the block's id.</summary>
    private long Block(long stream, long revision, ReadOnlySpan<byte> data)
    {
        int size = EventBlock.Size(data.Length);
        if (_open && (stream != _blockStream || revision != _blockFirst + _blockCount || _blockCount == EventBlock.MaxEvents
                      || _blockLength + size > EventBlock.MaxBytes))
            WriteBlock();
        if (!_open)
        {
            _open = true;
            _lastBlock++;
            _blockStream = stream;
            _blockFirst = revision;
            _blockCount = 0;
            _blockLength = 0;
        }
        if (_block.Length < _blockLength + size) Array.Resize(ref _block, Math.Max(Math.Max(_block.Length * 2, EventBlock.MaxBytes), _blockLength + size));
        _blockLength += EventBlock.Write(_block.AsSpan(_blockLength), data);
        _blockCount++;
        return _lastBlock;
    }

    /// <summary>Writes the block being filled, if any.</summary>
    private void WriteBlock()
    {
        if (!_open) return;
        _open = false;
        var st = _insertBlock!;
        raw.sqlite3_bind_int64(st, 1, _lastBlock);
        raw.sqlite3_bind_int64(st, 2, _blockStream);
        raw.sqlite3_bind_int64(st, 3, _blockFirst);
        raw.sqlite3_bind_int64(st, 4, _blockCount);
        raw.sqlite3_bind_blob(st, 5, _block.AsSpan(0, _blockLength));
        int rc = raw.sqlite3_step(st);
        raw.sqlite3_reset(st);
        if (rc != raw.SQLITE_DONE) Check(rc);
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
        WriteBlock();
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
        if (_insertBlock is not null)
        {
            raw.sqlite3_finalize(_insertBlock);
            _insertBlock = null;
        }
        _lookup?.Dispose();
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
