namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>The tracepoints the assembler understands; every other line is <see cref="Other"/> and passed over.</summary>
public enum Tracepoint : byte
{
    Other,
    SysEnter,
    SysExit,
    /// <summary>task:task_newtask: the only place clone3's and fork's flags are printed.</summary>
    NewTask,
    /// <summary>task:task_rename: a comm change (exec, prctl PR_SET_NAME).</summary>
    Rename,
    /// <summary>sched:sched_process_fork: the child's global tid.</summary>
    Fork,
    Exec,
    ProcessExit,
    SignalGenerate,
    SignalDeliver,
    /// <summary>
    /// Not a tracepoint: the tool's note that a CPU's ring buffer lost events (Cpu; A0 the count).
    /// Read from a file, it stands after that CPU's last line before the note, with its time
    /// (<see cref="Tracefs.LossPlan"/>); else after every line before it.
    /// </summary>
    Lost,
}

/// <summary>The syscalls whose enter and exit lines are paired; the rest are <see cref="Other"/>.</summary>
public enum Syscall : byte
{
    Other,
    Clone, Clone3, Fork, VFork,
    SetPgid, SetSid,
    GetPid, GetPpid, GetPgid, GetPgrp, GetSid, GetTid,
    Kill, Tkill, Tgkill,
    Wait4, Waitid,
    Unshare, SetNs,
    Exit, ExitGroup,
    RtSigaction, Prctl,
    Execve, Execveat,
    SetUid, SetReUid, SetResUid, Capset,
    RtSigtimedwait, Signalfd, Signalfd4,
}

/// <summary>
/// One capture line, decoded: the common shape both line parsers (tracefs text, perf script)
/// produce and the assembler consumes. A value type with no text of its own: the strings are
/// interned (<see cref="CommTable"/>), so decoding a line allocates nothing.
/// </summary>
public struct TraceLine
{
    /// <summary>Timestamp in nanoseconds (the trace clock's).</summary>
    public long Time;
    /// <summary>Global tid of the task in whose context the event fired; -1 when the tool lost it (perf ":-1").</summary>
    public int Tid;
    /// <summary>The task's tgid when the tool printed it (perf's pid/tid, ftrace's record-tgid column); else 0.</summary>
    public int Tgid;
    /// <summary>The CPU the event fired on.</summary>
    public int Cpu;
    /// <summary>1-based line number in the input, for errors.</summary>
    public long LineNo;
    /// <summary>The comm printed in front of the line.</summary>
    public string Comm;
    /// <summary>True when <see cref="Comm"/> is the comm at event time (perf), false when it was looked up when the trace was read (tracefs).</summary>
    public bool CommIsCurrent;
    /// <summary>
    /// The event fired in an interrupt (ftrace's flags column: 'h' hardirq, 's' softirq, 'H', 'z',
    /// 'Z'), not in a call of <see cref="Tid"/>'s: that task was only the one running.
    /// </summary>
    public bool InInterrupt;
    public Tracepoint Point;
    public Syscall Sys;
    /// <summary>The payload's numbers, in the order of the tracepoint's format (see <see cref="PayloadDecoder"/>).</summary>
    public long A0, A1, A2, A3, A4, A5;
    /// <summary>How many syscall arguments a sys_enter line had.</summary>
    public int ArgCount;
    /// <summary>A text field of the payload: child_comm, newcomm, the recipient's comm, the exec'd filename.</summary>
    public string? Text;
    /// <summary>The acting task's comm as the payload printed it at event time (sched_process_fork/exit comm=).</summary>
    public string? ActorComm;
}
