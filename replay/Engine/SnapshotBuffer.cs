using System.Buffers;

namespace Replayer.Replay.Engine;

/// <summary>
/// A write-only stream kept in blocks of 64 KiB, for the parts of a host's snapshot that are
/// written on other cores while the first is written out. A MemoryStream grows by doubling one
/// array on the large-object heap: for the 67 MB snapshot of a host of 5,000 containers, that
/// made arrays of 128 MB in all, copied each time it doubled and once more to hand the bytes on,
/// and every one of them asked for a collection of the whole heap (two of 0.1 to 0.3 s each at
/// the end of a 10M-event replay). Blocks below the large-object threshold come from the shared
/// pool and go back to it when the buffer has been copied out.
/// </summary>
internal sealed class SnapshotBuffer : Stream
{
    private const int BlockSize = 1 << 16;

    /// <summary>The blocks, each full but the last.</summary>
    private readonly List<byte[]> _blocks = [];
    /// <summary>Bytes used in the last block.</summary>
    private int _used = BlockSize;
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
        while (!buffer.IsEmpty)
        {
            if (_used == BlockSize)
            {
                _blocks.Add(ArrayPool<byte>.Shared.Rent(BlockSize));
                _used = 0;
            }
            int n = Math.Min(buffer.Length, BlockSize - _used);
            buffer[..n].CopyTo(_blocks[^1].AsSpan(_used));
            _used += n;
            _length += n;
            buffer = buffer[n..];
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Writes every byte held to <paramref name="output"/>, in order.</summary>
    public void CopyOut(Stream output)
    {
        for (int i = 0; i < _blocks.Count; i++)
            output.Write(_blocks[i], 0, i == _blocks.Count - 1 ? _used : BlockSize);
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var block in _blocks) ArrayPool<byte>.Shared.Return(block);
        _blocks.Clear();
        _used = BlockSize;
        _length = 0;
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
