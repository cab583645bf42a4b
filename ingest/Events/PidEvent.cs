namespace Replayer.Ingest.Events;

/// <summary>What happened, one value per record kind of EVENTS.md.</summary>
public enum EventKind : byte
{
    /// <summary>A task as it stood when the capture began, or first seen without one.</summary>
    Snapshot,
    Fork,
    Exec,
    Exit,
    SetPgid,
    SetSid,
    SigAction,
    Prctl,
    GetId,
    Kill,
    Wait,
    Unshare,
    SetNs,
    /// <summary>A signal_generate not caused by a traced call of the acting task (kernel signals, SIGCHLD).</summary>
    Signal,
    /// <summary>A signal_deliver: the recipient took a signal, and its disposition was seen.</summary>
    Deliver,
    /// <summary>Container lifecycle: create, enter, checkpoint, restore, stop.</summary>
    Container,
    /// <summary>setuid, setreuid, setresuid, capset: the caller's credentials changed (or were asked to).</summary>
    SetCred,
    /// <summary>The acting thread's mask of blocked signals, as the capture read it from the kernel.</summary>
    SigMask,
    /// <summary>The acting thread began a call that takes signals off its queues without a signal_deliver line (rt_sigtimedwait, signalfd).</summary>
    SigWait,
    /// <summary>The acting process began its group exit (exit_group) here, its Exit placed later: signals sent to it from here on are dropped.</summary>
    Exiting,
    /// <summary>The acting thread wrote /proc/sys/kernel/ns_last_pid: its namespace's next number, read from the kernel after the write.</summary>
    LastPid,
    /// <summary>The capture lost events here (its ring buffer overran): what happened from here on is not all in it.</summary>
    Lost,
}

/// <summary>
/// One thing that happened on one host, in capture order. Numbers the acting task passed are kept
/// as it passed them (in its own view); tids are global (the host's initial namespace), as the
/// capture saw them. <see cref="Ret"/> is the kernel's recorded answer when the capture has it: a
/// value, or a negative errno.
/// </summary>
public abstract record PidEvent
{
    /// <summary>The host whose stream this event belongs to.</summary>
    public string Host { get => _host; init => _host = value; }

    /// <summary>Order within the host's stream, from 0; -1 until the ingest assigns it.</summary>
    public long Seq { get => _seq; init => _seq = value; }

    /// <summary>Capture timestamp in nanoseconds (the capture's own clock).</summary>
    public long Time { get => _time; init => _time = value; }

    /// <summary>The acting task's global tid.</summary>
    public int Tid { get => _tid; init => _tid = value; }

    /// <summary>The acting task's command name (at most 15 bytes in kernel captures).</summary>
    public string Comm { get => _comm; init => _comm = value; }

    /// <summary>The recorded return value, negative for an errno; null when the capture lacks it.</summary>
    public long? Ret { get => _ret; init => _ret = value; }

    // The envelope's fields, set once: by an initializer, or by SetEnvelope in a reader.
    private string _host = "";
    private long _seq = -1;
    private long _time;
    private int _tid;
    private string _comm = "";
    private long? _ret;

    public abstract EventKind Kind { get; }

    /// <summary>For readers that build an event in one go: sets the envelope without copying the record.</summary>
    internal void SetEnvelope(string host, long seq, long time, int tid, string comm, long? ret)
    {
        _host = host;
        _seq = seq;
        _time = time;
        _tid = tid;
        _comm = comm;
        _ret = ret;
    }

    /// <summary>Whether the capture recorded an answer for this event that a model can be checked against.</summary>
    public virtual int RecordedAnswers => Ret.HasValue ? 1 : 0;
}

/// <summary>The state of a task: from a /proc snapshot, or adopted when first seen.</summary>
public sealed record TaskSnapshot : PidEvent
{
    public override EventKind Kind => EventKind.Snapshot;
    public int Tgid { get; init; }
    public int PPid { get; init; }
    /// <summary>Process group and session in the host's view; 0 when unknown.</summary>
    public int Pgid { get; init; }
    public int Sid { get; init; }
    /// <summary>The task's number at every level, outermost first (NSpid); null when unknown.</summary>
    public int[]? NsPid { get; init; }
    public int[]? NsPgid { get; init; }
    public int[]? NsSid { get; init; }
    /// <summary>Inode of the task's pid namespace (/proc/PID/ns/pid); 0 when unknown.</summary>
    public ulong PidNs { get; init; }
    /// <summary>
    /// Inode of the namespace its children go to (/proc/PID/ns/pid_for_children): <see cref="PidNs"/>
    /// unless an unshare(CLONE_NEWPID) or a setns moved it. 0 when that link could not be read
    /// though /proc/PID/ns/pid could: a namespace unshared and not forked into yet (the kernel
    /// shows no inode for it until its init exists), or a task exiting. Null when the capture did
    /// not read it.
    /// </summary>
    public ulong? PidNsForChildren { get; init; }
    /// <summary>True when no snapshot had the task and it was adopted when first seen.</summary>
    public bool Adopted { get; init; }
    /// <summary>
    /// Real, effective and saved uid (the Uid line of /proc/PID/status, in the capturing process's
    /// view), -1 for one not known (the capture read them, but a line showed them changed before
    /// it did); null when the capture has none (the models take the task for root).
    /// </summary>
    public int[]? Uids { get; init; }
    /// <summary>The permitted, effective, bounding and ambient capability sets (CapPrm, CapEff, CapBnd, CapAmb); null when not shown.</summary>
    public ulong? CapPrm { get; init; }
    public ulong? CapEff { get; init; }
    public ulong? CapBnd { get; init; }
    public ulong? CapAmb { get; init; }
    /// <summary>
    /// The task's user namespace is not the capturing process's: its capabilities count in that
    /// namespace only, and the uids its own calls pass are that namespace's.
    /// </summary>
    public bool ForeignUserNs { get; init; }
    /// <summary>NoNewPrivs: exec gives no set-user-ID uid nor file capability.</summary>
    public bool NoNewPrivs { get; init; }
    /// <summary>
    /// The thread's blocked signals (SigBlk: bit sig-1 for signal sig) when the capture follows
    /// masks (its <see cref="SigMask"/> events); null when it does not.
    /// </summary>
    public ulong? Blocked { get; init; }
    /// <summary>
    /// The thread's blocked signals as /proc read them (SigBlk), in a capture that does not follow
    /// masks: blocked then, they may be blocked still, so a signal among them is not predicted
    /// ignored (a PostgreSQL 15 postmaster blocks SIGURG, which it ignores, and reads it from a
    /// signalfd: its backends' SIGURG was queued, not dropped). Null when read as <see cref="Blocked"/>, or not read.
    /// </summary>
    public ulong? BlockedAtRead { get; init; }
    /// <summary>
    /// The process's ignored and caught signals (/proc's SigIgn and SigCgt: bit sig-1 for signal
    /// sig; neither: SIG_DFL); null when the capture did not read them.
    /// </summary>
    public ulong? SigIgn { get; init; }
    public ulong? SigCgt { get; init; }
    /// <summary>
    /// The sa_flags of the process's SIGCHLD action (SA_NOCLDWAIT is 2), which /proc does not
    /// show: known only for the capturing process, which asked sigaction(2) itself; else null.
    /// </summary>
    public ulong? SigchldFlags { get; init; }
    /// <summary>
    /// What the task's parent is sent when it exits (/proc's stat, field 38): SIGCHLD (17) for a
    /// process forked as usual, another signal or 0 as clone's flags asked, -1 for a thread that is
    /// not its group's leader; null when the capture did not read it.
    /// </summary>
    public int? ExitSignal { get; init; }
    /// <summary>
    /// Every way the process's signals can leave its queues without a signal_deliver line is in
    /// the capture from here on: its calls are traced (the whole system, or the capturer's own),
    /// rt_sigtimedwait and signalfd among them, it held no signalfd and no thread of it was
    /// inside rt_sigtimedwait once tracing had begun. False when the capture does not say so.
    /// </summary>
    public bool DequeuesTraced { get; init; }
    /// <summary>
    /// The task had exited and was a zombie (State Z): for a group leader with no live thread
    /// listed, a dead process whose parent was told and has not reaped it yet.
    /// </summary>
    public bool Zombie { get; init; }
    /// <summary>
    /// The thread's pending signals (SigPnd) and its process's (ShdPnd), bit sig-1 for signal
    /// sig, as /proc showed them a moment before tracing began; null when not read.
    /// </summary>
    public ulong? SigPnd { get; init; }
    public ulong? ShdPnd { get; init; }
    /// <summary>
    /// The capture traces none of the process's calls (one that follows a command's descendants:
    /// every snapshot process but the capturer's), so it may have exited, and its number been
    /// taken again, with no line: what names it is not known.
    /// </summary>
    public bool Untraced { get; init; }
    /// <summary>
    /// The task's number may have been another task's when tracing began (a capture's window
    /// check: the task went, and the allocator may have given its number again, before tracing_on),
    /// so a line that names the number may be of that other task: what names it is not known.
    /// Its calls are traced, unlike an <see cref="Untraced"/> process's.
    /// </summary>
    public bool MaybeReused { get; init; }
    public override int RecordedAnswers => 0;
}

public enum ForkCall : byte { Clone, Clone3, Fork, VFork }

/// <summary>A task was created. Ret is the child's number in the parent's view.</summary>
public sealed record Fork : PidEvent
{
    public override EventKind Kind => EventKind.Fork;
    public ForkCall Call { get; init; }
    /// <summary>The child's global tid (from sched_process_fork); 0 when the fork failed.</summary>
    public int Child { get; init; }
    public ulong Flags { get; init; }
    /// <summary>clone3 set_tid, innermost level first; null when none was asked for.</summary>
    public int[]? SetTid { get; init; }
    /// <summary>
    /// True: the trace has the task's birth (sched_process_fork) and no entry of a call that made
    /// it (the call began before tracing did, its line was lost, or the kernel made the task
    /// itself). <see cref="Call"/> is then a guess, and <see cref="Flags"/> are task_newtask's,
    /// which carry no exit signal (kernel_clone_args keeps it apart): the child's is not known.
    /// </summary>
    public bool EnterLost { get; init; }

    public bool IsThread => (Flags & CloneFlags.Thread) != 0;
    public bool NewPidNs => (Flags & CloneFlags.NewPid) != 0;
}

public static class CloneFlags
{
    public const ulong Vm = 0x100;
    public const ulong Files = 0x400;
    public const ulong Vfork = 0x4000;
    public const ulong Parent = 0x8000;
    public const ulong Thread = 0x10000;
    public const ulong NewUser = 0x10000000;
    public const ulong NewPid = 0x20000000;
}

/// <summary>
/// What an exec'd file does to the credentials, as the capture found it: not looked at (older
/// captures, strace, perf), nothing, set-user-ID, file capabilities, or looked for and not
/// readable (gone by then, or named by a relative path).
/// </summary>
public enum ExecFile : byte { Unknown, Plain, SetUid, FileCaps, Unreadable }

public sealed record Exec : PidEvent
{
    public override EventKind Kind => EventKind.Exec;
    public string Filename { get; init; } = "";
    /// <summary>The tid before exec when a non-leader thread exec'd (it takes the leader's tid); else 0.</summary>
    public int OldTid { get; init; }
    /// <summary>The file as the capture found it (on a nosuid mount: Plain); Unknown when not looked at.</summary>
    public ExecFile File { get; init; }
    /// <summary>A set-user-ID file's owner, the effective uid it gives; 0 otherwise.</summary>
    public int FileUid { get; init; }
}

/// <summary>A signal_generate the kernel recorded: who got which signal and what became of it.</summary>
public readonly record struct SignalRecord(int Sig, int To, SignalResult Result, int Code, bool Group);

/// <summary>signal_generate's res field.</summary>
public enum SignalResult : byte { Delivered = 0, Ignored = 1, AlreadyPending = 2, Overflow = 3, LostInfo = 4 }

/// <summary>A task exited. Signals are the SIGCHLD and teardown SIGKILLs the kernel sent because of it.</summary>
public sealed record Exit : PidEvent
{
    public override EventKind Kind => EventKind.Exit;
    /// <summary>The exit code as the kernel passes it to the parent (status), when known.</summary>
    public int? Code { get; init; }
    /// <summary>True for exit_group or the last thread of its process.</summary>
    public bool Group { get; init; }
    /// <summary>
    /// The exit stands where the kernel told the parent (exit_notify's own SIGCHLD, the last of
    /// <see cref="Signals"/>), not at sched_process_exit: the child is a zombie, and its parent has
    /// been told, from this event on. False for every exit a capture could not place there.
    /// </summary>
    public bool AtNotice { get; init; }
    /// <summary>
    /// The exit stands at its notice, in the order the notices had, as with <see cref="AtNotice"/>,
    /// but a wait of the parent's was under way when the notice came (entered, not returned): it
    /// may have looked at the children before the notice or after it, so whether the parent's
    /// wait saw the child dead is not known here. Never set with <see cref="AtNotice"/>.
    /// </summary>
    public bool NoticeInWait { get; init; }
    /// <summary>
    /// The trace ended while the exit still waited for its notice: what exit_notify sent after
    /// the end (the parent's SIGCHLD, a namespace teardown's SIGKILLs) is not in
    /// <see cref="Signals"/>, so a signal predicted for it and not recorded is not a difference.
    /// </summary>
    public bool NoticeAfterEnd { get; init; }
    public SignalRecord[] Signals { get => _signals; init => _signals = value; }
    private SignalRecord[] _signals = [];
    public override int RecordedAnswers => base.RecordedAnswers + Signals.Length;

    /// <summary>For a synthetic trace: the kernel's records, known only once it has run the event.</summary>
    internal void SetSignals(SignalRecord[] signals) => _signals = signals;
}

public sealed record SetPgid : PidEvent
{
    public override EventKind Kind => EventKind.SetPgid;
    public int Pid { get; init; }
    public int Pgid { get; init; }
}

public sealed record SetSid : PidEvent
{
    public override EventKind Kind => EventKind.SetSid;
}

public enum Handler : byte { Unknown, Default, Ignore, Catch }

/// <summary>rt_sigaction: the new disposition of one signal (Unknown when the capture shows only that it changed).</summary>
public sealed record SigAction : PidEvent
{
    public override EventKind Kind => EventKind.SigAction;
    public int Sig { get; init; }
    public Handler Handler { get; init; }
    /// <summary>sa_flags (SA_NOCLDWAIT is 2); 0 when unknown.</summary>
    public ulong SaFlags { get; init; }
}

public sealed record Prctl : PidEvent
{
    public override EventKind Kind => EventKind.Prctl;
    public int Option { get; init; }
    public ulong Arg2 { get; init; }
    /// <summary>The third argument where it matters (PR_CAP_AMBIENT's capability); else 0.</summary>
    public ulong Arg3 { get; init; }
    public const int SetChildSubreaper = 0x24;
    /// <summary>Options that change the capabilities a later setuid or exec leaves (PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT).</summary>
    public const int CapBsetDrop = 24, SetSecureBits = 28, SetNoNewPrivs = 38, CapAmbient = 47;
    /// <summary>PR_CAP_AMBIENT's operations; PR_CAP_AMBIENT_IS_SET (1) only asks.</summary>
    public const ulong AmbientRaise = 2, AmbientLower = 3, AmbientClearAll = 4;

    /// <summary>A prctl that may change a capability set, the securebits or no_new_privs (not one that only reads them).</summary>
    public static bool ChangesCapabilities(int option, ulong arg2) =>
        option is CapBsetDrop or SetSecureBits || (option == SetNoNewPrivs && arg2 == 1)
        || (option == CapAmbient && arg2 is AmbientRaise or AmbientLower or AmbientClearAll);

    /// <summary>The options <see cref="ChangesCapabilities"/> may say yes to, whatever their argument.</summary>
    public static bool IsCapabilityOption(int option) => option is CapBsetDrop or SetSecureBits or SetNoNewPrivs or CapAmbient;
}

public enum GetIdCall : byte { GetPid, GetPpid, GetPgid, GetPgrp, GetSid, GetTid }

public sealed record GetId : PidEvent
{
    public override EventKind Kind => EventKind.GetId;
    public GetIdCall Call { get; init; }
    /// <summary>The pid argument of getpgid/getsid; 0 otherwise.</summary>
    public int Arg { get; init; }
}

public enum KillCall : byte { Kill, Tkill, Tgkill }

/// <summary>kill(pid, sig), tkill(tid, sig), tgkill(tgid, tid, sig), with the signal_generate lines it caused.</summary>
public sealed record Kill : PidEvent
{
    public override EventKind Kind => EventKind.Kill;
    public KillCall Call { get; init; }
    /// <summary>The first argument as passed: pid for kill, tid for tkill, tgid for tgkill.</summary>
    public int Pid { get; init; }
    /// <summary>tgkill's tid argument; 0 otherwise.</summary>
    public int ThreadArg { get; init; }
    public int Sig { get; init; }
    public SignalRecord[] Signals { get => _signals; init => _signals = value; }
    private SignalRecord[] _signals = [];
    public override int RecordedAnswers => base.RecordedAnswers + Signals.Length;

    /// <summary>For a synthetic trace: the kernel's records, known only once it has run the event.</summary>
    internal void SetSignals(SignalRecord[] signals) => _signals = signals;
}

public enum WaitCall : byte { Wait4, Waitid }

/// <summary>wait4 or waitid. Pid is in wait4's convention (-1 any, 0 own group, -g group g, else a child); Ret is the reaped child's number in the caller's view.</summary>
public sealed record Wait : PidEvent
{
    public override EventKind Kind => EventKind.Wait;
    public WaitCall Call { get; init; }
    public int Pid { get; init; }
    public int Options { get; init; }
    /// <summary>
    /// True: the trace has the call's return and not its entry (it began before tracing did, or
    /// the entry's line was lost), so <see cref="Pid"/> and <see cref="Options"/> are not known
    /// (0); only <see cref="PidEvent.Ret"/> is: the child it returned.
    /// </summary>
    public bool EnterLost { get; init; }
}

public sealed record Unshare : PidEvent
{
    public override EventKind Kind => EventKind.Unshare;
    public ulong Flags { get; init; }
}

public sealed record SetNs : PidEvent
{
    public override EventKind Kind => EventKind.SetNs;
    public int Fd { get; init; }
    public ulong NsType { get; init; }
    /// <summary>Inode of the namespace entered, when the capture knows it; else 0.</summary>
    public ulong TargetNs { get; init; }
    /// <summary>
    /// The global tid of the pid namespace's init (its child_reaper) the caller's children go to
    /// after the call, when the capture read it; else 0. A namespace made while tracing ran has no
    /// inode the models know, but its init they do; and an inode may be given again to a later
    /// namespace once its own is gone.
    /// </summary>
    public int TargetInit { get; init; }
}

/// <summary>
/// The acting thread's mask of blocked signals from this point on, as the capture read it from
/// the kernel (task_struct.blocked; bit sig-1 for signal sig, as /proc's SigBlk shows it). A
/// capture that follows masks gives one wherever the mask may have changed: after
/// rt_sigprocmask and rt_sigreturn, the temporary mask of rt_sigsuspend, ppoll, pselect6 and
/// epoll_pwait, and a mask found changed at any later system call (a handler's). A blocked
/// signal is never ignored when it is generated (sig_ignored, kernel/signal.c).
/// </summary>
public sealed record SigMask : PidEvent
{
    public override EventKind Kind => EventKind.SigMask;
    public ulong Blocked { get; init; }
    public override int RecordedAnswers => 0;
}

/// <summary>How a <see cref="SigWait"/> takes signals without a signal_deliver line.</summary>
public enum SigWaitCall : byte { TimedWait, SignalFd }

/// <summary>
/// The acting thread began a call that takes signals off its queues without a signal_deliver
/// line: rt_sigtimedwait (sigwaitinfo, sigtimedwait; dequeue_signal in do_sigtimedwait), placed
/// at its entry, or at its return when its entry predates the trace; or signalfd and signalfd4,
/// whose descriptor's reads dequeue the reader's signals (fs/signalfd.c), placed at their entry.
/// From here on whether a standard signal is still on the process's queues is not known.
/// </summary>
public sealed record SigWait : PidEvent
{
    public override EventKind Kind => EventKind.SigWait;
    public SigWaitCall Call { get; init; }
    public override int RecordedAnswers => 0;
}

/// <summary>
/// The acting thread's process began its group exit here (do_group_exit sets SIGNAL_GROUP_EXIT,
/// kernel/exit.c), and its <see cref="Exit"/> comes later in the stream: a namespace init's exit is
/// placed where its teardown's SIGKILLs are (zap_pid_ns_processes, from exit_notify), and what
/// came to it in between found it exiting: prepare_signal (kernel/signal.c) drops every signal
/// sent to a group exiting, an orphan's exit notice among them. A capture writes one only where
/// such a signal came; elsewhere the Exit stands where the exit began.
/// </summary>
public sealed record Exiting : PidEvent
{
    public override EventKind Kind => EventKind.Exiting;
    public override int RecordedAnswers => 0;
}

/// <summary>
/// The acting thread wrote /proc/sys/kernel/ns_last_pid, and its pid namespace's allocator then
/// stood at <see cref="Value"/>: the number the file reads, one below the one alloc_pid tries
/// first (pid_ns_ctl_handler, kernel/pid_namespace.c, sets the idr's cursor to the value written
/// plus one, in the writer's own namespace, task_active_pid_ns). A checkpoint restore (CRIU) does
/// this to give a task back its number; a test of wrapping does it too. A capture that reads it
/// takes it from the kernel at the write's return, whatever the write said or whether it was
/// refused, so the value is the allocator's, not the text written.
/// </summary>
public sealed record LastPid : PidEvent
{
    public override EventKind Kind => EventKind.LastPid;
    /// <summary>ns_last_pid after the write: the namespace's next number is looked for from Value + 1.</summary>
    public int Value { get; init; }
    /// <summary>
    /// The capture's probe lost records: a namespace written to once may have been written to
    /// again with no record, so from here its allocator's cursor is not known.
    /// </summary>
    public bool Lossy { get; init; }
    public override int RecordedAnswers => 0;
}

/// <summary>
/// The capture lost events here: ftrace's ring buffer of <see cref="Cpu"/> overran, and the reader
/// of trace_pipe found <see cref="Count"/> events gone ("CPU:1 [LOST 801 EVENTS]"). Which tasks'
/// events they were is not known, so from here on no model's prediction can be held against
/// the kernel's answers. Of no task (tid 0).
/// </summary>
public sealed record Lost : PidEvent
{
    public override EventKind Kind => EventKind.Lost;
    /// <summary>The CPU whose buffer overran.</summary>
    public int Cpu { get; init; }
    /// <summary>How many events were lost there.</summary>
    public long Count { get; init; }
    public override int RecordedAnswers => 0;
}

/// <summary>A signal the kernel generated that no traced call of the acting task explains.</summary>
public sealed record Signal : PidEvent
{
    public override EventKind Kind => EventKind.Signal;
    public SignalRecord Record { get; init; }
    public override int RecordedAnswers => 1;
}

/// <summary>signal_deliver: the task took Sig, with the disposition it had.</summary>
public sealed record Deliver : PidEvent
{
    public override EventKind Kind => EventKind.Deliver;
    public int Sig { get; init; }
    public Handler Handler { get; init; }

    /// <summary>
    /// The sa_flags of the action the signal found (signal_deliver prints them; SA_NOCLDWAIT is 2);
    /// null when the capture does not show them (strace).
    /// </summary>
    public ulong? SaFlags { get; init; }
    public override int RecordedAnswers => 0;
}

public enum CredCall : byte { SetUid, SetReUid, SetResUid, Capset }

/// <summary>
/// A change of the caller's user ids or capabilities. The uids are the arguments as passed, -1
/// for "leave it" (setreuid's and setresuid's convention); setuid's one argument is in
/// <see cref="Euid"/>, the others -1. capset carries no uid: its sets are behind a pointer the
/// capture does not show.
/// </summary>
public sealed record SetCred : PidEvent
{
    public override EventKind Kind => EventKind.SetCred;
    public CredCall Call { get; init; }
    public int Ruid { get; init; } = -1;
    public int Euid { get; init; } = -1;
    public int Suid { get; init; } = -1;

    /// <summary>
    /// The event for a call's raw arguments, uid_t values as a tracer shows them (zero-extended or
    /// sign-extended 32 bits, or -1 unmarked). A uid past int's range, which no id mapping gives,
    /// is kept as what it does to the model: credentials no longer known, as a capset's are.
    /// </summary>
    public static SetCred FromArgs(CredCall call, long ruid, long euid, long suid, long? ret)
    {
        static int? Uid(long raw)
        {
            uint u = unchecked((uint)raw);
            return u == uint.MaxValue ? -1 : u <= int.MaxValue ? (int)u : null;
        }
        if (Uid(ruid) is not int r || Uid(euid) is not int e || Uid(suid) is not int s)
            return new SetCred { Call = CredCall.Capset, Ret = ret };
        return new SetCred { Call = call, Ruid = r, Euid = e, Suid = s, Ret = ret };
    }
}

public enum ContainerAction : byte { Create, Enter, Checkpoint, Restore, Stop }

/// <summary>Container lifecycle, from tooling logs or synthetic workloads.</summary>
public sealed record Container : PidEvent
{
    public override EventKind Kind => EventKind.Container;
    public ContainerAction Action { get; init; }
    public string Id { get; init; } = "";
    /// <summary>For checkpoint and restore: the other host of the migration.</summary>
    public string? Peer { get; init; }
    /// <summary>The task concerned (the one entering, the init created), global; 0 when none.</summary>
    public int Task { get; init; }
}
