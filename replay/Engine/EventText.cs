using System.Globalization;
using Replayer.Ingest.Events;

namespace Replayer.Replay.Engine;

/// <summary>
/// An event in a few words, the way strace would print the call ("kill(-1, SIGTERM) = 0"), for
/// reports. Numbers are the ones the trace recorded: arguments as the caller passed them,
/// children and signal recipients as global tids.
/// </summary>
public static class EventText
{
    public static string Describe(PidEvent ev) => ev switch
    {
        TaskSnapshot s => $"snapshot: pid {s.Tid} tgid {s.Tgid} ppid {s.PPid} pgid {s.Pgid} sid {s.Sid}{Levels(s.NsPid)}",
        Fork f => f.Child == 0
            ? $"{Call(f.Call)}{Flags(f.Flags)} = {Ret(f.Ret)}"
            : $"{Call(f.Call)}{Flags(f.Flags)} = {Ret(f.Ret)} (child {f.Child})",
        Exec x => $"execve(\"{x.Filename}\"){(x.OldTid != 0 ? $" from thread {x.OldTid}" : "")}",
        Exit x => $"{(x.Group ? "exit_group" : "exit")}({(x.Code is int c ? c.ToString(CultureInfo.InvariantCulture) : "?")}){Signals(x.Signals)}",
        SetPgid p => $"setpgid({p.Pid}, {p.Pgid}) = {Ret(p.Ret)}",
        SetSid s => $"setsid() = {Ret(s.Ret)}",
        SigAction a => $"rt_sigaction({SignalName(a.Sig)}, {a.Handler.ToString().ToLowerInvariant()}) = {Ret(a.Ret)}",
        Prctl p => $"prctl({PrctlName(p.Option)}, {p.Arg2}) = {Ret(p.Ret)}",
        GetId g => g.Call is GetIdCall.GetPgid or GetIdCall.GetSid
            ? $"{GetIdName(g.Call)}({g.Arg}) = {Ret(g.Ret)}"
            : $"{GetIdName(g.Call)}() = {Ret(g.Ret)}",
        Kill k => k.Call switch
        {
            KillCall.Tgkill => $"tgkill({k.Pid}, {k.ThreadArg}, {SignalName(k.Sig)}) = {Ret(k.Ret)}{Signals(k.Signals)}",
            KillCall.Tkill => $"tkill({k.Pid}, {SignalName(k.Sig)}) = {Ret(k.Ret)}{Signals(k.Signals)}",
            _ => $"kill({k.Pid}, {SignalName(k.Sig)}) = {Ret(k.Ret)}{Signals(k.Signals)}",
        },
        Wait w => $"{(w.Call == WaitCall.Waitid ? "waitid" : "wait4")}({w.Pid}{((w.Options & 1) != 0 ? ", WNOHANG" : "")}) = {Ret(w.Ret)}",
        Unshare u => $"unshare({CloneFlagNames(u.Flags)}) = {Ret(u.Ret)}",
        SetNs s => $"setns({s.Fd}{(s.TargetNs != 0 ? $" ns {s.TargetNs}" : "")}{(s.TargetInit != 0 ? $" init {s.TargetInit}" : "")}) = {Ret(s.Ret)}",
        Signal s => $"signal {SignalName(s.Record.Sig)} to {s.Record.To} {ResultName(s.Record.Result)}",
        Deliver d => $"takes {SignalName(d.Sig)} ({d.Handler.ToString().ToLowerInvariant()})",
        SetCred c => c.Call switch
        {
            CredCall.SetUid => $"setuid({c.Euid}) = {Ret(c.Ret)}",
            CredCall.SetReUid => $"setreuid({c.Ruid}, {c.Euid}) = {Ret(c.Ret)}",
            CredCall.SetResUid => $"setresuid({c.Ruid}, {c.Euid}, {c.Suid}) = {Ret(c.Ret)}",
            _ => $"capset(...) = {Ret(c.Ret)}",
        },
        SigMask m => $"sigmask blocked=0x{m.Blocked:x}",
        Exiting => "exit_group begun (its exit comes later)",
        LastPid l => $"write /proc/sys/kernel/ns_last_pid: now {l.Value}",
        Lost l => $"the capture lost {l.Count} events of CPU {l.Cpu} here (its ring buffer overran)",
        SigWait w => w.Call == SigWaitCall.TimedWait ? "rt_sigtimedwait(...)" : "signalfd(...)",
        Container c => $"container {c.Action.ToString().ToLowerInvariant()} {c.Id}{(c.Peer is null ? "" : $" peer {c.Peer}")}{(c.Task != 0 ? $" task {c.Task}" : "")}",
        _ => ev.Kind.ToString().ToLowerInvariant(),
    };

    private static string PrctlName(int option) => option switch
    {
        Prctl.SetChildSubreaper => "PR_SET_CHILD_SUBREAPER",
        Prctl.CapBsetDrop => "PR_CAPBSET_DROP",
        Prctl.SetSecureBits => "PR_SET_SECUREBITS",
        Prctl.CapAmbient => "PR_CAP_AMBIENT",
        _ => option.ToString(CultureInfo.InvariantCulture),
    };

    private static string Ret(long? ret) => ret switch
    {
        null => "?",
        >= 0 => ret.Value.ToString(CultureInfo.InvariantCulture),
        _ => Divergence.Errnos.Name((int)-ret.Value),
    };

    private static string Call(ForkCall c) => c switch
    {
        ForkCall.Clone3 => "clone3",
        ForkCall.Fork => "fork",
        ForkCall.VFork => "vfork",
        _ => "clone",
    };

    private static string Flags(ulong flags)
    {
        if ((flags & (CloneFlags.Thread | CloneFlags.NewPid | CloneFlags.Parent)) == 0) return "";
        return $"({CloneFlagNames(flags)})";
    }

    private static string CloneFlagNames(ulong flags)
    {
        var names = new List<string>(3);
        if ((flags & CloneFlags.Thread) != 0) names.Add("CLONE_THREAD");
        if ((flags & CloneFlags.NewPid) != 0) names.Add("CLONE_NEWPID");
        if ((flags & CloneFlags.Parent) != 0) names.Add("CLONE_PARENT");
        return names.Count == 0 ? $"0x{flags:x}" : string.Join('|', names);
    }

    private static string Levels(int[]? ns) => ns is { Length: > 1 } ? $" nspid {string.Join(' ', ns)}" : "";

    private static string Signals(SignalRecord[] signals) => signals.Length switch
    {
        0 => "",
        <= 4 => " → " + string.Join(", ", signals.Select(s => $"{SignalName(s.Sig)} to {s.To} {ResultName(s.Result)}")),
        _ => $" → {signals.Length} signals",
    };

    private static string GetIdName(GetIdCall c) => c switch
    {
        GetIdCall.GetPid => "getpid",
        GetIdCall.GetPpid => "getppid",
        GetIdCall.GetPgid => "getpgid",
        GetIdCall.GetPgrp => "getpgrp",
        GetIdCall.GetSid => "getsid",
        _ => "gettid",
    };

    private static string ResultName(SignalResult r) => r switch
    {
        SignalResult.Delivered => "delivered",
        SignalResult.Ignored => "ignored",
        SignalResult.AlreadyPending => "already pending",
        SignalResult.Overflow => "overflow",
        _ => "lost info",
    };

    /// <summary>SIGTERM for 15; the number for signals without a classic name.</summary>
    public static string SignalName(int sig) => sig switch
    {
        0 => "0",
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        17 => "SIGCHLD",
        18 => "SIGCONT",
        19 => "SIGSTOP",
        20 => "SIGTSTP",
        21 => "SIGTTIN",
        22 => "SIGTTOU",
        _ => sig.ToString(CultureInfo.InvariantCulture),
    };
}
