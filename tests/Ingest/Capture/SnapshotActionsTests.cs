using Replayer.Ingest.Events;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// The signal actions a capture's /proc snapshot records: every process's SigIgn and SigCgt, and
/// the capturing process's own SIGCHLD sa_flags ("# sigchld_flags:"), which /proc does not show.
/// Two real captures: traces/captures/p-capturer-sigchld.txt, where the capturer (the .NET
/// process, whose SIGCHLD handler was installed before tracing began) is the parent of the
/// command; traces/captures/q-preexisting-parent.txt, a whole-system capture of a shell started
/// before it, whose children exit inside it.
/// </summary>
public sealed class SnapshotActionsTests
{
    private const string Capturer = "p-capturer-sigchld.txt";
    private const string Preexisting = "q-preexisting-parent.txt";

    [Fact]
    public void Every_snapshot_task_has_its_actions_and_only_the_capturer_its_SIGCHLD_flags()
    {
        var events = CaptureFiles.Events(Capturer);
        int capturer = int.Parse(File.ReadLines(CaptureFiles.Path_(Capturer)).First(l => l.StartsWith("# capture_pid:", StringComparison.Ordinal))[14..]);
        var snapshots = events.OfType<TaskSnapshot>().Where(s => !s.Adopted).ToList();
        Assert.NotEmpty(snapshots);
        Assert.All(snapshots, s =>
        {
            Assert.NotNull(s.SigIgn);
            Assert.NotNull(s.SigCgt);
            Assert.Equal(s.Tgid == capturer, s.SigchldFlags.HasValue);
        });
        var own = snapshots.First(s => s.Tid == capturer);
        // The .NET runtime catches SIGCHLD (bit 16 of SigCgt), without SA_NOCLDWAIT.
        Assert.NotEqual(0UL, own.SigCgt!.Value & (1UL << 16));
        Assert.Equal(0UL, own.SigchldFlags!.Value & 2);
    }

    [Fact]
    public void The_capturers_own_action_settles_its_childs_exit_and_its_wait()
    {
        var with = Validator.Run("p", "nested", CaptureFiles.Events(Capturer));
        var without = Validator.Run("p", "nested", WithoutActions(Capturer));
        Assert.Equal(0, with.Disagreed);
        Assert.Equal(0, with.UnknownState);
        // Without them (a capture before this version), the pair every --follow capture had left open.
        Assert.Equal(0, without.Disagreed);
        Assert.Contains(without.UnknownReasons, r => r.Kind == "exit" && r.Why == "whether the parent ignores SIGCHLD is not known");
        Assert.Contains(without.UnknownReasons, r => r.Kind == "wait" && r.Why == "which children the call may reap is not known");
        Assert.Equal(without.Agreed + without.UnknownState, with.Agreed);
        // The 2006 design reaps the same child: the capturer's wait4 after its WNOWAIT waitid is answered, not ECHILD.
        var vpid = Validator.Run("p", "vpid", CaptureFiles.Events(Capturer));
        Assert.Equal(0, vpid.Disagreed);
    }

    [Fact]
    public void A_parent_older_than_the_capture_is_known_to_catch_SIGCHLD_from_its_SigCgt()
    {
        var with = Validator.Run("q", "nested", CaptureFiles.Events(Preexisting));
        var without = Validator.Run("q", "nested", WithoutActions(Preexisting));
        Assert.Equal(0, with.Disagreed);
        Assert.Equal(0, without.Disagreed);
        const string Why = "whether the parent ignores SIGCHLD is not known";
        Assert.DoesNotContain(with.UnknownReasons, r => r.Why == Why);
        Assert.Contains(without.UnknownReasons, r => r.Kind == "exit" && r.Why == Why);
        Assert.True(with.Agreed > without.Agreed, $"{with.Agreed} agreed with the actions, {without.Agreed} without");
    }

    [Theory]
    [InlineData("# sigchld_flags: 12", "is not 'PID FLAGS'")]
    [InlineData("# sigchld_flags: 12 4", "0x hex")]
    [InlineData("# sigchld_flags: 12 0x1ffffffffffffffff", "0x hex")]
    [InlineData("# sigchld_flags: 0 0x4", "not positive")]
    [InlineData("# sigchld_flags: x 0x4", "process")]
    public void A_garbled_sigchld_flags_line_is_refused_naming_its_file_and_line(string bad, string says)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Capturer)).ToList();
        int at = lines.FindIndex(l => l.StartsWith("# sigchld_flags:", StringComparison.Ordinal));
        Assert.True(at >= 0);
        lines[at] = bad;
        CaptureFiles.AssertRefused(lines, at, says);
    }

    [Fact]
    public void A_second_sigchld_flags_line_for_one_process_and_a_garbled_SigCgt_are_refused()
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Capturer)).ToList();
        int at = lines.FindIndex(l => l.StartsWith("# sigchld_flags:", StringComparison.Ordinal));
        lines.Insert(at + 1, lines[at]);
        CaptureFiles.AssertRefused(lines, at + 1, "a second sigchld_flags line");

        lines = [.. File.ReadAllLines(CaptureFiles.Path_(Capturer))];
        at = lines.FindIndex(l => l.StartsWith("SigCgt:", StringComparison.Ordinal));
        lines[at] = "SigCgt:\tnot-a-set";
        CaptureFiles.AssertRefused(lines, at, "SigCgt is not a set in hex");
    }

    [Fact]
    public void SigIgn_without_SigCgt_leaves_the_actions_unknown()
    {
        var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(Capturer), lines => lines.Where(l => !l.StartsWith("SigCgt:", StringComparison.Ordinal)));
        Assert.All(events.OfType<TaskSnapshot>(), s =>
        {
            Assert.Null(s.SigIgn);
            Assert.Null(s.SigCgt);
            Assert.Null(s.SigchldFlags);
        });
    }

    /// <summary>The fixture as a capture before this version gives it: no SigIgn, SigCgt or sigchld_flags lines.</summary>
    private static List<PidEvent> WithoutActions(string name) => CaptureFiles.ReadEdited(CaptureFiles.Path_(name), lines => lines
        .Where(l => !l.StartsWith("SigIgn:", StringComparison.Ordinal) && !l.StartsWith("SigCgt:", StringComparison.Ordinal)
            && !l.StartsWith("# sigchld_flags:", StringComparison.Ordinal)));
}
