using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Capture;

/// <summary>A write to ns_last_pid as the probe saw it return: when (CLOCK_MONOTONIC), who, and the value the file then read in the writer's namespace.</summary>
public readonly record struct LastPidRecord(long Nanos, int Tid, int Value);

/// <summary>
/// A setns as the probe saw it return: when (CLOCK_MONOTONIC), who, and the pid namespace the
/// caller's children then go to, by its inode and its init's global tid (0 and 0 when the call
/// entered no pid namespace: it failed, or entered another kind).
/// </summary>
public readonly record struct SetnsRecord(long Nanos, int Tid, ulong Inode, int Init);

/// <summary>Whether a capture reads the signal actions rt_sigaction installs (<see cref="SignalActionProbe"/>).</summary>
public enum SignalActionsMode
{
    /// <summary>With bpftrace when it is installed and works; without, the capture says why in its header.</summary>
    Auto,
    /// <summary>With bpftrace, or not at all: the capture fails when bpftrace cannot run.</summary>
    Bpftrace,
    Off,
}

/// <summary>An exec as the probe saw it (sched_process_exec): when (CLOCK_MONOTONIC), and the process (its pid after the exec).</summary>
public readonly record struct ExecRecord(long Nanos, int Pid);

/// <summary>The probe's parts, each run by a bpftrace of its own (<see cref="SignalActionProbe"/>).</summary>
public enum ProbePart
{
    /// <summary>
    /// rt_sigaction's actions and execs ("sa", "ae"), threads' blocked masks and processes'
    /// SIGCHLD flags ("sm", "st", "sc", "sx"): one part, for an action known with the mask not
    /// would be judged as if nothing were blocked (a busy capture's shells blocked SIGCHLD around
    /// their forks, and a part of the masks alone lost records: 580 SIGCHLDs predicted ignored).
    /// </summary>
    Signals,
    /// <summary>Writes to ns_last_pid and what a setns entered ("lp", "sn").</summary>
    Namespaces,
}

/// <summary>One rt_sigaction call as the probe read it: when (CLOCK_MONOTONIC), who, which signal, the action's address, and the handler and sa_flags found there.</summary>
public readonly record struct SignalActionRecord(long Nanos, int Tid, int Sig, ulong Act, ulong Handler, ulong Flags);

/// <summary>
/// A thread's blocked mask as the probe found it (CLOCK_MONOTONIC time; bit sig-1 for signal
/// sig): a change seen at a system call ("sm"), or the temporary mask a waiting call installs,
/// read from the caller's memory (<paramref name="Temporary"/>, "st").
/// </summary>
public readonly record struct SignalMaskRecord(long Nanos, int Tid, ulong Mask, bool Temporary);

/// <summary>
/// A process's SIGCHLD sa_flags and handler as the probe read them from the kernel ("sc"), or its
/// leader's exit ("sx", <paramref name="Exit"/>, no flags).
/// </summary>
public readonly record struct SigchldFlagsRecord(long Nanos, int Pid, ulong Flags, bool Exit, SigchldHandler Handler = SigchldHandler.Unknown);

/// <summary>What a process's SIGCHLD handler was: SIG_DFL, SIG_IGN, a function; not read (older probes).</summary>
public enum SigchldHandler : byte { Unknown, Default, Ignored, Caught }

/// <summary>
/// Reads what each rt_sigaction call installs. The syscall tracepoint shows the new action only as
/// a user-space address, so a capture could not tell SIG_IGN from a handler, nor see
/// SA_NOCLDWAIT, and every answer that hangs on whether a parent ignores SIGCHLD (an exit's
/// autoreap, which children a wait may reap) stayed "unknown state". This runs a bpftrace program
/// on the same tracepoint that reads the action's handler and flags from the caller's memory at
/// the call's entry, before the kernel copies it: the values the kernel took, with no race.
/// It prints each call with its CLOCK_MONOTONIC time, the clock the capture's instance then
/// uses too, so that each record is paired with its trace line (<see cref="Pair"/>).
///
/// A read of the caller's memory can fail (the page not resident); bpftrace's -kk prints a
/// warning for each, and the record reads as zeros, which are then not taken for SIG_DFL.
/// Records bpftrace lost (its output buffer full) are counted; with any lost, no record of that
/// bpftrace is trusted. So the probe runs in two parts, each a bpftrace of its own with its own
/// buffers (<see cref="ProbePart"/>): the signals' part prints at system calls all over a busy
/// machine and may overflow, and then the namespaces' records are not lost with it (a busy
/// capture whose one program lost 19,698 records judged no fork in a namespace below the
/// host's: 15,502 of 36,788). A call the probe did not see at all (a BPF program does not run while another runs
/// on the same CPU) leaves its thread's calls unpaired, hence unknown, as without the probe.
/// </summary>
public sealed class SignalActionProbe : IDisposable
{
    /// <summary>
    /// The programs, one a part. "ae": a process executed a file (which sets every caught signal
    /// back to SIG_DFL), so that an action read before tracing began is known to have lasted or
    /// not (<see cref="WindowLines"/>). "sa": the handler and sa_flags, the first two words of the kernel's struct
    /// sigaction as rt_sigaction takes it. "sm": a thread's blocked mask (task_struct.blocked)
    /// wherever it may have changed, read from the kernel at every system call's entry and exit
    /// and printed when it differs from the one last printed or inherited (a fork's child starts
    /// with its parent's, copied by copy_process before sched_process_fork). The map keeps the
    /// complement: SIGKILL and SIGSTOP can never be blocked, so it is never 0, which a tid not in
    /// the map reads as. "st": the temporary mask rt_sigsuspend, ppoll, pselect6, epoll_pwait,
    /// epoll_pwait2 and io_pgetevents install inside the call (set_user_sigmask), read from the
    /// caller's memory at its entry, since the thread waits under it; their entry is not
    /// compared, and their exit prints the mask once the kernel has restored it. "sc": a
    /// process's SIGCHLD sa_flags and handler (sighand's action, shared by its threads; the handler
    /// as 0 for SIG_DFL, 1 for SIG_IGN, 2 for a function) at every system call's entry and exit
    /// where they differ from the ones last printed for it, with the time taken
    /// before the read; /proc does not show SA_NOCLDWAIT, and this is how a process older than
    /// the capture has it read (<see cref="SigchldLines"/>). "sx": a process's leader exits, after
    /// which its pid may name another process. "lp": a write (write, pwrite64, writev, pwritev,
    /// pwritev2) to /proc/sys/kernel/ns_last_pid returned, and the writer's own pid namespace
    /// (task_active_pid_ns: the last of its pid's numbers) then had the idr cursor printed less one,
    /// the value the file reads (<see cref="LastPidLines"/>); the file is known by its dentry,
    /// "ns_last_pid" under "kernel", through the writer's descriptor table. "sn": a setns
    /// returned, and the pid namespace the caller's children go to (nsproxy's
    /// pid_ns_for_children) by its inode and its child_reaper's global tid, when the call
    /// returned 0 and either named CLONE_NEWPID or moved that namespace; else 0 0. The trace
    /// shows the call's descriptor, not what it names (<see cref="SetnsLines"/>). The program
    /// ends itself when the capturing process's main thread exits (CAPTURER is its pid), so that
    /// a capture killed outright (SIGKILL) does not leave it running. "ready": the capturing
    /// process called getppid once every probe of the part was attached. bpftrace prints "Attaching" before
    /// it attaches its tracepoints, in the program's order, so the last one firing shows the
    /// others live (a capture killed in between would leave bpftrace running; records of the
    /// first calls would be missing).
    /// </summary>
    public const string SignalsProgram = """
        struct replayer_sigaction { unsigned long handler; unsigned long flags; }
        struct replayer_sigset_arg { unsigned long set; unsigned long size; }
        tracepoint:syscalls:sys_enter_rt_sigaction /args->act != 0/ {
          $a = *(struct replayer_sigaction *)uptr(args->act);
          printf("sa %llu %d %d %lx %lx %lx\n", nsecs, tid, args->sig, (uint64)args->act, $a.handler, $a.flags);
        }
        tracepoint:sched:sched_process_exec { printf("ae %llu %d\n", nsecs, pid); }
        tracepoint:sched:sched_process_fork {
          @m[args->child_pid] = ~curtask->blocked.sig[0];
        }
        tracepoint:raw_syscalls:sys_enter {
          $now = nsecs;
          $c = curtask->sighand->action[16].sa.sa_flags;
          $h = (uint64)curtask->sighand->action[16].sa.sa_handler;
          $k = (uint64)($h == 0 ? 0 : ($h == 1 ? 1 : 2));
          if (@c[pid] != ~($c | $k << 40)) { @c[pid] = ~($c | $k << 40); printf("sc %llu %d %lx %d\n", $now, pid, $c, $k); }
          $id = args->id;
          if ($id == 130 || $id == 270 || $id == 271 || $id == 281 || $id == 333 || $id == 441) {
            $set = (uint64)0; $size = (uint64)0;
            if ($id == 130) { $set = args->args[0]; $size = args->args[1]; }
            if ($id == 271) { $set = args->args[3]; $size = args->args[4]; }
            if ($id == 281 || $id == 441) { $set = args->args[4]; $size = args->args[5]; }
            if (($id == 270 || $id == 333) && args->args[5] != 0) {
              $arg = *(struct replayer_sigset_arg *)uptr(args->args[5]);
              $set = $arg.set; $size = $arg.size;
            }
            if ($set != 0 && $size == 8) {
              $t = *(uint64 *)uptr($set) & ~((uint64)0x40100);
              @m[tid] = ~$t;
              printf("st %llu %d %lx\n", nsecs, tid, $t);
            }
          } else {
            $b = curtask->blocked.sig[0];
            if (@m[tid] != ~$b) { @m[tid] = ~$b; printf("sm %llu %d %lx\n", nsecs, tid, $b); }
          }
        }
        tracepoint:raw_syscalls:sys_exit {
          $now = nsecs;
          $c = curtask->sighand->action[16].sa.sa_flags;
          $h = (uint64)curtask->sighand->action[16].sa.sa_handler;
          $k = (uint64)($h == 0 ? 0 : ($h == 1 ? 1 : 2));
          if (@c[pid] != ~($c | $k << 40)) { @c[pid] = ~($c | $k << 40); printf("sc %llu %d %lx %d\n", $now, pid, $c, $k); }
          $b = curtask->blocked.sig[0];
          if (@m[tid] != ~$b) { @m[tid] = ~$b; printf("sm %llu %d %lx\n", nsecs, tid, $b); }
        }
        tracepoint:sched:sched_process_exit { delete(@m[tid]); }
        tracepoint:sched:sched_process_exit /tid == pid/ { delete(@c[pid]); printf("sx %llu %d\n", nsecs, pid); }
        tracepoint:sched:sched_process_exit /tid == CAPTURER/ { exit(); }
        tracepoint:syscalls:sys_enter_getppid /pid == CAPTURER && @ready == 0/ { @ready = 1; printf("ready\n"); }
        END { clear(@m); clear(@c); clear(@ready); }
        """;

    /// <summary>The namespaces' part: "lp" and "sn" (see <see cref="SignalsProgram"/>).</summary>
    public const string NamespacesProgram = """
        tracepoint:raw_syscalls:sys_enter /args->id == 1 || args->id == 18 || args->id == 20 || args->id == 296 || args->id == 328/ {
          $fd = (int64)args->args[0];
          $fdt = curtask->files->fdt;
          $w = (uint64)0;
          if ($fd >= 0 && $fd < (int64)$fdt->max_fds) {
            $f = *($fdt->fd + $fd);
            if ($f != 0) {
              $d = $f->f_path.dentry;
              if (str($d->d_name.name) == "ns_last_pid" && str($d->d_parent->d_name.name) == "kernel") { $w = 1; }
            }
          }
          @w[tid] = $w;
        }
        tracepoint:raw_syscalls:sys_exit /args->id == 1 || args->id == 18 || args->id == 20 || args->id == 296 || args->id == 328/ {
          $w = @w[tid];
          delete(@w[tid]);
          if ($w) {
            $p = curtask->thread_pid;
            $u = (struct upid *)((uint64)((struct upid *)$p->numbers) + $p->level * sizeof(struct upid));
            printf("lp %llu %d %lld\n", nsecs, tid, (int64)$u->ns->idr.idr_next - 1);
          }
        }
        tracepoint:raw_syscalls:sys_enter /args->id == 308/ {
          @sb[tid] = curtask->nsproxy->pid_ns_for_children->ns.inum;
          @sf[tid] = (uint64)args->args[1];
        }
        tracepoint:raw_syscalls:sys_exit /args->id == 308/ {
          $b = @sb[tid];
          $f = @sf[tid];
          delete(@sb[tid]);
          delete(@sf[tid]);
          $n = curtask->nsproxy->pid_ns_for_children;
          if ($b != 0) {
            if (args->ret == 0 && (($f & 0x20000000) != 0 || $n->ns.inum != $b)) {
              printf("sn %llu %d %u %d\n", nsecs, tid, $n->ns.inum, $n->child_reaper->pid);
            } else {
              printf("sn %llu %d 0 0\n", nsecs, tid);
            }
          }
        }
        tracepoint:sched:sched_process_exit /tid == CAPTURER/ { exit(); }
        tracepoint:syscalls:sys_enter_getppid /pid == CAPTURER && @ready == 0/ { @ready = 1; printf("ready\n"); }
        END { clear(@w); clear(@sb); clear(@sf); clear(@ready); }
        """;

    /// <summary>How long bpftrace gets to compile and attach its probe.</summary>
    public static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long bpftrace gets to print what it holds and end after SIGINT.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly List<SignalActionRecord> _records = [];
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int getppid();
    private readonly Task _stdout, _stderrTask;

    /// <summary>Calls read, in bpftrace's order (per CPU, not strictly by time).</summary>
    public IReadOnlyList<SignalActionRecord> Records => _records;

    /// <summary>Execs seen, in bpftrace's order.</summary>
    public IReadOnlyList<ExecRecord> Execs => _execs;
    private readonly List<ExecRecord> _execs = [];

    /// <summary>Masks read, in bpftrace's order (per CPU, not strictly by time).</summary>
    public IReadOnlyList<SignalMaskRecord> Masks => _masks;
    private readonly List<SignalMaskRecord> _masks = [];

    /// <summary>Processes' SIGCHLD flags read, and leaders' exits, in bpftrace's order.</summary>
    public IReadOnlyList<SigchldFlagsRecord> SigchldFlags => _sigchld;
    private readonly List<SigchldFlagsRecord> _sigchld = [];

    /// <summary>Writes to ns_last_pid, in bpftrace's order.</summary>
    public IReadOnlyList<LastPidRecord> LastPids => _lastPids;
    private readonly List<LastPidRecord> _lastPids = [];

    /// <summary>Returns of setns, in bpftrace's order.</summary>
    public IReadOnlyList<SetnsRecord> Setns => _setns;
    private readonly List<SetnsRecord> _setns = [];

    /// <summary>Records bpftrace said it lost.</summary>
    public long Lost { get; private set; }

    /// <summary>Reads of a caller's memory that failed (their records read as zeros).</summary>
    public long Unread { get; private set; }

    private SignalActionProbe(Process process)
    {
        _process = process;
        // Each reader blocks for the whole capture: a thread of its own, not one of the pool's (six
        // such readers, two a part, held the pool's threads and delayed the parts' attach by 2 s).
        _stdout = Task.Factory.StartNew(() => ReadOut(process.StandardOutput), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _stderrTask = Task.Factory.StartNew(() => ReadErr(process.StandardError), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Runs bpftrace ahead of the machine's other work (nice -11), as root may: on a busy machine
    /// it must compile and attach its program while the workload keeps both cores busy, and then
    /// keep up with what it prints, or it loses records and nothing it read is trusted. Measured
    /// under a load of about 16 on 2 cores (docs/capture-formats.md): at the default priority it
    /// did not attach within a minute. Its threads, started after this, inherit the priority.
    /// Where the priority cannot be raised, it runs as it is.
    /// </summary>
    internal static void RaisePriority(Process process)
    {
        try
        {
            process.PriorityClass = ProcessPriorityClass.High;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            // Not root, or bpftrace already ended: the probe starts as it would have.
        }
    }

    /// <summary>Where bpftrace is on PATH; null when it is not.</summary>
    public static string? FindBpftrace()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = System.IO.Path.Combine(dir, "bpftrace");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>
    /// Starts one part's bpftrace and waits until its probes are attached. Under
    /// <see cref="SignalActionsMode.Auto"/> a bpftrace that is missing or fails gives null and the
    /// reason; under <see cref="SignalActionsMode.Bpftrace"/> it throws <see cref="CaptureUnavailableException"/>.
    /// </summary>
    public static async Task<(SignalActionProbe? Probe, string Status)> StartAsync(ProbePart part, SignalActionsMode mode, CancellationToken ct)
    {
        if (mode == SignalActionsMode.Off) return (null, "off");
        var bpftrace = FindBpftrace();
        if (bpftrace is null) return Unavailable(mode, "bpftrace is not installed");
        var text = part switch
        {
            ProbePart.Signals => SignalsProgram,
            ProbePart.Namespaces => NamespacesProgram,
            _ => throw new ArgumentOutOfRangeException(nameof(part)),
        };
        var program = text.Replace("CAPTURER", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var start = new ProcessStartInfo(bpftrace, ["-kk", "-B", "line", "-e", program])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The masks' map holds a key per live thread (4,096 by default, too few for a busy
            // machine; a thread left out is only printed at every call, never wrongly).
            // The output buffer (64 pages per CPU by default) of the one program the probe was
            // overflowed under busy mixes of workloads, in 3 captures of 12 (538 to 10,095 records
            // lost): 2,048 pages (8 MB) per CPU for the signals' part, which prints at every
            // rt_sigaction and at system calls; the namespaces' part prints a line a write to
            // ns_last_pid or a setns.
            Environment =
            {
                ["BPFTRACE_MAP_KEYS_MAX"] = "131072",
                ["BPFTRACE_PERF_RB_PAGES"] = part == ProbePart.Namespaces ? "64" : "2048",
            },
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return Unavailable(mode, $"bpftrace could not start: {e.Message}");
        }
        RaisePriority(process);
        var probe = new SignalActionProbe(process);
        try
        {
            var exited = process.WaitForExitAsync(ct);
            var timeout = Task.Delay(AttachTimeout, ct);
            var done = await Task.WhenAny(probe._attached.Task, exited, timeout);
            // Attaching has begun: call getppid until the last probe, attached last, says it fired.
            while (done == probe._attached.Task && !probe._ready.Task.IsCompleted)
            {
                _ = getppid();
                done = await Task.WhenAny(probe._ready.Task, exited, timeout, Task.Delay(10, ct));
                if (done != exited && done != timeout) done = probe._attached.Task;
            }
            ct.ThrowIfCancellationRequested();
            if (probe._ready.Task.IsCompleted) return (probe, "bpftrace");
            string why = done == exited
                ? $"bpftrace ended before its probe was attached (exit {process.ExitCode}): {await probe.ErrorTextAsync()}"
                : $"bpftrace did not attach its probe within {AttachTimeout.TotalSeconds:0} s";
            probe.Dispose();
            return Unavailable(mode, why);
        }
        catch
        {
            probe.Dispose();
            throw;
        }
    }

    private static (SignalActionProbe?, string) Unavailable(SignalActionsMode mode, string why) =>
        mode == SignalActionsMode.Bpftrace
            ? throw new CaptureUnavailableException($"--signal-actions bpftrace: {why}")
            : (null, $"none ({why})");

    /// <summary>Stops bpftrace (SIGINT, as its own Ctrl-C) and waits for everything it printed.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited) _ = TracefsCapture.kill(_process.Id, TracefsCapture.SigInt);
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new IOException($"bpftrace did not end within {StopTimeout.TotalSeconds:0} s of SIGINT");
        }
        await Task.WhenAll(_stdout, _stderrTask);
    }

    private async Task<string> ErrorTextAsync()
    {
        await Task.WhenAny(Task.WhenAll(_stdout, _stderrTask), Task.Delay(2000));
        lock (_stderr)
        {
            var lines = _stderr.Where(l => l.Contains("ERROR", StringComparison.Ordinal) && !l.Contains("RLIMIT_MEMLOCK", StringComparison.Ordinal)).ToList();
            return string.Join(" ", (lines.Count > 0 ? lines : _stderr).Take(3)).Trim();
        }
    }

    private void ReadOut(StreamReader output)
    {
        while (output.ReadLine() is { } line)
        {
            if (line.StartsWith("sa ", StringComparison.Ordinal))
            {
                if (ParseRecord(line) is { } r) _records.Add(r);
            }
            else if (line.StartsWith("ae ", StringComparison.Ordinal))
            {
                if (ParseExec(line) is { } e) _execs.Add(e);
            }
            else if (line.StartsWith("sm ", StringComparison.Ordinal) || line.StartsWith("st ", StringComparison.Ordinal))
            {
                if (ParseMask(line) is { } m) _masks.Add(m);
            }
            else if (line.StartsWith("sc ", StringComparison.Ordinal) || line.StartsWith("sx ", StringComparison.Ordinal))
            {
                if (ParseSigchld(line) is { } c) _sigchld.Add(c);
            }
            else if (line.StartsWith("lp ", StringComparison.Ordinal))
            {
                if (ParseLastPid(line) is { } l) _lastPids.Add(l);
            }
            else if (line.StartsWith("sn ", StringComparison.Ordinal))
            {
                if (ParseSetns(line) is { } n) _setns.Add(n);
            }
            else if (line.StartsWith("Attaching ", StringComparison.Ordinal)) _attached.TrySetResult();
            else if (line == "ready") _ready.TrySetResult();
            else Count(line);
        }
    }

    private void ReadErr(StreamReader error)
    {
        while (error.ReadLine() is { } line)
        {
            lock (_stderr) _stderr.Add(line);
            // Some versions print their warnings and lost counts here.
            Count(line);
        }
    }

    /// <summary>A failed read's warning or a lost count, from either stream.</summary>
    private void Count(string line)
    {
        lock (_records)
        {
            if (line.Contains("Failed to probe_read_user", StringComparison.Ordinal)) Unread++;
            else if (LostIn(line) is long lost) Lost += lost;
        }
    }

    /// <summary>"sa NANOS TID SIG ACT HANDLER FLAGS", the last three in hex; null for anything else.</summary>
    public static SignalActionRecord? ParseRecord(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 7 || f[0] != "sa") return null;
        return long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ns)
            && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int tid)
            && int.TryParse(f[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int sig)
            && ulong.TryParse(f[4], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong act)
            && ulong.TryParse(f[5], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong handler)
            && ulong.TryParse(f[6], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong flags)
            ? new SignalActionRecord(ns, tid, sig, act, handler, flags)
            : null;
    }

    /// <summary>"ae NANOS PID"; null for anything else.</summary>
    public static ExecRecord? ParseExec(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 3 || f[0] != "ae") return null;
        return long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ns)
            && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            ? new ExecRecord(ns, pid)
            : null;
    }

    /// <summary>
    /// The "# window_sigaction:" and "# window_exec:" header lines: the actions the processes of
    /// the snapshot installed, and their execs (which set every caught signal back to SIG_DFL),
    /// from <paramref name="from"/> (as the first read began) to <paramref name="tracingOn"/>, in
    /// time order (nanoseconds). /proc read a process's actions at one moment, and one changed
    /// after it and before tracing began is in no trace line: a busy capture's perl installed its
    /// SIGALRM handler 45 ms before tracing_on, after /proc read it; the model, with SIG_DFL, took
    /// the timer's first SIGALRM for a fatal one, and its next 23 for dropped. The reader replays
    /// them onto the blocks of the first read: a change the read already showed, replayed in
    /// order with every later one, leaves the action as it was, so the time of each block's read
    /// is not needed. Sigaction lines "PID TIME SIG dfl|ign|caught", or "unread" when the read of
    /// the action may have failed; exec lines "PID TIME". A record whose thread neither read
    /// showed is left out (its process is not known), and so are rt_sigaction calls for SIGKILL
    /// and SIGSTOP (refused). None when bpftrace lost records: a change missed would stand.
    /// </summary>
    public static (List<string> Sigactions, List<string> Execs) WindowLines(IReadOnlyList<SignalActionRecord> records, IReadOnlyList<ExecRecord> execs,
        Func<int, int?> processOf, long from, long tracingOn, bool readsFailed, long lost)
    {
        if (lost > 0) return ([], []);
        static string Time(long ns) => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000_000}.{ns % 1_000_000_000:D9}");
        bool InWindow(long ns) => ns >= from && ns <= tracingOn;
        var sigactions = InTimeOrder(records, r => r.Nanos, InWindow).Where(r => r.Sig is > 0 and <= 64 and not (9 or 19))
            .Select(r => (Record: r, Pid: processOf(r.Tid))).Where(x => x.Pid is not null)
            .Select(x => string.Create(CultureInfo.InvariantCulture,
                $"{x.Pid} {Time(x.Record.Nanos)} {x.Record.Sig} {(MayBeUnread(x.Record, readsFailed) ? "unread" : Spelling(HandlerOf(x.Record.Handler)))}"))
            .ToList();
        var execLines = InTimeOrder(execs, e => e.Nanos, InWindow)
            .Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Pid} {Time(e.Nanos)}"))
            .ToList();
        return (sigactions, execLines);
    }

    /// <summary>A handler as the kernel keeps it: 0 SIG_DFL, 1 SIG_IGN, else a function.</summary>
    private static SigchldHandler HandlerOf(ulong handler) => handler switch { 0 => SigchldHandler.Default, 1 => SigchldHandler.Ignored, _ => SigchldHandler.Caught };

    /// <summary>A record that reads as zeros while some read of a caller's memory failed: it may be one of them, not SIG_DFL.</summary>
    private static bool MayBeUnread(SignalActionRecord r, bool readsFailed) => readsFailed && r.Handler == 0 && r.Flags == 0;

    /// <summary>"sm NANOS TID MASK" or "st NANOS TID MASK", the mask in hex; null for anything else.</summary>
    public static SignalMaskRecord? ParseMask(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 4 || f[0] is not ("sm" or "st")) return null;
        return long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ns)
            && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int tid)
            && ulong.TryParse(f[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong mask)
            ? new SignalMaskRecord(ns, tid, mask, f[0] == "st")
            : null;
    }

    /// <summary>
    /// "sc NANOS PID FLAGS HANDLER" (FLAGS in hex; HANDLER 0 for SIG_DFL, 1 for SIG_IGN, 2 for a
    /// function) or "sx NANOS PID"; null for anything else.
    /// </summary>
    public static SigchldFlagsRecord? ParseSigchld(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        bool exit = f.Length == 3 && f[0] == "sx";
        if (!exit && (f.Length != 5 || f[0] != "sc")) return null;
        ulong flags = 0;
        var handler = SigchldHandler.Unknown;
        return long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ns)
            && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            && (exit || ulong.TryParse(f[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out flags)
                && (handler = f[4] switch { "0" => SigchldHandler.Default, "1" => SigchldHandler.Ignored, "2" => SigchldHandler.Caught, _ => SigchldHandler.Unknown }) != SigchldHandler.Unknown)
            ? new SigchldFlagsRecord(ns, pid, flags, exit, handler)
            : null;
    }

    /// <summary>"lp NANOS TID VALUE"; null for anything else (a negative value: a namespace that never gave a number).</summary>
    public static LastPidRecord? ParseLastPid(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 4 || f[0] != "lp") return null;
        return long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ns)
            && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int tid)
            && int.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? new LastPidRecord(ns, tid, value)
            : null;
    }

    /// <summary>"sn NANOS TID INODE INIT"; null for anything else.</summary>
    public static SetnsRecord? ParseSetns(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 5 || f[0] != "sn") return null;
        return long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ns)
            && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int tid)
            && ulong.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
            && int.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out int init)
            ? new SetnsRecord(ns, tid, inode, init)
            : null;
    }

    /// <summary>
    /// The "# setns:" header lines, "TID TIME INODE INIT" (TIME as the trace prints it), in time
    /// order, one for each setns that returned at or after <paramref name="tracingOn"/>: the reader
    /// gives a thread's setns calls their lines in order, each the first of that thread's not
    /// before the call's entry. None when bpftrace lost records: a line missing would give a call
    /// the next one's namespace.
    /// </summary>
    public static List<string> SetnsLines(IReadOnlyList<SetnsRecord> records, long tracingOn, long lost) => lost > 0 ? [] :
        TimedLines(records, r => (r.Nanos, r.Tid), tracingOn, r => string.Create(CultureInfo.InvariantCulture, $"{r.Inode} {r.Init}"));

    /// <summary>"TID TIME REST" lines of records at or after <paramref name="tracingOn"/>, in time order (bpftrace's for one time).</summary>
    private static List<string> TimedLines<T>(IReadOnlyList<T> records, Func<T, (long Nanos, int Tid)> at, long tracingOn, Func<T, string> rest) =>
        InTimeOrder(records, r => at(r).Nanos, n => n >= tracingOn)
            .Select(r =>
            {
                var (nanos, tid) = at(r);
                return string.Create(CultureInfo.InvariantCulture, $"{tid} {nanos / 1_000_000_000}.{nanos / 1000 % 1_000_000:D6} {rest(r)}");
            })
            .ToList();

    /// <summary>The records whose time <paramref name="keep"/> takes, in time order; those of one time in bpftrace's order.</summary>
    private static IEnumerable<T> InTimeOrder<T>(IReadOnlyList<T> records, Func<T, long> nanos, Func<long, bool> keep) =>
        records.Select((r, i) => (Record: r, Index: i, Nanos: nanos(r))).Where(x => keep(x.Nanos)).OrderBy(x => x.Nanos).ThenBy(x => x.Index).Select(x => x.Record);

    /// <summary>
    /// The "# last_pid:" header lines, "TID TIME VALUE" (TIME as the trace prints it, seconds and
    /// microseconds of CLOCK_MONOTONIC), in time order, for writes at or after
    /// <paramref name="tracingOn"/>: the reads before tracing began are in the snapshot's cursor
    /// reads (the "# window:" header), and a write then is not the trace's. Kept when bpftrace lost
    /// records: a write it missed leaves the model's cursor as it would be without the probe, and
    /// each one it printed is still the kernel's.
    /// </summary>
    public static List<string> LastPidLines(IReadOnlyList<LastPidRecord> records, long tracingOn) =>
        TimedLines(records, r => (r.Nanos, r.Tid), tracingOn, r => r.Value.ToString(CultureInfo.InvariantCulture));

    /// <summary>How a "# sigchld_flags:" line spells a SIGCHLD handler.</summary>
    public static string Spelling(SigchldHandler h) => h switch
    {
        SigchldHandler.Default => "dfl", SigchldHandler.Ignored => "ign", SigchldHandler.Caught => "caught",
        _ => throw new ArgumentOutOfRangeException(nameof(h)),
    };

    /// <summary>
    /// The "# sigchld_flags:" header lines, "PID 0xFLAGS HANDLER" by pid, for the processes of the
    /// snapshot but the capturer (which reads its own as the snapshot is taken): each one's
    /// SIGCHLD sa_flags and handler (dfl, ign, caught) when tracing began, at
    /// <paramref name="tracingOn"/> (CLOCK_MONOTONIC). The handler is what a busy machine's
    /// snapshot can have wrong: a shell that installs its SIGCHLD handler after /proc read it and
    /// before tracing_on, and exits before the second read, keeps SigCgt without it.
    /// The probe prints a process's flags at every system call's entry and exit where they
    /// changed, and they change only inside a system call (rt_sigaction, execve), so they are the
    /// last ones printed at or before that time; for a process that made no call between the
    /// probe's start and then (asleep in one, say), the first printed after it, which a change
    /// would have been preceded by. Records after the process's leader exited are not its own
    /// (the pid may be another's by then). None when bpftrace lost records: a change missed would
    /// stand.
    /// </summary>
    public static List<string> SigchldLines(IReadOnlyList<SigchldFlagsRecord> records, long tracingOn, IReadOnlySet<int> processes, int capturer, long lost)
    {
        var lines = new List<string>();
        if (lost > 0) return lines;
        foreach (var process in records.Select((r, i) => (r, i)).Where(x => x.r.Pid != capturer && processes.Contains(x.r.Pid))
                     .GroupBy(x => x.r.Pid).OrderBy(g => g.Key))
        {
            SigchldFlagsRecord? at = null, after = null;
            foreach (var (r, _) in process.OrderBy(x => x.r.Nanos).ThenBy(x => x.i))
            {
                if (r.Exit) break;
                if (r.Nanos <= tracingOn) at = r;
                else
                {
                    after = r;
                    break;
                }
            }
            if ((at ?? after) is { } read)
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"{process.Key} 0x{read.Flags:x} {Spelling(read.Handler)}"));
        }
        return lines;
    }

    /// <summary>
    /// The "# sigmask:" header lines, "TID TIME MASK" (TIME as the trace prints it, seconds and
    /// microseconds of CLOCK_MONOTONIC; MASK 0x hex), in time order, a thread's own records in the
    /// order bpftrace printed them; and the status line for the "# signal_masks:" header. None
    /// when bpftrace lost records (a change missed would stand for the rest of the capture), or
    /// when a read of the caller's memory failed while some temporary mask was read (that mask
    /// may be the zeros of a failed read).
    /// </summary>
    public static (List<string> Lines, string Status) MaskLines(IReadOnlyList<SignalMaskRecord> masks, long lost, long unread)
    {
        if (lost > 0) return ([], $"none (bpftrace lost {lost} of its records)");
        if (unread > 0 && masks.Any(m => m.Temporary))
            return ([], $"none ({unread} reads of a caller's memory failed, and a temporary mask may be one)");
        var lines = masks.Select((m, i) => (m, i)).OrderBy(x => x.m.Nanos).ThenBy(x => x.i)
            .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.m.Tid} {x.m.Nanos / 1_000_000_000}.{x.m.Nanos / 1000 % 1_000_000:D6} 0x{x.m.Mask:x}"))
            .ToList();
        return (lines, $"bpftrace ({lines.Count} changes)");
    }

    /// <summary>bpftrace's "Lost N events" line; null for any other.</summary>
    private static long? LostIn(string line)
    {
        const string Marker = "Lost ";
        int at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0 || !line.Contains(" events", StringComparison.Ordinal)) return null;
        var rest = line.AsSpan(at + Marker.Length);
        int end = rest.IndexOf(' ');
        return end > 0 && long.TryParse(rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
    }

    /// <summary>
    /// How far apart a call's record and its trace line may be. The probe and the trace event run
    /// one after the other on the same tracepoint, in either order, and the thread may be
    /// preempted in between: on a busy machine a record came 349 µs before its line and another
    /// 139 µs after it.
    /// </summary>
    public const long EdgeNs = 2_000_000;

    /// <summary>
    /// The header line for each traced call the probe read: "TID TIME SIG ACT HANDLER FLAGS",
    /// TIME as the trace line has it, or "TID TIME SIG ACT unread" when the read failed; in the
    /// trace's order. Paired thread by thread, in order. Times alone cannot pair them (see
    /// <see cref="EdgeNs"/>: a record may be as far from its line as a thread's calls are from
    /// one another). A thread's records from its first traced call to its last, give or take
    /// <see cref="EdgeNs"/>, hold a run as long as its calls (each call made while tracing was
    /// on has its record, and none is lost unless bpftrace says so); around it may stand records
    /// of calls made just before tracing began or after it ended. The run is the one place in
    /// them where every record names the call's signal and address and lies within
    /// <see cref="EdgeNs"/> of its line. A thread with no such place, or more than one, gets no
    /// lines: its calls stay unknown rather than take a neighbour's action; so do two calls the
    /// reader could not tell apart (the same thread, signal and address at the same printed
    /// microsecond).
    /// </summary>
    public static List<string> Pair(IReadOnlyList<SigactionCall> calls, IReadOnlyList<SignalActionRecord> records, bool readsFailed)
    {
        var recordsOf = records.GroupBy(r => r.Tid).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Nanos).ToList());
        var lineOf = new Dictionary<SigactionCall, string>();
        foreach (var thread in calls.GroupBy(c => c.Tid))
        {
            var mine = thread.OrderBy(c => c.TimeNs).ToList();
            if (!recordsOf.TryGetValue(thread.Key, out var all)) continue;
            long lo = mine[0].TimeNs - EdgeNs, hi = mine[^1].TimeNs + EdgeNs;
            var theirs = all.Where(r => r.Nanos >= lo && r.Nanos <= hi).ToList();
            int at = -1;
            for (int k = 0; k + mine.Count <= theirs.Count; k++)
            {
                if (!LinesUp(mine, theirs, k)) continue;
                if (at >= 0)
                {
                    at = -1; // two places: which is the run is not known
                    break;
                }
                at = k;
            }
            if (at < 0) continue;
            // Two calls with the same signal and address printed at the same microsecond: the
            // reader could not tell which line is whose, so neither gets one.
            var twins = mine.GroupBy(c => (c.TimeNs, c.Sig, c.Act)).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            for (int i = 0; i < mine.Count; i++)
            {
                var (c, r) = (mine[i], theirs[at + i]);
                if (twins.Contains((c.TimeNs, c.Sig, c.Act))) continue;
                var what = MayBeUnread(r, readsFailed) ? "unread" : $"0x{r.Handler:x} 0x{r.Flags:x}";
                lineOf[c] = string.Create(CultureInfo.InvariantCulture, $"{c.Tid} {c.TimeText} {c.Sig} 0x{c.Act:x} {what}");
            }
        }
        return calls.Where(lineOf.ContainsKey).Select(c => lineOf[c]).ToList();
    }

    /// <summary>Whether the records from <paramref name="at"/> on name the calls' signals and addresses, each within <see cref="EdgeNs"/> of its call.</summary>
    private static bool LinesUp(List<SigactionCall> calls, List<SignalActionRecord> records, int at)
    {
        for (int i = 0; i < calls.Count; i++)
        {
            var (c, r) = (calls[i], records[at + i]);
            if (r.Sig != c.Sig || r.Act != c.Act || Math.Abs(r.Nanos - c.TimeNs) > EdgeNs) return false;
        }
        return true;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>A traced rt_sigaction call that installs an action (act not NULL): its thread, its time as the trace line printed it, the signal and the action's address.</summary>
public readonly record struct SigactionCall(int Tid, string TimeText, long TimeNs, int Sig, ulong Act)
{
    private static readonly Regex Line = new(
        @"-(\d+)\s+\[\d+\](?:\s+\S+)?\s+(\d+\.\d+): sys_rt_sigaction\(sig: (0x[0-9a-f]+|\d+), act: (0x[0-9a-f]+)",
        RegexOptions.RightToLeft | RegexOptions.CultureInvariant);

    /// <summary>The call on a trace line, when it is an rt_sigaction enter line with an action; null otherwise.</summary>
    public static SigactionCall? In(string line)
    {
        if (!line.Contains(": sys_rt_sigaction(sig: ", StringComparison.Ordinal)) return null;
        var m = Line.Match(line);
        if (!m.Success) return null;
        var time = m.Groups[2].Value;
        // The numbers as the trace readers take them (Numbers: decimal, or 0x hex).
        static byte[] Bytes(Group g) => System.Text.Encoding.ASCII.GetBytes(g.Value);
        if (!int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int tid)
            || !Numbers.TryParseTimestamp(Bytes(m.Groups[2]), out long ns)
            || !Numbers.TryParseValue(Bytes(m.Groups[3]), out long sig) || sig is < 0 or > int.MaxValue
            || !Numbers.TryParseValue(Bytes(m.Groups[4]), out long act))
            return null;
        return new SigactionCall(tid, time, ns, (int)sig, (ulong)act);
    }
}
