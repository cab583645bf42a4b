namespace Replayer.Ingest.Formats;

/// <summary>
/// A capture that cannot be read: where (file and line; line 0 when the fault is the file as a
/// whole, which cannot be opened or is damaged), and why, in one line a user can act on.
/// </summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(string file, long line, string reason)
        : base(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public string File { get; }
    public long Line { get; }
    public string Reason { get; }
}
