using System.Buffers;
using System.IO.Compression;
using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Tracefs;
using Replayer.Ingest.Formats.Tracepoints;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// Events the capture lost: where ftrace's ring buffer overran, trace_pipe's reader writes
/// "CPU:N [LOST M EVENTS]" and goes on. Which tasks' events they were is not known, so from
/// there no answer of the nested model is held against the kernel's (a busy capture that lost
/// 112,514 events had answers disagree after the losses for that reason alone). The reader makes
/// the note a Lost event; the model follows the trace on, and judges nothing. The lost events were
/// that CPU's after its last line before the note, so a first pass over the file puts the loss
/// there: two busy captures had 1,796 and 580 answers disagree in the other CPU's lines between.
/// </summary>
public sealed class LostEventsTests
{
    private const string Fixture = "e-kill1.txt";

    /// <summary>The fixture with a lost-events note put in after its <paramref name="nth"/> trace line.</summary>
    private static List<PidEvent> WithLoss(int nth, string note = "CPU:1 [LOST 801 EVENTS]") =>
        CaptureFiles.ReadEdited(CaptureFiles.Path_(Fixture), lines => Insert(lines, nth, note));

    private static IEnumerable<string> Insert(IEnumerable<string> lines, int nth, string note)
    {
        bool trace = false;
        int seen = 0;
        foreach (var l in lines)
        {
            yield return l;
            if (l.StartsWith("# tracer:", StringComparison.Ordinal)) trace = true;
            else if (trace && !l.StartsWith('#') && ++seen == nth) yield return note;
        }
    }

    /// <summary>The fixture's trace lines (after "# tracer:"), each with its CPU and time.</summary>
    private static List<(int Cpu, long Time)> TraceLines()
    {
        var result = new List<(int, long)>();
        bool trace = false;
        foreach (var l in CaptureFiles.Lines(CaptureFiles.Path_(Fixture)))
        {
            if (l.StartsWith("# tracer:", StringComparison.Ordinal)) { trace = true; continue; }
            if (!trace || l.StartsWith('#')) continue;
            var bytes = Encoding.UTF8.GetBytes(l);
            Assert.True(LineLayout.FindTimestamp(bytes, out long time, out _) > 0, l);
            result.Add((TracefsLineParser.CpuOf(bytes) ?? throw new InvalidOperationException(l), time));
        }
        return result;
    }

    /// <summary>
    /// After the 200th trace line, a note for the CPU that line is not on: its loss goes after that
    /// CPU's last line before the note, and the other CPU's lines since come after the loss.
    /// </summary>
    private static (List<PidEvent> Events, int Cpu, long LastOfCpu, long NoteTime) LossOnTheOtherCpu(
        Func<IEnumerable<string>, IEnumerable<string>>? edit = null, bool gzip = false)
    {
        var lines = TraceLines();
        int cpu = 1 - lines[199].Cpu;
        long lastOfCpu = lines.Take(200).Last(l => l.Cpu == cpu).Time;
        long noteTime = lines.Take(200).Max(l => l.Time);
        Assert.True(lastOfCpu < noteTime, "the fixture has lines of the note's CPU well before the note");
        var note = $"CPU:{cpu} [LOST 801 EVENTS]";
        var path = Path.Combine(Path.GetTempPath(), $"lost-{Guid.NewGuid():N}.txt{(gzip ? ".gz" : "")}");
        var text = Insert((edit ?? (x => x))(CaptureFiles.Lines(CaptureFiles.Path_(Fixture))), 200, note);
        try
        {
            using (Stream file = File.Create(path))
            using (var writer = new StreamWriter(gzip ? new GZipStream(file, CompressionLevel.Fastest) : file))
                foreach (var l in text) writer.WriteLine(l);
            return (CaptureFiles.Read(path).Events, cpu, lastOfCpu, noteTime);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_note_becomes_a_lost_event_after_the_last_line_of_its_cpu(bool gzip)
    {
        var all = CaptureFiles.Events(Fixture);
        var (events, cpu, lastOfCpu, noteTime) = LossOnTheOtherCpu(gzip: gzip);
        var lost = Assert.Single(events.OfType<Lost>());
        Assert.Equal((cpu, 801L, 0, lastOfCpu), (lost.Cpu, lost.Count, lost.Tid, lost.Time));
        // Every other event as without the note, in the same order.
        Assert.Equal(all.Select(e => (e.Kind, e.Tid, e.Time)), events.Where(e => e is not Lost).Select(e => (e.Kind, e.Tid, e.Time)));
        int at = events.IndexOf(lost);
        Assert.InRange(at, 1, events.Count - 2);
        Assert.True(events[..at].All(e => e.Time <= lost.Time));
        // The other CPU's lines between that CPU's last and the note now come after the loss.
        Assert.Contains(events[(at + 1)..], e => e.Time > lastOfCpu && e.Time <= noteTime);
    }

    [Fact]
    public void A_file_of_ftrace_text_alone_places_the_loss_the_same_way()
    {
        // The bundle's trace section alone is what a `cat trace_pipe` gives: the tracefs reader's.
        var (events, _, lastOfCpu, _) = LossOnTheOtherCpu(lines => lines.SkipWhile(l => !l.StartsWith("# tracer:", StringComparison.Ordinal)));
        Assert.Equal(lastOfCpu, Assert.Single(events.OfType<Lost>()).Time);
    }

    [Fact]
    public void A_note_for_a_cpu_with_no_line_before_it_loses_events_from_the_start()
    {
        var events = WithLoss(200, "CPU:5 [LOST 3 EVENTS]");
        var lost = Assert.Single(events.OfType<Lost>());
        // Nothing traced comes before it: only what the snapshot read.
        int at = events.IndexOf(lost);
        Assert.True(at > 0);
        Assert.All(events[..at], e => Assert.Equal(EventKind.Snapshot, e.Kind));
        var report = Validator.Run(Fixture, "nested", events);
        Assert.Equal(0, report.Totals.Agreed);
    }

    [Fact]
    public void Read_where_it_cannot_be_read_twice_a_note_stands_where_it_was_read()
    {
        // Standard input has no first pass: the pipeline without a plan, as its reader is then.
        var lines = CaptureFiles.Lines(CaptureFiles.Path_(Fixture)).SkipWhile(l => !l.StartsWith("# tracer:", StringComparison.Ordinal)).ToList();
        var trace = TraceLines();
        int cpu = 1 - trace[199].Cpu;
        var pipe = new TracepointPipeline(new TracefsLineParser(new CommTable()), "stdin");
        var events = new List<PidEvent>();
        int n = 0;
        foreach (var l in Insert(lines, 200, $"CPU:{cpu} [LOST 801 EVENTS]"))
        {
            pipe.Line(Encoding.UTF8.GetBytes(l), ++n, false);
            while (pipe.TryTake(out var ev)) events.Add(ev);
        }
        pipe.End();
        while (pipe.TryTake(out var ev)) events.Add(ev);
        Assert.Equal(trace.Take(200).Max(l => l.Time), Assert.Single(events.OfType<Lost>()).Time);
    }

    [Fact]
    public void No_answer_after_the_loss_is_judged_and_every_one_before_it_is()
    {
        var whole = Validator.Run(Fixture, "nested", CaptureFiles.Events(Fixture));
        var events = WithLoss(400);
        int at = events.FindIndex(e => e is Lost);
        var report = Validator.Run(Fixture, "nested", events);
        var before = Validator.Run(Fixture, "nested", events[..at]);
        Assert.Equal(0, report.Disagreed);
        // Judged as before up to the loss; after it, each recorded answer is "not known", for that reason.
        Assert.True(before.Totals.Agreed == report.Totals.Agreed, string.Join(", ", report.ByKind.Select(k => $"{k.Key} {k.Value.Agreed}/{before.ByKind.GetValueOrDefault(k.Key)?.Agreed}")));
        Assert.True(whole.Totals.Agreed > report.Totals.Agreed);
        var lost = Assert.Single(report.UnknownReasons.GroupBy(r => r.Why), g => g.Key.Contains("lost events", StringComparison.Ordinal));
        Assert.Equal(report.Totals.UnknownState - before.Totals.UnknownState, lost.Sum(r => r.Count));
        Assert.True(lost.Sum(r => r.Count) > 0);
    }

    [Fact]
    public void A_replay_resumed_after_the_loss_still_judges_nothing()
    {
        var events = WithLoss(400);
        int at = events.FindIndex(e => e is Lost);
        var first = ModelCatalog.Create("nested");
        var o = new Outcome();
        foreach (var ev in events[..(at + 1)]) first.Apply(ev, o);
        var resumed = ModelCatalog.Create("nested");
        resumed.Restore(first.Snapshot());
        var answered = events.Skip(at + 1).First(e => e.RecordedAnswers > 0 && e is not Signal);
        resumed.Apply(answered, o);
        Assert.Equal(Verdict.UnknownState, o.Verdict);
        Assert.Contains("lost events", o.Note);
    }

    [Theory]
    [InlineData("CPU:1 [LOST 0 EVENTS]")]
    [InlineData("CPU:x [LOST 5 EVENTS]")]
    public void A_note_whose_numbers_cannot_be_read_is_no_event(string note)
    {
        Assert.DoesNotContain(WithLoss(200, note), e => e is Lost);
    }

    [Fact]
    public void The_event_reads_back_from_both_forms_and_the_binary_form_numbers_the_kind_21()
    {
        var ev = new Lost { Time = 5, Cpu = 1, Count = 801 };
        var buffer = new ArrayBufferWriter<byte>();
        NativeJson.WriteBinary(buffer, ev);
        var back = Assert.IsType<Lost>(NativeJson.ParseBinary(buffer.WrittenSpan, "w.jsonl", 4));
        Assert.Equal((1, 801L), (back.Cpu, back.Count));
        Assert.Equal(21, (int)EventKind.Lost);
        var json = Encoding.UTF8.GetBytes("""{"seq":3,"t":5,"host":"h","tid":0,"comm":"","kind":"lost","cpu":1,"lost_events":801}""");
        var parsed = Assert.IsType<Lost>(NativeJson.ParseEvent(json, "w.jsonl", 4));
        Assert.Equal((1, 801L), (parsed.Cpu, parsed.Count));
    }

    [Theory]
    [InlineData("""{"tid":0,"kind":"lost","cpu":1}""", "lost without \"lost_events\"")]
    [InlineData("""{"tid":0,"kind":"lost","lost_events":3}""", "lost without \"cpu\"")]
    [InlineData("""{"tid":0,"kind":"lost","cpu":1,"lost_events":0}""", "(key \"lost_events\")")]
    [InlineData("""{"tid":0,"kind":"lost","cpu":-1,"lost_events":3}""", "(key \"cpu\")")]
    public void A_garbled_event_is_refused_with_file_line_and_reason(string line, string reason)
    {
        var e = Assert.Throws<TraceFormatException>(() => NativeJson.ParseEvent(Encoding.UTF8.GetBytes(line), "w.jsonl", 4));
        Assert.Equal(("w.jsonl", 4L), (e.File, e.Line));
        Assert.Contains(reason, e.Message);
    }
}
