using System.Runtime.CompilerServices;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Tracefs;

namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>How one tool lays out a tracepoint line around its payload (tracefs text, perf script).</summary>
public interface ITraceLineParser
{
    /// <summary>
    /// Reads the line's task, CPU and timestamp and hands the rest to the decoder. Returns false
    /// for a line that carries no event (header, comment, a lost-events note); sets error to say
    /// why a line is not one this layout knows.
    /// </summary>
    bool Parse(ReadOnlySpan<byte> text, ref TraceLine line, out string? error);
}

/// <summary>
/// Lines in, events out, for any tool's tracepoint text: parse a line, reorder it within the
/// window, assemble. One instance per input; nothing is kept but the window and the assembler's
/// bounded state, so an input of any length streams through.
/// The per-line methods (here, in the line parsers, the decoder and the assembler) are marked
/// AggressiveOptimization: a capture is read once, and with tiered compilation most of a first
/// pass over a million lines ran unoptimized (0.7 M lines/s against 1.3 M; replayer bench read).
/// </summary>
public sealed class TracepointPipeline(ITraceLineParser parser, string file, string? commandComm = null)
{
    private readonly LineWindow _window = new();

    /// <summary>The shared pairing logic, also fed the /proc snapshot of a capture bundle.</summary>
    public TracepointAssembler Assembler { get; } = new() { CommandComm = commandComm };

    /// <summary>Event lines seen (headers and comments aside).</summary>
    public long EventLines { get; private set; }

    /// <summary>The latest time of the lines read so far.</summary>
    private long _latest;

    /// <summary>
    /// Where the file's lost-events notes belong (ftrace text read from a file); null places each
    /// note where it stands. Set before the first line.
    /// </summary>
    public LossPlan? Losses { get; init; }

    /// <summary>The next of <see cref="Losses"/> not placed yet.</summary>
    private int _nextLoss;

    /// <summary>The time of the last event line read (in the input's order), and whether there was one.</summary>
    private long _lastLineTime;
    private bool _anyLine;

    /// <summary>Reads one line; a line this layout cannot read throws <see cref="TraceFormatException"/> naming file:line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Line(ReadOnlySpan<byte> text, long lineNo, bool unterminated)
    {
        var line = new TraceLine { LineNo = lineNo, Comm = "" };
        if (!parser.Parse(text, ref line, out var error))
        {
            // An unreadable last line without its newline is most likely a cut-off file, and the
            // user should hear that rather than only what the half line lacks.
            if (error is not null)
                throw new TraceFormatException(file, lineNo, unterminated ? $"{error}; the file ends inside this line (truncated?)" : error);
            return;
        }
        // A last line without its newline may have lost digits: its numbers cannot be trusted.
        if (unterminated) throw new TraceFormatException(file, lineNo, "the file ends inside a line (truncated?)");
        if (Losses is not null) PlaceLosses(lineNo, line.Time);
        if (line.Point == Tracepoint.Lost)
        {
            // Placed already, after its CPU's last line before it.
            if (Losses?.Placed(lineNo) == true) return;
            // After every line read before it, wherever the window puts them.
            line.Time = _latest;
        }
        else
        {
            EventLines++;
            if (line.Time > _latest) _latest = line.Time;
            _lastLineTime = line.Time;
            _anyLine = true;
        }
        Add(in line);
    }

    private void Add(in TraceLine line)
    {
        if (_window.IsFull)
        {
            Assembler.Feed(in _window.Earliest);
            _window.Take();
        }
        _window.Add(in line);
    }

    /// <summary>
    /// The planned losses that go after a line before this one, at the time of the last event line
    /// read (that line's, or the one before it if it was not read); before this line when no event
    /// line came yet (its time: equal times keep the order they were added in).
    /// </summary>
    private void PlaceLosses(long lineNo, long time)
    {
        var losses = Losses!.Losses;
        for (; _nextLoss < losses.Count && losses[_nextLoss].AfterLine < lineNo; _nextLoss++)
        {
            var loss = losses[_nextLoss];
            var lost = new TraceLine
            {
                LineNo = loss.NoteLine, Comm = "", Point = Tracepoint.Lost, Cpu = loss.Cpu, A0 = loss.Count,
                Time = _anyLine ? _lastLineTime : time,
            };
            Add(in lost);
        }
    }

    /// <summary>At the end of the input: the window empties and every waiting event is let go.</summary>
    public void End()
    {
        // Losses after the last lines (or in a file whose lines were all unreadable).
        if (Losses is not null) PlaceLosses(long.MaxValue, _latest);
        while (!_window.IsEmpty)
        {
            Assembler.Feed(in _window.Earliest);
            _window.Take();
        }
        Assembler.Finish();
    }

    public bool TryTake(out PidEvent ev) => Assembler.TryTake(out ev);

    /// <summary>
    /// Reads a whole input of one line layout (what the tracefs and perf readers are);
    /// <paramref name="commandComm"/> as <see cref="TracepointAssembler.CommandComm"/>, <paramref name="losses"/> as <see cref="Losses"/>.
    /// </summary>
    public static IEnumerable<PidEvent> ReadInput(InputFile input, ITraceLineParser parser, ReadContext context, string? commandComm = null,
        LossPlan? losses = null)
    {
        using var lines = new LineReader(input.Stream, input.Name);
        foreach (var ev in Read(lines, new TracepointPipeline(parser, input.Name, commandComm) { Losses = losses }, context)) yield return ev;
    }

    /// <summary>
    /// The read loop every tracepoint reader uses: lines through the pipeline, bad lines to the
    /// context (thrown unless lenient), events out as soon as they are complete.
    /// </summary>
    public static IEnumerable<PidEvent> Read(LineReader lines, TracepointPipeline pipe, ReadContext context)
    {
        while (true)
        {
            try
            {
                if (!lines.TryReadLine(out var text)) break;
                context.Lines = lines.LineNumber;
                context.BytesRead = lines.BytesRead;
                pipe.Line(text, lines.LineNumber, lines.LastLineUnterminated);
            }
            catch (TraceFormatException e)
            {
                context.Skip(e);
            }
            while (pipe.TryTake(out var ev)) yield return ev;
        }
        pipe.End();
        while (pipe.TryTake(out var ev)) yield return ev;
    }
}
