using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Replayer.Ingest.Store;

/// <summary>One IMMEDIATE transaction on its own connection, with its statements prepared once.</summary>
internal sealed class SqliteAppendSession : AppendSessionBase
{
    private readonly SqliteEventStore _store;
    private readonly SqliteConnection _c;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _pStream, _pRevision, _pId, _pType, _pData, _pCreated;
    private readonly SqliteCommand _idAt;
    private readonly long _now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly byte[] _idBytes = new byte[16];

    public SqliteAppendSession(SqliteEventStore store, SqliteConnection c)
    {
        _store = store;
        _c = c;
        _insert = c.CreateCommand();
        _insert.CommandText = "INSERT INTO events(stream, revision, id, type, data, created) VALUES($s, $r, $i, $t, $d, $c)";
        _pStream = _insert.Parameters.Add("$s", SqliteType.Integer);
        _pRevision = _insert.Parameters.Add("$r", SqliteType.Integer);
        _pId = _insert.Parameters.Add("$i", SqliteType.Blob);
        _pType = _insert.Parameters.Add("$t", SqliteType.Text);
        _pData = _insert.Parameters.Add("$d", SqliteType.Blob);
        _pCreated = _insert.Parameters.Add("$c", SqliteType.Integer);
        _pCreated.Value = _now;
        _insert.Prepare();
        _idAt = c.CreateCommand();
        _idAt.CommandText = "SELECT id FROM events WHERE stream = $s AND revision = $r";
        _idAt.Parameters.Add("$s", SqliteType.Integer);
        _idAt.Parameters.Add("$r", SqliteType.Integer);
        _idAt.Prepare();
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

    protected override ValueTask<Guid?> IdAtAsync(long stream, long revision, CancellationToken ct)
    {
        _idAt.Parameters[0].Value = stream;
        _idAt.Parameters[1].Value = revision;
        var v = Run(_idAt.ExecuteScalar);
        return ValueTask.FromResult(v is byte[] b ? new Guid(b) : (Guid?)null);
    }

    protected override ValueTask InsertAsync(long stream, long revision, EventData ev, CancellationToken ct)
    {
        // Synchronous on purpose: SQLite has no asynchronous I/O, and the async wrappers cost an
        // allocation per row on the hottest path of an ingest.
        _pStream.Value = stream;
        _pRevision.Value = revision;
        ev.Id.TryWriteBytes(_idBytes);
        _pId.Value = _idBytes;
        _pType.Value = ev.Type;
        _pData.Value = AsArray(ev.Data);
        Run(_insert.ExecuteNonQuery);
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
        cmd.CommandText = "COMMIT";
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
        _insert.Dispose();
        _idAt.Dispose();
        await _c.DisposeAsync();
    }

    private static byte[] AsArray(ReadOnlyMemory<byte> m) =>
        MemoryMarshal.TryGetArray(m, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length ? seg.Array : m.ToArray();

    private T Run<T>(Func<T> op)
    {
        try { return op(); }
        catch (SqliteException e) { throw _store.Translate(e); }
    }
}
