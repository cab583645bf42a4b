using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Replayer.Ingest.Formats.Proc;

namespace Replayer.Ingest.Capture;

/// <summary>What to capture: a command to run (its whole life is traced) or a time to wait.</summary>
public sealed record CaptureRequest(
    string Output,
    IReadOnlyList<string>? Command = null,
    TimeSpan? Duration = null,
    bool Follow = false,
    int BufferKb = 16384,
    string TracefsRoot = TracingInstance.DefaultRoot,
    SignalActionsMode SignalActions = SignalActionsMode.Off)
{
    /// <summary>
    /// Called between the /proc snapshot and tracing_on, with the snapshot: the seam through which
    /// a test changes a task in that window, which is otherwise a matter of luck.
    /// </summary>
    internal Action<ProcScan>? InWindow { get; init; }

    /// <summary>
    /// Called during the /proc snapshot, after each task is read, with what was read: the seam
    /// through which a test changes the machine in the middle of that read.
    /// </summary>
    internal Action<ProcTask>? DuringFirstRead { get; init; }

    /// <summary>
    /// Called once tracing is on, before /proc is read again (a whole-system capture): the seam
    /// through which a test makes a task forked in the window end before that read.
    /// </summary>
    internal Action? BeforeSecondRead { get; init; }
}

/// <summary>What a capture wrote.</summary>
/// <param name="SignalActions">How the new signal actions were read: "bpftrace (N of M calls read)", "off", or "none (why)".</param>
/// <param name="SignalMasks">How the threads' blocked masks were followed: "bpftrace (N changes)", "off", or "none (why)".</param>
/// <param name="Window">What the check of the window between the snapshot and tracing_on did to the snapshot (<see cref="SnapshotWindow"/>): "replaced N dropped N added N kept N", or "not checked (why)".</param>
public sealed record CaptureResult(string Output, string Instance, int? CommandExit, int SnapshotTasks, long TraceLines,
    IReadOnlyList<string> MissingEvents, long Overruns, string SignalActions, string SignalMasks, string Window);

/// <summary>
/// Records the pid tracepoints into one capture bundle (docs/trace-format.md, "Capture bundle"):
/// a private tracing instance, the /proc snapshot taken while it is still stopped, tracing on for
/// the command's life (or a duration) with trace_pipe drained into a spool file meanwhile
/// (<see cref="TracePipeDrain"/>), tracing off, then the snapshot and the trace text written as
/// one file. The instance is removed on every path out, cancellation included;
/// the caller adds process-exit and signal hooks (<see cref="RemoveOnExit"/>).
/// </summary>
public static class TracefsCapture
{
    /// <summary>
    /// The tracepoints EVENTS.md asks for, with task_rename (comm history), exit (a thread's code)
    /// and execve (to pair its exit line), as /tmp/captures/tracefs-capture.sh enabled them.
    /// </summary>
    public static IReadOnlyList<string> Events { get; } =
    [
        "sched/sched_process_fork", "sched/sched_process_exec", "sched/sched_process_exit",
        "task/task_newtask", "task/task_rename",
        "signal/signal_generate", "signal/signal_deliver",
        .. new[]
        {
            "clone", "clone3", "fork", "vfork", "setpgid", "setsid", "getpid", "getppid", "getpgid", "getpgrp", "getsid", "gettid",
            "kill", "tkill", "tgkill", "wait4", "waitid", "unshare", "setns", "exit", "exit_group", "rt_sigaction", "prctl", "execve",
            "setuid", "setreuid", "setresuid", "capset", "rt_sigtimedwait", "signalfd", "signalfd4",
        }.SelectMany(s => new[] { $"syscalls/sys_enter_{s}", $"syscalls/sys_exit_{s}" }),
    ];

    /// <summary>How long to let the command's last exits reach the buffer before tracing stops.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a cancelled command gets to end after SIGTERM before SIGKILL.</summary>
    public static readonly TimeSpan TermGrace = TimeSpan.FromMilliseconds(800);

    /// <summary>The instance of the capture in progress, for hooks that must remove it on the way out.</summary>
    public static TracingInstance? Current { get; private set; }

    /// <summary>Registers removal of the current instance at process exit (the last resort after finally).</summary>
    public static void RemoveOnExit() => AppDomain.CurrentDomain.ProcessExit += (_, _) => Current?.Remove();

    public static async Task<CaptureResult> RunAsync(CaptureRequest request, CancellationToken ct)
    {
        if ((request.Command is null || request.Command.Count == 0) == (request.Duration is null))
            throw new ArgumentException("capture needs either --duration SECONDS or -- COMMAND ARGS...");
        var spool = SpoolPath(request.Output);
        // Started before the instance follows this process's children, so that bpftrace is not traced.
        var probes = await CaptureProbes.StartAsync(request.SignalActions, ct);
        string actions = probes.SignalsStatus;
        TracingInstance instance;
        try
        {
            instance = TracingInstance.Create(request.TracefsRoot);
        }
        catch
        {
            probes.Dispose();
            throw;
        }
        Current = instance;
        TracePipeDrain? drain = null;
        AheadOfLoad? ahead = null;
        try
        {
            // The probe's times are CLOCK_MONOTONIC; the trace's must be too, to pair them. And one
            // clock for every CPU orders a signal_generate and a signal_deliver of two CPUs as the
            // recipient's siglock did (the local clock may not), which a queue's state rests on.
            const string clock = "mono";
            var missing = Configure(instance, request, clock);
            // From the first read to the end of the second, this thread runs ahead of the machine's
            // other work: what happens between the reads and tracing_on is in neither, and on a busy
            // machine the reads waited their turn for seconds (AheadOfLoad). No await until the
            // end of the second read, so the raise stays on this thread. The trace_pipe drain,
            // started in between, inherits it, and so keeps up with the ring on a busy machine.
            ahead = AheadOfLoad.Raise();
            // The pid allocator's cursor before the first read, after each of its tasks, and at
            // tracing_on: a number the first read had may have been given to another task in
            // between (SnapshotWindow.PidsGiven).
            long ticksBefore = LiveProcSnapshot.UptimeTicks() ?? 0;
            // From here on, an action installed or an exec is not surely in the read (SignalActionProbe.WindowLines).
            long firstReadFrom = MonotonicNanos();
            var cursor = new SnapshotWindow.PidCursorTrail(() => LiveProcSnapshot.PidCursor());
            cursor.Sample();
            var before = LiveProcSnapshot.Scan(afterEach: task =>
            {
                request.DuringFirstRead?.Invoke(task);
                cursor.Sample();
            });
            // A whole-system capture reads /proc again once tracing is on (SnapshotWindow); one of a
            // command's descendants traces none of the snapshot's tasks but itself, so there is
            // nothing to check them against.
            var early = request.Follow ? null : new EarlyLines();
            drain = TracePipeDrain.Start(instance, spool, early);
            request.InWindow?.Invoke(before);
            cursor.Sample();
            // CLOCK_MONOTONIC, as the probe's times: the processes' SIGCHLD flags are taken as they were here.
            long tracingOn = MonotonicNanos();
            instance.Write("tracing_on", "1");
            cursor.Sample();
            // The marker ties trace time to wall-clock time (strace -tt prints wall-clock time).
            instance.Write("trace_marker", $"replayer-start wall={WallClock()} capture_pid={Environment.ProcessId}");
            // Read with tracing on, before /proc is read again (which took 4 s on a busy machine):
            // a call entered from here on has its line, one entered before is found now.
            // Following descendants, the capturer is the one snapshot process traced.
            var dequeues = Dequeues(missing, request.Follow
                ? LiveProcSnapshot.SilentDequeuers([Environment.ProcessId])
                : LiveProcSnapshot.SilentDequeuers(before.Tasks.Select(t => t.Tgid), snapshot: true));
            ProcScan? after = null;
            long readAgainBy = 0;
            if (early is not null)
            {
                request.BeforeSecondRead?.Invoke();
                after = LiveProcSnapshot.Scan(clock: MonotonicNanos);
                readAgainBy = MonotonicNanos();
                early.EndAt(readAgainBy);
            }
            // Before the command starts: it inherits the starting thread's nice value.
            ahead.Dispose();
            var processes = new HashSet<int>(before.Tasks.Select(t => t.Tgid).Concat(after?.Tasks.Select(t => t.Tgid) ?? []));
            int? exit = request.Command is { Count: > 0 } command
                ? await RunCommandAsync(command, ct)
                : await WaitAsync(request.Duration!.Value, ct);
            await Task.Delay(Settle, ct);
            instance.Write("trace_marker", $"replayer-end wall={WallClock()}");
            instance.Write("tracing_on", "0");
            drain.Finish();
            List<string> sigactions = [];
            List<string> sigmasks = [];
            List<string> sigchld = [];
            List<string> lastPids = [];
            List<string> setns = [];
            (List<string> Sigactions, List<string> Execs) windowFacts = ([], []);
            string masks = probes.SignalsStatus;
            string namespaces = probes.NamespacesStatus;
            await probes.StopAsync();
            if (probes.Signals is { } signals)
            {
                int calls = drain.SigactionCalls.Count;
                if (signals.Lost > 0)
                {
                    actions = $"none (bpftrace lost {signals.Lost} of its records, so none is paired)";
                }
                else
                {
                    sigactions = SignalActionProbe.Pair(drain.SigactionCalls, signals.Records, signals.Unread > 0);
                    int unread = sigactions.Count(l => l.EndsWith(" unread", StringComparison.Ordinal));
                    actions = $"bpftrace ({sigactions.Count - unread} of {calls} calls read" + (unread > 0 ? $", {unread} unreadable)" : ")");
                }
                // A thread's process as either read showed it (a thread made between them is in the second only).
                var processOf = new Dictionary<int, int>();
                foreach (var t in (after?.Tasks ?? []).Concat(before.Tasks)) processOf[t.Tid] = t.Tgid;
                windowFacts = SignalActionProbe.WindowLines(signals.Records, signals.Execs,
                    tid => processOf.TryGetValue(tid, out int pid) ? pid : null, firstReadFrom, tracingOn, signals.Unread > 0, signals.Lost);
                (sigmasks, masks) = SignalActionProbe.MaskLines(signals.Masks, signals.Lost, signals.Unread);
                sigchld = SignalActionProbe.SigchldLines(signals.SigchldFlags, tracingOn, processes, Environment.ProcessId, signals.Lost);
            }
            if (probes.Namespaces is { } nsProbe)
            {
                lastPids = SignalActionProbe.LastPidLines(nsProbe.LastPids, tracingOn);
                setns = SignalActionProbe.SetnsLines(nsProbe.Setns, tracingOn, nsProbe.Lost);
                namespaces = nsProbe.Lost > 0
                    ? $"bpftrace lost {nsProbe.Lost} of its records ({lastPids.Count} writes to ns_last_pid kept, no setns read)"
                    : $"bpftrace ({lastPids.Count} writes to ns_last_pid, {setns.Count} setns read)";
            }
            var (stats, overruns) = Stats(instance);
            var given = cursor.Given(LiveProcSnapshot.PidMax(), ticksBefore);
            var (snapshot, tasks, window) = Window(before, after, early, tracingOn, readAgainBy, given);
            WriteBundle(request, instance, missing, stats, exit, snapshot, drain, clock, (actions, sigactions), (masks, sigmasks), sigchld, windowFacts, (namespaces, lastPids, setns), dequeues, window.Header);
            return new CaptureResult(request.Output, instance.Path, exit, tasks, drain.Lines, missing, overruns, actions, masks, window.Summary);
        }
        finally
        {
            ahead?.Dispose();
            probes.Dispose();
            // trace_pipe closed first: the instance cannot be removed while a file of it is open.
            drain?.Dispose();
            instance.Remove();
            Current = null;
        }
    }

    /// <summary>
    /// The snapshot the bundle gets, its tasks, and the "# window:" header that says how it was
    /// chosen (<see cref="SnapshotWindow"/>): the first read as it was when there is no second.
    /// </summary>
    private static (string Snapshot, int Tasks, (string Header, string Summary) Window) Window(ProcScan before, ProcScan? after, EarlyLines? early, long tracingOn, long readAgainBy, SnapshotWindow.PidsGiven? given)
    {
        string First() => before.Header + string.Concat(before.Tasks.Select(t => t.Block));
        string? why = after is null || early is null ? "not checked (the capture follows a command's descendants)"
            : early.Overflowed ? $"not checked (more than {EarlyLines.Limit} trace lines before /proc was read again)"
            : null;
        if (why is not null) return (First(), before.Tasks.Count, (why, why));
        var o = SnapshotWindow.Reconcile(before, after!, early!.Lines, early.Late, given);
        return (o.Snapshot, o.Tasks, (SnapshotWindow.HeaderLine(o, tracingOn, readAgainBy, given), SnapshotWindow.Summary(o)));
    }

    /// <summary>
    /// Where the trace is spooled as it is read: beside the output (a trace may be larger than
    /// memory or /tmp), hidden, unique to this process. A missing directory is refused here,
    /// before anything runs.
    /// </summary>
    private static string SpoolPath(string output)
    {
        var full = System.IO.Path.GetFullPath(output);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir))
            throw new ArgumentException($"cannot write the capture to {output}: there is no directory {dir}");
        return System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.trace");
    }

    private static List<string> Configure(TracingInstance instance, CaptureRequest request, string clock)
    {
        instance.Write("trace_clock", clock);
        instance.Write("buffer_size_kb", request.BufferKb.ToString(CultureInfo.InvariantCulture));
        var missing = new List<string>();
        foreach (var ev in Events)
        {
            if (instance.Has($"events/{ev}/enable")) instance.Write($"events/{ev}/enable", "1");
            else missing.Add(ev.Replace('/', ':'));
        }
        if (request.Follow)
        {
            // Only this process's threads and, through event-fork, their descendants: the command
            // and everything it starts. This process's own few calls come along.
            instance.Write("options/event-fork", "1");
            // event-fork follows the children of listed tasks only: a thread the runtime starts
            // while the list is read and written would escape it, and with it every signal it
            // takes. So the list is written again until it holds every thread there is; a thread
            // started after that is a listed thread's child.
            var listed = new SortedSet<int>();
            for (int round = 0; round < 16; round++)
            {
                var tids = Directory.GetDirectories("/proc/self/task").Select(d => int.Parse(System.IO.Path.GetFileName(d), CultureInfo.InvariantCulture)).ToList();
                if (round > 0 && tids.All(listed.Contains)) break;
                listed.UnionWith(tids);
                instance.Write("set_event_pid", string.Join(' ', listed));
            }
        }
        return missing;
    }

    private static async Task<int?> RunCommandAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var start = new ProcessStartInfo(command[0], command.Skip(1)) { UseShellExecute = false };
        Process child;
        try
        {
            child = Process.Start(start) ?? throw new CaptureUnavailableException($"cannot start {command[0]}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ArgumentException($"cannot run '{command[0]}': {e.Message}");
        }
        using (child)
        {
            try
            {
                await child.WaitForExitAsync(ct);
                return child.ExitCode;
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C reached the command through the terminal's process group; SIGTERM sent to
                // this process alone did not, so pass it on, then insist.
                if (!child.HasExited) _ = kill(child.Id, SigTerm);
                if (!child.WaitForExit(TermGrace) && !child.HasExited) child.Kill(entireProcessTree: true);
                throw;
            }
        }
    }

    private static async Task<int?> WaitAsync(TimeSpan duration, CancellationToken ct)
    {
        await Task.Delay(duration, ct);
        return null;
    }

    private static (List<string> Lines, long Overruns) Stats(TracingInstance instance)
    {
        var lines = new List<string>();
        long overruns = 0;
        var perCpu = System.IO.Path.Combine(instance.Path, "per_cpu");
        foreach (var dir in Directory.Exists(perCpu) ? Directory.GetDirectories(perCpu).Order(StringComparer.Ordinal).ToArray() : [])
        {
            var stats = File.ReadAllLines(System.IO.Path.Combine(dir, "stats"));
            lines.Add($"{System.IO.Path.GetFileName(dir)}: {string.Join(", ", stats.Select(s => s.Trim()))}");
            foreach (var s in stats)
                if (s.StartsWith("overrun:", StringComparison.Ordinal) && long.TryParse(s[8..].Trim(), CultureInfo.InvariantCulture, out long o))
                    overruns += o;
        }
        return (lines, overruns);
    }

    /// <summary>
    /// Whether the capture shows every way a signal leaves a queue without a signal_deliver line
    /// (the "# dequeues:" header) and which snapshot processes it does not for (the
    /// "# silent_dequeue:" lines): rt_sigtimedwait and signalfd must be traced.
    /// </summary>
    private static (string Status, List<string> Lines) Dequeues(List<string> missing, List<string>? silent)
    {
        var untraced = missing.Where(m => m.Contains("sigtimedwait", StringComparison.Ordinal) || m.Contains("signalfd", StringComparison.Ordinal)).ToList();
        if (untraced.Count > 0) return ($"not followed ({string.Join(' ', untraced)} missing)", []);
        if (silent is null) return ($"not followed (no rt_sigtimedwait number known for {RuntimeInformation.OSArchitecture})", []);
        return ("followed", silent);
    }

    private static void WriteBundle(CaptureRequest request, TracingInstance instance, List<string> missing, List<string> stats, int? exit, string snapshot, TracePipeDrain drain,
        string clock, (string Status, List<string> Lines) actions, (string Status, List<string> Lines) masks, List<string> sigchld, (List<string> Sigactions, List<string> Execs) windowFacts, (string Status, List<string> LastPids, List<string> Setns) namespaces, (string Status, List<string> Lines) dequeues, string window)
    {
        try
        {
            WriteBundleTo(request, instance, missing, stats, exit, snapshot, drain, clock, actions, masks, sigchld, windowFacts, namespaces, dequeues, window);
        }
        catch
        {
            // Half a capture is worse than none: it would ingest as if complete.
            TryDelete(request.Output);
            throw;
        }
    }

    /// <summary>
    /// The command as a shell would take it back, on one line: a word of safe characters as it is,
    /// another in single quotes, one with a control character (a newline would end the header and
    /// make the rest of the command a line the reader rejects) in $'...' with C escapes.
    /// </summary>
    internal static string ShellWords(IEnumerable<string> words) => string.Join(' ', words.Select(ShellWord));

    private static string ShellWord(string word)
    {
        if (word.Length > 0 && word.All(ch => char.IsAsciiLetterOrDigit(ch) || "@%+=:,./_-".Contains(ch))) return word;
        if (!word.Any(char.IsControl)) return $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";
        var quoted = new StringBuilder("$'");
        foreach (char ch in word)
            quoted.Append(ch switch
            {
                '\\' => "\\\\",
                '\'' => "\\'",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(ch) && ch < 0x100 => $"\\x{(int)ch:x2}",
                _ => ch.ToString(),
            });
        return quoted.Append('\'').ToString();
    }

    private static void WriteBundleTo(CaptureRequest request, TracingInstance instance, List<string> missing, List<string> stats, int? exit, string snapshot, TracePipeDrain drain,
        string clock, (string Status, List<string> Lines) actions, (string Status, List<string> Lines) masks, List<string> sigchld, (List<string> Sigactions, List<string> Execs) windowFacts, (string Status, List<string> LastPids, List<string> Setns) namespaces, (string Status, List<string> Lines) dequeues, string window)
    {
        using var file = new FileStream(request.Output, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        using (var w = new StreamWriter(file, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" })
        {
            w.WriteLine($"{CaptureBundleReader.Magic} 1");
            w.WriteLine($"# command: {(request.Command is { } c ? ShellWords(c) : $"(none: --duration {request.Duration!.Value.TotalSeconds.ToString(CultureInfo.InvariantCulture)})")}");
            w.WriteLine($"# command_exit: {(exit is { } e ? e.ToString(CultureInfo.InvariantCulture) : "-")}");
            w.WriteLine($"# date: {DateTimeOffset.UtcNow:O}");
            w.WriteLine($"# kernel: {ReadTrimmed("/proc/sys/kernel/ostype")} {ReadTrimmed("/proc/sys/kernel/osrelease")} {RuntimeInformation.OSArchitecture}");
            w.WriteLine($"# hostname: {Environment.MachineName}");
            w.WriteLine($"# instance: {instance.Path}");
            w.WriteLine($"# capture_pid: {Environment.ProcessId}");
            w.WriteLine($"# clock: {clock}");
            w.WriteLine($"# follow: {(request.Follow ? "descendants (set_event_pid + options/event-fork)" : "whole system")}");
            w.WriteLine($"# buffer_size_kb: {request.BufferKb}");
            w.WriteLine($"# pid_max: {ReadTrimmed("/proc/sys/kernel/pid_max")}");
            w.WriteLine($"# events: {string.Join(' ', Events.Select(ev => ev.Replace('/', ':')))}");
            w.WriteLine($"# missing_events: {string.Join(' ', missing)}");
            foreach (var s in stats) w.WriteLine($"# {s}");
            // What each exec'd file does to credentials (set-user-ID, file capabilities): the
            // trace shows only names, so they were looked up as their exec lines came in.
            foreach (var line in drain.ExecFiles)
                w.WriteLine($"# exec_file: {line}");
            // What each rt_sigaction call installed (the trace shows only the action's address),
            // as SignalActionProbe read it at the call: one line per call paired with its trace line.
            w.WriteLine($"# signal_actions: {actions.Status}");
            foreach (var line in actions.Lines)
                w.WriteLine($"# sigaction: {line}");
            // Each thread's blocked mask wherever it changed, as SignalActionProbe read it from the
            // kernel; the snapshot's SigBlk lines give the masks the capture began with.
            w.WriteLine($"# signal_masks: {masks.Status}");
            foreach (var line in masks.Lines)
                w.WriteLine($"# sigmask: {line}");
            // The SIGCHLD sa_flags of the snapshot's processes when tracing began, as the probe read
            // them from the kernel (/proc does not show SA_NOCLDWAIT); the capturer's own are in the snapshot.
            foreach (var line in sigchld)
                w.WriteLine($"# sigchld_flags: {line}");
            // Actions installed and files executed by the snapshot's processes from the first read
            // to tracing_on, as the probe saw them: the reader replays them onto the blocks of the
            // first read, which may have been read before them.
            foreach (var line in windowFacts.Sigactions)
                w.WriteLine($"# window_sigaction: {line}");
            foreach (var line in windowFacts.Execs)
                w.WriteLine($"# window_exec: {line}");
            // The probe's namespaces part (a bpftrace of its own): whether it ran, and lost nothing.
            w.WriteLine($"# namespaces: {namespaces.Status}");
            // Writes to ns_last_pid while tracing ran, each with the value the writer's namespace
            // then read (the probe's); the trace has no line for a write to a file.
            foreach (var line in namespaces.LastPids)
                w.WriteLine($"# last_pid: {line}");
            // Each setns's pid namespace for the caller's children, by inode and init, as the probe
            // read it at the call's return; the trace shows only the call's descriptor.
            foreach (var line in namespaces.Setns)
                w.WriteLine($"# setns: {line}");
            // Whether every signal taken off a queue shows in the trace (signal_deliver, or a
            // traced rt_sigtimedwait or signalfd), and the snapshot's processes for which it may not.
            w.WriteLine($"# dequeues: {dequeues.Status}");
            foreach (var line in dequeues.Lines)
                w.WriteLine($"# silent_dequeue: {line}");
            // How the snapshot was made to stand for the moment tracing began: read before it, and
            // again after it (SnapshotWindow); what happened in between is in no trace line.
            w.WriteLine($"# window: {window}");
            w.Write(snapshot);
            // The trace section: trace_pipe's text, which has no header of its own.
            w.WriteLine("# tracer: nop");
            w.WriteLine("# read from trace_pipe while tracing ran");
        }
        drain.CopyTo(file);
    }

    private static string WallClock()
    {
        long ns = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        return $"{ns / 1_000_000_000}.{ns % 1_000_000_000:D9}";
    }

    private static string ReadTrimmed(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return "?"; }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    internal const int SigTerm = 15, SigInt = 2;

    /// <summary>kill(2): the capture's signals to its command and to bpftrace.</summary>
    [DllImport("libc", SetLastError = true)]
    internal static extern int kill(int pid, int sig);

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private const int ClockMonotonic = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern int clock_gettime(int clock, out Timespec time);

    /// <summary>CLOCK_MONOTONIC in nanoseconds: bpftrace's nsecs and the trace's "mono" clock.</summary>
    internal static long MonotonicNanos() =>
        clock_gettime(ClockMonotonic, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds
            : throw new IOException($"clock_gettime(CLOCK_MONOTONIC) failed: errno {Marshal.GetLastPInvokeError()}");
}
