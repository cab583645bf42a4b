using System.Buffers;
using System.Runtime.InteropServices;

namespace Replayer.Replay.Engine;

/// <summary>
/// A write-only stream kept in blocks of 64 KiB, for a host's snapshot and the parts of it that
/// are written on other cores. A MemoryStream grows by doubling one array on the large-object
/// heap: for the 67 MB snapshot of a host of 5,000 containers, that made arrays of 128 MB in all,
/// copied each time it doubled and once more to hand the bytes on, and every one of them asked for
/// a collection of the whole heap (two of 0.1 to 0.3 s each at the end of a 10M-event replay).
/// Blocks below the large-object threshold come from a pool of their own and go back to it when
/// the buffer is disposed. A part is put into the whole by <see cref="Append"/>, which moves its
/// blocks over instead of copying them, and the whole goes to the store through
/// <see cref="OpenRead"/>: a snapshot is never copied through a file or into one array.
/// </summary>
public sealed class SnapshotBuffer : Stream
{
    private const int BlockSize = 1 << 16;

    /// <summary>
    /// The blocks of every buffer, kept when given back: a replay that saves a snapshot every
    /// million events needs the same 60 MB each time at 5,000 containers, and the shared pool keeps
    /// a few dozen arrays of a size, so each snapshot left 60 MB of garbage that lived long enough
    /// to be promoted (the 10M-event replay with ten snapshots peaked at 1.04 GB; 0.84 GB with
    /// this pool). Up to 2,048 blocks (128 MB) are kept.
    /// </summary>
    private static readonly ArrayPool<byte> Blocks = ArrayPool<byte>.Create(BlockSize, 2048);

    /// <summary>
    /// A run of bytes: [Start, End) of an array. Pooled marks the run that returns its array to
    /// the blocks' pool (an array handed over by <see cref="Append(byte[])"/> goes back to no pool).
    /// </summary>
    private struct Run
    {
        public byte[] Bytes;
        public int Start, End;
        public bool Pooled;
    }

    /// <summary>The runs, in order.</summary>
    private readonly List<Run> _runs = [];
    /// <summary>The block being filled, and how much of it is (all of it when there is none yet); writes after an append go on in it, in a run of their own.</summary>
    private byte[] _block = [];
    private int _blockUsed = BlockSize;
    /// <summary>Whether the last run is the one being filled in <see cref="_block"/> (its End is set when it is closed).</summary>
    private bool _open;
    /// <summary>Bytes written in all.</summary>
    private long _length;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // Most writes are a BinaryWriter's few bytes into the run being filled.
        if (_open && buffer.Length <= BlockSize - _blockUsed)
        {
            buffer.CopyTo(_block.AsSpan(_blockUsed));
            _blockUsed += buffer.Length;
            _length += buffer.Length;
            return;
        }
        while (!buffer.IsEmpty)
        {
            if (!_open || _blockUsed == BlockSize) StartRun();
            int n = Math.Min(buffer.Length, BlockSize - _blockUsed);
            buffer[..n].CopyTo(_block.AsSpan(_blockUsed));
            _blockUsed += n;
            _length += n;
            buffer = buffer[n..];
        }
    }

    /// <summary>
    /// Starts a run at the end: in a new block when the one being filled is full or there is none,
    /// else further on in the same block (something was appended since its last run).
    /// </summary>
    private void StartRun()
    {
        EndRun();
        bool fresh = _blockUsed == BlockSize;
        if (fresh)
        {
            _block = Blocks.Rent(BlockSize);
            _blockUsed = 0;
        }
        _runs.Add(new Run { Bytes = _block, Start = _blockUsed, Pooled = fresh });
        _open = true;
    }

    /// <summary>Ends the run being filled at what was written in it.</summary>
    private void EndRun()
    {
        if (!_open) return;
        CollectionsMarshal.AsSpan(_runs)[^1].End = _blockUsed;
        _open = false;
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Moves every byte of <paramref name="part"/> to the end of this buffer, without copying them; <paramref name="part"/> is left empty.</summary>
    public void Append(SnapshotBuffer part)
    {
        if (ReferenceEquals(part, this)) throw new ArgumentException("a buffer cannot be appended to itself", nameof(part));
        EndRun();
        part.EndRun();
        _runs.AddRange(part._runs);
        _length += part._length;
        part._runs.Clear();
        part._block = [];
        part._blockUsed = BlockSize;
        part._length = 0;
    }

    /// <summary>
    /// Puts <paramref name="bytes"/> at the end as they are, without copying them (a container's
    /// books: thousands of arrays already made); the caller must not change them afterwards.
    /// </summary>
    public void Append(byte[] bytes)
    {
        if (bytes.Length == 0) return;
        EndRun();
        _runs.Add(new Run { Bytes = bytes, End = bytes.Length });
        _length += bytes.Length;
    }

    /// <summary>Writes every byte held to <paramref name="output"/>, in order.</summary>
    public void CopyOut(Stream output)
    {
        EndRun();
        foreach (var run in _runs)
            output.Write(run.Bytes, run.Start, run.End - run.Start);
    }

    /// <summary>
    /// A stream that reads every byte held, in order, from the first: its length is known, which
    /// a store needs before the first byte (SQLite's blob, PostgreSQL's parameter). It reads the
    /// blocks in place: the buffer must be neither written nor disposed while it is read.
    /// </summary>
    public Stream OpenRead()
    {
        EndRun();
        return new Reader(this);
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var run in _runs)
            if (run.Pooled) Blocks.Return(run.Bytes);
        _runs.Clear();
        _block = [];
        _blockUsed = BlockSize;
        _open = false;
        _length = 0;
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>The bytes of a buffer, read once from the first.</summary>
    private sealed class Reader(SnapshotBuffer buffer) : Stream
    {
        /// <summary>The buffer read.</summary>
        private readonly SnapshotBuffer _buffer = buffer;
        /// <summary>The run being read, and how far into its array.</summary>
        private int _run, _at = -1;
        /// <summary>Bytes read so far.</summary>
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _buffer._length;

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> into)
        {
            int total = 0;
            var runs = _buffer._runs;
            while (!into.IsEmpty && _run < runs.Count)
            {
                var run = runs[_run];
                if (_at < 0) _at = run.Start;
                int n = Math.Min(into.Length, run.End - _at);
                run.Bytes.AsSpan(_at, n).CopyTo(into);
                into = into[n..];
                total += n;
                _at += n;
                if (_at == run.End)
                {
                    _run++;
                    _at = -1;
                }
            }
            _read += total;
            return total;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> into, CancellationToken ct = default) =>
            ct.IsCancellationRequested ? ValueTask.FromCanceled<int>(ct) : new(Read(into.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
