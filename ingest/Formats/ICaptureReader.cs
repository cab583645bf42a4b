using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

/// <summary>
/// Reads one capture format into canonical events, streaming: events come out as lines go in.
/// A reader sets Host only when the capture names its host; the ingest fills in the rest
/// (host, sequence). A bad line throws <see cref="TraceFormatException"/>, or, when the context
/// is lenient, is counted with <see cref="ReadContext.Skip"/> and passed over.
/// </summary>
public interface ICaptureReader
{
    /// <summary>The format's name, as --format takes it.</summary>
    string Format { get; }

    /// <summary>Whether the first bytes of an input look like this format.</summary>
    bool Recognises(ReadOnlySpan<byte> head);

    IEnumerable<PidEvent> Read(InputFile input, ReadContext context);
}

/// <summary>What a reader is told and what it reports back, for one input.</summary>
public sealed class ReadContext
{
    public const int KeptErrors = 5;
    private readonly List<TraceFormatException> _firstErrors = [];

    public ReadContext(bool lenient) => Lenient = lenient;

    /// <summary>Skip bad lines (counting them) instead of stopping at the first.</summary>
    public bool Lenient { get; }

    /// <summary>Lines read, for the ingest's summary.</summary>
    public long Lines { get; set; }

    /// <summary>Bad lines skipped in lenient mode.</summary>
    public long Skipped { get; private set; }

    /// <summary>The first few skipped lines' errors, to show the user.</summary>
    public IReadOnlyList<TraceFormatException> FirstErrors => _firstErrors;

    /// <summary>A native file's header, when it has one: its trace id and sources.</summary>
    public TraceHeader? Header { get; set; }

    /// <summary>Bytes of the input consumed so far, for progress.</summary>
    public long BytesRead { get; set; }

    /// <summary>Records a bad line: rethrows unless lenient.</summary>
    public void Skip(TraceFormatException e)
    {
        if (!Lenient) throw e;
        Skipped++;
        if (_firstErrors.Count < KeptErrors) _firstErrors.Add(e);
    }
}
