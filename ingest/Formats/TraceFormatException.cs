namespace Replayer.Ingest.Formats;

/// <summary>A capture line that cannot be read: where it is, and why, in one line a user can act on.</summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(string file, long line, string reason)
        : base($"{file}:{line}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public string File { get; }
    public long Line { get; }
    public string Reason { get; }
}
