using System.Buffers;
using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
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
/// the note a Lost event; the model follows the trace on, and judges nothing.
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

    [Fact]
    public void The_note_becomes_a_lost_event_after_the_lines_before_it()
    {
        var all = CaptureFiles.Events(Fixture);
        var events = WithLoss(200);
        var lost = Assert.Single(events.OfType<Lost>());
        Assert.Equal((1, 801L, 0), (lost.Cpu, lost.Count, lost.Tid));
        // Every other event as without the note, in the same order.
        Assert.Equal(all.Select(e => (e.Kind, e.Tid, e.Time)), events.Where(e => e is not Lost).Select(e => (e.Kind, e.Tid, e.Time)));
        int at = events.IndexOf(lost);
        Assert.InRange(at, 1, events.Count - 2);
        Assert.True(events[..at].All(e => e.Time <= lost.Time));
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
