using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats.Strace;

/// <summary>
/// Reads <c>strace -f</c> output (one file, every task's lines interleaved, each led by its global
/// tid) and <c>strace -ff</c> output (one file per task, <c>PREFIX.TID</c>, merged here by
/// timestamp). Timestamps may be -t, -tt, -ttt or absent (single file only); -Y decorations and -T
/// durations are understood. The leading pid is global because strace runs in the initial
/// namespace; every number inside a call is in the traced task's own view, as the kernel gave it.
/// </summary>
public sealed class StraceReader : IPerPidCaptureReader
{
    public string Format => "strace";

    public bool Recognises(ReadOnlySpan<byte> head)
    {
        // Two lines that both read as strace lines (or one, when the capture is that short).
        int seen = 0;
        while (!head.IsEmpty && seen < 2)
        {
            int nl = head.IndexOf((byte)'\n');
            if (nl < 0 && seen > 0) break;
            var line = nl < 0 ? head : head[..nl];
            head = nl < 0 ? default : head[(nl + 1)..];
            if (line.IsEmpty) continue;
            // A lone "--- ... ---" line says too little to claim a file by.
            if (StraceLine.TryParse(line, out var parsed) is not null || parsed.Kind is LineKind.Stop) return false;
            seen++;
        }
        return seen > 0;
    }

    public IEnumerable<PidEvent> Read(InputFile input, ReadContext context)
    {
        int fileTid = PerPidCaptures.TidOf(input.Name);
        var decoder = new StraceDecoder { File = input.Name };
        var clock = new DayClock();
        using var lines = new LineReader(input.Stream, input.Name);
        while (true)
        {
            try
            {
                if (!lines.TryReadLine(out var line)) break;
                context.Lines = lines.LineNumber;
                context.BytesRead = lines.BytesRead;
                decoder.Line = lines.LineNumber;
                if (line.IsEmpty) continue;
                if (StraceLine.TryParse(line, out var parsed) is { } bad) throw new TraceFormatException(input.Name, lines.LineNumber, Cut(bad, lines));
                int tid = parsed.Tid != 0 ? parsed.Tid : fileTid;
                if (tid == 0)
                    throw new TraceFormatException(input.Name, lines.LineNumber,
                        "the line has no pid: record with strace -f, or keep -ff files named PREFIX.PID");
                decoder.Feed(parsed, tid, clock.Adjust(parsed));
            }
            catch (TraceFormatException e)
            {
                context.Skip(e);
            }
            while (decoder.TryTake(out var ev)) yield return ev;
        }
        decoder.Finish();
        while (decoder.TryTake(out var ev)) yield return ev;
    }

    /// <summary>
    /// Reads <c>strace -ff</c> files as one capture. Each file's lines carry the time the call
    /// entered, so the files are merged by time, except that a wait whose child exits later
    /// than the wait entered is held until that exit. Only the files of tasks alive at a
    /// moment are open at once.
    /// </summary>
    public IEnumerable<PidEvent> ReadPerPid(IReadOnlyList<string> files, ReadContext context)
    {
        var merge = new PerPidMerge(files, context);
        try
        {
            foreach (var ev in merge.Read()) yield return ev;
        }
        finally
        {
            merge.Dispose();
        }
    }

    private static string Cut(string reason, LineReader lines) =>
        lines.LastLineUnterminated ? reason + " (the file ends inside this line: truncated?)" : reason;
}

/// <summary>
/// Turns -t/-tt times of day into a clock that keeps counting past midnight: a time more than
/// twelve hours before the last one is taken to be on the next day.
/// </summary>
internal struct DayClock
{
    private const long Day = 86_400 * StraceLine.NsPerSecond;

    /// <summary>Days passed since the first line, in ns.</summary>
    private long _days;
    /// <summary>The last time of day seen, in ns; -1 before the first.</summary>
    private long _last;

    public DayClock() => _last = -1;

    public DayClock(long start)
    {
        _days = start / Day * Day;
        _last = start % Day;
    }

    public long Adjust(in StraceLine line)
    {
        if (!line.HasTime) return 0;
        if (!line.TimeOfDay) return line.Time;
        if (_last >= 0 && line.Time < _last - Day / 2) _days += Day;
        _last = line.Time;
        return _days + line.Time;
    }
}
