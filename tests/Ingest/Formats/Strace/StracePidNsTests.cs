using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Strace;
using Replayer.Replay.Validation;
using Xunit;

namespace Replayer.Tests.Ingest.Formats.Strace;

/// <summary>
/// Forks inside a pid namespace, where a fork returns the child's number there and not its tid:
/// which fork made which child, and in which order the numbers were allocated. strace's
/// <c>--decode-pids=pidns</c> prints the tid beside the number (<c>= 4 /* 104 in strace's PID NS */</c>).
/// </summary>
public sealed class StracePidNsTests
{
    private const string Capture = "traces/strace/storms-pidns.txt.gz";

    // unshare(CLONE_NEWPID), its child the namespace init (101, number 1), which forks 102 (2) and 103 (3).
    private static readonly string[] Start =
    [
        """100 10:00:00.000001 execve("/usr/bin/unshare", ["unshare", "--pid", "--fork", "sh"], 0x7ffd0 /* 1 var */) = 0""",
        "100 10:00:00.000002 unshare(CLONE_NEWPID) = 0",
        "100 10:00:00.000003 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f10) = 101",
        "101 10:00:00.000004 getpid()          = 1 /* 101 in strace's PID NS */",
        "101 10:00:00.000005 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f10) = 2 /* 102 in strace's PID NS */",
        "101 10:00:00.000006 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f10) = 3 /* 103 in strace's PID NS */",
        "102 10:00:00.000007 getppid()         = 1 /* 101 in strace's PID NS */",
        "103 10:00:00.000008 getppid()         = 1 /* 101 in strace's PID NS */",
        "102 10:00:00.000010 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>",
        "103 10:00:00.000011 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>",
    ];

    [Fact]
    public void The_pid_in_strace_s_namespace_after_a_return_is_read_and_a_bad_one_named()
    {
        Assert.Null(StraceLine.TryParse("7 clone(child_stack=NULL, flags=SIGCHLD) = 3 /* 5987 in strace's PID NS */"u8, out var line));
        Assert.Equal((3L, 5987), (line.Ret, line.RetPidInStraceNs));
        Assert.Null(StraceLine.TryParse("7 <... clone resumed>, child_tidptr=0x7f) = 3 /* 5987 in strace's PID NS */ <0.000120>"u8, out line));
        Assert.Equal((3L, 5987), (line.Ret, line.RetPidInStraceNs));
        Assert.Null(StraceLine.TryParse("7 clone(child_stack=NULL, flags=SIGCHLD) = 3"u8, out line));
        Assert.Equal(0, line.RetPidInStraceNs);
        Assert.NotNull(StraceLine.TryParse("7 clone(child_stack=NULL, flags=SIGCHLD) = 3 /* x in strace's PID NS */"u8, out _));
    }

    [Fact]
    public void Children_of_two_parents_that_show_before_either_fork_returns_go_to_the_forks_whose_returns_name_them()
    {
        // 105 shows first: by the order alone it would be the child of 102's fork, entered first.
        // The returns say otherwise: 102's fork made 104 (its number 4), 103's made 105 (5).
        var events = Read([
            .. Start,
            "105 10:00:00.000012 getppid()         = 3 /* 103 in strace's PID NS */",
            "104 10:00:00.000013 getppid()         = 2 /* 102 in strace's PID NS */",
            "102 10:00:00.000014 <... clone resumed>, child_tidptr=0x7f10) = 4 /* 104 in strace's PID NS */",
            "103 10:00:00.000015 <... clone resumed>, child_tidptr=0x7f10) = 5 /* 105 in strace's PID NS */",
        ]);
        var report = AssertForksAndAgreement("crossed", events, [(102, 4L, 104), (103, 5L, 105)]);
        Assert.Equal(5, report.ByKind["getid"].Agreed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Of_two_forks_in_the_call_at_once_the_one_that_got_the_smaller_number_goes_first(bool laterReturnsFirst)
    {
        // 102 entered first but its child got 5; 103's, entered later, got 4: alloc_pid took 103's first.
        string[] returns =
        [
            "103 10:00:00.000012 <... clone resumed>, child_tidptr=0x7f10) = 4 /* 104 in strace's PID NS */",
            "102 10:00:00.000013 <... clone resumed>, child_tidptr=0x7f10) = 5 /* 105 in strace's PID NS */",
        ];
        if (!laterReturnsFirst) Array.Reverse(returns);
        var events = Read([
            .. Start,
            .. returns,
            "104 10:00:00.000014 getppid()         = 3 /* 103 in strace's PID NS */",
            "105 10:00:00.000015 getppid()         = 2 /* 102 in strace's PID NS */",
        ]);
        var report = AssertForksAndAgreement("inverted", events, [(103, 4L, 104), (102, 5L, 105)]);
        Assert.Equal(5, report.ByKind["fork"].Agreed);
    }

    [Fact]
    public void In_a_real_storm_of_three_shells_every_fork_has_the_child_its_return_names_and_every_answer_agrees()
    {
        var lines = new List<(int, string)>();
        using (var reader = new StreamReader(new System.IO.Compression.GZipStream(File.OpenRead(StraceCaptures.PathOf(Capture)), System.IO.Compression.CompressionMode.Decompress)))
            for (string? text; (text = reader.ReadLine()) is not null;) lines.Add((0, text));
        var report = AssertNamedChildrenAndAgreement(Capture, lines, StraceCaptures.Read(Capture));
        Assert.True(report.ByKind["fork"].Agreed >= 300, $"{report.ByKind["fork"].Agreed} forks agreed");
        Assert.True(report.ByKind["wait"].Agreed >= 600, $"{report.ByKind["wait"].Agreed} waits agreed");
    }

    [Fact]
    public void In_a_real_storm_recorded_one_file_per_task_every_fork_goes_out_before_its_child_in_the_order_of_its_number()
    {
        // strace -ff: each line is a whole call at its entry time; a fork is read with its return,
        // before the forks of other shells entered after it, which may have taken smaller numbers.
        var lines = Directory.GetFiles(StraceCaptures.PathOf("traces/strace/ff-storms"))
            .SelectMany(file => File.ReadLines(file).Select(text => (PerPidCaptures.TidOf(file), text))).ToList();
        var report = AssertNamedChildrenAndAgreement("ff-storms", lines, StraceCaptures.ReadPerPid("traces/strace/ff-storms"));
        Assert.True(report.ByKind["fork"].Agreed >= 60, $"{report.ByKind["fork"].Agreed} forks agreed");
    }

    /// <summary>The forks of 102 and 103, as (parent, number, child), are these; and the nested model agrees with every answer.</summary>
    private static ValidationReport AssertForksAndAgreement(string name, List<PidEvent> events, (int, long, int)[] forks)
    {
        Assert.Equal(forks, events.OfType<Fork>().Where(f => f.Tid is 102 or 103).Select(f => (f.Tid, f.Ret!.Value, f.Child)));
        var report = Validator.Run(name, "nested", events);
        Assert.True(report.Clean, string.Join("\n", report.Disagreements.Take(10)));
        return report;
    }

    /// <summary>
    /// Every fork whose return line named its child (lines as (tid, text); tid 0 when the line
    /// leads with it) has that child; and the nested model agrees with every answer.
    /// </summary>
    private static ValidationReport AssertNamedChildrenAndAgreement(string name, List<(int Tid, string Text)> lines, List<PidEvent> events)
    {
        var named = new Dictionary<(int Parent, long Nr), int>();
        foreach (var (tid, text) in lines)
            if (text.Contains("clone") && StraceLine.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out var line) is null && line.RetPidInStraceNs > 0)
                named[(tid != 0 ? tid : line.Tid, line.Ret)] = line.RetPidInStraceNs;
        var forks = events.OfType<Fork>().Where(f => f.Ret > 0 && named.ContainsKey((f.Tid, f.Ret!.Value))).ToList();
        Assert.Equal(named.Count, forks.Count);
        Assert.All(forks, f => Assert.Equal(named[(f.Tid, f.Ret!.Value)], f.Child));
        var report = Validator.Run(name, "nested", events);
        Assert.True(report.Clean, string.Join("\n", report.Disagreements.Take(10)));
        return report;
    }

    private static List<PidEvent> Read(string[] lines)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, lines);
            var input = InputFile.Open(path);
            using (input.Stream) return new StraceReader().Read(input, new ReadContext(false)).ToList();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
