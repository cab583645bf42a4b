using Replayer.Ingest.Events;
using Replayer.Replay.Models;
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
/// before it, whose children exit inside it; traces/captures/r-preexisting-flags.txt, the same
/// with a perl started before it with SA_NOCLDWAIT, whose flags the capture's probe read from the
/// kernel, and every task's exit signal.
/// </summary>
public sealed class SnapshotActionsTests
{
    private const string Capturer = "p-capturer-sigchld.txt";
    private const string Preexisting = "q-preexisting-parent.txt";
    private const string Older = "r-preexisting-flags.txt";

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
    public void A_wait_that_began_before_tracing_reaps_the_child_it_returns_in_both_models()
    {
        foreach (var name in (string[])[Preexisting, Older])
        {
            var events = CaptureFiles.Events(name);
            // The shell was asleep in wait4 when tracing began: the trace has that call's return alone.
            var lone = Assert.Single(events.OfType<Wait>(), w => w.EnterLost);
            Assert.Equal(0, lone.Pid);
            Assert.True(lone.Ret > 0);
            foreach (var model in (string[])["nested", "vpid"])
            {
                var with = Validator.Run(name, model, events);
                Assert.Contains(with.UnknownReasons, r => r.Kind == "wait" && r.Why == Outcome.EnterLostNote && r.Count == 1);
                Assert.DoesNotContain(with.UnknownReasons, r => r.Why == "which children the call may reap is not known");
            }
            Assert.Equal(0, Validator.Run(name, "nested", events).Disagreed);
        }
        Assert.Equal(0, Validator.Run("q", "vpid", CaptureFiles.Events(Preexisting)).Disagreed);

        // Read as before (that line dropped), the reaped child stays a zombie in the models: in q the
        // shell's next wait is unknown (whether the child was reaped at exit is not known there,
        // until a later wait's ECHILD shows it gone), in r (whose children's exit signals and the
        // parent's flags are known) the waits are wrong.
        var q = Validator.Run("q", "nested", WithoutLoneWait(Preexisting));
        Assert.Equal(0, q.Disagreed);
        Assert.Contains(q.UnknownReasons, r => r.Kind == "wait" && r.Why == "which children the call may reap is not known");
        Assert.True(q.Agreed < Validator.Run("q", "nested", CaptureFiles.Events(Preexisting)).Agreed);
        var r = Validator.Run("r", "nested", WithoutLoneWait(Older));
        Assert.True(r.Disagreed >= 4, $"{r.Disagreed} disagreements without the lone wait4 return");
    }

    [Fact]
    public void Every_older_process_that_made_a_call_has_its_SIGCHLD_flags_and_every_task_its_exit_signal()
    {
        var events = CaptureFiles.Events(Older);
        var snapshots = events.OfType<TaskSnapshot>().Where(s => !s.Adopted).ToList();
        Assert.All(snapshots, s => Assert.True(s.Tgid == s.Tid ? s.ExitSignal is >= 0 and <= 64 : s.ExitSignal == -1, $"task {s.Tid}: exit_signal {s.ExitSignal}"));
        // perl set SA_NOCLDWAIT (2) before the capture; the shell that started it did not.
        var perl = Assert.Single(snapshots, s => s.Comm == "perl" && s.Tid == s.Tgid);
        Assert.Equal(2UL, perl.SigchldFlags!.Value & 2);
        Assert.Equal(17, perl.ExitSignal);
        var sh = snapshots.Single(s => s.Tid == perl.PPid);
        Assert.Equal(0UL, sh.SigchldFlags!.Value & 2);
        // Every line is for a snapshot process, one each, none for the capturer's (in the snapshot section).
        var lines = File.ReadLines(CaptureFiles.Path_(Older)).Where(l => l.StartsWith("# sigchld_flags:", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(' ')[2])).ToList();
        Assert.Equal(lines.Count, lines.Distinct().Count());
        Assert.All(lines, pid => Assert.Contains(snapshots, s => s.Tgid == pid));
        Assert.True(lines.Count >= 3, $"{lines.Count} processes' flags");
    }

    [Fact]
    public void An_older_parents_flags_and_its_childrens_exit_signals_settle_their_answers()
    {
        var all = Validator.Run("r", "nested", CaptureFiles.Events(Older));
        var noFlags = Validator.Run("r", "nested", Without(Older, "# sigchld_flags:"));
        var noExitSignals = Validator.Run("r", "nested", Without(Older, "exit_signal:"));
        Assert.Equal(0, all.Disagreed);
        Assert.Equal(0, noFlags.Disagreed);
        Assert.Equal(0, noExitSignals.Disagreed);
        // perl's wait with SA_NOCLDWAIT finds no child (ECHILD) once both are gone: unknown without its flags.
        Assert.True(all.Agreed > noFlags.Agreed, $"{all.Agreed} agreed with the flags, {noFlags.Agreed} without");
        const string ExitSignal = "the exiting process's exit signal is not known";
        Assert.DoesNotContain(all.UnknownReasons, r => r.Why == ExitSignal);
        Assert.Contains(noExitSignals.UnknownReasons, r => r.Kind == "exit" && r.Why == ExitSignal);
        Assert.True(all.Agreed > noExitSignals.Agreed, $"{all.Agreed} agreed with the exit signals, {noExitSignals.Agreed} without");
    }

    [Fact]
    public void A_SIGCHLD_handler_read_when_tracing_began_is_the_snapshots_whatever_proc_showed()
    {
        // A shell that installs its SIGCHLD handler after /proc read it and before tracing_on: the
        // probe's handler, read from the kernel when tracing began, is the one that stands.
        const ulong Sigchld = 1UL << 16;
        var before = CaptureFiles.Events(Older).OfType<TaskSnapshot>().ToList();
        var sh = before.First(s => s.Tid == s.Tgid && s.SigchldFlags.HasValue && (s.SigCgt & Sigchld) == 0 && (s.SigIgn & Sigchld) == 0);
        var sigchld = File.ReadLines(CaptureFiles.Path_(Older)).Where(l => l.StartsWith("# sigchld_flags:", StringComparison.Ordinal)).ToList();
        foreach (var (handler, ign, cgt) in new[] { ("caught", 0UL, Sigchld), ("ign", Sigchld, 0UL), ("dfl", 0UL, 0UL) })
        {
            var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(Older), lines => lines.Select(l =>
                sigchld.Contains(l) ? $"{l} {(l.StartsWith($"# sigchld_flags: {sh.Tgid} ", StringComparison.Ordinal) ? handler : "dfl")}" : l));
            var after = events.OfType<TaskSnapshot>().Where(s => s.Tgid == sh.Tgid && !s.Adopted).ToList();
            Assert.NotEmpty(after);
            Assert.All(after, s => Assert.Equal((ign, cgt), (s.SigIgn & Sigchld, s.SigCgt & Sigchld)));
            // The other signals' actions are /proc's.
            Assert.All(after, s => Assert.Equal((sh.SigIgn & ~Sigchld, sh.SigCgt & ~Sigchld), (s.SigIgn & ~Sigchld, s.SigCgt & ~Sigchld)));
        }
    }

    [Fact]
    public void A_capture_of_a_commands_descendants_takes_no_exit_signal_from_its_snapshot()
    {
        // Its snapshot's tasks are not traced: one may exit unseen, and a wait that may find it a zombie must stay unknown.
        var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(Older), lines => lines.Select(l =>
            l.StartsWith("# follow:", StringComparison.Ordinal) ? "# follow: descendants (set_event_pid + options/event-fork)" : l));
        Assert.All(events.OfType<TaskSnapshot>(), s => Assert.Null(s.ExitSignal));
        Assert.Contains(CaptureFiles.Events(Older).OfType<TaskSnapshot>(), s => s.ExitSignal == 17);
        // Nor is any of them but the capturer's traced: what names one is not known.
        int capturer = int.Parse(File.ReadLines(CaptureFiles.Path_(Older)).First(l => l.StartsWith("# capture_pid:", StringComparison.Ordinal))[14..],
            System.Globalization.CultureInfo.InvariantCulture);
        // But the capture's own bpftrace, which lives through it: its parent hears nothing from it unseen.
        static bool Probe(TaskSnapshot s, int capturer) => s.PPid == capturer && s.Comm == "bpftrace";
        Assert.All(events.OfType<TaskSnapshot>().Where(s => !s.Adopted), s => Assert.Equal(s.Tgid != capturer && !Probe(s, capturer), s.Untraced));
        Assert.Contains(events.OfType<TaskSnapshot>(), s => s.Tgid == capturer);
        Assert.Contains(events.OfType<TaskSnapshot>(), s => Probe(s, capturer));
        Assert.DoesNotContain(CaptureFiles.Events(Older).OfType<TaskSnapshot>(), s => s.Untraced);
    }

    [Theory]
    [InlineData("exit_signal: 65")]
    [InlineData("exit_signal: -2")]
    [InlineData("exit_signal: SIGCHLD")]
    public void A_garbled_exit_signal_is_refused_naming_its_file_and_line(string bad)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Older)).ToList();
        int at = lines.FindIndex(l => l.StartsWith("exit_signal:", StringComparison.Ordinal));
        lines[at] = bad;
        CaptureFiles.AssertRefused(lines, at, "an exit_signal that is not -1, 0 or a signal number");
    }

    [Theory]
    [InlineData("# sigchld_flags: 12", "is not 'PID FLAGS'")]
    [InlineData("# sigchld_flags: 12 0x4 caught 1", "is not 'PID FLAGS'")]
    [InlineData("# sigchld_flags: 12 0x4 handler", "not dfl, ign or caught")]
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

    private static List<PidEvent> Without(string name, string prefix) =>
        CaptureFiles.ReadEdited(CaptureFiles.Path_(name), lines => lines.Where(l => !l.StartsWith(prefix, StringComparison.Ordinal)));

    /// <summary>The fixture without the return of the wait4 that began before tracing did: what the reader gave before it made that line an event.</summary>
    private static List<PidEvent> WithoutLoneWait(string name)
    {
        var lone = CaptureFiles.Events(name).OfType<Wait>().Single(w => w.EnterLost);
        var lines = File.ReadAllLines(CaptureFiles.Path_(name)).ToList();
        int at = lines.FindIndex(l => l.Contains($"-{lone.Tid} ", StringComparison.Ordinal) && l.EndsWith($": sys_wait4 -> 0x{lone.Ret:x}", StringComparison.Ordinal));
        Assert.True(at >= 0);
        // Its enter is not in the trace: no sys_wait4 line of that task comes before it.
        Assert.DoesNotContain(lines.Take(at), l => l.Contains($"-{lone.Tid} ", StringComparison.Ordinal) && l.Contains(": sys_wait4(", StringComparison.Ordinal));
        lines.RemoveAt(at);
        return CaptureFiles.ReadEdited(CaptureFiles.Path_(name), _ => lines);
    }

    /// <summary>The fixture as a capture before this version gives it: no SigIgn, SigCgt or sigchld_flags lines.</summary>
    private static List<PidEvent> WithoutActions(string name) => CaptureFiles.ReadEdited(CaptureFiles.Path_(name), lines => lines
        .Where(l => !l.StartsWith("SigIgn:", StringComparison.Ordinal) && !l.StartsWith("SigCgt:", StringComparison.Ordinal)
            && !l.StartsWith("# sigchld_flags:", StringComparison.Ordinal)));
}
