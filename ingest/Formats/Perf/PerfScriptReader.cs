using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Tracefs;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Perf;

/// <summary>
/// Reads `perf script` output of the pid tracepoints (perf record -e sched:...,signal:...,
/// syscalls:...), default fields or -F comm,pid,tid,cpu,time,event,trace. The line layout is
/// perf's; the events are assembled by the same <see cref="TracepointAssembler"/> as ftrace text.
/// </summary>
public sealed class PerfScriptReader : ICaptureReader
{
    public string Format => "perf";

    public bool Recognises(ReadOnlySpan<byte> head)
    {
        foreach (var line in TracefsReader.FirstLines(head))
        {
            var t = line.AsSpan().TrimStart((byte)' ');
            if (t.IsEmpty || t[0] == '#') continue;
            return PerfLineParser.LooksLikeLine(line);
        }
        return false;
    }

    /// <summary>
    /// The comm of the child `perf record -- COMMAND` forks for the command, until its exec: perf's
    /// own namespace is the capture's view, so that task is known to live in it, at level 0.
    /// </summary>
    public const string CommandComm = "perf-exec";

    public IEnumerable<PidEvent> Read(InputFile input, ReadContext context) =>
        TracepointPipeline.ReadInput(input, new PerfLineParser(new CommTable()), context, CommandComm);
}
