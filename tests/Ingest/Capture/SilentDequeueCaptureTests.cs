using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Proc;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// Captures that show every way a signal leaves a queue ("# dequeues: followed"), so that "already
/// pending" is predicted. traces/captures/t-storm-pending.txt.gz: a storm of 300 subshells whose
/// SIGCHLDs mostly find one pending; traces/captures/s-silent-dequeue.txt: a python3 that takes
/// SIGCHLDs with rt_sigtimedwait and from a signalfd, with no signal_deliver line.
/// </summary>
public sealed class SilentDequeueCaptureTests
{
    private const string Storm = "t-storm-pending.txt.gz";
    private const string Silent = "s-silent-dequeue.txt";
    private const string StillPending = "whether the recipient still had this signal pending is not known: it may have been taken without a line (sigtimedwait, signalfd)";

    private static List<string> Lines(string name) => CaptureFiles.Lines(CaptureFiles.Path_(name));

    private static List<PidEvent> Edited(string name, Func<IEnumerable<string>, IEnumerable<string>> edit) =>
        CaptureFiles.ReadEdited(CaptureFiles.Path_(name), edit);

    /// <summary>The capture as one made before dequeues were followed gives it.</summary>
    internal static IEnumerable<string> NotFollowed(IEnumerable<string> lines) =>
        lines.Where(l => !l.StartsWith("# silent_dequeue:", StringComparison.Ordinal))
            .Select(l => l.StartsWith("# dequeues:", StringComparison.Ordinal) ? "# dequeues: not followed (an older capture)" : l);

    [Fact]
    public void A_storms_already_pending_SIGCHLDs_are_predicted_and_agree()
    {
        var lines = Lines(Storm);
        Assert.Contains("# dequeues: followed", lines);
        Assert.Contains("# clock: mono", lines);
        int pendingLines = lines.Count(l => l.Contains(" signal_generate: ", StringComparison.Ordinal) && l.EndsWith(" res=2", StringComparison.Ordinal));
        Assert.True(pendingLines > 100, $"{pendingLines} already-pending SIGCHLDs");

        var with = Validator.Run("t", "nested", CaptureFiles.Events(Storm));
        Assert.Equal(0, with.Disagreed);
        var without = Validator.Run("t", "nested", Edited(Storm, NotFollowed));
        Assert.Equal(0, without.Disagreed);
        // Exactly the "already pending" answers were unknown before, for the reason they are known now.
        Assert.Equal(pendingLines, with.Agreed - without.Agreed);
        Assert.Equal(pendingLines, without.UnknownReasons.Where(r => r.Why == StillPending).Sum(r => r.Count));
        Assert.DoesNotContain(with.UnknownReasons, r => r.Why == StillPending);
    }

    [Fact]
    public void Signals_taken_by_rt_sigtimedwait_or_a_signalfd_leave_the_next_one_unknown_not_wrongly_pending()
    {
        var events = CaptureFiles.Events(Silent);
        Assert.Equal(4, events.OfType<SigWait>().Count(w => w.Call == SigWaitCall.TimedWait));
        Assert.Single(events.OfType<SigWait>(), w => w.Call == SigWaitCall.SignalFd);
        var with = Validator.Run("s", "nested", events);
        Assert.Equal(0, with.Disagreed);
        // The python3's first child's SIGCHLD stays pending: the next two find it there, predicted.
        var without = Validator.Run("s", "nested", Edited(Silent, NotFollowed));
        Assert.Equal(2, with.Agreed - without.Agreed);
        // The six SIGCHLDs that came after one was taken silently are unknown, for that reason.
        Assert.Equal(6, with.UnknownReasons.Where(r => r.Why == StillPending).Sum(r => r.Count));
        // Without the calls' lines the model would take the taken signals for still pending: wrong.
        var blind = Validator.Run("s", "nested", Edited(Silent, lines => lines.Where(l =>
            !l.Contains(": sys_rt_sigtimedwait", StringComparison.Ordinal) && !l.Contains(": sys_signalfd4", StringComparison.Ordinal))));
        Assert.Equal(6, blind.Disagreed);
    }

    [Fact]
    public void Only_traced_snapshot_processes_that_hold_no_signalfd_are_followed()
    {
        foreach (var name in (string[])[Storm, Silent])
        {
            var lines = Lines(name);
            int capturer = int.Parse(lines.First(l => l.StartsWith("# capture_pid:", StringComparison.Ordinal))[14..]);
            Assert.Contains(lines, l => l.StartsWith("# follow: descendants", StringComparison.Ordinal));
            var snapshots = CaptureFiles.Events(name).OfType<TaskSnapshot>().Where(s => !s.Adopted).ToList();
            // A capture of a command's descendants traces the capturer's calls alone among the snapshot's.
            Assert.All(snapshots, s => Assert.Equal(s.Tgid == capturer, s.DequeuesTraced));
            Assert.Contains(snapshots, s => s.DequeuesTraced);
            // A process named by a silent_dequeue line is not followed.
            var named = Edited(name, ls => ls.SelectMany(l => l.StartsWith("# dequeues:", StringComparison.Ordinal) ? [l, $"# silent_dequeue: {capturer} signalfd"] : new[] { l }));
            Assert.DoesNotContain(named.OfType<TaskSnapshot>(), s => s.DequeuesTraced);
            // A whole-system capture follows them all.
            var whole = Edited(name, ls => ls.Select(l => l.StartsWith("# follow:", StringComparison.Ordinal) ? "# follow: whole system" : l));
            Assert.All(whole.OfType<TaskSnapshot>().Where(s => !s.Adopted), s => Assert.True(s.DequeuesTraced));
        }
    }

    [Fact]
    public void A_garbled_or_misplaced_silent_dequeue_line_is_refused_with_its_line()
    {
        var lines = Lines(Silent);
        int at = lines.FindIndex(l => l.StartsWith("# dequeues:", StringComparison.Ordinal));
        foreach (var bad in (string[])["# silent_dequeue: 12 sigtimedwait", "# silent_dequeue: x signalfd", "# silent_dequeue: 12 eventfd", "# silent_dequeue: 0 signalfd"])
        {
            var edited = lines.ToList();
            edited.Insert(at + 1, bad);
            CaptureFiles.AssertRefused(edited, at + 1, "silent_dequeue");
        }
        var early = lines.ToList();
        early.Insert(at, "# silent_dequeue: 12 signalfd");
        CaptureFiles.AssertRefused(early, at, "a silent_dequeue line in a capture whose dequeues header does not say followed");
    }

    [Fact]
    public void The_live_proc_names_a_process_holding_a_signalfd_and_one_inside_rt_sigtimedwait()
    {
        if (!CaptureInstanceTests.CaptureAvailable()) return;
        const string Holder = """
            import ctypes, signal, sys, time
            mask = (ctypes.c_ulong * 16)(); mask[0] = 1 << 9
            fd = ctypes.CDLL(None).signalfd(-1, ctypes.byref(mask), 0)
            print(fd, flush=True); time.sleep(30)
            """;
        const string Waiter = """
            import signal
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
            print("waiting", flush=True); signal.sigtimedwait({signal.SIGUSR1}, 30)
            """;
        using var holder = Python(Holder);
        using var waiter = Python(Waiter);
        using var plain = Python("import time\nprint('sleeping', flush=True); time.sleep(30)");
        try
        {
            Assert.True(int.Parse(holder.StandardOutput.ReadLine()!) >= 0, "signalfd failed");
            Assert.Equal("waiting", waiter.StandardOutput.ReadLine());
            Assert.Equal("sleeping", plain.StandardOutput.ReadLine());
            List<string>? lines = null;
            // The waiter prints before it enters the call: look until it is inside.
            for (int i = 0; i < 100 && (lines is null || lines.Count < 2); i++, Thread.Sleep(20))
                lines = LiveProcSnapshot.SilentDequeuers([holder.Id, waiter.Id, plain.Id]);
            Assert.NotNull(lines);
            Assert.Equal([$"{holder.Id} signalfd", $"{waiter.Id} sigtimedwait {waiter.Id}"], lines);
        }
        finally
        {
            foreach (var p in (System.Diagnostics.Process[])[holder, waiter, plain]) p.Kill();
        }
    }

    private static System.Diagnostics.Process Python(string program) =>
        System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", ["-c", program]) { RedirectStandardOutput = true })!;

    [Fact]
    public void A_whole_system_scan_looks_at_every_process_now_and_a_snapshot_process_gone_by_then_is_not_known()
    {
        // A /proc of three processes: 100 holds a signalfd, 300 (forked after the snapshot) too,
        // 400 holds none and waits nowhere; 200, in the snapshot, has gone.
        using var dir = new Replayer.Tests.Support.TempDir();
        void Process(int pid, bool signalfd)
        {
            var fd = Path.Combine(dir.Path, $"{pid}", "fd");
            Directory.CreateDirectory(fd);
            File.CreateSymbolicLink(Path.Combine(fd, "3"), signalfd ? "anon_inode:[signalfd]" : "pipe:[12]");
            var task = Path.Combine(dir.Path, $"{pid}", "task", $"{pid}");
            Directory.CreateDirectory(task);
            File.WriteAllText(Path.Combine(task, "syscall"), "running\n");
        }
        Process(100, true);
        Process(300, true);
        Process(400, false);
        Assert.Equal(["100 signalfd", "200 unreadable", "300 signalfd"], LiveProcSnapshot.SilentDequeuers([100, 200, 400], dir.Path, snapshot: true));
        // Following a command's descendants: the processes named, and one gone is no matter.
        Assert.Equal(["100 signalfd"], LiveProcSnapshot.SilentDequeuers([100, 200, 400], dir.Path));
    }
}
