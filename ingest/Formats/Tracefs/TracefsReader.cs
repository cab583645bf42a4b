using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Tracefs;

/// <summary>
/// Reads ftrace text: a tracing instance's trace file (with its "# tracer:" header), trace_pipe
/// (without), or trace-cmd report, for any number of CPUs. Lines become events through the
/// shared <see cref="TracepointAssembler"/>; see docs/trace-format.md, "tracefs text".
/// </summary>
public sealed class TracefsReader : ICaptureReader
{
    public string Format => "tracefs";

    public bool Recognises(ReadOnlySpan<byte> head)
    {
        foreach (var line in FirstLines(head))
        {
            var t = line.TrimStart((byte)' ');
            if (t.IsEmpty) continue;
            if (t.StartsWith("# tracer:"u8) || t.StartsWith("cpus="u8)) return true;
            if (t[0] == '#') continue;
            return TracefsLineParser.LooksLikeLine(line);
        }
        return false;
    }

    public IEnumerable<PidEvent> Read(InputFile input, ReadContext context)
    {
        // A first pass over a file with lost-events notes finds where their losses began.
        var losses = LossPlan.Scan(input);
        foreach (var ev in TracepointPipeline.ReadInput(input, new TracefsLineParser(new CommTable()), context, losses: losses))
            yield return ev;
    }

    /// <summary>The complete lines at the start of a head (the last, maybe cut, is left out unless it is all there is).</summary>
    internal static List<byte[]> FirstLines(ReadOnlySpan<byte> head, int max = 64)
    {
        var result = new List<byte[]>();
        while (result.Count < max && !head.IsEmpty)
        {
            int nl = head.IndexOf((byte)'\n');
            if (nl < 0)
            {
                if (result.Count == 0) result.Add(head.ToArray());
                break;
            }
            var line = head[..nl];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            result.Add(line.ToArray());
            head = head[(nl + 1)..];
        }
        return result;
    }
}
