using System.Diagnostics;
using Replayer.Ingest.Capture;
using Replayer.Ingest.Events;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// Actions installed, and files executed, between /proc's read of a process and tracing_on: in
/// no trace line, and not in the read. The capture's probe sees them ("# window_sigaction:",
/// "# window_exec:"), and the reader replays them onto the blocks of the first read. A busy
/// capture's perl installed its SIGALRM handler after /proc read it and 45 ms before tracing_on;
/// with the read's SIG_DFL, the model took the timer's first SIGALRM for a fatal one, and the
/// next 23 for dropped.
/// </summary>
[Collection(CaptureCollection.Name)]
public sealed class WindowActionTests
{
    /// <summary>A real whole-system capture; its process 1 (five threads) catches 0x4e8 and ignores 0x1000.</summary>
    private const string Fixture = "r-preexisting-flags.txt";

    private static List<PidEvent> WithFacts(params string[] facts) =>
        CaptureFiles.ReadEdited(CaptureFiles.Path_(Fixture), lines => lines.SelectMany(l =>
            l.StartsWith("# proc snapshot", StringComparison.Ordinal) ? facts.Append(l) : [l]));

    /// <summary>The fixture's lines with these put before its "# proc snapshot" line, and where the first of them stands.</summary>
    private static (List<string> Lines, int At) FixtureLinesWith(params string[] added)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Fixture)).ToList();
        int at = lines.FindIndex(l => l.StartsWith("# proc snapshot", StringComparison.Ordinal));
        lines.InsertRange(at, added);
        return (lines, at);
    }

    private static List<TaskSnapshot> ProcessOne(List<PidEvent> events) =>
        events.OfType<TaskSnapshot>().Where(t => t.Tgid == 1 && !t.Adopted).ToList();

    [Fact]
    public void The_fixture_reads_as_recorded()
    {
        var one = ProcessOne(CaptureFiles.Events(Fixture));
        Assert.True(one.Count >= 2);
        Assert.All(one, t => Assert.Equal(((ulong?)0x1000, (ulong?)0x4e8), (t.SigIgn, t.SigCgt)));
    }

    [Fact]
    public void An_action_installed_after_the_read_is_the_one_tracing_began_with_for_every_thread()
    {
        var one = ProcessOne(WithFacts(
            "# window_sigaction: 1 100.000000100 14 caught",
            "# window_sigaction: 1 100.000000200 4 ign",
            "# window_sigaction: 1 100.000000300 11 dfl"));
        Assert.True(one.Count >= 2);
        // SIGALRM (0x2000) caught; SIGILL (0x8) ignored, no longer caught; SIGSEGV (0x400) back to SIG_DFL.
        Assert.All(one, t => Assert.Equal(((ulong?)0x1008, (ulong?)0x20e0), (t.SigIgn, t.SigCgt)));
    }

    [Fact]
    public void An_exec_sets_every_caught_signal_back_to_default_and_keeps_the_ignored_ones()
    {
        var one = ProcessOne(WithFacts(
            "# window_sigaction: 1 100.000000100 14 caught",
            "# window_exec: 1 100.000000200",
            "# window_sigaction: 1 100.000000300 15 caught"));
        // SIGTERM (bit 14) caught after the exec; SIGALRM and the read's caught ones gone with it.
        Assert.All(one, t => Assert.Equal(((ulong?)0x1000, (ulong?)0x4000), (t.SigIgn, t.SigCgt)));
    }

    [Fact]
    public void An_action_whose_read_may_have_failed_leaves_the_process_actions_not_known()
    {
        var one = ProcessOne(WithFacts("# window_sigaction: 1 100.000000100 14 unread"));
        Assert.All(one, t => Assert.True(t.SigIgn is null && t.SigCgt is null));
        // Another process's blocks are as read.
        Assert.Contains(WithFacts("# window_sigaction: 1 100.000000100 14 unread").OfType<TaskSnapshot>(), t => t.Tgid != 1 && t.SigCgt is not null);
    }

    [Theory]
    [InlineData("# window_sigaction: 1 100.000000100 14", "is not 'PID TIME SIG ACTION'")]
    [InlineData("# window_sigaction: 1 100.000000100 9 caught", "no action can be given")]
    [InlineData("# window_sigaction: 1 100.000000100 14 handler", "not dfl, ign, caught or unread")]
    [InlineData("# window_sigaction: 0 100.000000100 14 caught", "not positive")]
    [InlineData("# window_sigaction: 1 1e2 14 caught", "time")]
    [InlineData("# window_exec: 1", "is not 'PID TIME'")]
    public void A_garbled_window_line_is_refused_naming_its_file_and_line(string bad, string says)
    {
        var (lines, at) = FixtureLinesWith(bad);
        CaptureFiles.AssertRefused(lines, at, says);
    }

    [Fact]
    public void Window_lines_of_one_kind_out_of_time_order_are_refused()
    {
        var (lines, at) = FixtureLinesWith("# window_exec: 1 100.000000300", "# window_sigaction: 1 100.000000100 14 caught", "# window_exec: 1 100.000000200");
        CaptureFiles.AssertRefused(lines, at + 2, "window_exec line out of time order");
    }

    /// <summary>The capture writes every sigaction line, then every exec line: the reader merges them by time.</summary>
    [Fact]
    public void The_two_kinds_are_replayed_in_time_order_whatever_order_their_lines_come_in()
    {
        var one = ProcessOne(WithFacts(
            "# window_sigaction: 1 100.000000100 14 caught",
            "# window_sigaction: 1 100.000000300 15 caught",
            "# window_exec: 1 100.000000200"));
        Assert.All(one, t => Assert.Equal(((ulong?)0x1000, (ulong?)0x4000), (t.SigIgn, t.SigCgt)));
    }

    [Fact]
    public void The_probe_lines_are_the_window_calls_of_known_threads_in_time_order()
    {
        SignalActionRecord Sa(long ns, int tid, int sig, ulong handler) => new(ns, tid, sig, 0x1000, handler, 0);
        var records = new[]
        {
            Sa(50, 10, 14, 2), // before the first read began: the read shows it
            Sa(300, 11, 14, 0x5555), // a thread of process 10
            Sa(200, 10, 2, 1),
            Sa(250, 99, 14, 1), // a thread neither read showed
            Sa(260, 10, 9, 1), // refused by the kernel
            Sa(400, 10, 15, 0), // after tracing_on: the trace has its call
        };
        var execs = new[] { new ExecRecord(280, 10), new ExecRecord(50, 10) };
        int? ProcessOf(int tid) => tid is 10 or 11 ? 10 : null;
        var (sigactions, execLines) = SignalActionProbe.WindowLines(records, execs, ProcessOf, 100, 350, readsFailed: false, lost: 0);
        Assert.Equal(["10 0.000000200 2 ign", "10 0.000000300 14 caught"], sigactions);
        Assert.Equal(["10 0.000000280"], execLines);
        // A read that failed reads as zeros: "unread", not SIG_DFL.
        var failed = SignalActionProbe.WindowLines([new SignalActionRecord(200, 10, 14, 0x1000, 0, 0)], [], ProcessOf, 100, 350, readsFailed: true, lost: 0);
        Assert.Equal(["10 0.000000200 14 unread"], failed.Sigactions);
        // Records lost: none, for a change missed would stand.
        Assert.Equal((0, 0), (SignalActionProbe.WindowLines(records, execs, ProcessOf, 100, 350, false, lost: 3) is var l ? (l.Sigactions.Count, l.Execs.Count) : default));
    }

    /// <summary>
    /// A python older than the capture installs its SIGALRM handler after /proc read it and before
    /// tracing_on (the capture's seam between the two), then sends itself SIGALRM twice. The
    /// first read says SIG_DFL; the probe saw the handler installed. With the window's lines no
    /// answer disagrees; without them the model takes the first SIGALRM for a fatal one and
    /// predicts the second dropped.
    /// </summary>
    [Fact]
    public async Task A_handler_installed_between_the_read_and_tracing_on_is_the_one_the_trace_begins_with()
    {
        if (!CaptureInstanceTests.CaptureAvailable() || !CaptureInstanceTests.BpftraceAvailable()) return;
        var output = Path.Combine(Path.GetTempPath(), $"replayer-window-action-test-{Guid.NewGuid():N}.txt");
        const string Script = """
            import os, signal, sys
            print("ready", flush=True)
            sys.stdin.readline()
            signal.signal(signal.SIGALRM, lambda s, f: None)
            print("set", flush=True)
            sys.stdin.readline()
            os.kill(os.getpid(), signal.SIGALRM)
            os.kill(os.getpid(), signal.SIGALRM)
            print("done", flush=True)
            sys.stdin.readline()
            """;
        using var py = Process.Start(new ProcessStartInfo("python3", ["-c", Script]) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        // Tells the python to go on, and waits until it says it has (on the capture's own thread: no await there).
        void Say(string expected)
        {
            py.StandardInput.WriteLine();
            Assert.Equal(expected, py.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult());
        }
        try
        {
            Assert.Equal("ready", await py.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
            var capture = TracefsCapture.RunAsync(new CaptureRequest(output, null, Duration: TimeSpan.FromSeconds(1), BufferKb: 4096,
                SignalActions: SignalActionsMode.Bpftrace)
            {
                // Between the first read and tracing_on: the handler goes in, and is there when tracing begins.
                InWindow = _ => Say("set"),
                // Before /proc is read again: the kills are lines of the process's, so the window
                // check keeps the first read's block (the second read's may be after them).
                BeforeSecondRead = () => Say("done"),
            }, default);
            await capture;

            var header = File.ReadLines(output).Where(l => l.StartsWith("# window_", StringComparison.Ordinal) || l.StartsWith("# signal_actions:", StringComparison.Ordinal)).ToList();
            Assert.True(header.Any(l => l.StartsWith($"# window_sigaction: {py.Id} ", StringComparison.Ordinal) && l.EndsWith(" 14 caught", StringComparison.Ordinal)),
                $"no window_sigaction line for SIGALRM of {py.Id}: " + string.Join(" | ", header.Take(20)));
            var (_, events) = CaptureFiles.Read(output);
            var snapshot = events.OfType<TaskSnapshot>().Single(t => t.Tid == py.Id && !t.Adopted);
            // The first read's block, kept (a second read's has its read_at), and read with SIG_DFL.
            var block = File.ReadLines(output).SkipWhile(l => l != $"task {py.Id} tgid {py.Id}").TakeWhile(l => l.Length > 0).ToList();
            Assert.DoesNotContain(block, l => l.StartsWith("read_at:", StringComparison.Ordinal));
            Assert.Contains("SigCgt:\t0000000000000002", block);
            Assert.True((snapshot.SigCgt & (1UL << 13)) != 0, "SIGALRM caught as tracing began");
            var kills = events.OfType<Kill>().Where(k => k.Tid == py.Id && k.Sig == 14).ToList();
            Assert.Equal(2, kills.Count);
            var with = Validator.Run("live", "nested", events);
            Assert.DoesNotContain(with.Disagreements, d => d.Tid == py.Id);
            Assert.True(with.ByKind["kill"].Agreed >= 2, "both kills judged");
            var without = Validator.Run("live", "nested", CaptureFiles.ReadWithout(output, "# window_sigaction:"));
            // The second SIGALRM: predicted dropped by a process the first one killed.
            Assert.Contains(without.Disagreements, d => d.Tid == py.Id && d.Recorded.Contains("sig 14", StringComparison.Ordinal));
        }
        finally
        {
            if (!py.HasExited) py.Kill();
            File.Delete(output);
        }
    }
}
