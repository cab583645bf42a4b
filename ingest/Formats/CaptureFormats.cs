namespace Replayer.Ingest.Formats;

/// <summary>Every capture reader, in the order --format auto tries them (the most specific first).</summary>
public static class CaptureFormats
{
    public static IReadOnlyList<ICaptureReader> All { get; } =
    [
        new NativeReader(),
        new Strace.StraceReader(),
    ];

    public static IEnumerable<string> Names => All.Select(r => r.Format);
}
