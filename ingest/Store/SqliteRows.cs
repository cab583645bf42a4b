using System.Buffers;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace Replayer.Ingest.Store;

/// <summary>
/// The replay's row loop, calling SQLite directly. SQLitePCL's raw calls take the statement as a
/// SafeHandle, so each one adds and releases a reference and goes through a marshalling stub:
/// four calls a row (step, the revision, the blob and its length), about 40 million at a 10M-event
/// replay, were a few percent of its CPU. Here the statement is held once for the whole loop, and
/// the column reads, which neither block nor call back, skip the GC transition. And the
/// connection's own mutex is held across the loop: in SQLite's serialized mode every call takes
/// it, and taking it again while holding it (it is recursive) costs no atomic operation; that was
/// 2.5% of a 10M-event replay's CPU. Nothing else uses the connection while its rows are read.
/// </summary>
internal static class SqliteRows
{
    /// <summary>The library SQLitePCL's bundle loads: the same handle, the same SQLite.</summary>
    private const string Library = "e_sqlite3";

    /// <summary>Copies every row of a prepared (revision, data) statement into the chunk; SQLite's last result code.</summary>
    public static int ReadInto(sqlite3_stmt statement, EventChunk into)
    {
        var rows = new EventRows(into);
        return Each(statement, ref rows);
    }

    /// <summary>
    /// Copies the events of revisions [from, from + count) out of every row of a prepared (first,
    /// count, data) statement over blocks (<see cref="EventBlock"/>) into the chunk; SQLite's last
    /// result code. Each block is copied once out of SQLite's row, then taken apart.
    /// </summary>
    public static int ReadBlocksInto(sqlite3_stmt statement, long from, long count, EventChunk into)
    {
        var rows = new BlockRows(from, from + count, into, ArrayPool<byte>.Shared.Rent(EventBlock.MaxBytes));
        try
        {
            return Each(statement, ref rows);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rows.Buffer);
        }
    }

    /// <summary>What is done with each row a statement gives (a struct, so that the call is made direct and inlined).</summary>
    private interface IRowSink
    {
        void Row(IntPtr statement);
    }

    /// <summary>
    /// Steps a prepared statement through its rows, the statement held and the connection's mutex
    /// taken once for the whole loop; SQLite's last result code.
    /// </summary>
    private static int Each<TSink>(sqlite3_stmt statement, ref TSink sink) where TSink : struct, IRowSink
    {
        bool added = false;
        try
        {
            statement.DangerousAddRef(ref added);
            IntPtr st = statement.DangerousGetHandle();
            // Null when the connection is not serialized; entering null does nothing.
            IntPtr mutex = DbMutex(DbHandle(st));
            MutexEnter(mutex);
            try
            {
                int rc;
                while ((rc = Step(st)) == raw.SQLITE_ROW) sink.Row(st);
                return rc;
            }
            finally
            {
                MutexLeave(mutex);
            }
        }
        finally
        {
            if (added) statement.DangerousRelease();
        }
    }

    /// <summary>A row an event: its revision and its data, straight into the chunk.</summary>
    private readonly struct EventRows(EventChunk into) : IRowSink
    {
        public void Row(IntPtr st) => into.Add(ColumnInt64(st, 0), ColumnBlob(st, 1), ColumnBytes(st, 1));
    }

    /// <summary>A row a block: the events of it in [From, End) into the chunk, through a buffer grown for the longest block met.</summary>
    private struct BlockRows(long from, long end, EventChunk into, byte[] buffer) : IRowSink
    {
        public byte[] Buffer = buffer;

        public void Row(IntPtr st)
        {
            long first = ColumnInt64(st, 0);
            long events = ColumnInt64(st, 1);
            IntPtr data = ColumnBlob(st, 2);
            int length = ColumnBytes(st, 2);
            if (first + events <= from || first >= end) return;
            if (length > Buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = ArrayPool<byte>.Shared.Rent(length);
            }
            if (length > 0) Marshal.Copy(data, Buffer, 0, length);
            var block = Buffer.AsSpan(0, length);
            int at = 0;
            for (long revision = first; revision < first + events; revision++)
            {
                var ev = EventBlock.Next(block, ref at);
                if (revision >= from && revision < end) into.Add(revision, ev);
            }
            EventBlock.End(block, at, first, events);
        }
    }

    [DllImport(Library, EntryPoint = "sqlite3_db_handle", ExactSpelling = true)]
    private static extern IntPtr DbHandle(IntPtr statement);

    [DllImport(Library, EntryPoint = "sqlite3_db_mutex", ExactSpelling = true)]
    private static extern IntPtr DbMutex(IntPtr db);

    [DllImport(Library, EntryPoint = "sqlite3_mutex_enter", ExactSpelling = true)]
    private static extern void MutexEnter(IntPtr mutex);

    [DllImport(Library, EntryPoint = "sqlite3_mutex_leave", ExactSpelling = true)]
    private static extern void MutexLeave(IntPtr mutex);

    [DllImport(Library, EntryPoint = "sqlite3_step", ExactSpelling = true)]
    private static extern int Step(IntPtr statement);

    [DllImport(Library, EntryPoint = "sqlite3_column_int64", ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern long ColumnInt64(IntPtr statement, int column);

    /// <summary>The blob's first byte; valid until the next step. Asked before its length, as SQLite's documentation wants.</summary>
    [DllImport(Library, EntryPoint = "sqlite3_column_blob", ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern IntPtr ColumnBlob(IntPtr statement, int column);

    [DllImport(Library, EntryPoint = "sqlite3_column_bytes", ExactSpelling = true)]
    [SuppressGCTransition]
    private static extern int ColumnBytes(IntPtr statement, int column);
}
