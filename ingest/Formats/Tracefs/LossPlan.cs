using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Tracefs;

/// <summary>
/// Where the events of each lost-events note were lost, found by a first pass over the file.
///
/// ftrace's ring buffer, in its default overwrite mode, drops a CPU's oldest unread events when
/// its writer laps the reader, and trace_pipe's reader writes "CPU:N [LOST M EVENTS]" where it
/// next reads that CPU. trace_pipe prints the CPUs' events merged by time, so the lost events are
/// that CPU's after the last line read from it, and the other CPUs' lines of the same span were
/// printed meanwhile, before the note (a busy capture: 0.7 s of the other CPU's lines). A state
/// the lost events would have changed stands behind every one of those lines, so the loss belongs
/// right after that CPU's last line before the note, not where the note stands; a CPU with no
/// line before its note lost events from the start of the trace.
///
/// A note is known only once it is read, and the lines before it have gone into the window by
/// then, so the places are found first: a quick search of the file for a note at all, and only
/// then a pass that reads each line's CPU. Standard input cannot be read twice; its notes stay
/// where they stand.
/// </summary>
public sealed class LossPlan
{
    /// <summary>One note: the line it stands on, the line after which its loss goes (0: before every line), its CPU and count.</summary>
    public readonly record struct Loss(long NoteLine, long AfterLine, int Cpu, long Count);

    private readonly Loss[] _losses;
    private readonly HashSet<long> _noteLines;

    private LossPlan(List<Loss> losses)
    {
        // By where each goes; notes placed after one line keep the order they were read in.
        _losses = [.. losses.OrderBy(l => l.AfterLine).ThenBy(l => l.NoteLine)];
        _noteLines = [.. losses.Select(l => l.NoteLine)];
    }

    /// <summary>The losses, in the order they are placed.</summary>
    public IReadOnlyList<Loss> Losses => _losses;

    /// <summary>Whether the note on this line was placed by the plan (and so is not read again where it stands).</summary>
    public bool Placed(long noteLine) => _noteLines.Contains(noteLine);

    /// <summary>
    /// The plan for a file of ftrace text (a capture bundle too: its line numbers count from the
    /// file's start, as the reader's do); null when it has no note, or is standard input. The
    /// pass is forgiving: a line it cannot read is left to the reader, which reports it.
    /// </summary>
    public static LossPlan? Scan(InputFile input)
    {
        try
        {
            if (!HasNote(input)) return null;
            var again = input.Reopen();
            if (again is null) return null;
            using var lines = new LineReader(again.Stream, again.Name);
            var lastLine = new Dictionary<int, long>();
            var losses = new List<Loss>();
            while (true)
            {
                bool more;
                ReadOnlySpan<byte> text;
                try
                {
                    more = lines.TryReadLine(out text);
                }
                catch (TraceFormatException)
                {
                    continue; // a line too long to be one: the reader reports it
                }
                if (!more) break;
                var t = text.TrimStart((byte)' ');
                if (t.IsEmpty || t[0] == '#') continue;
                if (TracefsLineParser.LostNote(t) is { } note)
                    losses.Add(new Loss(lines.LineNumber, lastLine.GetValueOrDefault(note.Cpu), note.Cpu, note.Count));
                else if (TracefsLineParser.CpuOf(text) is int cpu)
                    lastLine[cpu] = lines.LineNumber;
            }
            return losses.Count == 0 ? null : new LossPlan(losses);
        }
        catch (Exception e) when (e is TraceFormatException or IOException)
        {
            // The reader meets the same trouble and reports it with its file and line.
            return null;
        }
    }

    /// <summary>Whether the file has a lost-events note anywhere: a search of its bytes, no line read.</summary>
    private static bool HasNote(InputFile input)
    {
        var again = input.Reopen();
        if (again is null) return false;
        using var stream = again.Stream;
        var needle = " [LOST "u8;
        var buffer = new byte[1 << 20];
        int kept = 0;
        while (true)
        {
            int n = stream.Read(buffer, kept, buffer.Length - kept);
            if (n == 0) return false;
            var span = buffer.AsSpan(0, kept + n);
            if (span.IndexOf(needle) >= 0) return true;
            // The last bytes again, in case the needle straddles two reads.
            kept = Math.Min(needle.Length - 1, span.Length);
            span[^kept..].CopyTo(buffer);
        }
    }
}
