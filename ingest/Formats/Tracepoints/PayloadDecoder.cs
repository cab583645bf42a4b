using System.Runtime.CompilerServices;

namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>
/// Decodes what follows a line's timestamp, "event: payload", into a <see cref="TraceLine"/>. The
/// payloads are the kernel's own print formats, identical in ftrace and perf except for syscalls:
/// ftrace prints "sys_clone(clone_flags: 0x1200011, ...)" and "sys_clone -> 0x2", perf and
/// trace-cmd "syscalls:sys_enter_clone: clone_flags: 0x01200011, ..." and "sys_exit_clone: 0x2".
/// Text fields that may hold spaces (comm, filename) are cut at the last occurrence of the key
/// that follows them, so a comm like "Web Content" or "a pid=1" cannot shift the numbers.
/// </summary>
public sealed class PayloadDecoder(CommTable texts)
{
    /// <summary>Fills line.Point, Sys and the payload fields; returns why the text is not a payload, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string? Decode(ReadOnlySpan<byte> rest, ref TraceLine line)
    {
        rest = rest.TrimStart((byte)' ');
        int end = rest.IndexOfAny((byte)' ', (byte)'(');
        if (end < 0) end = rest.Length;
        var token = rest[..end];
        if (token.Length > 0 && token[^1] == ':')
        {
            var name = token[..^1];
            int colon = name.LastIndexOf((byte)':');
            if (colon >= 0) name = name[(colon + 1)..];
            var payload = end < rest.Length ? rest[(end + 1)..] : default;
            return DecodeEvent(name, payload, ref line);
        }
        if (!token.StartsWith("sys_"u8)) return null;
        if (end < rest.Length && rest[end] == '(')
        {
            int close = rest.LastIndexOf((byte)')');
            if (close < end) return "a syscall entry without its closing parenthesis";
            line.Point = Tracepoint.SysEnter;
            line.Sys = SyscallNamed(token[4..]);
            return line.Sys == Syscall.Other ? null : Args(rest[(end + 1)..close], ref line);
        }
        var after = rest[end..];
        if (after.StartsWith(" -> "u8))
        {
            line.Point = Tracepoint.SysExit;
            line.Sys = SyscallNamed(token[4..]);
            if (line.Sys == Syscall.Other) return null;
            return Numbers.TryParseValue(after[4..].TrimEnd((byte)' '), out line.A0) ? null : "a syscall return that is not a number";
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? DecodeEvent(ReadOnlySpan<byte> name, ReadOnlySpan<byte> payload, ref TraceLine line)
    {
        if (name.StartsWith("sys_enter_"u8))
        {
            line.Point = Tracepoint.SysEnter;
            line.Sys = SyscallNamed(name[10..]);
            return line.Sys == Syscall.Other ? null : Args(payload, ref line);
        }
        if (name.StartsWith("sys_exit_"u8))
        {
            line.Point = Tracepoint.SysExit;
            line.Sys = SyscallNamed(name[9..]);
            if (line.Sys == Syscall.Other) return null;
            return Numbers.TryParseValue(payload.Trim((byte)' '), out line.A0) ? null : "a syscall return that is not a number";
        }
        if (name.SequenceEqual("sched_process_fork"u8)) return ProcessFork(payload, ref line);
        if (name.SequenceEqual("sched_process_exec"u8)) return ProcessExec(payload, ref line);
        if (name.SequenceEqual("sched_process_exit"u8)) return ProcessExit(payload, ref line);
        if (name.SequenceEqual("signal_generate"u8)) return SignalGenerate(payload, ref line);
        if (name.SequenceEqual("signal_deliver"u8)) return SignalDeliver(payload, ref line);
        if (name.SequenceEqual("task_newtask"u8)) return NewTask(payload, ref line);
        if (name.SequenceEqual("task_rename"u8)) return Rename(payload, ref line);
        return null;
    }

    // "clone_flags: 0x1200011, newsp: 0, ..." (ftrace) or "clone_flags: 0x01200011, ..." (perf):
    // positional, the names are the format file's and need no checking.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? Args(ReadOnlySpan<byte> args, ref TraceLine line)
    {
        line.ArgCount = 0;
        args = args.Trim((byte)' ');
        while (!args.IsEmpty)
        {
            int comma = args.IndexOf((byte)',');
            var arg = comma < 0 ? args : args[..comma];
            args = comma < 0 ? default : args[(comma + 1)..].TrimStart((byte)' ');
            int sep = arg.IndexOf(": "u8);
            if (sep < 0) return "a syscall argument without 'name: value'";
            if (!Numbers.TryParseValue(arg[(sep + 2)..].TrimEnd((byte)' '), out long v)) return "a syscall argument that is not a number";
            switch (line.ArgCount)
            {
                case 0: line.A0 = v; break;
                case 1: line.A1 = v; break;
                case 2: line.A2 = v; break;
                case 3: line.A3 = v; break;
                case 4: line.A4 = v; break;
                case 5: line.A5 = v; break;
                default: return "more than six syscall arguments";
            }
            line.ArgCount++;
        }
        return null;
    }

    // comm=sh pid=3749 child_comm=sh child_pid=3750
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? ProcessFork(ReadOnlySpan<byte> p, ref TraceLine line)
    {
        int child = p.LastIndexOf(" child_comm="u8);
        if (child < 0 || !p.StartsWith("comm="u8)) return "sched_process_fork without comm= and child_comm=";
        var parent = p[..child];
        int pid = parent.LastIndexOf(" pid="u8);
        if (pid < 5) return "sched_process_fork without pid=";
        var right = p[(child + 12)..];
        int childPid = right.LastIndexOf(" child_pid="u8);
        if (childPid < 0) return "sched_process_fork without child_pid=";
        if (!Number(parent[(pid + 5)..], out line.A0) || !Number(right[(childPid + 11)..], out line.A1))
            return "sched_process_fork with a pid that is not a number";
        line.Point = Tracepoint.Fork;
        line.ActorComm = texts.Intern(parent[5..pid]);
        line.Text = texts.Intern(right[..childPid]);
        return null;
    }

    // filename=/usr/bin/sh pid=3750 old_pid=3750
    private string? ProcessExec(ReadOnlySpan<byte> p, ref TraceLine line)
    {
        int old = p.LastIndexOf(" old_pid="u8);
        if (old < 0 || !p.StartsWith("filename="u8)) return "sched_process_exec without filename= and old_pid=";
        var left = p[..old];
        int pid = left.LastIndexOf(" pid="u8);
        if (pid < 9) return "sched_process_exec without pid=";
        if (!Number(left[(pid + 5)..], out line.A0) || !Number(p[(old + 9)..], out line.A1))
            return "sched_process_exec with a pid that is not a number";
        line.Point = Tracepoint.Exec;
        line.Text = texts.Intern(left[9..pid]);
        return null;
    }

    // comm=sleep pid=3751 prio=120 group_dead=true (group_dead only on recent kernels)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? ProcessExit(ReadOnlySpan<byte> p, ref TraceLine line)
    {
        int pid = p.LastIndexOf(" pid="u8);
        if (pid < 5 || !p.StartsWith("comm="u8)) return "sched_process_exit without comm= and pid=";
        if (!Number(p[(pid + 5)..], out line.A0)) return "sched_process_exit with a pid that is not a number";
        line.A1 = -1;
        int dead = p.LastIndexOf(" group_dead="u8);
        if (dead > pid)
        {
            var v = Token(p[(dead + 12)..]);
            if (v.SequenceEqual("true"u8) || v.SequenceEqual("1"u8)) line.A1 = 1;
            else if (v.SequenceEqual("false"u8) || v.SequenceEqual("0"u8)) line.A1 = 0;
            else return "sched_process_exit with a group_dead that is neither true nor false";
        }
        line.Point = Tracepoint.ProcessExit;
        line.ActorComm = texts.Intern(p[5..pid]);
        return null;
    }

    // sig=9 errno=0 code=128 comm=sleep pid=8212 grp=1 res=0
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? SignalGenerate(ReadOnlySpan<byte> p, ref TraceLine line)
    {
        int comm = p.IndexOf(" comm="u8);
        int pid = p.LastIndexOf(" pid="u8);
        if (comm < 0 || pid < comm + 6) return "signal_generate without comm= and pid=";
        var head = p[..comm];
        if (!Field(ref head, "sig="u8, out line.A0) || !Field(ref head, "errno="u8, out line.A1) || !Field(ref head, "code="u8, out line.A2))
            return "signal_generate without sig=, errno= and code= numbers";
        var tail = p[(pid + 1)..];
        if (!Field(ref tail, "pid="u8, out line.A3) || !Field(ref tail, "grp="u8, out line.A4) || !Field(ref tail, "res="u8, out line.A5))
            return "signal_generate without pid=, grp= and res= numbers";
        line.Point = Tracepoint.SignalGenerate;
        line.Text = texts.Intern(p[(comm + 6)..pid]);
        return null;
    }

    // sig=17 errno=0 code=1 sa_handler=5643b2bb0dc0 sa_flags=4000000
    private static string? SignalDeliver(ReadOnlySpan<byte> p, ref TraceLine line)
    {
        if (!Field(ref p, "sig="u8, out line.A0) || !Field(ref p, "errno="u8, out line.A1) || !Field(ref p, "code="u8, out line.A2))
            return "signal_deliver without sig=, errno= and code= numbers";
        if (!HexField(ref p, "sa_handler="u8, out line.A3) || !HexField(ref p, "sa_flags="u8, out line.A4))
            return "signal_deliver without hex sa_handler= and sa_flags=";
        line.Point = Tracepoint.SignalDeliver;
        return null;
    }

    // pid=3750 comm=sh clone_flags=1200000 oom_score_adj=0
    private string? NewTask(ReadOnlySpan<byte> p, ref TraceLine line)
    {
        int comm = p.IndexOf(" comm="u8);
        int flags = p.LastIndexOf(" clone_flags="u8);
        if (comm < 0 || flags < comm + 6) return "task_newtask without comm= and clone_flags=";
        var head = p[..comm];
        if (!Field(ref head, "pid="u8, out line.A0)) return "task_newtask without a pid= number";
        if (!Numbers.TryParseHex(Token(p[(flags + 13)..]), out line.A1)) return "task_newtask with clone_flags that are not hex";
        line.Point = Tracepoint.NewTask;
        line.Text = texts.Intern(p[(comm + 6)..flags]);
        return null;
    }

    // pid=3750 oldcomm=sh newcomm=sh oom_score_adj=0
    private string? Rename(ReadOnlySpan<byte> p, ref TraceLine line)
    {
        int newComm = p.LastIndexOf(" newcomm="u8);
        if (newComm < 0) return "task_rename without newcomm=";
        var head = p;
        if (!Field(ref head, "pid="u8, out line.A0)) return "task_rename without a pid= number";
        var value = p[(newComm + 9)..];
        int oom = value.LastIndexOf(" oom_score_adj="u8);
        if (oom >= 0) value = value[..oom];
        line.Point = Tracepoint.Rename;
        line.Text = texts.Intern(value);
        return null;
    }

    // Reads "key=number" at the front of p (after spaces) and moves p past it.
    private static bool Field(ref ReadOnlySpan<byte> p, ReadOnlySpan<byte> key, out long value)
    {
        p = p.TrimStart((byte)' ');
        value = 0;
        if (!p.StartsWith(key)) return false;
        var v = Token(p[key.Length..]);
        p = p[(key.Length + v.Length)..];
        return Numbers.TryParseValue(v, out value);
    }

    private static bool HexField(ref ReadOnlySpan<byte> p, ReadOnlySpan<byte> key, out long value)
    {
        p = p.TrimStart((byte)' ');
        value = 0;
        if (!p.StartsWith(key)) return false;
        var v = Token(p[key.Length..]);
        p = p[(key.Length + v.Length)..];
        return Numbers.TryParseHex(v, out value);
    }

    private static bool Number(ReadOnlySpan<byte> s, out long value) => Numbers.TryParseDecimal(Token(s), out value);

    private static ReadOnlySpan<byte> Token(ReadOnlySpan<byte> s)
    {
        int sp = s.IndexOf((byte)' ');
        return sp < 0 ? s : s[..sp];
    }

    /// <summary>The syscall a tracepoint name ("clone", "exit_group") stands for.</summary>
    public static Syscall SyscallNamed(ReadOnlySpan<byte> n) => n.Length switch
    {
        4 when n.SequenceEqual("kill"u8) => Syscall.Kill,
        4 when n.SequenceEqual("exit"u8) => Syscall.Exit,
        4 when n.SequenceEqual("fork"u8) => Syscall.Fork,
        5 when n.SequenceEqual("clone"u8) => Syscall.Clone,
        5 when n.SequenceEqual("vfork"u8) => Syscall.VFork,
        5 when n.SequenceEqual("tkill"u8) => Syscall.Tkill,
        5 when n.SequenceEqual("wait4"u8) => Syscall.Wait4,
        5 when n.SequenceEqual("setns"u8) => Syscall.SetNs,
        5 when n.SequenceEqual("prctl"u8) => Syscall.Prctl,
        6 when n.SequenceEqual("clone3"u8) => Syscall.Clone3,
        6 when n.SequenceEqual("setsid"u8) => Syscall.SetSid,
        6 when n.SequenceEqual("getpid"u8) => Syscall.GetPid,
        6 when n.SequenceEqual("getsid"u8) => Syscall.GetSid,
        6 when n.SequenceEqual("gettid"u8) => Syscall.GetTid,
        6 when n.SequenceEqual("tgkill"u8) => Syscall.Tgkill,
        6 when n.SequenceEqual("waitid"u8) => Syscall.Waitid,
        6 when n.SequenceEqual("execve"u8) => Syscall.Execve,
        6 when n.SequenceEqual("setuid"u8) => Syscall.SetUid,
        6 when n.SequenceEqual("capset"u8) => Syscall.Capset,
        7 when n.SequenceEqual("setpgid"u8) => Syscall.SetPgid,
        7 when n.SequenceEqual("getppid"u8) => Syscall.GetPpid,
        7 when n.SequenceEqual("getpgid"u8) => Syscall.GetPgid,
        7 when n.SequenceEqual("getpgrp"u8) => Syscall.GetPgrp,
        7 when n.SequenceEqual("unshare"u8) => Syscall.Unshare,
        8 when n.SequenceEqual("execveat"u8) => Syscall.Execveat,
        8 when n.SequenceEqual("setreuid"u8) => Syscall.SetReUid,
        8 when n.SequenceEqual("signalfd"u8) => Syscall.Signalfd,
        9 when n.SequenceEqual("signalfd4"u8) => Syscall.Signalfd4,
        9 when n.SequenceEqual("setresuid"u8) => Syscall.SetResUid,
        10 when n.SequenceEqual("exit_group"u8) => Syscall.ExitGroup,
        12 when n.SequenceEqual("rt_sigaction"u8) => Syscall.RtSigaction,
        15 when n.SequenceEqual("rt_sigtimedwait"u8) => Syscall.RtSigtimedwait,
        _ => Syscall.Other,
    };
}
