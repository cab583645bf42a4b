using System.Buffers;
using System.Text;
using Replayer.Ingest.Capture;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// Writes to /proc/sys/kernel/ns_last_pid, which set where a pid namespace looks for its next
/// number (a checkpoint restore does this to give a task back its number). The trace has no line
/// for a write to a file: the capture's probe reads the writer's namespace's cursor as the write
/// returns, the bundle's "# last_pid:" lines carry it, and the LastPid events they become move the
/// nested model's cursor. A real capture (traces/captures/ah-last-pid.txt) whose forks after such
/// writes the model got wrong without them.
/// </summary>
[Collection(CaptureCollection.Name)]
public sealed class LastPidTests
{
    private const string Fixture = "ah-last-pid.txt";

    private static List<PidEvent> WithoutWrites() =>
        CaptureFiles.ReadWithout(CaptureFiles.Path_(Fixture), "# last_pid:");

    [Fact]
    public void A_probe_line_is_read_and_anything_else_is_not()
    {
        Assert.Equal(new LastPidRecord(1302231578000, 2243, 199), SignalActionProbe.ParseLastPid("lp 1302231578000 2243 199"));
        Assert.Equal(new LastPidRecord(5, 1, 0), SignalActionProbe.ParseLastPid("lp 5 1 0"));
        // A namespace that never gave a number reads -1: no cursor to take.
        Assert.Null(SignalActionProbe.ParseLastPid("lp 5 1 -1"));
        Assert.Null(SignalActionProbe.ParseLastPid("lp 5 1"));
        Assert.Null(SignalActionProbe.ParseLastPid("lp 5 1 x"));
        Assert.Null(SignalActionProbe.ParseLastPid("sx 5 1 9"));
    }

    [Fact]
    public void The_header_lines_are_the_writes_from_tracing_on_in_time_order()
    {
        LastPidRecord[] records =
        [
            new(3_000_004_000, 7, 29),
            new(2_000_003_999, 8, 49),
            new(999_999_999, 7, 5),   // before tracing_on: the window's cursor reads cover it
            new(3_000_004_000, 9, 12),
        ];
        Assert.Equal(["8 2.000003 49", "7 3.000004 29", "9 3.000004 12"], SignalActionProbe.LastPidLines(records, tracingOn: 1_000_000_000));
        Assert.Empty(SignalActionProbe.LastPidLines([], 0));
    }

    [Fact]
    public void The_capture_gives_each_write_where_it_returned_with_the_value_the_file_then_read()
    {
        var events = CaptureFiles.Events(Fixture);
        var writes = events.OfType<LastPid>().ToList();
        Assert.Equal([199, 49, 29], writes.Select(w => w.Value));
        Assert.Equal(["sh", "python3", "sh"], writes.Select(w => w.Comm));
        // Each writer's next fork, inside the namespace, gets the number after the value.
        foreach (var w in writes)
        {
            var next = events.Skip(events.IndexOf(w)).OfType<Fork>().First(f => f.Tid == w.Tid);
            Assert.Equal(w.Value + 1, next.Ret);
        }
        Assert.Empty(WithoutWrites().OfType<LastPid>());
    }

    [Fact]
    public void With_the_writes_the_forks_after_them_are_predicted_and_without_them_they_are_not()
    {
        var with = Validator.Run("ah-last-pid", "nested", CaptureFiles.Events(Fixture));
        Assert.True(with.Disagreed == 0, string.Join("; ", with.Disagreements));
        Assert.Equal(0, with.UnknownState);
        var without = Validator.Run("ah-last-pid", "nested", WithoutWrites());
        // The model follows its own cursor: 3 where the kernel gave 200, and so on.
        Assert.Equal(3, without.Disagreed);
        Assert.All(without.Disagreements, d => Assert.Equal("fork", d.Kind));
        Assert.Equal(["ret 200", "ret 50", "ret 30"], without.Disagreements.Select(d => d.Recorded));
    }

    /// <summary>
    /// A busy capture whose bpftrace lost 10,095 records: a namespace init's writes to
    /// ns_last_pid were among them, and the model, going on from its cursor, gave three forks other
    /// numbers than the kernel (3 for 200, 202 for 50, 52 for 30). A capture whose probe lost
    /// records says so ("# signal_masks: none (bpftrace lost ...)"), and its reader puts a lossy
    /// LastPid of no task before the first event: from there no fork's number below the host's is
    /// judged, though the numbers the kernel gave are still followed. Here, this capture with its
    /// writes taken out and its probe said to have lost records.
    /// </summary>
    [Fact]
    public void A_capture_whose_probe_lost_records_judges_no_forks_number_in_a_namespace()
    {
        static IEnumerable<string> Lossy(IEnumerable<string> lines) => lines
            .Where(l => !l.StartsWith("# last_pid:", StringComparison.Ordinal) && !l.StartsWith("# sigmask:", StringComparison.Ordinal)
                && !l.StartsWith("# sigaction:", StringComparison.Ordinal) && !l.StartsWith("# setns:", StringComparison.Ordinal)
                && !l.StartsWith("# sigchld_flags:", StringComparison.Ordinal))
            .Select(l => l.StartsWith("# signal_masks:", StringComparison.Ordinal) ? "# signal_masks: none (bpftrace lost 5 of its records)"
                : l.StartsWith("# signal_actions:", StringComparison.Ordinal) ? "# signal_actions: none (bpftrace lost 5 of its records, so none is paired)" : l);
        var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(Fixture), Lossy);
        var marker = Assert.Single(events.OfType<LastPid>());
        Assert.True(marker is { Lossy: true, Tid: 0 });
        // Before the first traced event, after the snapshot's tasks.
        Assert.Equal(events.FindIndex(e => e is not TaskSnapshot), events.IndexOf(marker));
        var report = Validator.Run("ah-last-pid", "nested", events);
        Assert.True(report.Disagreed == 0, string.Join("; ", report.Disagreements));
        // The forks of the host's namespace are judged; those inside the namespace are not.
        var lossy = Assert.Single(report.UnknownReasons, r => r.Why.Contains("a write to ns_last_pid may have moved", StringComparison.Ordinal));
        Assert.Equal(NamespaceForks(events), lossy.Count);
        Assert.True(report.ByKind["fork"].Agreed > 0);
        // The same capture as recorded: every fork judged.
        Assert.DoesNotContain(CaptureFiles.Events(Fixture).OfType<LastPid>(), l => l.Lossy);
    }

    /// <summary>
    /// The probe runs in parts, each a bpftrace with its own buffers, and the namespaces' part
    /// says for itself whether it lost records ("# namespaces:"). A busy capture whose signals part
    /// lost records keeps every fork judged when the namespaces' part lost none; and one whose
    /// namespaces' part lost records judges no fork's number below the host's, whatever the
    /// signals part says. Here, the fixture's headers edited to say each.
    /// </summary>
    [Theory]
    [InlineData("bpftrace (3 writes to ns_last_pid, 0 setns read)", false)]
    [InlineData("bpftrace lost 7 of its records (3 writes to ns_last_pid kept, no setns read)", true)]
    public void The_namespaces_part_says_for_itself_whether_a_write_may_be_missing(string status, bool lossy)
    {
        IEnumerable<string> Edited(IEnumerable<string> lines)
        {
            foreach (var l in lines)
            {
                if (l.StartsWith("# sigmask:", StringComparison.Ordinal) || l.StartsWith("# sigchld_flags:", StringComparison.Ordinal)) continue;
                if (l.StartsWith("# signal_masks:", StringComparison.Ordinal))
                {
                    yield return "# signal_masks: none (bpftrace lost 5 of its records)";
                    yield return $"# namespaces: {status}";
                    continue;
                }
                yield return l;
            }
        }
        var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(Fixture), Edited);
        // The marker of no task before the first event, when a write may be missing.
        Assert.Equal(lossy, events.OfType<LastPid>().Any(l => l is { Lossy: true, Tid: 0 }));
        // The writes themselves are read either way.
        Assert.Equal(3, events.OfType<LastPid>().Count(l => l.Tid != 0));
        var report = Validator.Run("ah-last-pid", "nested", events);
        Assert.True(report.Disagreed == 0, string.Join("; ", report.Disagreements));
        long unjudged = report.UnknownReasons.Where(r => r.Why.Contains("a write to ns_last_pid may have moved", StringComparison.Ordinal)).Sum(r => r.Count);
        Assert.Equal(lossy ? NamespaceForks(events) : 0, unjudged);
        Assert.True(NamespaceForks(events) > 0);
    }

    /// <summary>Forks whose answer is a number in a namespace below the host's (not the child's global one).</summary>
    private static int NamespaceForks(List<PidEvent> events) =>
        events.OfType<Fork>().Count(f => f.Ret is long r && r > 0 && r != f.Child);

    [Fact]
    public void Virtual_pids_cannot_represent_a_write_inside_a_vps_and_need_nothing_of_one_on_the_host()
    {
        var events = CaptureFiles.Events(Fixture);
        var vpid = ModelCatalog.Create("vpid");
        var nested = ModelCatalog.Create("nested");
        var verdicts = new List<(Verdict Vpid, Verdict Nested)>();
        foreach (var ev in events)
        {
            var a = new Outcome();
            var b = new Outcome();
            vpid.Apply(ev, a);
            nested.Apply(ev, b);
            if (ev is LastPid) verdicts.Add((a.Verdict, b.Verdict));
        }
        Assert.Equal(3, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal((Verdict.Unsupported, Verdict.NotApplicable), v));
        // On the host: no VPS, and the global numbers are the trace's.
        var host = ModelCatalog.Create("vpid");
        var o = new Outcome();
        host.Apply(new TaskSnapshot { Tid = 300, Tgid = 300, PPid = 1, Pgid = 300, Sid = 300, Comm = "criu" }, o);
        host.Apply(new LastPid { Tid = 300, Comm = "criu", Value = 999 }, o);
        Assert.Equal(Verdict.NotApplicable, o.Verdict);
    }

    [Theory]
    [InlineData("# last_pid: 12 1302.231578", "is not 'TID TIME VALUE'")]
    [InlineData("# last_pid: 12 1302.x 199", "time")]
    [InlineData("# last_pid: 12 1302.231578 0x10", "value")]
    [InlineData("# last_pid: 12 1302.231578 -1", "value")]
    [InlineData("# last_pid: x 1302.231578 199", "thread")]
    [InlineData("# last_pid: 12 1.000000 199", "out of time order")]
    public void A_garbled_last_pid_line_is_refused_naming_its_file_and_line(string bad, string says)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Fixture)).ToList();
        // The second: the first may be replaced by an earlier time and stay in order.
        int at = lines.FindIndex(l => l.StartsWith("# last_pid:", StringComparison.Ordinal)) + 1;
        lines[at] = bad;
        CaptureFiles.AssertRefused(lines, at, says);
    }

    [Fact]
    public void The_event_reads_back_from_both_forms_and_the_binary_form_numbers_the_kind_20_and_the_key_72()
    {
        var ev = new LastPid { Tid = 5, Value = 199 };
        var buffer = new ArrayBufferWriter<byte>();
        NativeJson.WriteBinary(buffer, ev);
        // tag, t 0, host "", tid 5, comm "", kind 20, key 72 with 199 as a zigzag varint, end.
        byte[] expected = [NativeJson.BinaryTag, 1, 0, 2, 0, 3, 10, 4, 0, 5, 20, 72, 0x8E, 0x03, 0xFF];
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
        Assert.Equal(199, Assert.IsType<LastPid>(NativeJson.ParseBinary(expected, "w.jsonl", 4)).Value);
        var json = Encoding.UTF8.GetBytes("""{"seq":3,"t":1302231578000,"host":"h","tid":5,"comm":"sh","kind":"lastpid","last_pid":199}""");
        var back = Assert.IsType<LastPid>(NativeJson.ParseEvent(json, "w.jsonl", 4));
        Assert.Equal((5, 199, "sh"), (back.Tid, back.Value, back.Comm));
    }

    [Theory]
    [InlineData("""{"tid":5,"kind":"lastpid"}""", "lastpid without \"last_pid\"")]
    [InlineData("""{"tid":5,"kind":"lastpid","last_pid":-1}""", "(key \"last_pid\")")]
    [InlineData("""{"tid":5,"kind":"lastpid","last_pid":"199"}""", "(key \"last_pid\")")]
    [InlineData("""{"tid":5,"kind":"lastpid","last_pid":4294967296}""", "(key \"last_pid\")")]
    public void A_garbled_event_is_refused_with_file_line_and_reason(string line, string reason)
    {
        var e = Assert.Throws<TraceFormatException>(() => NativeJson.ParseEvent(Encoding.UTF8.GetBytes(line), "w.jsonl", 4));
        Assert.Equal(("w.jsonl", 4L), (e.File, e.Line));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public async Task A_live_capture_reads_a_write_inside_a_namespace_and_the_fork_after_it_agrees()
    {
        if (!CaptureInstanceTests.CaptureAvailable() || !CaptureInstanceTests.BpftraceAvailable()) return;
        var output = Path.Combine(Path.GetTempPath(), $"replayer-capture-test-{Guid.NewGuid():N}.txt");
        var script = "echo 4321 > /proc/sys/kernel/ns_last_pid; sh -c 'kill -0 $$'; " +
            "/usr/bin/python3 -c 'import os; fd = os.open(\"/proc/sys/kernel/ns_last_pid\", os.O_WRONLY); os.pwrite(fd, b\"77\", 0); os.close(fd); " +
            "pid = os.fork()\nif pid == 0: os._exit(0)\nos.waitpid(pid, 0)'";
        var request = new CaptureRequest(output, ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", script], Follow: true, BufferKb: 1024,
            SignalActions: SignalActionsMode.Bpftrace);
        try
        {
            var result = await TracefsCapture.RunAsync(request, default);
            Assert.Equal(0, result.CommandExit);
            var (_, events) = CaptureFiles.Read(output);
            var writes = events.OfType<LastPid>().ToList();
            Assert.Equal([4321, 77], writes.Select(w => w.Value));
            // The namespaces' part of the probe, a bpftrace of its own, says what it read.
            Assert.Contains("# namespaces: bpftrace (2 writes to ns_last_pid, 0 setns read)", File.ReadLines(output));
            // The forks after them, as their parents in the namespace see them: sh's child 4322, python's 78.
            foreach (var w in writes)
                Assert.Equal(w.Value + 1, events.Skip(events.IndexOf(w)).OfType<Fork>().First(f => f.Tid == w.Tid).Ret);
            var report = Validator.Run("live", "nested", events);
            Assert.True(report.Disagreed == 0, $"{report.Disagreed} disagreed: " + string.Join("; ", report.Disagreements));
            var without = Validator.Run("live", "nested", CaptureFiles.ReadWithout(output, "# last_pid:"));
            Assert.True(without.Disagreed >= 2, $"{without.Disagreed} disagreed without the writes");
        }
        finally
        {
            File.Delete(output);
        }
    }
}
