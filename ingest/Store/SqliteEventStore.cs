using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Replayer.Ingest.Store;

/// <summary>
/// The embedded store: one SQLite file with a rollback journal. An append session is one
/// IMMEDIATE transaction, so writers are serialised by SQLite itself and global positions follow
/// commit order. Positions come from a high-water mark kept in the store (never lowered by a
/// delete, so never reused) rather than AUTOINCREMENT, which writes its counter once per row. A process killed mid-session leaves a
/// hot journal that SQLite rolls back on the next open: all or none.
///
/// Why not WAL: an ingest is one large transaction of new pages, which a rollback journal writes
/// once and WAL writes twice (log, then checkpoint); measured on 1M events, 1.5 s against 3.2 s.
/// What WAL would add, readers that never wait for a committing writer, matters to a shared fleet
/// store, and that is what the PostgreSQL backend is for.
/// </summary>
public sealed class SqliteEventStore : IEventStore
{
    private readonly string _connectionString;

    /// <summary>
    /// SQLite stays in its default, serialized mode: each connection takes its mutex around every
    /// call. Multi-thread mode saved that (2% of a 10M-event replay's CPU) but makes any use of a
    /// connection or statement from two threads at once undefined, the finalizer thread releasing a
    /// lost statement included; a full test run once found a store that one process had just
    /// written "malformed" in another (BatchCommandTests), and no cause in this code was found.
    /// A store that is right matters more than 2%.
    /// </summary>
    static SqliteEventStore()
    {
        SQLitePCL.Batteries_V2.Init();
    }

    private SqliteEventStore(string path, string connectionString)
    {
        Path = path;
        _connectionString = connectionString;
    }

    public string Path { get; }
    public string Description => $"SQLite store {Path}";

    public EventEncoding Encoding { get; private set; }

    public static async Task<SqliteEventStore> OpenAsync(string path, CancellationToken ct = default)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full);
        try
        {
            if (dir is not null) Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"cannot create the store's folder {dir}: {e.Message}", e);
        }
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString();
        var store = new SqliteEventStore(full, cs);
        await store.MigrateAsync(ct);
        return store;
    }

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        try
        {
            await c.OpenAsync(ct);
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=DELETE; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=60000; PRAGMA cache_size=-65536;";
            await cmd.ExecuteNonQueryAsync(ct);
            return c;
        }
        catch (SqliteException e)
        {
            await c.DisposeAsync();
            throw Translate(e);
        }
    }

    internal StoreException Translate(SqliteException e) => e.SqliteErrorCode switch
    {
        8 => new StoreException($"{Description} is read-only: {e.Message}", e),
        13 => new StoreException($"{Description} is full (no space left): {e.Message}", e),
        26 => new StoreException($"{Path} is not a replayer store (not an SQLite database)", e),
        11 => new StoreException($"{Description} is damaged: {e.Message}", e),
        _ => new StoreException($"{Description}: {e.Message}", e),
    };

    /// <summary>
    /// Whether the store keeps its events' data in blocks (schema version 3, every SQLite store
    /// made since): events(position, stream, revision, id, type, block, created) names each
    /// event and the block that holds its data, and blocks(id, stream, first, count, data) holds
    /// up to <see cref="EventBlock.MaxEvents"/> consecutive events of one stream appended in one
    /// session. Older stores (versions 1 and 2) keep each event's data in its own row, and stay so.
    /// </summary>
    internal bool Blocks { get; private set; }

    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var c = await OpenConnectionAsync(ct);
        try
        {
            var existing = await SchemaVersionAsync(c, null, ct);
            if (existing is "1" or "2")
            {
                await OneRowAnEventAsync(c, ct);
                return;
            }
            if (existing is not null)
            {
                Know(existing);
                return;
            }
            // 16 KiB pages, for a new file only: an ingest appends long runs of rows, and larger
            // pages cut the b-tree work per row and a replay's reads (one system call per page).
            // Outside the transaction: inside one, SQLite keeps the default 4 KiB.
            using (var pages = c.CreateCommand())
            {
                pages.CommandText = "PRAGMA page_size = 16384";
                await pages.ExecuteNonQueryAsync(ct);
            }
            // IMMEDIATE: of two processes making the store at once, the second waits, then finds it made.
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
            if (await SchemaVersionAsync(c, tx, ct) is { } made)
            {
                Know(made);
                await tx.CommitAsync(ct);
                return;
            }
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = SharedTables + EventsInBlocks + "INSERT INTO store_info(key, value) VALUES('schema', $current);";
            cmd.Parameters.AddWithValue("$current", StoreSchema.Blocks.ToString());
            await cmd.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            Know(StoreSchema.Blocks.ToString());
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>The tables every layout has, made where missing.</summary>
    private const string SharedTables = """
        CREATE TABLE IF NOT EXISTS store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS store_position(id INTEGER PRIMARY KEY CHECK (id = 0), last INTEGER NOT NULL);
        INSERT OR IGNORE INTO store_position(id, last) VALUES(0, 0);
        CREATE TABLE IF NOT EXISTS streams(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, last INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS checkpoints(name TEXT PRIMARY KEY, position INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS snapshots(stream TEXT NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL,
            state BLOB NOT NULL, PRIMARY KEY(stream, revision));

        """;

    /// <summary>Versions 1 and 2: each event's data in its own row.</summary>
    private const string EventsInRows = """
        CREATE TABLE IF NOT EXISTS events(
            position INTEGER PRIMARY KEY,
            stream INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            id BLOB NOT NULL,
            type TEXT NOT NULL,
            data BLOB NOT NULL,
            created INTEGER NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events(stream, revision);

        """;

    /// <summary>Version 3: each event's row names the block that holds its data (<see cref="Blocks"/>).</summary>
    private const string EventsInBlocks = """
        CREATE TABLE IF NOT EXISTS events(
            position INTEGER PRIMARY KEY,
            stream INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            id BLOB NOT NULL,
            type TEXT NOT NULL,
            block INTEGER NOT NULL,
            created INTEGER NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events(stream, revision);
        CREATE TABLE IF NOT EXISTS blocks(
            id INTEGER PRIMARY KEY,
            stream INTEGER NOT NULL,
            first INTEGER NOT NULL,
            count INTEGER NOT NULL,
            data BLOB NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS blocks_by_stream ON blocks(stream, first);

        """;

    /// <summary>
    /// A store of version 1 or 2, one row an event: its tables made where missing, as every
    /// replayer before version 3 did on opening it.
    /// </summary>
    private async Task OneRowAnEventAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = SharedTables + EventsInRows + "SELECT value FROM store_info WHERE key = 'schema';";
        Know(await cmd.ExecuteScalarAsync(ct) as string ?? "");
        await tx.CommitAsync(ct);
    }

    /// <summary>The store's schema version, or null when it has none yet (a new file).</summary>
    private static async Task<string?> SchemaVersionAsync(SqliteConnection c, SqliteTransaction? tx, CancellationToken ct)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'store_info'";
        if ((long)(await cmd.ExecuteScalarAsync(ct))! == 0) return null;
        cmd.CommandText = "SELECT value FROM store_info WHERE key = 'schema'";
        return await cmd.ExecuteScalarAsync(ct) as string ?? "";
    }

    /// <summary>Takes the layout and encoding of a store of this version, or refuses a version it does not know.</summary>
    private void Know(string version)
    {
        if (version == StoreSchema.Blocks.ToString())
        {
            Blocks = true;
            Encoding = EventEncoding.Binary;
            return;
        }
        Encoding = StoreSchema.EncodingOf(version) ?? throw StoreSchema.Unknown(Description, version == "" ? null : version, "1, 2 and 3");
    }

    public async Task<IAppendSession> BeginAppendAsync(CancellationToken ct = default)
    {
        var c = await OpenConnectionAsync(ct);
        try
        {
            using var begin = c.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync(ct);
            return new SqliteAppendSession(this, c);
        }
        catch (SqliteException e)
        {
            await c.DisposeAsync();
            throw Translate(e);
        }
    }

    public async IAsyncEnumerable<RecordedEvent> ReadStreamAsync(string stream, StreamRevision from, long maxCount = long.MaxValue,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT e.revision, e.position, e.id, e.type, {DataColumn}, e.created FROM events e
            JOIN streams s ON s.id = e.stream
            WHERE s.name = $name AND e.revision >= $from ORDER BY e.revision LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$name", stream);
        cmd.Parameters.AddWithValue("$from", from.Value);
        cmd.Parameters.AddWithValue("$n", maxCount);
        using var blocks = Blocks ? new BlockLookup(c, Description) : null;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            long revision = r.GetInt64(0);
            yield return new RecordedEvent(stream, new StreamRevision(revision), new Position(r.GetInt64(1)),
                new Guid(r.GetFieldValue<byte[]>(2)), r.GetString(3), blocks?.DataOf(r.GetInt64(4), revision) ?? r.GetFieldValue<byte[]>(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)));
        }
    }

    /// <summary>
    /// The replay's read: from SQLite's rows to the chunk (SqliteRows), with no envelope and
    /// nothing allocated per event. Microsoft.Data.Sqlite's reader would make a byte array per
    /// blob; at millions of events a replay, that garbage is most of its GC. A store of blocks is
    /// read a block a row (each copied once out of SQLite, then taken apart); an older one a row
    /// an event, straight into the chunk.
    /// </summary>
    public async Task<int> ReadStreamDataAsync(string stream, StreamRevision from, int maxCount, EventChunk into, CancellationToken ct = default)
    {
        into.Reset(stream);
        await using var c = await OpenConnectionAsync(ct);
        var db = c.Handle!;
        if (Blocks)
        {
            ReadRows(db, BlocksOfRevisions, stream, from.Value, maxCount, into);
            return into.Count;
        }
        // A stream's events follow one another in position as in revision, and those appended in
        // one run have consecutive positions: the rows from the first one asked, as many positions
        // on as events are asked, are read along the table itself. Only when other streams'
        // appends came between does that give fewer, and the rest is read through the (stream,
        // revision) index, which costs a lookup of the row for every event (about a tenth of a
        // 10M-event replay's reading).
        ReadRows(db, ContiguousRows, stream, from.Value, maxCount, into);
        if (into.Count < maxCount)
            ReadRows(db, IndexedRows, stream, from.Value + into.Count, maxCount - into.Count, into);
        return into.Count;
    }

    /// <summary>
    /// The stream's rows among the positions from that of the revision asked up to as many more as
    /// are asked for. The unary plus keeps the planner on the table's own order: on the index of
    /// streams it would sort every row again.
    /// </summary>
    private const string ContiguousRows = """
        WITH first AS (SELECT e.stream AS sid, e.position AS p FROM events e JOIN streams s ON s.id = e.stream
                       WHERE s.name = ?1 AND e.revision = ?2)
        SELECT e.revision, e.data FROM first CROSS JOIN events e
        WHERE e.position BETWEEN first.p AND first.p + ?3 - 1 AND +e.stream = first.sid
        ORDER BY e.position
        """;

    /// <summary>
    /// The blocks that may hold the revisions asked (those that start at most MaxEvents - 1
    /// before the first), by the (stream, first) index; SqliteRows takes the events asked out of them.
    /// </summary>
    private static readonly string BlocksOfRevisions = $"""
        SELECT b.first, b.count, b.data FROM blocks b JOIN streams s ON s.id = b.stream
        WHERE s.name = ?1 AND b.first BETWEEN ?2 - {EventBlock.MaxEvents - 1} AND ?2 + ?3 - 1
        ORDER BY b.first
        """;

    /// <summary>An event's data, or in a store of blocks the block that holds it.</summary>
    private string DataColumn => Blocks ? "e.block" : "e.data";

    /// <summary>The stream's rows from the revision asked, by the (stream, revision) index.</summary>
    private const string IndexedRows = """
        SELECT e.revision, e.data FROM events e JOIN streams s ON s.id = e.stream
        WHERE s.name = ?1 AND e.revision >= ?2 ORDER BY e.revision LIMIT ?3
        """;

    /// <summary>Appends the rows of one of the two queries above to the chunk.</summary>
    private void ReadRows(sqlite3 db, string sql, string stream, long from, int count, EventChunk into)
    {
        int rc = raw.sqlite3_prepare_v2(db, sql, out sqlite3_stmt statement);
        using (statement)
        {
            if (rc != raw.SQLITE_OK) throw Failure(db, rc);
            raw.sqlite3_bind_text(statement, 1, stream);
            raw.sqlite3_bind_int64(statement, 2, from);
            raw.sqlite3_bind_int64(statement, 3, count);
            try
            {
                rc = ReferenceEquals(sql, BlocksOfRevisions) ? SqliteRows.ReadBlocksInto(statement, from, count, into) : SqliteRows.ReadInto(statement, into);
            }
            catch (InvalidDataException e)
            {
                throw new StoreException($"{Description} is damaged: stream {stream}: {e.Message}", e);
            }
            if (rc != raw.SQLITE_DONE) throw Failure(db, rc);
        }
    }

    /// <summary>
    /// Events' data out of their blocks, for the reads that return whole events: the block last
    /// read is kept, so a stream's events read in order fetch each block once.
    /// </summary>
    internal sealed class BlockLookup : IDisposable
    {
        private readonly SqliteCommand _fetch;
        private readonly string _description;
        private long _id = -1;
        private long _first;
        private byte[] _data = [];
        // Where each event's data starts in _data and how long it is, [0, _count).
        private readonly List<(int Start, int Length)> _events = [];

        public BlockLookup(SqliteConnection c, string description)
        {
            _description = description;
            _fetch = c.CreateCommand();
            _fetch.CommandText = "SELECT first, count, data FROM blocks WHERE id = $id";
            _fetch.Parameters.Add("$id", SqliteType.Integer);
        }

        /// <summary>A copy of the data of the event at <paramref name="revision"/>, which the row names as in block <paramref name="block"/>.</summary>
        public byte[] DataOf(long block, long revision)
        {
            try
            {
                return Data(block, revision);
            }
            catch (InvalidDataException e)
            {
                throw new StoreException($"{_description} is damaged: {e.Message}", e);
            }
        }

        private byte[] Data(long block, long revision)
        {
            if (block != _id) Load(block);
            long i = revision - _first;
            if (i < 0 || i >= _events.Count)
                throw new InvalidDataException($"the event at revision {revision} is not in block {block}, which holds revisions {_first} to {_first + _events.Count - 1}");
            var (start, length) = _events[(int)i];
            return _data.AsSpan(start, length).ToArray();
        }

        private void Load(long block)
        {
            _id = -1;
            _events.Clear();
            _fetch.Parameters[0].Value = block;
            using (var r = _fetch.ExecuteReader())
            {
                if (!r.Read()) throw new InvalidDataException($"an event names block {block}, which the store does not hold");
                _first = r.GetInt64(0);
                long count = r.GetInt64(1);
                _data = r.GetFieldValue<byte[]>(2);
                int at = 0;
                for (long k = 0; k < count; k++)
                {
                    var ev = EventBlock.Next(_data, ref at);
                    _events.Add((at - ev.Length, ev.Length));
                }
                EventBlock.End(_data, at, _first, count);
            }
            _id = block;
        }

        public void Dispose() => _fetch.Dispose();
    }

    private StoreException Failure(sqlite3 db, int rc) => Translate(new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc));

    public async IAsyncEnumerable<RecordedEvent> ReadAllAsync(Position after, long maxCount = long.MaxValue,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        var names = new Dictionary<long, string>();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT e.stream, e.revision, e.position, e.id, e.type, {DataColumn}, e.created FROM events e
            WHERE e.position > $after ORDER BY e.position LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$after", after.Value);
        cmd.Parameters.AddWithValue("$n", maxCount);
        using var blocks = Blocks ? new BlockLookup(c, Description) : null;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            // Each stream's name is looked up when its first event comes, on this connection, so in
            // the events read's own snapshot, which has it (a stream's row commits with its first
            // event). The names were once read first, in a snapshot of their own: an event of a
            // stream created in between was skipped, and a catch-up subscription, going on after
            // the later events it yielded, lost it for good.
            long sid = r.GetInt64(0);
            if (!names.TryGetValue(sid, out var name)) names[sid] = name = await StreamNameAsync(c, sid, ct);
            long revision = r.GetInt64(1);
            yield return new RecordedEvent(name, new StreamRevision(revision), new Position(r.GetInt64(2)),
                new Guid(r.GetFieldValue<byte[]>(3)), r.GetString(4), blocks?.DataOf(r.GetInt64(5), revision) ?? r.GetFieldValue<byte[]>(5),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)));
        }
    }

    private static async Task<string> StreamNameAsync(SqliteConnection c, long id, CancellationToken ct)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name FROM streams WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.ExecuteScalarAsync(ct) as string
            ?? throw new InvalidDataException($"event of stream id {id}, which the streams table does not name");
    }

    public async Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(string prefix, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        // substr rather than LIKE: stream names may hold % and _.
        cmd.CommandText = "SELECT name, last FROM streams WHERE substr(name, 1, length($p)) = $p ORDER BY name";
        cmd.Parameters.AddWithValue("$p", prefix);
        var list = new List<StreamInfo>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
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
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
            foreach (var s in streams)
            {
                using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = (Blocks ? "DELETE FROM blocks WHERE stream = (SELECT id FROM streams WHERE name = $n);\n" : "") + """
                    DELETE FROM events WHERE stream = (SELECT id FROM streams WHERE name = $n);
                    DELETE FROM streams WHERE name = $n;
                    DELETE FROM snapshots WHERE stream = $n OR substr(stream, 1, length($n) + 1) = $n || '#';
                    """;
                cmd.Parameters.AddWithValue("$n", s);
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    public async Task<Position?> GetCheckpointAsync(string name, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT position FROM checkpoints WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        var v = await cmd.ExecuteScalarAsync(ct);
        return v is long p ? new Position(p) : null;
    }

    public async Task SetCheckpointAsync(string name, Position position, CancellationToken ct = default)
    {
        await ExecuteAsync("INSERT INTO checkpoints(name, position) VALUES($n, $p) ON CONFLICT(name) DO UPDATE SET position = excluded.position",
            ct, ("$n", name), ("$p", position.Value));
    }

    public async Task SaveSnapshotAsync(string stream, StreamRevision revision, string type, Stream state, CancellationToken ct = default)
    {
        long length = state.Length - state.Position;
        // The snapshot saved last replaces the stream's others (a replay started again from the
        // beginning must not resume from an older run's end). They go in a transaction of their
        // own, committed first: pages freed and filled again in one transaction are journaled,
        // since a rollback must restore what they held, and that wrote a 60 MB snapshot twice.
        // Pages a committed transaction freed are free space, filled without a journal. A crash
        // between the two leaves the stream without a snapshot, and its next replay starts from
        // the beginning: the events are the record, a snapshot only saves work.
        await ExecuteAsync("DELETE FROM snapshots WHERE stream = $s", ct, ("$s", stream));
        await using var c = await OpenConnectionAsync(ct);
        try
        {
            // The state goes in through incremental blob I/O, a megabyte at a time, never whole in memory.
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO snapshots(stream, revision, type, state) VALUES($s, $r, $t, zeroblob($n));
                SELECT last_insert_rowid();
                """;
            cmd.Parameters.AddWithValue("$s", stream);
            cmd.Parameters.AddWithValue("$r", revision.Value);
            cmd.Parameters.AddWithValue("$t", type);
            cmd.Parameters.AddWithValue("$n", length);
            long row = (long)(await cmd.ExecuteScalarAsync(ct))!;
            await using (var blob = new SqliteBlob(c, "snapshots", "state", row))
                await state.CopyToAsync(blob, 1 << 20, ct);
            await tx.CommitAsync(ct);
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    public async Task<Snapshot?> LoadSnapshotAsync(string stream, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT revision, type, state FROM snapshots WHERE stream = $s ORDER BY revision DESC LIMIT 1";
        cmd.Parameters.AddWithValue("$s", stream);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new Snapshot(stream, new StreamRevision(r.GetInt64(0)), r.GetString(1), r.GetFieldValue<byte[]>(2));
    }

    public async Task<Position> LastPositionAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT last FROM store_position WHERE id = 0";
        return new Position((long)(await cmd.ExecuteScalarAsync(ct))!);
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var c = await OpenConnectionAsync(ct);
        try
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
