using Replayer.Ingest.Capture;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Proc;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// The blocked masks a capture follows with bpftrace: the probe's records, the "# sigmask:" lines
/// and the snapshot's SigBlk read back as SigMask events and snapshot masks, and what they settle
/// in a real capture (traces/captures/o-sigmask.txt) that the no-signal-blocked assumption got wrong.
/// </summary>
public sealed class SignalMaskTests
{
    private const string Fixture = "o-sigmask.txt";

    [Fact]
    public void A_mask_record_line_is_read_and_anything_else_is_not()
    {
        Assert.Equal(new SignalMaskRecord(76515312383718, 24035, 0x10000, false), SignalActionProbe.ParseMask("sm 76515312383718 24035 10000"));
        Assert.Equal(new SignalMaskRecord(76515312383718, 24035, 0, true), SignalActionProbe.ParseMask("st 76515312383718 24035 0"));
        Assert.Null(SignalActionProbe.ParseMask("sm 76515312383718 24035"));
        Assert.Null(SignalActionProbe.ParseMask("sx 76515312383718 24035 0"));
        Assert.Null(SignalActionProbe.ParseMask("sm 76515312383718 24035 zz"));
        Assert.Null(SignalActionProbe.ParseMask("sa 74488608152037 21576 2 7fffc5d484a0 7f4720a16f40 14000004"));
    }

    [Fact]
    public void Mask_lines_go_in_time_order_and_none_when_a_record_may_be_missing_or_wrong()
    {
        SignalMaskRecord[] masks =
        [
            new(2_000_003_000, 7, 0x10000, false),
            new(1_000_001_999, 8, 0xfffffffe7ffbfeff, false),
            new(2_000_003_000, 7, 0, true),
        ];
        var (lines, status) = SignalActionProbe.MaskLines(masks, lost: 0, unread: 0);
        // By time; a thread's records of the same time in the order bpftrace printed them.
        Assert.Equal(["8 1.000001 0xfffffffe7ffbfeff", "7 2.000003 0x10000", "7 2.000003 0x0"], lines);
        Assert.Equal("bpftrace (3 changes)", status);
        var lost = SignalActionProbe.MaskLines(masks, lost: 2, unread: 0);
        Assert.Empty(lost.Lines);
        Assert.StartsWith("none (bpftrace lost 2", lost.Status);
        // A failed read may be a temporary mask's (it reads as zeros): none is trusted then.
        Assert.Empty(SignalActionProbe.MaskLines(masks, lost: 0, unread: 1).Lines);
        Assert.Equal(2, SignalActionProbe.MaskLines(masks[..2], lost: 0, unread: 1).Lines.Count);
    }

    /// <summary>
    /// A busy capture: the window check took a dash's block from the second read, which found it
    /// blocking every signal, 0.1 ms after the capture's own record of that block and after a fork
    /// the dash made with nothing blocked. Taken for the mask tracing began with, the block-all
    /// passed to the child, a sleep, and the sleep's SIGCONT was predicted delivered (queued) where
    /// the kernel said ignored. A block stamped "read_at:" whose task has a mask record before the
    /// read (or within a millisecond after the stamp) gives only a mask the task may still have.
    /// </summary>
    [Theory]
    [InlineData(null, true)]
    [InlineData(1_000_400_000L, false)]
    [InlineData(1_001_000_000L, false)]
    [InlineData(999_000_000L, true)]
    public void A_second_reads_mask_is_only_read_when_a_mask_record_came_before_it(long? readAt, bool taken)
    {
        var parser = new ProcSnapshotParser("cap.txt");
        var lines = new List<string>
        {
            "# replayer capture 1", "# signal_masks: bpftrace (1 changes)", "# sigmask: 10 1.000500 0xfffffffe7ffbfeff",
            "task 10 tgid 10", "Name:\tsh", "PPid:\t1", "NSpid:\t10", "SigBlk:\tfffffffe7ffbfeff", "State: S",
        };
        if (readAt is { } at) lines.Add($"read_at: {at}");
        lines.Add("");
        var snapshots = new List<TaskSnapshot>();
        long n = 0;
        foreach (var line in lines)
            if (parser.Line(System.Text.Encoding.UTF8.GetBytes(line), ++n) is { } s) snapshots.Add(s);
        if (parser.End() is { } last) snapshots.Add(last);
        var task = Assert.Single(snapshots);
        Assert.Equal(taken ? 0xfffffffe7ffbfeffUL : null, task.Blocked);
        Assert.Equal(taken ? null : 0xfffffffe7ffbfeffUL, task.BlockedAtRead);
    }

    [Fact]
    public void The_capture_gives_each_threads_mask_where_it_changed_and_the_snapshots()
    {
        var events = CaptureFiles.Read(CaptureFiles.Path_(Fixture)).Events;
        var masks = events.OfType<SigMask>().ToList();
        Assert.NotEmpty(masks);
        // perl's SIG_BLOCK of SIGCHLD: bit 16 of the kernel's sigset.
        Assert.Contains(masks, m => m.Comm == "perl" && m.Blocked == 1UL << 16);
        // Every snapshot task has its SigBlk; a capture without "# signal_masks: bpftrace" has none.
        Assert.All(events.OfType<TaskSnapshot>().Where(s => !s.Adopted), s => Assert.NotNull(s.Blocked));
        var without = WithoutMasks();
        Assert.Empty(without.OfType<SigMask>());
        Assert.All(without.OfType<TaskSnapshot>(), s => Assert.Null(s.Blocked));
    }

    [Fact]
    public void With_the_masks_followed_the_kernel_queueing_a_blocked_SIGCHLD_is_predicted()
    {
        var events = CaptureFiles.Events(Fixture);
        var stripped = WithoutMasks();
        var with = Validator.Run("o-sigmask", "nested", events);
        var without = Validator.Run("o-sigmask", "nested", stripped);
        Assert.Equal(0, with.Disagreed);
        // Without them, every SIGCHLD a parent blocking it queued is taken for ignored:
        // perl's first child (and any other that exited while perl blocked everything around a
        // fork), and the child of runuser's watching parent.
        Assert.True(without.Disagreed >= 2, $"{without.Disagreed} disagreed without the masks");
        Assert.All(without.Disagreements, d =>
        {
            Assert.Equal("exit", d.Kind);
            Assert.EndsWith(": delivered", d.Recorded);
            Assert.EndsWith(": ignored", d.Predicted);
        });
        Assert.Contains(without.Disagreements, d => d.Comm == "true");
        // The virtual-pid model follows the same masks: where it differs from the kernel, it is
        // by design (numbers in the namespace), not because a queued SIGCHLD was taken for ignored.
        var vpid = Validator.Run("o-sigmask", "vpid", events);
        var vpidWithout = Validator.Run("o-sigmask", "vpid", stripped);
        Assert.DoesNotContain(vpid.Disagreements, d => d.Kind == "exit" && d.Recorded.EndsWith(": delivered", StringComparison.Ordinal) && d.Predicted.EndsWith(": ignored", StringComparison.Ordinal));
        Assert.True(vpid.Disagreed <= vpidWithout.Disagreed, $"vpid: {vpid.Disagreed} disagreed with the masks, {vpidWithout.Disagreed} without");
    }

    [Theory]
    [InlineData("# sigmask: 12 74673.699705", "is not 'TID TIME MASK'")]
    [InlineData("# sigmask: 12 74673.x 0x0", "time")]
    [InlineData("# sigmask: 12 74673.699705 10000", "0x hex")]
    [InlineData("# sigmask: 12 74673.699705 0x1ffffffffffffffff", "0x hex")]
    [InlineData("# sigmask: x 74673.699705 0x0", "thread")]
    [InlineData("# sigmask: 12 1.000000 0x0", "out of time order")]
    public void A_garbled_sigmask_line_is_refused_naming_its_file_and_line(string bad, string says)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Fixture)).ToList();
        // The second: the first may be replaced by an earlier time and stay in order.
        int at = lines.FindIndex(l => l.StartsWith("# sigmask:", StringComparison.Ordinal)) + 1;
        lines[at] = bad;
        CaptureFiles.AssertRefused(lines, at, says);
    }

    [Fact]
    public void Sigmask_lines_without_the_header_that_says_masks_are_followed_are_refused()
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Fixture)).ToList();
        int header = lines.FindIndex(l => l.StartsWith("# signal_masks:", StringComparison.Ordinal));
        lines[header] = "# signal_masks: off";
        CaptureFiles.AssertRefused(lines, header + 1, "does not say bpftrace");
    }

    [Fact]
    public void A_garbled_SigBlk_is_refused_naming_its_file_and_line()
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Fixture)).ToList();
        int at = lines.FindIndex(l => l.StartsWith("SigBlk:", StringComparison.Ordinal));
        lines[at] = "SigBlk:\tnot-a-mask";
        CaptureFiles.AssertRefused(lines, at, "SigBlk is not a set in hex");
    }

    /// <summary>The fixture's events as a capture that does not follow masks would give them: no sigmask lines, the header off.</summary>
    private static List<PidEvent> WithoutMasks() => CaptureFiles.ReadEdited(CaptureFiles.Path_(Fixture), lines => lines
        .Where(l => !l.StartsWith("# sigmask:", StringComparison.Ordinal))
        .Select(l => l.StartsWith("# signal_masks:", StringComparison.Ordinal) ? "# signal_masks: off" : l));
}
