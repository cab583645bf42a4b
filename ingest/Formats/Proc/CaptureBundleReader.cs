using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Tracefs;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Proc;

/// <summary>
/// Reads what `replayer capture` writes (docs/trace-format.md, "Capture bundle"): a
/// "# replayer capture" header, the /proc snapshot taken before tracing began, then the tracing
/// instance's trace text. The snapshot's tasks go out first and are known to the assembler, so
/// only tasks born or first seen during the capture need adopting.
/// </summary>
public sealed class CaptureBundleReader : ICaptureReader
{
    public const string Magic = "# replayer capture";

    public string Format => "capture";

    public bool Recognises(ReadOnlySpan<byte> head) => head.TrimStart("\r\n "u8).StartsWith("# replayer capture"u8);

    public IEnumerable<PidEvent> Read(InputFile input, ReadContext context)
    {
        using var lines = new LineReader(input.Stream, input.Name);
        var snapshot = new ProcSnapshotParser(input.Name);
        // A first pass over a bundle with lost-events notes finds where their losses began.
        var pipe = new TracepointPipeline(new TracefsLineParser(new CommTable()), input.Name) { Losses = LossPlan.Scan(input) };
        pipe.Assembler.ExecFiles = snapshot.ExecFiles; // filled by the header, before the first exec
        pipe.Assembler.SignalActions = snapshot.SignalActions; // likewise
        pipe.Assembler.SignalMasks = snapshot.SignalMasks; // likewise, and empty unless the capture follows masks
        pipe.Assembler.SetnsTargets = snapshot.SetnsTargets; // likewise, and empty without the probe
        pipe.Assembler.LastPidWrites = snapshot.LastPidWrites; // likewise, and empty unless the probe saw a write
        bool inTrace = false;
        while (!inTrace)
        {
            TaskSnapshot? done = null;
            bool more = false;
            try
            {
                more = lines.TryReadLine(out var text);
                if (!more)
                {
                    done = snapshot.End();
                }
                else
                {
                    context.Lines = lines.LineNumber;
                    context.BytesRead = lines.BytesRead;
                    if (text.StartsWith("# tracer:"u8) || !ProcSnapshotParser.IsSnapshotLine(text))
                    {
                        // The trace text begins: the snapshot is over.
                        done = snapshot.End();
                        inTrace = true;
                        pipe.Assembler.LastPidLossy = snapshot.ProbeLost;
                        pipe.Line(text, lines.LineNumber, lines.LastLineUnterminated);
                    }
                    else if (lines.LastLineUnterminated)
                    {
                        throw new TraceFormatException(input.Name, lines.LineNumber, "the file ends inside the snapshot (truncated?)");
                    }
                    else
                    {
                        done = snapshot.Line(text, lines.LineNumber);
                    }
                }
            }
            catch (TraceFormatException e)
            {
                context.Skip(e);
            }
            if (done is not null) pipe.Assembler.Snapshot(done);
            while (pipe.TryTake(out var ev)) yield return ev;
            if (!more) break;
        }
        if (!inTrace)
        {
            // A bundle always has its trace section, even when nothing was traced (the header).
            context.Skip(new TraceFormatException(input.Name, lines.LineNumber, "the capture ends before its trace section (truncated?)"));
            yield break;
        }
        foreach (var ev in TracepointPipeline.Read(lines, pipe, context)) yield return ev;
    }
}
