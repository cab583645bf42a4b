using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Proc;

/// <summary>
/// Writes the live /proc as snapshot text (docs/trace-format.md, "/proc snapshot"): every thread
/// of every process, in /proc's order. A task that exits while it is being read is left out, as
/// it would be a moment later anyway.
/// </summary>
public static class LiveProcSnapshot
{
    // The /proc/TID/status lines a block keeps, in the kernel's order.
    private static readonly string[] StatusKeys = ["Name", "Tgid", "Pid", "PPid", "Uid", "NStgid", "NSpid", "NSpgid", "NSsid", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"];

    /// <summary>Writes the header and one block per thread; returns how many blocks, and adds the process of each to <paramref name="processes"/>.</summary>
    public static int Write(TextWriter w, string proc = "/proc", ISet<int>? processes = null)
    {
        var scan = Scan(proc);
        w.Write(scan.Header);
        foreach (var task in scan.Tasks)
        {
            w.Write(task.Block);
            processes?.Add(task.Tgid);
        }
        return scan.Tasks.Count;
    }

    /// <summary>
    /// Reads the live /proc: the snapshot's header and every thread's block, in /proc's order,
    /// each stamped with <paramref name="clock"/> as its files were about to be read (0 without one).
    /// Processes go by number; a process's threads go as /proc/PID/task lists them, which is the
    /// kernel's thread list: the leader first, then the others as they were created. That order
    /// is not the numbers' once tids wrap (pid_max), and the kernel hands a dead thread's children
    /// to the first live thread in it (find_alive_thread): the leader, not the lowest tid.
    /// <paramref name="afterEach"/> is called with each task once its block is read.
    /// </summary>
    public static ProcScan Scan(string proc = "/proc", Func<long>? clock = null, Action<ProcTask>? afterEach = null)
    {
        long epochNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        var header = new StringBuilder();
        header.Append(CultureInfo.InvariantCulture, $"# proc snapshot {epochNs / 1_000_000_000}.{epochNs % 1_000_000_000:D9} by pid {Environment.ProcessId} ({Link(Path.Combine(proc, "self/ns/pid"))})\n");
        header.Append(CultureInfo.InvariantCulture, $"# /proc/uptime: {Read(Path.Combine(proc, "uptime"))?.Trim()}\n");
        header.Append(CultureInfo.InvariantCulture, $"# user_ns: {Link(Path.Combine(proc, "self/ns/user"))}\n");
        // SigCgt says the writer catches SIGCHLD, not whether with SA_NOCLDWAIT: it asks itself.
        // The writer is the parent of a capture's command, so which of its children are reaped
        // at once, and where their notices go, depend on these flags.
        if (OwnSigchldFlags() is { } flags) header.Append(CultureInfo.InvariantCulture, $"# sigchld_flags: {Environment.ProcessId} 0x{flags:x}\n");
        var tasks = new List<ProcTask>();
        foreach (int pid in Numbered(proc))
        {
            foreach (int tid in Numbered(Path.Combine(proc, pid.ToString(CultureInfo.InvariantCulture), "task"), sorted: false))
            {
                var dir = Path.Combine(proc, pid.ToString(CultureInfo.InvariantCulture), "task", tid.ToString(CultureInfo.InvariantCulture));
                long at = clock?.Invoke() ?? 0;
                if (Block(dir, pid, tid) is { } task)
                {
                    tasks.Add(task with { ReadAt = at });
                    afterEach?.Invoke(task);
                }
            }
        }
        return new ProcScan(header.ToString(), tasks);
    }

    private static ProcTask? Block(string dir, int pid, int tid)
    {
        var status = Read(Path.Combine(dir, "status"));
        var stat = Read(Path.Combine(dir, "stat"));
        if (status is null || stat is null) return null;
        // stat: "pid (comm) state ppid pgrp session ..."; the comm may hold ')' so cut at the last one.
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4) return null;
        var b = new StringBuilder(512);
        b.Append("task ").Append(tid).Append(" tgid ").Append(pid).Append('\n');
        int[]? nspid = null;
        foreach (var key in StatusKeys)
        {
            foreach (var line in status.AsSpan().EnumerateLines())
            {
                if (line.Length > key.Length && line.StartsWith(key) && line[key.Length] == ':')
                {
                    b.Append(line).Append('\n');
                    if (key == "NSpid") nspid = Levels(line[(key.Length + 1)..]);
                    break;
                }
            }
        }
        b.Append("State: ").Append(fields[0]).Append('\n');
        b.Append("pgrp: ").Append(fields[2]).Append('\n');
        b.Append("session: ").Append(fields[3]).Append('\n');
        // stat's field 38: the signal the parent is sent at exit (-1 for a thread that is not the leader).
        if (fields.Length > 35) b.Append("exit_signal: ").Append(fields[35]).Append('\n');
        b.Append("ns: ").Append(Link(Path.Combine(dir, "ns/pid"))).Append('\n');
        b.Append("ns_for_children: ").Append(Link(Path.Combine(dir, "ns/pid_for_children"))).Append('\n');
        b.Append("user_ns: ").Append(Link(Path.Combine(dir, "ns/user"))).Append('\n');
        b.Append('\n');
        int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid);
        // stat's field 22: when the task was forked, in clock ticks since boot. With the tgid it
        // tells two tasks that held one tid apart (SnapshotWindow: a number given again in the window).
        long start = fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long s) ? s : 0;
        // stat's field 9, the task's flags: PF_EXITING (0x4) from the start of do_exit, before its
        // sched_process_exit; the state stays R or S until the task is a zombie or gone.
        bool exiting = fields.Length > 6 && uint.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out uint flags) && (flags & 0x4) != 0;
        return new ProcTask(tid, pid, ppid, fields[0] is "Z" or "X", nspid, b.ToString()) { Start = start, Exiting = exiting };
    }

    /// <summary>An NSpid line's numbers, outermost first; null when one is not a number.</summary>
    private static int[]? Levels(ReadOnlySpan<char> s)
    {
        var levels = new List<int>(2);
        foreach (var part in s.Split('\t'))
        {
            var t = s[part].Trim();
            if (t.IsEmpty) continue;
            if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return null;
            levels.Add(n);
        }
        return levels.Count > 0 ? levels.ToArray() : null;
    }

    /// <summary>
    /// The processes of <paramref name="processes"/> that may take signals off their queues with
    /// no line in the trace, read once tracing is on: one that holds a signalfd (a read of it
    /// dequeues), one with a thread inside rt_sigtimedwait (its entry came before tracing did),
    /// and one whose descriptors or threads could not be read. One "PID WHY [TID]" each, WHY
    /// signalfd, sigtimedwait or unreadable; null when this architecture's rt_sigtimedwait
    /// number is not known here. With <paramref name="snapshot"/>, for a whole-system capture:
    /// every process /proc lists now is looked at too (forked after the snapshot), and one of
    /// <paramref name="processes"/> gone by now is unreadable: it exited after the snapshot, in the
    /// window (then it is no matter: left out of the bundle, or a zombie) or once tracing was on,
    /// when it may have taken signals with no line before it went (a busy capture: a python3
    /// reading a signalfd, gone by the time a scan made after a 4 s second read looked). Without
    /// it, a process gone by now is left out.
    /// </summary>
    public static List<string>? SilentDequeuers(IEnumerable<int> processes, string proc = "/proc", bool snapshot = false)
    {
        int? sigtimedwait = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => 128,     // arch/x86/entry/syscalls/syscall_64.tbl
            Architecture.Arm64 => 137,   // include/uapi/asm-generic/unistd.h
            _ => null,
        };
        if (sigtimedwait is null) return null;
        var lines = new List<string>();
        var given = processes.ToHashSet();
        var all = new SortedSet<int>(given);
        if (snapshot) all.UnionWith(Numbered(proc));
        foreach (int pid in all)
        {
            var dir = Path.Combine(proc, pid.ToString(CultureInfo.InvariantCulture));
            if (!Directory.Exists(dir))
            {
                if (snapshot && given.Contains(pid)) lines.Add($"{pid} unreadable");
                continue;
            }
            if (HoldsSignalfd(Path.Combine(dir, "fd")) is not { } holds)
            {
                // Unreadable because it exited meanwhile is no matter; otherwise it is not known.
                if (Directory.Exists(dir)) lines.Add($"{pid} unreadable");
                continue;
            }
            if (holds)
            {
                lines.Add($"{pid} signalfd");
                continue;
            }
            foreach (int tid in Numbered(Path.Combine(dir, "task")))
            {
                // "NR args... sp pc" while blocked in a call; "running", or "-1 ..." outside one.
                var call = Read(Path.Combine(dir, "task", tid.ToString(CultureInfo.InvariantCulture), "syscall"));
                if (call is null) continue;
                int sp = call.IndexOf(' ');
                if (int.TryParse(sp < 0 ? call.Trim() : call[..sp], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int nr) && nr == sigtimedwait)
                {
                    lines.Add($"{pid} sigtimedwait {tid}");
                    break;
                }
            }
        }
        return lines;
    }

    /// <summary>Whether a descriptor of the directory /proc/PID/fd is a signalfd; null when it cannot be read.</summary>
    private static bool? HoldsSignalfd(string fdDir)
    {
        string[] fds;
        try { fds = Directory.GetFileSystemEntries(fdDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        foreach (var fd in fds)
            if (Link(fd) == "anon_inode:[signalfd]") return true;
        return false;
    }

    /// <summary>The sa_flags of this process's SIGCHLD action, from sigaction(2); null when it fails.</summary>
    private static ulong? OwnSigchldFlags()
    {
        if (!OperatingSystem.IsLinux()) return null;
        // glibc's struct sigaction on 64-bit Linux: the handler (8 bytes), sa_mask (128), then sa_flags (an int).
        var old = new byte[SigactionSize];
        if (sigaction(SigChld, IntPtr.Zero, old) != 0) return null;
        return (uint)BitConverter.ToInt32(old, SaFlagsOffset);
    }

    private const int SigChld = 17, SigactionSize = 152, SaFlagsOffset = 136;

    [DllImport("libc", SetLastError = true)]
    private static extern int sigaction(int sig, IntPtr act, [Out] byte[] oldact);

    /// <summary>
    /// The pid allocator's cursor in the reader's namespace (/proc/sys/kernel/ns_last_pid: the
    /// number it gave last), or null when it cannot be read.
    /// </summary>
    public static int? PidCursor(string proc = "/proc") => Number(Path.Combine(proc, "sys/kernel/ns_last_pid"));

    /// <summary>
    /// The time since boot in clock ticks (USER_HZ, 100 on Linux: the unit of stat's start times),
    /// from /proc/uptime's hundredths, rounded down; null when it cannot be read.
    /// </summary>
    public static long? UptimeTicks(string proc = "/proc")
    {
        if (Read(Path.Combine(proc, "uptime")) is not { } text) return null;
        var first = Encoding.ASCII.GetBytes(text.Trim().Split(' ')[0]);
        // As the snapshot parser reads the header's copy of the same line.
        return Numbers.TryParseTimestamp(first, out long ns) ? ns / 10_000_000 : null;
    }

    /// <summary>/proc/sys/kernel/pid_max, or null when it cannot be read.</summary>
    public static int? PidMax(string proc = "/proc") => Number(Path.Combine(proc, "sys/kernel/pid_max"));

    private static int? Number(string path) =>
        int.TryParse(Read(path)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    /// <summary>The numbered entries of a directory: sorted, or as its listing gives them (/proc/PID/task: the thread list's order).</summary>
    private static IEnumerable<int> Numbered(string dir, bool sorted = true)
    {
        string[] names;
        try { names = Directory.GetFileSystemEntries(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        var ids = new List<int>(names.Length);
        foreach (var n in names)
            if (int.TryParse(Path.GetFileName(n), NumberStyles.None, CultureInfo.InvariantCulture, out int id)) ids.Add(id);
        if (sorted) ids.Sort();
        foreach (int id in ids) yield return id;
    }

    private static string? Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string Link(string path)
    {
        try { return new FileInfo(path).LinkTarget ?? ""; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}

/// <summary>A live /proc read: the snapshot's header text and its blocks.</summary>
public sealed record ProcScan(string Header, IReadOnlyList<ProcTask> Tasks);

/// <summary>
/// One thread as /proc showed it: its block of snapshot text, and what the window check between
/// two reads needs of it (its parent process, whether it had exited, its number at each level).
/// </summary>
public sealed record ProcTask(int Tid, int Tgid, int PPid, bool Zombie, int[]? NsPid, string Block)
{
    /// <summary>When its files were about to be read (the scan's clock), 0 when not stamped.</summary>
    public long ReadAt { get; init; }

    /// <summary>When it was forked (/proc's stat field 22, clock ticks since boot), 0 when not known.</summary>
    public long Start { get; init; }

    /// <summary>It was in do_exit when read (PF_EXITING in stat's flags), though its state may still say R or S.</summary>
    public bool Exiting { get; init; }

    /// <summary>
    /// Whether two reads of one tid may be of one task: the same process, forked at the same tick
    /// when both reads say when. A number given again in between is another task's.
    /// </summary>
    public bool SameTaskAs(ProcTask other) =>
        Tid == other.Tid && Tgid == other.Tgid && (Start == 0 || other.Start == 0 || Start == other.Start);
}
