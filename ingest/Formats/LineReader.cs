using System.Buffers;
using System.Diagnostics;

namespace Replayer.Ingest.Formats;

/// <summary>
/// Reads a stream line by line without holding more than one buffer of it: every capture reader
/// is built on this, so none of them ever has a whole file in memory. Lines end in \n (a \r
/// before it is dropped); a line longer than <see cref="MaxLineBytes"/> is an error, not a
/// reason to grow without bound.
/// </summary>
public sealed class LineReader : IDisposable
{
    public const int MaxLineBytes = 1 << 20;

    private readonly Stream _stream;
    // Holds the unread bytes in [_start, _end); grows up to MaxLineBytes + one read.
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;

    public LineReader(Stream stream, string name, int bufferSize = 1 << 16)
    {
        _stream = stream;
        Name = name;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>The file name errors are reported against.</summary>
    public string Name { get; }

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Bytes consumed so far, for progress.</summary>
    public long BytesRead { get; private set; }

    /// <summary>True when the last line returned had no final newline (a truncated file, perhaps).</summary>
    public bool LastLineUnterminated { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            int nl = pending.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = Trim(pending[..nl]);
                _start += nl + 1;
                BytesRead += nl + 1;
                LineNumber++;
                LastLineUnterminated = false;
                if (line.Length > MaxLineBytes) throw TooLong();
                return true;
            }
            if (_eof)
            {
                if (pending.Length == 0) { line = default; return false; }
                line = Trim(pending);
                _start = _end;
                BytesRead += pending.Length;
                LineNumber++;
                LastLineUnterminated = true;
                if (line.Length > MaxLineBytes) throw TooLong();
                return true;
            }
            if (pending.Length > MaxLineBytes)
            {
                LineNumber++;
                DiscardRestOfLine();
                throw TooLong();
            }
            Fill();
        }
    }

    // Drops an overlong line through its newline, so that a lenient reader can go on after it.
    private void DiscardRestOfLine()
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            int nl = pending.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                _start += nl + 1;
                BytesRead += nl + 1;
                return;
            }
            BytesRead += pending.Length;
            _start = _end = 0;
            if (_eof) return;
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            // Slide the partial line to the front so the buffer only grows for long lines.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        Debug.Assert(n >= 0, "Stream.Read never returns a negative count");
        if (n == 0) _eof = true;
        _end += n;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    private TraceFormatException TooLong() =>
        new(Name, LineNumber, $"line is longer than {MaxLineBytes / (1 << 20)} MiB; this is not a capture this reader knows");

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _stream.Dispose();
    }
}
