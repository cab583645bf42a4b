using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>
/// Puts lines back in timestamp order within a small window. ftrace merges its per-CPU buffers
/// by timestamp, but the local clock is per CPU, so two CPUs' lines can be slightly inverted
/// (NOTES.md). Lines are kept sorted in a ring as they arrive, nearly always by appending;
/// equal timestamps keep their input order. Once the window is full the earliest line leaves.
/// </summary>
public sealed class LineWindow
{
    public const int DefaultSize = 256;

    // The ring of lines, sorted by Time from _head for _count entries.
    private readonly TraceLine[] _ring;
    private readonly int _mask;
    private int _head;
    private int _count;

    public LineWindow(int size = DefaultSize)
    {
        Debug.Assert(size > 0 && (size & (size - 1)) == 0, "the window size is a power of two");
        _ring = new TraceLine[size];
        _mask = size - 1;
    }

    public bool IsFull => _count == _ring.Length;

    public bool IsEmpty => _count == 0;

    /// <summary>Inserts a line in timestamp order; the caller takes the earliest out first when full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(in TraceLine line)
    {
        Debug.Assert(!IsFull, "take the earliest line out before adding to a full window");
        int i = _count++;
        // Walk back over later lines (rarely more than one step: the input is nearly sorted).
        while (i > 0 && _ring[(_head + i - 1) & _mask].Time > line.Time)
        {
            _ring[(_head + i) & _mask] = _ring[(_head + i - 1) & _mask];
            i--;
        }
        _ring[(_head + i) & _mask] = line;
    }

    /// <summary>The earliest line; valid until the next Add or Take.</summary>
    public ref readonly TraceLine Earliest
    {
        get
        {
            Debug.Assert(_count > 0, "the window is not empty");
            return ref _ring[_head];
        }
    }

    public void Take()
    {
        Debug.Assert(_count > 0, "the window is not empty");
        _ring[_head] = default;
        _head = (_head + 1) & _mask;
        _count--;
    }
}
