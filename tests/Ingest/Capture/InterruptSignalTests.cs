using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Tracefs;
using Replayer.Ingest.Formats.Tracepoints;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// A signal generated in an interrupt: ftrace names the task that happened to run, whose calls
/// did not send it. traces/captures/ae-timer-signal-in-exit.txt: a perl's interval timer sends it
/// SIGALRM every 500 us from the tick's hardirq while 40 `true`s run and exit on the same CPU.
/// </summary>
public sealed class InterruptSignalTests
{
    private const string File = "ae-timer-signal-in-exit.txt";

    [Theory]
    [InlineData("dNh1.", true)]
    [InlineData("d.h1.", true)]
    [InlineData("d.s2.", true)]
    [InlineData("d.H2.", true)]
    [InlineData("d.h1", true)] // kernels before the migrate-disable column
    [InlineData("dN.1.", false)]
    [InlineData("d..2.", false)]
    [InlineData(null, false)] // no flags column at all
    public void The_flags_column_says_whether_a_line_fired_in_an_interrupt(string? flags, bool inInterrupt)
    {
        var text = $"            true-9744    [001] {(flags is null ? "" : flags + " ")}44457.380466: signal_generate: sig=14 errno=0 code=128 comm=perl pid=9732 grp=1 res=0";
        var line = new TraceLine { Comm = "" };
        Assert.True(new TracefsLineParser(new CommTable()).Parse(System.Text.Encoding.UTF8.GetBytes(text), ref line, out var error), error);
        Assert.Equal((Tracepoint.SignalGenerate, 9744, 14, 9732), (line.Point, line.Tid, (int)line.A0, (int)line.A3));
        Assert.Equal(inInterrupt, line.InInterrupt);
    }

    [Fact]
    public void A_timer_signal_that_interrupts_an_exit_is_not_that_exits_and_the_capture_agrees()
    {
        var path = CaptureFiles.Path_(File);
        var alarms = CaptureFiles.Lines(path).Count(l => l.Contains("signal_generate: sig=14 ", StringComparison.Ordinal));
        var events = CaptureFiles.Events(File);
        // Every SIGALRM is a signal event of its own; none is part of a true's exit.
        Assert.Equal(alarms, events.OfType<Signal>().Count(s => s.Record is { Sig: 14, To: 9732 }));
        Assert.DoesNotContain(events.OfType<Exit>(), x => x.Signals.Any(r => r.Sig == 14));
        var report = Validator.Run("ae", "nested", events);
        Assert.True(report.Clean, $"{report.Disagreed} disagreed, {report.Totals.Unrecorded} predicted signals not recorded");

        // The same lines as if the tick had been the exiting task's own doing: the exits it
        // interrupted take the SIGALRM, which no exit sends.
        var taken = CaptureFiles.ReadEdited(path, lines => lines.Select(l => l.Replace("dNh1. ", "dN.1. ", StringComparison.Ordinal).Replace("d.h1. ", "d..1. ", StringComparison.Ordinal)));
        var exits = taken.OfType<Exit>().Where(x => x.Signals.Any(r => r.Sig == 14)).ToList();
        Assert.NotEmpty(exits);
        Assert.All(exits, x => Assert.Equal("true", x.Comm));
        var without = Validator.Run("ae", "nested", taken);
        Assert.Equal(exits.Count, without.Disagreed);
        Assert.All(without.Disagreements, d => Assert.Equal(("exit", "sig 14 to 9732: delivered", "no such signal"), (d.Kind, d.Recorded, d.Predicted)));
    }
}
