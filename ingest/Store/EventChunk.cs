namespace Replayer.Ingest.Store;

/// <summary>
/// A run of one stream's events as stored, without their envelopes: each event's revision and
/// data, the data back to back in one buffer. What a replay reads: it needs nothing else of an
/// event, and one buffer reused chunk after chunk costs no allocation per event (a
/// <see cref="RecordedEvent"/> costs four).
/// </summary>
public sealed class EventChunk
{
    /// <summary>Revisions, [0, Count).</summary>
    private long[] _revisions;

    /// <summary>Where each event's data starts in <see cref="_data"/>; [Count] is where the next would.</summary>
    private int[] _starts;

    /// <summary>The events' data, back to back.</summary>
    private byte[] _data;

    /// <summary>The stream the events belong to.</summary>
    public string Stream { get; private set; } = "";

    /// <summary>Events held.</summary>
    public int Count { get; private set; }

    public EventChunk(int capacity = 2048, int bytesPerEvent = 160)
    {
        _revisions = new long[Math.Max(1, capacity)];
        _starts = new int[Math.Max(1, capacity) + 1];
        _data = new byte[Math.Max(1, capacity) * Math.Max(16, bytesPerEvent)];
    }

    public long Revision(int i) => i < Count ? _revisions[i] : throw new ArgumentOutOfRangeException(nameof(i));

    public ReadOnlySpan<byte> Data(int i) =>
        i < Count ? _data.AsSpan(_starts[i], _starts[i + 1] - _starts[i]) : throw new ArgumentOutOfRangeException(nameof(i));

    /// <summary>Empties the chunk for the events of a stream; the buffers stay.</summary>
    public void Reset(string stream)
    {
        Stream = stream;
        Count = 0;
        _starts[0] = 0;
    }

    /// <summary>Appends one event, growing the buffers when it does not fit.</summary>
    public void Add(long revision, ReadOnlySpan<byte> data)
    {
        int start = Reserve(data.Length);
        data.CopyTo(_data.AsSpan(start));
        _revisions[Count] = revision;
        _starts[++Count] = start + data.Length;
    }

    /// <summary>Appends one event whose data is <paramref name="length"/> bytes of native memory (a row SQLite holds).</summary>
    internal void Add(long revision, IntPtr data, int length)
    {
        int start = Reserve(length);
        if (length > 0) System.Runtime.InteropServices.Marshal.Copy(data, _data, start, length);
        _revisions[Count] = revision;
        _starts[++Count] = start + length;
    }

    /// <summary>Room for one more event of <paramref name="length"/> bytes; where its data starts.</summary>
    private int Reserve(int length)
    {
        if (Count == _revisions.Length)
        {
            Array.Resize(ref _revisions, Count * 2);
            Array.Resize(ref _starts, Count * 2 + 1);
        }
        int start = _starts[Count];
        if (start + length > _data.Length)
            Array.Resize(ref _data, Math.Max(_data.Length * 2, start + length));
        return start;
    }
}
