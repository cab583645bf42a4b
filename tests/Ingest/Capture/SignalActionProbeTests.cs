using Replayer.Ingest.Capture;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// The signal actions a capture reads with bpftrace: its records and the trace's calls paired
/// thread by thread, the "# sigaction:" lines read back onto the rt_sigaction events, and what
/// that settles in a real capture (traces/captures/n-sigchld.txt) that nothing settled before.
/// </summary>
public sealed class SignalActionProbeTests
{
    [Fact]
    public void A_record_line_is_read_and_anything_else_is_not()
    {
        Assert.Equal(new SignalActionRecord(74488608152037, 21576, 2, 0x7fffc5d484a0, 0x7f4720a16f40, 0x14000004),
            SignalActionProbe.ParseRecord("sa 74488608152037 21576 2 7fffc5d484a0 7f4720a16f40 14000004"));
        Assert.Null(SignalActionProbe.ParseRecord("Attaching 1 probe..."));
        Assert.Null(SignalActionProbe.ParseRecord("sa 74488608152037 21576 2 7fffc5d484a0 7f4720a16f40"));
        Assert.Null(SignalActionProbe.ParseRecord("sa 7448860815203x 21576 2 7fffc5d484a0 7f4720a16f40 14000004"));
    }

    [Fact]
    public void A_SIGCHLD_flags_line_and_a_leaders_exit_are_read_and_anything_else_is_not()
    {
        Assert.Equal(new SigchldFlagsRecord(83180010000123, 7127, 0x4000002, false, SigchldHandler.Caught), SignalActionProbe.ParseSigchld("sc 83180010000123 7127 4000002 2"));
        Assert.Equal(SigchldHandler.Default, SignalActionProbe.ParseSigchld("sc 83180010000123 7127 4000000 0")?.Handler);
        Assert.Equal(SigchldHandler.Ignored, SignalActionProbe.ParseSigchld("sc 83180010000123 7127 0 1")?.Handler);
        Assert.Equal(new SigchldFlagsRecord(83180010000999, 7127, 0, true), SignalActionProbe.ParseSigchld("sx 83180010000999 7127"));
        Assert.Null(SignalActionProbe.ParseSigchld("sc 83180010000123 7127"));
        Assert.Null(SignalActionProbe.ParseSigchld("sc 83180010000123 7127 4000002"));
        Assert.Null(SignalActionProbe.ParseSigchld("sc 83180010000123 7127 4000002 3"));
        Assert.Null(SignalActionProbe.ParseSigchld("sx 83180010000123 7127 0"));
        Assert.Null(SignalActionProbe.ParseSigchld("sc 83180010000123 7127 xyz"));
        Assert.Null(SignalActionProbe.ParseSigchld("sm 83180010000123 7127 0"));
    }

    [Fact]
    public void Each_snapshot_processs_flags_are_the_ones_it_had_when_tracing_began()
    {
        const long On = 5_000;
        SigchldFlagsRecord At(long ns, int pid, ulong flags) => new(ns, pid, flags, false, flags == 2 ? SigchldHandler.Caught : SigchldHandler.Default);
        SigchldFlagsRecord[] records =
        [
            // 10: changed before tracing began; the last printed by then counts.
            At(1_000, 10, 0), At(4_000, 10, 2), At(6_000, 10, 0),
            // 11: no call until after (asleep in wait4): the first printed after.
            At(9_000, 11, 2), At(9_500, 11, 0),
            // 12: its leader exited before its first record after tracing began: that pid is another process's.
            new(7_000, 12, 0, true), At(8_000, 12, 2),
            // 13: not in the snapshot; 14: the capturer, whose own line the snapshot has.
            At(1_000, 13, 2), At(1_000, 14, 0),
            // 15: printed on another CPU out of order.
            At(5_000, 15, 2), At(2_000, 15, 0),
        ];
        var processes = new HashSet<int> { 10, 11, 12, 14, 15, 16 };
        Assert.Equal(["10 0x2 caught", "11 0x2 caught", "15 0x2 caught"], SignalActionProbe.SigchldLines(records, On, processes, capturer: 14, lost: 0));
        Assert.Empty(SignalActionProbe.SigchldLines(records, On, processes, capturer: 14, lost: 1));
    }

    [Fact]
    public void A_trace_line_gives_the_call_it_makes_and_its_time_as_printed()
    {
        var call = SigactionCall.In("          dotnet-19814   [001] ..... 74140.238795: sys_rt_sigaction(sig: 0x11, act: 0x7fffd9c8d9f0, oact: 0x7fffd9c8da90, sigsetsize: 8)");
        Assert.Equal(new SigactionCall(19814, "74140.238795", 74140_238795000, 17, 0x7fffd9c8d9f0), call);
        // A comm that looks like the line's own start does not move the thread.
        var hostile = SigactionCall.In("  a-5 [000] 1.2: -77   [000] ..... 74140.238795: sys_rt_sigaction(sig: 2, act: 0x10, oact: 0, sigsetsize: 8)");
        Assert.Equal(77, hostile?.Tid);
        Assert.Equal(2, hostile?.Sig);
        // Only calls that install an action: a query (act NULL) and other lines are not calls.
        Assert.Null(SigactionCall.In("          dotnet-19814   [001] ..... 74140.238752: sys_rt_sigaction(sig: 0x11, act: 0, oact: 0x7fffd9c8da90, sigsetsize: 8)"));
        Assert.Null(SigactionCall.In("          dotnet-19814   [001] ..... 74140.238794: sys_rt_sigaction -> 0x0"));
    }

    private static SigactionCall Call(int tid, long us, int sig, ulong act) =>
        new(tid, $"{us / 1_000_000}.{us % 1_000_000:D6}", us * 1000, sig, act);

    private static SignalActionRecord Record(int tid, long ns, int sig, ulong act, ulong handler, ulong flags = 0x4000000) =>
        new(ns, tid, sig, act, handler, flags);

    [Fact]
    public void Each_threads_records_pair_with_its_calls_in_order_whatever_their_times()
    {
        // Thread 10 sets SIGINT twice from the same struct, 10 µs apart; the probe's times run
        // 30 µs behind the trace's (it ran first on the tracepoint). Thread 11 interleaves, and
        // an earlier holder of tid 11 left a record a second before: not its.
        var calls = new[]
        {
            Call(10, 5_000_000, 2, 0x100), Call(11, 5_000_005, 17, 0x200), Call(10, 5_000_010, 2, 0x100), Call(10, 5_000_040, 17, 0x100),
        };
        var records = new[]
        {
            Record(11, 4_000_000_000, 17, 0x200, 0),
            Record(10, 5_000_010_000 - 30_000, 2, 0x100, 0x5000),
            Record(10, 5_000_000_000 - 30_000, 2, 0x100, 0x4000),
            Record(11, 5_000_005_000 + 700, 17, 0x200, 1, 0x4000002),
            Record(10, 5_000_040_000 - 30_000, 17, 0x100, 0),
        };
        Assert.Equal(
        [
            "10 5.000000 2 0x100 0x4000 0x4000000",
            "11 5.000005 17 0x200 0x1 0x4000002",
            "10 5.000010 2 0x100 0x5000 0x4000000",
            "10 5.000040 17 0x100 0x0 0x4000000",
        ], SignalActionProbe.Pair(calls, records, readsFailed: false));
    }

    [Fact]
    public void A_thread_whose_records_do_not_line_up_with_its_calls_gets_no_line()
    {
        var calls = new[] { Call(10, 5_000_000, 2, 0x100), Call(10, 5_000_010, 2, 0x100), Call(12, 5_000_020, 17, 0x300) };
        // Thread 10: the probe missed one of its two calls. Pairing the one it has with either
        // would be a guess. Thread 12: the record names another address.
        var records = new[] { Record(10, 5_000_010_000, 2, 0x100, 0x5000), Record(12, 5_000_020_000, 17, 0x301, 1) };
        Assert.Empty(SignalActionProbe.Pair(calls, records, readsFailed: false));
    }

    /// <summary>
    /// A busy capture: a bash's first call's record came 349 µs before its line (the thread was
    /// preempted between the probe and the trace event), and another's 139 µs after it. Taken
    /// only within 100 µs of the first and last calls, the thread's records were one short, and
    /// none of its 11 calls got a line (438 of 5,421 calls in that capture).
    /// </summary>
    [Fact]
    public void A_record_far_from_its_line_on_a_busy_machine_still_pairs()
    {
        var calls = new[] { Call(10, 5_000_000, 20, 0x100), Call(10, 5_000_500, 21, 0x100), Call(10, 5_001_000, 17, 0x200) };
        var records = new[]
        {
            Record(10, 5_000_000_000 - 349_000, 20, 0x100, 0),
            Record(10, 5_000_500_000 + 139_000, 21, 0x100, 0),
            Record(10, 5_001_000_000 - 20_000, 17, 0x200, 0x5000),
        };
        Assert.Equal(
        [
            "10 5.000000 20 0x100 0x0 0x4000000",
            "10 5.000500 21 0x100 0x0 0x4000000",
            "10 5.001000 17 0x200 0x5000 0x4000000",
        ], SignalActionProbe.Pair(calls, records, readsFailed: false));
    }

    /// <summary>
    /// Records of calls made just before tracing began stand beside the traced calls' run: the run
    /// is where the records name the calls, and where two places would do, no call gets a line.
    /// </summary>
    [Fact]
    public void Records_of_calls_made_just_before_tracing_are_passed_over_where_the_run_is_clear()
    {
        var calls = new[] { Call(10, 5_000_000, 2, 0x100), Call(10, 5_000_030, 17, 0x100) };
        var records = new[]
        {
            Record(10, 4_999_000_000, 3, 0x100, 1),
            Record(10, 5_000_000_000 - 20_000, 2, 0x100, 0x4000),
            Record(10, 5_000_030_000 - 20_000, 17, 0x100, 0),
        };
        Assert.Equal(["10 5.000000 2 0x100 0x4000 0x4000000", "10 5.000030 17 0x100 0x0 0x4000000"], SignalActionProbe.Pair(calls, records, readsFailed: false));

        // The call before tracing installed the same signal at the same address: either place lines up.
        var same = new[] { Record(10, 4_999_500_000, 2, 0x100, 1) }.Concat(records.Skip(1)).ToArray();
        var twice = new[] { Call(10, 5_000_000, 2, 0x100) };
        Assert.Empty(SignalActionProbe.Pair(twice, same.Take(2).ToArray(), readsFailed: false));
    }

    [Fact]
    public void Two_calls_the_reader_could_not_tell_apart_get_no_line()
    {
        // The same thread, signal and address within one printed microsecond: a line each would
        // give the reader two lines for one key. The thread's other call keeps its line.
        var calls = new[] { Call(10, 5_000_000, 2, 0x100), Call(10, 5_000_000, 2, 0x100), Call(10, 5_000_020, 17, 0x100) };
        var records = new[] { Record(10, 5_000_000_100, 2, 0x100, 0x4000), Record(10, 5_000_000_700, 2, 0x100, 0), Record(10, 5_000_020_000, 17, 0x100, 1) };
        Assert.Equal(["10 5.000020 17 0x100 0x1 0x4000000"], SignalActionProbe.Pair(calls, records, readsFailed: false));
    }

    [Fact]
    public void Zeros_from_a_read_that_may_have_failed_are_unread_not_SIG_DFL()
    {
        var calls = new[] { Call(10, 5_000_000, 17, 0x100), Call(10, 5_000_010, 2, 0x100) };
        var records = new[] { Record(10, 5_000_000_000, 17, 0x100, 0, 0), Record(10, 5_000_010_000, 2, 0x100, 0) };
        Assert.Equal(["10 5.000000 17 0x100 unread", "10 5.000010 2 0x100 0x0 0x4000000"], SignalActionProbe.Pair(calls, records, readsFailed: true));
        Assert.Equal("10 5.000000 17 0x100 0x0 0x0", SignalActionProbe.Pair(calls, records, readsFailed: false)[0]);
    }

    /// <summary>The SIGCHLD actions of the three perl parents of traces/workloads/n-sigchld.sh, as the capture's sigaction lines give them.</summary>
    [Fact]
    public void The_capture_reads_each_SIGCHLD_action_from_its_sigaction_line()
    {
        var events = CaptureFiles.Events("n-sigchld.txt");
        var perls = events.OfType<Exec>().Where(x => x.Filename == "/usr/bin/perl").Select(x => x.Tid).ToList();
        Assert.Equal(3, perls.Count);
        (Handler, ulong)[] Chld(int tid) => events.OfType<SigAction>().Where(a => a.Tid == tid && a.Sig == 17).Select(a => (a.Handler, a.SaFlags & 2)).ToArray();
        // $SIG{CHLD} = "IGNORE" (perl adds SA_NOCLDWAIT); a handler with SA_NOCLDWAIT; a handler
        // without it, which perl puts back to SIG_DFL as it ends.
        Assert.Contains((Handler.Ignore, 2UL), Chld(perls[0]));
        Assert.Contains((Handler.Catch, 2UL), Chld(perls[1]));
        Assert.Equal([(Handler.Catch, 0UL), (Handler.Default, 0UL)], Chld(perls[2]));
        Assert.DoesNotContain(events.OfType<SigAction>(), a => a.Handler == Handler.Unknown);
    }

    [Fact]
    public void With_the_actions_read_the_kernel_reaping_children_at_exit_is_checked_not_unknown()
    {
        var path = CaptureFiles.Path_("n-sigchld.txt");
        var with = Validator.Run("n-sigchld", "nested", CaptureFiles.Read(path).Events);
        // The same capture without its sigaction lines: what a capture without the probe gives.
        var without = Validator.Run("n-sigchld", "nested",
            CaptureFiles.ReadWithout(path, "# sigaction:"));
        Assert.True(with.Clean);
        Assert.True(without.Clean, string.Join("\n", without.Disagreements));
        // Every perl child's exit: reaped at once (SIG_IGN, SA_NOCLDWAIT) or left a zombie. Without
        // the actions only the exits told to a shell, whose handler its signal_deliver lines show, are
        // known, and those after a wait that answered ECHILD (the children before it were reaped at once).
        Assert.True(with.ByKind["exit"].Agreed >= 6, $"{with.ByKind["exit"].Agreed} exits agreed");
        Assert.True(with.ByKind["exit"].Agreed >= without.ByKind["exit"].Agreed + 4,
            $"{with.ByKind["exit"].Agreed} exits agreed with the actions, {without.ByKind["exit"].Agreed} without");
        Assert.True(with.Totals.UnknownState * 4 < without.Totals.UnknownState,
            $"{with.Totals.UnknownState} answers unknown with the actions, {without.Totals.UnknownState} without");
        // The parents' waits after their children were reaped at exit: ECHILD, predicted.
        Assert.True(with.ByKind["wait"].Agreed > without.ByKind["wait"].Agreed + 4);
    }

    [Theory]
    [InlineData("# sigaction: 12 74673.699705 17 0x7f127344c940 0x0", "is not 'TID TIME SIG ACT HANDLER FLAGS'")]
    [InlineData("# sigaction: 12 74673.x 17 0x7f127344c940 0x0 0x0", "time")]
    [InlineData("# sigaction: 12 74673.699705 99 0x7f127344c940 0x0 0x0", "signal")]
    [InlineData("# sigaction: 12 74673.699705 17 7f127344c940 0x0 0x0", "address")]
    [InlineData("# sigaction: 12 74673.699705 17 0x7f127344c940 SIG_IGN 0x0", "handler")]
    [InlineData("# sigaction: 12 74673.699705 17 0x7f127344c940 unread 0x0", "handler")]
    public void A_garbled_sigaction_line_is_refused_naming_its_file_and_line(string bad, string says)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_("n-sigchld.txt")).ToList();
        int at = lines.FindIndex(l => l.StartsWith("# sigaction:", StringComparison.Ordinal));
        lines[at] = bad;
        CaptureFiles.AssertRefused(lines, at, says);
    }

    [Fact]
    public void The_probe_runs_ahead_of_the_machines_other_work_where_root_may_raise_it()
    {
        using var child = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", ["5"]) { UseShellExecute = false })!;
        try
        {
            SignalActionProbe.RaisePriority(child);
            // /proc/PID/stat field 19 is the nice value; the fields after the command's ")" begin at 3.
            var stat = File.ReadAllText($"/proc/{child.Id}/stat");
            int nice = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
            // Not root: left as it was, and no error.
            Assert.Equal(Environment.IsPrivilegedProcess ? -11 : 0, nice);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
        // A process that has ended is left alone too.
        SignalActionProbe.RaisePriority(child);
    }
}
