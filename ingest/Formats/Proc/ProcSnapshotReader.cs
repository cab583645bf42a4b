using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats.Proc;

/// <summary>A /proc snapshot on its own: one TaskSnapshot per thread block.</summary>
public sealed class ProcSnapshotReader : ICaptureReader
{
    public string Format => "proc";

    public bool Recognises(ReadOnlySpan<byte> head)
    {
        var t = head.TrimStart("\r\n "u8);
        return t.StartsWith("# proc snapshot"u8) || t.StartsWith("task "u8) && t.IndexOf("\nName:"u8) > 0;
    }

    public IEnumerable<PidEvent> Read(InputFile input, ReadContext context)
    {
        using var lines = new LineReader(input.Stream, input.Name);
        var parser = new ProcSnapshotParser(input.Name);
        while (true)
        {
            TaskSnapshot? done = null;
            bool more;
            try
            {
                more = lines.TryReadLine(out var text);
                if (more)
                {
                    context.Lines = lines.LineNumber;
                    context.BytesRead = lines.BytesRead;
                    if (lines.LastLineUnterminated && !text.IsEmpty)
                        throw new TraceFormatException(input.Name, lines.LineNumber, "the file ends inside a line (truncated?)");
                    done = parser.Line(text, lines.LineNumber);
                }
                else
                {
                    done = parser.End();
                }
            }
            catch (TraceFormatException e)
            {
                context.Skip(e);
                continue;
            }
            if (done is not null) yield return done;
            if (!more) break;
        }
    }
}
