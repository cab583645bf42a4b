using Replayer.Ingest.Formats.Perf;
using Replayer.Ingest.Formats.Proc;
using Replayer.Ingest.Formats.Strace;
using Replayer.Ingest.Formats.Tracefs;

namespace Replayer.Ingest.Formats;

/// <summary>Every capture reader, in the order --format auto tries them (the most specific first).</summary>
public static class CaptureFormats
{
    public static IReadOnlyList<ICaptureReader> All { get; } =
    [
        new NativeReader(),
        new CaptureBundleReader(),
        new ProcSnapshotReader(),
        new PerfScriptReader(),
        new TracefsReader(),
        new StraceReader(),
    ];

    public static IEnumerable<string> Names => All.Select(r => r.Format);
}
