using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats.Strace;

/// <summary>
/// Merges <c>strace -ff</c> files (one per task) into the order strace -f would have printed.
/// Every line of such a file is printed whole when the call returns, but carries the time the
/// call entered; ordering by that time puts each call at its entry, which is where the decoder
/// places events anyway, except for a wait: it returns a child's exit that may come later than its
/// entry. So a wait that reaped a child still alive is held back until that child's exit.
/// A file is opened when the merge reaches its first line, and closed at its end.
/// </summary>
internal sealed class PerPidMerge : IDisposable
{
    /// <summary>One task's file.</summary>
    private sealed class Source(string path, int tid, long first, long order)
    {
        public readonly string Path = path;
        public readonly int Tid = tid;
        /// <summary>The time of the file's first line: when the merge must open it.</summary>
        public readonly long First = first;
        /// <summary>Breaks ties between equal times: files opened earlier go first.</summary>
        public readonly long Order = order;
        public InputFile? Input;
        public LineReader? Lines;
        /// <summary>The current line, copied: the merge looks at many files' lines at once.</summary>
        public byte[] Line = new byte[256];
        public int Length;
        public long LineNumber;
        /// <summary>The current line's time (ns), on a clock that keeps counting past midnight.</summary>
        public long Time;
        public DayClock Clock;
        /// <summary>Set when a held wait was let go without its child's exit, so that it is not held again.</summary>
        public bool Forced;
    }

    private const int LineBufferBytes = 4096;

    private readonly ReadContext _context;
    private readonly StraceDecoder _decoder = new() { WholeCalls = true };
    /// <summary>Files not opened yet, the latest-starting first (taken from the end).</summary>
    private readonly List<Source> _unopened = [];
    /// <summary>Open files by their current line's time.</summary>
    private readonly PriorityQueue<Source, (long Time, long Order)> _ready = new();
    /// <summary>Open files whose current line is a wait held until a child's exit, by that child's tid.</summary>
    private readonly List<(Source Source, int Child)> _held = [];

    public PerPidMerge(IReadOnlyList<string> files, ReadContext context)
    {
        _context = context;
        var starts = new List<(string Path, int Tid, long First, bool TimeOfDay)>();
        foreach (var path in files)
        {
            int tid = PerPidCaptures.TidOf(path);
            if (tid == 0) throw new TraceFormatException(path, 0, "not a per-pid file: strace -ff names them PREFIX.PID");
            if (FirstTime(path) is { } first) starts.Add((path, tid, first.Time, first.TimeOfDay));
        }
        // Times of day that wrapped past midnight belong to the next day.
        const long day = 86_400 * StraceLine.NsPerSecond;
        long latest = starts.Count > 0 ? starts.Max(s => s.First) : 0;
        long order = 0;
        foreach (var s in starts.OrderBy(s => s.TimeOfDay && s.First < latest - day / 2 ? s.First + day : s.First).ThenBy(s => s.Tid).Reverse())
        {
            long first = s.TimeOfDay && s.First < latest - day / 2 ? s.First + day : s.First;
            _unopened.Add(new Source(s.Path, s.Tid, first, order++) { Clock = s.TimeOfDay ? new DayClock(first) : new DayClock() });
        }
    }

    public IEnumerable<PidEvent> Read()
    {
        while (Next() is { } source)
        {
            try
            {
                Decode(source);
            }
            catch (TraceFormatException e)
            {
                _context.Skip(e);
                Advance(source);
            }
            while (_decoder.TryTake(out var ev)) yield return ev;
        }
        _decoder.Finish();
        while (_decoder.TryTake(out var ev)) yield return ev;
    }

    private void Decode(Source source)
    {
        var line = source.Line.AsSpan(0, source.Length);
        _decoder.File = source.Path;
        _decoder.Line = source.LineNumber;
        _context.Lines++;
        if (StraceLine.TryParse(line, out var parsed) is { } bad) throw new TraceFormatException(source.Path, source.LineNumber, bad);
        if (parsed.Tid != 0 && parsed.Tid != source.Tid)
            throw new TraceFormatException(source.Path, source.LineNumber, $"a line of pid {parsed.Tid} in the file of pid {source.Tid}");
        if (!source.Forced && _decoder.WaitsFor(parsed, source.Tid) is var child and not 0)
        {
            _held.Add((source, child));
            return;
        }
        source.Forced = false;
        _decoder.Feed(parsed, source.Tid, source.Time);
        if (parsed.Kind is LineKind.Exited or LineKind.Killed) Release(source.Tid, source.Time);
        Advance(source);
    }

    // The child exited: waits held for it go on, no earlier than its exit.
    private void Release(int child, long time)
    {
        for (int i = _held.Count - 1; i >= 0; i--)
        {
            if (_held[i].Child != child && _decoder.IsLive(_held[i].Child)) continue;
            var s = _held[i].Source;
            _held.RemoveAt(i);
            s.Time = Math.Max(s.Time, time);
            _ready.Enqueue(s, (s.Time, s.Order));
        }
    }

    private Source? Next()
    {
        while (true)
        {
            bool hasReady = _ready.TryPeek(out var min, out var key);
            if (_unopened.Count > 0 && (!hasReady || _unopened[^1].First < key.Time))
            {
                var s = _unopened[^1];
                _unopened.RemoveAt(_unopened.Count - 1);
                Open(s);
                continue;
            }
            if (hasReady) return _ready.Dequeue();
            if (_held.Count == 0) return null;
            // Every file left waits for an exit the capture does not show (the child's file is
            // missing or cut): let the earliest wait go where it is.
            int first = 0;
            for (int i = 1; i < _held.Count; i++)
                if (_held[i].Source.Time < _held[first].Source.Time) first = i;
            var held = _held[first].Source;
            _held.RemoveAt(first);
            held.Forced = true;
            return held;
        }
    }

    private void Open(Source s)
    {
        s.Input = InputFile.Open(s.Path);
        s.Lines = new LineReader(s.Input.Stream, s.Path, LineBufferBytes);
        Advance(s);
    }

    // Reads the file's next non-empty line and queues the file by its time; closes it at its end.
    private void Advance(Source s)
    {
        var lines = s.Lines!;
        while (true)
        {
            ReadOnlySpan<byte> line;
            try
            {
                if (!lines.TryReadLine(out line)) { Close(s); return; }
            }
            catch (TraceFormatException e)
            {
                _context.Skip(e);
                continue;
            }
            if (line.IsEmpty) continue;
            if (line.Length > s.Line.Length) s.Line = new byte[Math.Max(line.Length, s.Line.Length * 2)];
            line.CopyTo(s.Line);
            s.Length = line.Length;
            s.LineNumber = lines.LineNumber;
            // A line that does not parse keeps its file's place; Decode reports it there.
            if (StraceLine.TryParse(line, out var parsed) is null && parsed.HasTime) s.Time = Math.Max(s.Time, s.Clock.Adjust(parsed));
            _ready.Enqueue(s, (s.Time, s.Order));
            return;
        }
    }

    private static void Close(Source s)
    {
        s.Lines?.Dispose();
        s.Lines = null;
        s.Input = null;
    }

    // The time of a file's first line, which every -ff file needs to be merged.
    private (long Time, bool TimeOfDay)? FirstTime(string path)
    {
        var input = InputFile.Open(path);
        using var lines = new LineReader(input.Stream, path, LineBufferBytes);
        try
        {
            while (lines.TryReadLine(out var line))
            {
                if (line.IsEmpty) continue;
                if (StraceLine.TryParse(line, out var parsed) is { } bad) throw new TraceFormatException(path, lines.LineNumber, bad);
                if (!parsed.HasTime)
                    throw new TraceFormatException(path, lines.LineNumber, "per-pid files are merged by time: record them with -tt or -ttt");
                return (parsed.Time, parsed.TimeOfDay);
            }
        }
        catch (TraceFormatException e)
        {
            _context.Skip(e);
        }
        return null;
    }

    public void Dispose()
    {
        while (_ready.TryDequeue(out var s, out _)) Close(s);
        foreach (var (s, _) in _held) Close(s);
        _held.Clear();
    }
}
