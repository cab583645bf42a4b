using System.IO.Compression;
using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Strace;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Replayer.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Replayer.Tests.Replay.Nested;

/// <summary>
/// Every real capture under traces/ was recorded by a modern kernel, which IS the nested model:
/// replayed through it, no recorded answer may disagree, and every one must be looked at.
/// </summary>
public sealed class RealCapturesValidateTests(ITestOutputHelper output)
{
    /// <summary>
    /// The captures, found by a rule rather than listed, so a new one is covered when it is
    /// committed: every file under traces/ except the workloads/ folder, READMEs, scripts
    /// (*.sh, *.py, *.c), a tracefs-capture.sh folder's meta.txt, cmd.* and proc-snapshot.txt (the
    /// snapshot is read with that folder's trace, as one capture bundle), and strace -ff files
    /// (PREFIX.PID), which make one capture per folder.
    /// </summary>
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        var root = Repo.PathOf("traces");
        foreach (var dir in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Prepend(root).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(Repo.Root, dir);
            if (relative.Split(Path.DirectorySeparatorChar).Contains("workloads")) continue;
            var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList();
            if (files.Count(f => PerPidCaptures.TidOf(f) > 0) >= 2) data.Add(relative);
            foreach (var f in files)
                if (IsCapture(f) && PerPidCaptures.TidOf(f) == 0) data.Add(Path.GetRelativePath(Repo.Root, f));
        }
        return data;
    }

    private static bool IsCapture(string path)
    {
        var name = Path.GetFileName(path);
        if (name.Equals("README.md", StringComparison.OrdinalIgnoreCase)) return false;
        if (name is "meta.txt" or "proc-snapshot.txt" || name.StartsWith("cmd.", StringComparison.Ordinal)) return false;
        return Path.GetExtension(name) is not (".sh" or ".py" or ".c" or ".md");
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void A_real_capture_has_no_disagreement_with_the_nested_model(string capture)
    {
        var (events, ptraced) = Read(capture);
        long answers = events.Sum(e => (long)e.RecordedAnswers);
        var report = Validator.Run(capture, "nested", events, new ModelSettings { Ptraced = ptraced });
        var t = report.Totals;
        output.WriteLine($"{capture}: {report.Events} events, {t.Checked} checked, {t.Agreed} agreed, {t.Disagreed} disagreed, " +
            $"{t.UnknownState} unknown, {t.NotApplicable} not applicable, {t.Unrecorded} unrecorded");
        Assert.True(events.Count > 0, $"{capture} gave no events");
        Assert.True(report.Clean, string.Join("\n", report.Disagreements.Take(20)));
        Assert.Equal(0, report.Disagreed);
        Assert.True(report.Checked >= answers, $"{report.Checked} answers checked of {answers} recorded");
        // Every unknown answer is counted under the reason the model gave.
        Assert.Equal(t.UnknownState, report.UnknownReasons.Sum(r => r.Count));
    }

    [Fact]
    public void In_a_fork_storm_with_its_exits_at_their_notices_a_wait_is_unknown_only_where_a_notice_came_during_it()
    {
        // traces/captures/fork-storm.txt.gz: 3,000 subshells of one sh. Placed at sched_process_exit,
        // an exit left open whether the parent had been told by the next WNOHANG wait, and whether
        // its SIGCHLD found a sibling's pending (thousands of answers unknown).
        var (events, _) = Read("traces/captures/fork-storm.txt.gz");
        var report = Validator.Run("fork-storm", "nested", events);
        foreach (var r in report.UnknownReasons) output.WriteLine($"{r.Count,6} {r.Kind}: {r.Why}");
        Assert.True(report.Clean);
        // 13: a notice during a wait, and four waits after the parent took a SIGCHLD that may have
        // been such a notice's, not the one unseen notice of another child.
        Assert.True(report.ByKind["wait"].UnknownState <= 13, $"{report.ByKind["wait"].UnknownState} waits unknown");
        Assert.True(report.Agreed >= 13_000, $"{report.Agreed} answers agreed");
        // What stays open is the queue: a SIGCHLD sent while one is pending may have been taken silently.
        Assert.StartsWith("whether the recipient still had this signal pending is not known", report.UnknownReasons[0].Why);
    }

    [Fact]
    public void In_a_tracefs_storm_of_shells_nearly_every_wait_is_checked_once_a_SIGCHLD_showed_the_shells_flags()
    {
        // tracefs shows neither the handler nor the flags rt_sigaction set; signal_deliver shows
        // both, so after each shell's first SIGCHLD its children are known not to be reaped at once.
        var (events, _) = Read("traces/fresh/twostorms.capture.gz");
        var waits = Validator.Run("twostorms", "nested", events).ByKind["wait"];
        output.WriteLine($"waits: {waits.Checked} checked, {waits.Agreed} agreed, {waits.UnknownState} unknown");
        Assert.Equal(0, waits.Disagreed);
        Assert.True(waits.UnknownState * 100 < waits.Checked, $"{waits.UnknownState} of {waits.Checked} waits unknown");
    }

    /// <summary>The capture's events, and whether it is strace's (every task ptraced).</summary>
    internal static (List<PidEvent> Events, bool Ptraced) Read(string capture)
    {
        var path = Repo.PathOf(capture);
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => PerPidCaptures.TidOf(f) > 0).Order(StringComparer.Ordinal).ToList();
            return (new StraceReader().ReadPerPid(files, new ReadContext(false)).ToList(), true);
        }
        var snapshot = Path.Combine(Path.GetDirectoryName(path)!, "proc-snapshot.txt");
        if (File.Exists(snapshot)) return (ReadWithSnapshot(path, snapshot), false);
        var input = InputFile.Open(path);
        using (input.Stream)
        {
            var reader = CaptureFormats.All.First(r => r.Recognises(input.Head));
            return (reader.Read(input, new ReadContext(false)).ToList(), reader.Format == "strace");
        }
    }

    /// <summary>
    /// A tracefs-capture.sh folder: its /proc snapshot and its trace, read as the one capture
    /// bundle `replayer capture` would have written (docs/trace-format.md, "Capture bundle").
    /// </summary>
    private static List<PidEvent> ReadWithSnapshot(string trace, string snapshot)
    {
        using var dir = new TempDir();
        var bundle = dir.File("bundle.txt");
        using (var w = File.Create(bundle))
        {
            w.Write(Encoding.ASCII.GetBytes("# replayer capture 1\n"));
            using (var s = File.OpenRead(snapshot)) s.CopyTo(w);
            using var raw = File.OpenRead(trace);
            using Stream text = trace.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
            text.CopyTo(w);
        }
        var input = InputFile.Open(bundle);
        using (input.Stream)
        {
            var reader = CaptureFormats.All.First(r => r.Recognises(input.Head));
            Assert.Equal("capture", reader.Format);
            return reader.Read(input, new ReadContext(false)).ToList();
        }
    }
}
