using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

/// <summary>Reads native JSON Lines (docs/trace-format.md), with or without its header line.</summary>
public sealed class NativeReader : ICaptureReader
{
    public string Format => "native";

    public bool Recognises(ReadOnlySpan<byte> head)
    {
        var t = head.TrimStart(" \t\r\n"u8);
        return t.StartsWith("{\"replayer_trace\""u8) || (t.StartsWith("{\""u8) && t.IndexOf("\"kind\""u8) is >= 0 and < 4096);
    }

    public IEnumerable<PidEvent> Read(InputFile input, ReadContext context)
    {
        using var lines = new LineReader(input.Stream, input.Name);
        while (true)
        {
            PidEvent? ev = null;
            try
            {
                if (!lines.TryReadLine(out var line)) break;
                context.Lines = lines.LineNumber;
                context.BytesRead = lines.BytesRead;
                if (line.IsEmpty || line.IndexOfAnyExcept(" \t"u8) < 0) continue;
                if (lines.LineNumber == 1 && NativeJson.IsHeader(line))
                {
                    context.Header = NativeJson.ParseHeader(line, input.Name, 1);
                    continue;
                }
                ev = NativeJson.ParseEvent(line, input.Name, lines.LineNumber);
                if (lines.LastLineUnterminated && !line.EndsWith("}"u8))
                    throw new TraceFormatException(input.Name, lines.LineNumber, "the file ends inside a line (truncated?)");
            }
            catch (TraceFormatException e)
            {
                context.Skip(e);
                continue;
            }
            yield return ev;
        }
    }
}
