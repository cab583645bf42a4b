using System.Buffers;
using System.Text;
using Replayer.Ingest.Capture;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Replayer.Tests.Replay.Nested;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// setns into a pid namespace: the trace shows the call's descriptor, not the namespace it names,
/// and a namespace made while tracing ran has an inode no /proc read showed. The capture's probe
/// reads, as each setns returns, the pid namespace the caller's children then go to, by inode and
/// by its init's global tid; the bundle's "# setns:" lines carry them, and the models find the
/// namespace by its init. A real capture (traces/captures/ai-setns.txt) whose entered tasks the
/// nested model could not place without them.
/// </summary>
[Collection(CaptureCollection.Name)]
public sealed class SetnsTests
{
    private const string Fixture = "ai-setns.txt";

    private static List<PidEvent> WithoutLines() =>
        CaptureFiles.ReadWithout(CaptureFiles.Path_(Fixture), "# setns:");

    [Fact]
    public void A_probe_line_is_read_and_anything_else_is_not()
    {
        Assert.Equal(new SetnsRecord(9879442453000, 30427, 4026532176, 30425), SignalActionProbe.ParseSetns("sn 9879442453000 30427 4026532176 30425"));
        Assert.Equal(new SetnsRecord(5, 1, 0, 0), SignalActionProbe.ParseSetns("sn 5 1 0 0"));
        Assert.Null(SignalActionProbe.ParseSetns("sn 5 1 4026532176"));
        Assert.Null(SignalActionProbe.ParseSetns("sn 5 1 4026532176 -1"));
        Assert.Null(SignalActionProbe.ParseSetns("sn 5 1 x 7"));
        Assert.Null(SignalActionProbe.ParseSetns("lp 5 1 4026532176 7"));
    }

    [Fact]
    public void The_header_lines_are_every_return_from_tracing_on_in_time_order_and_none_when_records_were_lost()
    {
        SetnsRecord[] records =
        [
            new(3_000_004_000, 7, 4026532176, 40),
            new(2_000_003_999, 8, 0, 0),
            new(999_999_999, 7, 4026532177, 41), // before tracing_on: not the trace's
            new(3_000_004_000, 9, 4026532176, 40),
        ];
        Assert.Equal(["8 2.000003 0 0", "7 3.000004 4026532176 40", "9 3.000004 4026532176 40"],
            SignalActionProbe.SetnsLines(records, tracingOn: 1_000_000_000, lost: 0));
        // A line missing would give a thread's next call this one's namespace.
        Assert.Empty(SignalActionProbe.SetnsLines(records, tracingOn: 1_000_000_000, lost: 1));
    }

    [Fact]
    public void The_capture_gives_each_setns_the_pid_namespace_its_caller_then_forks_into()
    {
        var events = CaptureFiles.Events(Fixture);
        var calls = events.OfType<SetNs>().ToList();
        Assert.Equal([CloneFlags.NewPid, 0x4000000UL /* CLONE_NEWUTS */, CloneFlags.NewPid], calls.Select(c => c.NsType));
        // The namespace's init: the child unshare forked, a sleep.
        var unshare = events.OfType<Exec>().First(x => x.Filename == "/usr/bin/unshare").Tid;
        int init = events.OfType<Fork>().Single(f => f.Tid == unshare).Child;
        Assert.Equal([init, 0, init], calls.Select(c => c.TargetInit));
        Assert.NotEqual(0UL, calls[0].TargetNs);
        Assert.Equal([calls[0].TargetNs, 0UL, calls[0].TargetNs], calls.Select(c => c.TargetNs));
        Assert.All(WithoutLines().OfType<SetNs>(), c => Assert.Equal((0UL, 0), (c.TargetNs, c.TargetInit)));
    }

    [Fact]
    public void With_the_lines_every_answer_is_known_and_without_them_the_calls_and_the_entered_tasks_first_calls_are_not()
    {
        var with = Validator.Run("ai-setns", "nested", CaptureFiles.Events(Fixture));
        Assert.True(with.Disagreed == 0, string.Join("; ", with.Disagreements));
        Assert.Equal(0, with.UnknownState);
        // The two pid setns calls are judged (0, into a namespace below the caller's), the uts one is none of the model's.
        Assert.Equal((2, 1), (with.ByKind["setns"].Agreed, with.ByKind["setns"].NotApplicable));
        var without = Validator.Run("ai-setns", "nested", WithoutLines());
        Assert.Equal(0, without.Disagreed);
        Assert.Contains(without.UnknownReasons, r => r.Kind == "setns" && r.Why == "the namespace entered is not known" && r.Count == 2);
        Assert.Contains(without.UnknownReasons, r => r.Kind == "getid" && r.Why.Contains("namespace is not known", StringComparison.Ordinal));
    }

    [Fact]
    public void Virtual_pids_find_the_vps_by_its_init_too()
    {
        var with = Validator.Run("ai-setns", "vpid", CaptureFiles.Events(Fixture));
        Assert.Equal(2, with.ByKind["setns"].Agreed);
        var without = Validator.Run("ai-setns", "vpid", WithoutLines());
        Assert.Equal(0, without.ByKind["setns"].Agreed);
    }

    [Fact]
    public void A_line_before_the_calls_entry_is_another_calls_and_is_passed_over()
    {
        // A setns of the same thread whose entry the trace lacks returned just before this call
        // entered: its line comes first, and is not this call's.
        var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(Fixture), lines =>
        {
            var list = lines.ToList();
            int at = list.FindIndex(l => l.StartsWith("# setns:", StringComparison.Ordinal));
            var f = list[at].Split(' ');
            var earlier = TimeSpan.FromSeconds(double.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture)) - TimeSpan.FromMilliseconds(5);
            list.Insert(at, $"# setns: {f[2]} {earlier.TotalSeconds.ToString("F6", System.Globalization.CultureInfo.InvariantCulture)} 4026531999 1");
            return list;
        });
        var first = events.OfType<SetNs>().First();
        Assert.NotEqual(4026531999UL, first.TargetNs);
        Assert.NotEqual(0, first.TargetInit);
        Assert.Equal(0, Validator.Run("ai-setns", "nested", events).UnknownState);
    }

    [Fact]
    public void An_inode_given_again_to_a_later_namespace_is_that_ones_once_its_init_names_it()
    {
        // Namespace A, read by /proc with inode X, then gone; B, made while tracing ran, got X;
        // then 400, on the host, enters X.
        const ulong x = 4026532176;
        Outcome? entered = null;
        Scenario Entering(int targetInit)
        {
            var s = new Scenario().WithHost();
            s.InNs([200, 1], x, ppid: 100, pgid: 0, sid: 0, nspgid: [0, 0], nssid: [0, 0]);
            s.Exit(200);
            s.Wait(100, 200, ret: 200);
            s.Fork(100, 300, ret: 300);
            s.Unshare(300);
            s.Fork(300, 301, ret: 301); // B's init, 1 there
            s.Fork(100, 400, ret: 400);
            entered = s.Apply(new SetNs { Tid = 400, Comm = "nsenter", Fd = 3, NsType = CloneFlags.NewPid, TargetNs = x, TargetInit = targetInit, Ret = 0 });
            return s;
        }
        var s = Entering(targetInit: 301);
        Assert.NotEqual(Verdict.UnknownState, entered!.Verdict);
        Assert.Equal((true, 0L), (entered.HasRet, entered.Ret));
        // 400's child goes into B, where it is 2 (A, by the inode alone, would have had it 2 as well, but in A).
        var fork = s.Fork(400, 401, ret: 401);
        Assert.Equal((true, 401L), (fork.HasRet, fork.Ret));
        Assert.Equal(401, s.Model.Resolve(301, 2, IdKind.Pid));
        // By the inode alone, after that: B too.
        s.Fork(100, 500, ret: 500);
        Assert.NotEqual(Verdict.UnknownState, s.Apply(new SetNs { Tid = 500, Comm = "nsenter", Fd = 3, NsType = CloneFlags.NewPid, TargetNs = x, Ret = 0 }).Verdict);
        s.Fork(500, 501, ret: 501);
        Assert.Equal(501, s.Model.Resolve(301, 3, IdKind.Pid));
        // Without the init, the inode named A, which is gone: its child would not be in B.
        var stale = Entering(targetInit: 0);
        stale.Fork(400, 401, ret: 401);
        Assert.Equal(0, stale.Model.Resolve(301, 2, IdKind.Pid));
    }

    [Theory]
    [InlineData("# setns: 12 1302.231578 4026532176", "is not 'TID TIME INODE INIT'")]
    [InlineData("# setns: 12 1302.231578 4026532176 7 8", "is not 'TID TIME INODE INIT'")]
    [InlineData("# setns: 12 1302.x 4026532176 7", "time")]
    [InlineData("# setns: 12 1302.231578 0x10 7", "inode")]
    [InlineData("# setns: 12 1302.231578 4026532176 -1", "init")]
    [InlineData("# setns: 12 1302.231578 4026532176 0", "an inode and no init")]
    [InlineData("# setns: 12 1302.231578 0 7", "an inode and no init")]
    [InlineData("# setns: x 1302.231578 4026532176 7", "thread")]
    [InlineData("# setns: 12 1.000000 4026532176 7", "out of time order")]
    public void A_garbled_setns_line_is_refused_naming_its_file_and_line(string bad, string says)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Fixture)).ToList();
        // The second: the first may be replaced by an earlier time and stay in order.
        int at = lines.FindIndex(l => l.StartsWith("# setns:", StringComparison.Ordinal)) + 1;
        lines[at] = bad;
        CaptureFiles.AssertRefused(lines, at, says);
    }

    [Fact]
    public void The_event_reads_back_from_both_forms_and_the_binary_form_numbers_the_key_73()
    {
        var ev = new SetNs { Tid = 5, Fd = 3, NsType = CloneFlags.NewPid, TargetNs = 7, TargetInit = 2 };
        var buffer = new ArrayBufferWriter<byte>();
        NativeJson.WriteBinary(buffer, ev);
        // tag, t 0, host "", tid 5, comm "", kind 12, fd 3, nstype, target_ns 7, key 73 with 2 as a zigzag varint, end.
        byte[] expected = [NativeJson.BinaryTag, 1, 0, 2, 0, 3, 10, 4, 0, 5, 12, 35, 6, 36, 0x80, 0x80, 0x80, 0x80, 0x02, 37, 7, 73, 4, 0xFF];
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
        var back = Assert.IsType<SetNs>(NativeJson.ParseBinary(expected, "w.jsonl", 4));
        Assert.Equal((7UL, 2), (back.TargetNs, back.TargetInit));
        var json = Encoding.UTF8.GetBytes("""{"seq":3,"t":1,"host":"h","tid":5,"comm":"nsenter","kind":"setns","fd":3,"nstype":536870912,"target_ns":4026532176,"target_init":30425,"ret":0}""");
        var read = Assert.IsType<SetNs>(NativeJson.ParseEvent(json, "w.jsonl", 4));
        Assert.Equal((4026532176UL, 30425), (read.TargetNs, read.TargetInit));
    }

    [Theory]
    [InlineData("""{"tid":5,"kind":"setns","fd":3,"nstype":0,"target_init":-1}""")]
    [InlineData("""{"tid":5,"kind":"setns","fd":3,"nstype":0,"target_init":"7"}""")]
    [InlineData("""{"tid":5,"kind":"setns","fd":3,"nstype":0,"target_init":4194305}""")]
    public void A_garbled_target_init_is_refused_with_file_line_and_reason(string line)
    {
        var e = Assert.Throws<TraceFormatException>(() => NativeJson.ParseEvent(Encoding.UTF8.GetBytes(line), "w.jsonl", 4));
        Assert.Equal(("w.jsonl", 4L), (e.File, e.Line));
        Assert.Contains("(key \"target_init\")", e.Message);
    }

    [Fact]
    public async Task A_live_capture_reads_the_namespace_each_setns_entered_and_every_answer_agrees()
    {
        if (!CaptureInstanceTests.CaptureAvailable() || !CaptureInstanceTests.BpftraceAvailable()) return;
        var output = Path.Combine(Path.GetTempPath(), $"replayer-capture-test-{Guid.NewGuid():N}.txt");
        var script = "unshare --pid --fork sleep 2 & sleep 0.3; s=$(pgrep -P $!); echo $s; nsenter -t $s -p sh -c 'kill -0 1; sh -c \"kill -0 \\$PPID\"'; wait";
        var request = new CaptureRequest(output, ["sh", "-c", script], Follow: true, BufferKb: 1024, SignalActions: SignalActionsMode.Bpftrace);
        try
        {
            var result = await TracefsCapture.RunAsync(request, default);
            Assert.Equal(0, result.CommandExit);
            var (_, events) = CaptureFiles.Read(output);
            var call = Assert.Single(events.OfType<SetNs>());
            var unshare = events.OfType<Exec>().First(x => x.Filename.EndsWith("/unshare", StringComparison.Ordinal)).Tid;
            Assert.Equal(events.OfType<Fork>().Single(f => f.Tid == unshare).Child, call.TargetInit);
            Assert.NotEqual(0UL, call.TargetNs);
            var report = Validator.Run("live", "nested", events);
            Assert.True(report.Disagreed == 0, $"{report.Disagreed} disagreed: " + string.Join("; ", report.Disagreements));
            Assert.Equal(1, report.ByKind["setns"].Agreed);
            // (The test host's own calls come along in a command's capture, some of them not known.)
            static bool OfTheNamespace(UnknownReason r) => r.Kind == "setns" || r.Why.Contains("namespace is not known", StringComparison.Ordinal);
            Assert.DoesNotContain(report.UnknownReasons, OfTheNamespace);
            // Without the line: the call, and the entered sh's first call (until its getpid places it), are not known.
            var without = Validator.Run("live", "nested", CaptureFiles.ReadWithout(output, "# setns:"));
            Assert.Equal(0, without.ByKind["setns"].Agreed);
            Assert.Equal(2, without.UnknownReasons.Where(OfTheNamespace).Sum(r => r.Count));
        }
        finally
        {
            File.Delete(output);
        }
    }
}
