namespace Replayer.Ingest.Formats;

/// <summary>Where some of a trace's events came from: one capture file, as ingested.</summary>
public sealed record TraceSource(string File, string Format, string Host, long Events, long Lines, long Skipped);

/// <summary>The first line of a native trace file: which trace it is and what it was made from.</summary>
public sealed record TraceHeader(string Trace, IReadOnlyList<TraceSource> Sources)
{
    public const int Version = 1;
}
