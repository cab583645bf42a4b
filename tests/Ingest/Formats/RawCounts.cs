using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Replayer.Ingest.Events;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>
/// Counts made straight from a capture's text with regular expressions, independently of the
/// readers (no code shared with them), to check what they produce: how many events of each kind
/// and how many recorded answers the rules of docs/trace-format.md give.
/// </summary>
public sealed partial class RawCounts
{
    public readonly Dictionary<EventKind, int> Events = [];
    public readonly Dictionary<EventKind, int> Answers = [];
    /// <summary>signal_generate lines, all of them.</summary>
    public int SignalLines;
    /// <summary>signal_generate lines between a caller's kill/tkill/tgkill enter and its exit.</summary>
    public int KillSignals;
    /// <summary>Snapshot blocks ("task TID tgid TGID").</summary>
    public int SnapshotTasks;

    [GeneratedRegex(@"^\s*(.*)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+\.\d+): (.*)$")]
    private static partial Regex FtraceLine();

    [GeneratedRegex(@"^\s*(.*?)\s+(?:-?\d+/)?(-?\d+)\s+\[(\d+)\]\s+(\d+\.\d+):\s+\w+:(\w+):\s?(.*)$")]
    private static partial Regex PerfLine();

    [GeneratedRegex(@"^sys_(\w+)\((.*)\)$")]
    private static partial Regex FtraceEnter();

    [GeneratedRegex(@"^sys_(\w+) -> (0x[0-9a-f]+)$")]
    private static partial Regex FtraceExit();

    [GeneratedRegex(@"^(\w+): ?(.*)$")]
    private static partial Regex FtraceEvent();

    private static readonly HashSet<string> Forks = ["clone", "clone3", "fork", "vfork"];
    private static readonly HashSet<string> Kills = ["kill", "tkill", "tgkill"];
    private static readonly HashSet<string> SilentTakers = ["rt_sigtimedwait", "signalfd", "signalfd4"];

    /// <summary>"# sigmask:" lines of the bundle's header.</summary>
    public int MaskLines;

    /// <summary>"# last_pid:" lines of the bundle's header.</summary>
    public int LastPidLines;

    public static RawCounts Of(string path)
    {
        var counts = new RawCounts();
        // tid -> (syscall name, its arguments) entered and not yet exited
        var pending = new Dictionary<int, (string Name, long[] Args)>();
        bool bundle = false, inTrace = false, perf = path.Contains(".perf.", StringComparison.Ordinal);
        using var text = Open(path);
        int n = 0;
        for (string? line; (line = text.ReadLine()) is not null;)
        {
            if (n++ == 0 && line.StartsWith("# replayer capture", StringComparison.Ordinal)) bundle = true;
            if (bundle && !inTrace)
            {
                if (line.StartsWith("# tracer:", StringComparison.Ordinal)) inTrace = true;
                else if (line.StartsWith("task ", StringComparison.Ordinal)) counts.SnapshotTasks++;
                else if (line.StartsWith("# sigmask:", StringComparison.Ordinal)) counts.MaskLines++;
                else if (line.StartsWith("# last_pid:", StringComparison.Ordinal)) counts.LastPidLines++;
                continue;
            }
            if (line.StartsWith('#') || line.Length == 0) continue;
            int tid;
            string kind, name, payload;
            if (perf)
            {
                var m = PerfLine().Match(line);
                if (!m.Success) throw new InvalidDataException($"not a perf line: {line}");
                tid = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                var ev = m.Groups[5].Value;
                payload = m.Groups[6].Value.Trim();
                if (ev.StartsWith("sys_enter_", StringComparison.Ordinal)) (kind, name) = ("enter", ev[10..]);
                else if (ev.StartsWith("sys_exit_", StringComparison.Ordinal)) (kind, name) = ("exit", ev[9..]);
                else (kind, name) = ("event", ev);
            }
            else
            {
                var m = FtraceLine().Match(line);
                if (!m.Success) throw new InvalidDataException($"not a trace line: {line}");
                tid = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                var rest = m.Groups[5].Value;
                if (FtraceEnter().Match(rest) is { Success: true } e) (kind, name, payload) = ("enter", e.Groups[1].Value, e.Groups[2].Value);
                else if (FtraceExit().Match(rest) is { Success: true } x) (kind, name, payload) = ("exit", x.Groups[1].Value, x.Groups[2].Value);
                else if (FtraceEvent().Match(rest) is { Success: true } v) (kind, name, payload) = ("event", v.Groups[1].Value, v.Groups[2].Value);
                else throw new InvalidDataException($"no event in: {line}");
            }
            counts.Count(tid, kind, name, payload, pending);
        }
        return counts;
    }

    private void Count(int tid, string kind, string name, string payload, Dictionary<int, (string Name, long[] Args)> pending)
    {
        switch (kind)
        {
            case "enter":
                pending[tid] = (name, Args(payload));
                if (Kills.Contains(name)) Add(EventKind.Kill, 1, answers: 0);
                // A call that may take signals with no signal_deliver line: an event at its entry.
                if (SilentTakers.Contains(name)) Add(EventKind.SigWait, 1, answers: 0);
                break;
            case "exit":
                if (!pending.Remove(tid, out var call))
                {
                    // A wait4 that entered before tracing began: its return alone is a wait, whose child was reaped.
                    if (name == "wait4" && (long)ulong.Parse(payload[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) > 0)
                        Add(EventKind.Wait, 1, answers: 1);
                    // So did an rt_sigtimedwait that took a signal.
                    if (name == "rt_sigtimedwait" && (long)ulong.Parse(payload[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) > 0)
                        Add(EventKind.SigWait, 1, answers: 0);
                    break;
                }
                if (call.Name != name) break;
                long ret = (long)ulong.Parse(payload[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                bool restarted = ret is >= -516 and <= -512;
                if (Forks.Contains(name))
                {
                    // The fork itself is counted from sched_process_fork; a failed one (no child) here.
                    if (ret < 0 && !restarted) Add(EventKind.Fork, 0);
                    if (!restarted) Add(EventKind.Fork, 0, answers: 1);
                }
                else if (Kills.Contains(name)) Add(EventKind.Kill, 0, answers: 1);
                // waitid's 0 is no answer: the child is in infop, which the line does not show.
                else if (!restarted && KindOf(name, call.Args) is { } k) Add(k, 1, answers: name == "waitid" && ret == 0 ? 0 : 1);
                break;
            case "event":
                switch (name)
                {
                    case "sched_process_fork": Add(EventKind.Fork, 1, answers: 0); break;
                    case "sched_process_exec": Add(EventKind.Exec, 1, answers: 0); break;
                    case "sched_process_exit":
                        Add(EventKind.Exit, 1, answers: 0);
                        pending.Remove(tid);
                        break;
                    case "signal_deliver": Add(EventKind.Deliver, 1, answers: 0); break;
                    case "signal_generate":
                        SignalLines++;
                        if (pending.TryGetValue(tid, out var p) && Kills.Contains(p.Name))
                        {
                            KillSignals++;
                            Add(EventKind.Kill, 0, answers: 1);
                        }
                        break;
                }
                break;
        }
    }

    private static EventKind? KindOf(string name, long[] args) => name switch
    {
        "getpid" or "getppid" or "getpgid" or "getpgrp" or "getsid" or "gettid" => EventKind.GetId,
        "wait4" or "waitid" => EventKind.Wait,
        "setpgid" => EventKind.SetPgid,
        "setsid" => EventKind.SetSid,
        "unshare" => EventKind.Unshare,
        "setns" => EventKind.SetNs,
        "rt_sigaction" when args.Length > 1 && args[1] != 0 => EventKind.SigAction,
        "prctl" when args.Length > 0 && args[0] == 0x24 => EventKind.Prctl,
        // PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, and PR_CAP_AMBIENT's raise, lower and clear (not its query).
        "prctl" when args.Length > 1 && (args[0] is 24 or 28 || (args[0] == 38 && args[1] == 1) || (args[0] == 47 && args[1] is 2 or 3 or 4)) => EventKind.Prctl,
        "setuid" or "setreuid" or "setresuid" or "capset" => EventKind.SetCred,
        _ => null,
    };

    private void Add(EventKind kind, int events, int answers = -1)
    {
        Events[kind] = Events.GetValueOrDefault(kind) + events;
        Answers[kind] = Answers.GetValueOrDefault(kind) + (answers < 0 ? events : answers);
    }

    private static long[] Args(string payload) =>
        payload.Length == 0
            ? []
            : payload.Split(", ").Select(a =>
            {
                var v = a[(a.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
                return v.StartsWith("0x", StringComparison.Ordinal)
                    ? (long)ulong.Parse(v[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                    : long.Parse(v, CultureInfo.InvariantCulture);
            }).ToArray();

    private static StreamReader Open(string path)
    {
        Stream s = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal)) s = new GZipStream(s, CompressionMode.Decompress);
        return new StreamReader(s);
    }
}
