using System.IO.Compression;

namespace Replayer.Ingest.Formats;

/// <summary>
/// Opens a capture for reading: a path or "-" for standard input, gzip recognised by its magic
/// bytes rather than its name. The first bytes (decompressed) are kept so that a format can be
/// recognised without reading the input twice, which standard input does not allow.
/// </summary>
public sealed class InputFile
{
    public const int HeadBytes = 64 * 1024;

    private InputFile(string name, Stream stream, byte[] head, long? length)
    {
        Name = name;
        Stream = stream;
        Head = head;
        CompressedLength = length;
    }

    /// <summary>The name used in errors: the path as given, or "stdin".</summary>
    public string Name { get; }

    /// <summary>The whole content, decompressed, starting with <see cref="Head"/>.</summary>
    public Stream Stream { get; }

    /// <summary>Up to 64 KiB of the start of the content, for format recognition.</summary>
    public byte[] Head { get; }

    /// <summary>The file's size on disk, for progress; null for standard input.</summary>
    public long? CompressedLength { get; }

    /// <summary>The path it was opened from; null for standard input, which cannot be read twice.</summary>
    public string? Path { get; private init; }

    /// <summary>
    /// The same file opened again from its start, for a reader that needs a first pass over it
    /// (decompressed like this one); null for standard input.
    /// </summary>
    public InputFile? Reopen() => Path is null ? null : Open(Path);

    /// <summary>Bytes of the underlying file read so far (compressed), for progress.</summary>
    public long Consumed => _raw?.Position ?? 0;

    private Stream? _raw;

    public static InputFile Open(string path)
    {
        Stream raw;
        long? length = null;
        string name;
        if (path == "-")
        {
            raw = Console.OpenStandardInput();
            name = "stdin";
        }
        else
        {
            try
            {
                raw = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TraceFormatException(path, 0, $"cannot open: {e.Message}");
            }
            length = raw.Length;
            name = path;
        }
        var counting = raw.CanSeek ? raw : null;
        var peekRaw = new PeekStream(raw, 2);
        Stream content = peekRaw.Head is [0x1f, 0x8b, ..]
            ? new GZipStream(peekRaw, CompressionMode.Decompress)
            : peekRaw;
        var peek = new PeekStream(new GzipErrorStream(content, name), HeadBytes);
        return new InputFile(name, peek, peek.Head, length) { _raw = counting, Path = path == "-" ? null : path };
    }

    /// <summary>Turns gzip's own exceptions into an error that names the file.</summary>
    private sealed class GzipErrorStream(Stream inner, string name) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            try { return inner.Read(buffer, offset, count); }
            catch (InvalidDataException e) { throw new TraceFormatException(name, 0, $"gzip data is damaged: {e.Message}"); }
        }
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); }
    }

    /// <summary>A stream whose first bytes were read ahead and are served again.</summary>
    private sealed class PeekStream : ReadOnlyStream
    {
        private readonly Stream _inner;
        private int _headPos;

        public PeekStream(Stream inner, int size)
        {
            _inner = inner;
            var buf = new byte[size];
            int n = 0;
            while (n < size)
            {
                int r = inner.Read(buf, n, size - n);
                if (r == 0) break;
                n += r;
            }
            Head = n == size ? buf : buf[..n];
        }

        public byte[] Head { get; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_headPos < Head.Length)
            {
                int n = Math.Min(count, Head.Length - _headPos);
                Buffer.BlockCopy(Head, _headPos, buffer, offset, n);
                _headPos += n;
                return n;
            }
            return _inner.Read(buffer, offset, count);
        }

        protected override void Dispose(bool disposing) { if (disposing) _inner.Dispose(); }
    }

    /// <summary>A forward-only stream that can only be read: what both wrappers above are.</summary>
    private abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
