namespace Replayer.Replay.Models.Nested;

/// <summary>
/// One task and its struct pid together (include/linux/pid.h: a pid carries one number per level,
/// from its own namespace up to level 0). The record outlives the task while its pid is still some
/// process group's or session's id (free_pid runs only when no task uses the pid in any role).
/// </summary>
internal sealed class TaskStruct
{
    /// <summary>Scratch of a snapshot's walk: the walk that last numbered this record, and the number it gave.</summary>
    public long SnapshotMark;
    public int SnapshotIndex;

    /// <summary>A number at a level the capture has not shown (a namespace that predates it).</summary>
    public const int UnknownNr = -1;

    /// <summary>Exit signal of a clone3 child whose exit_signal the capture masked.</summary>
    public const int UnknownExitSignal = -2;

    /// <summary>The global tid (the number at level 0), as every capture records it.</summary>
    public int Tid;

    /// <summary>The namespace the pid was allocated in (task_active_pid_ns).</summary>
    public PidNamespace Ns = null!;

    /// <summary>numbers[level].nr for level 0..Ns.Level; <see cref="UnknownNr"/> where the capture has not shown it.</summary>
    public LevelNumbers Nr;

    /// <summary>False for a task first seen without /proc data: its namespace is not known, only its global tid.</summary>
    public bool Placed;

    /// <summary>The pid is attached to a task (alive or zombie): find_task_by_vpid finds it.</summary>
    public bool Hashed;

    /// <summary>This thread has run do_exit.</summary>
    public bool Exited;

    /// <summary>The process this thread belongs to; null for a pid kept only as a group or session id.</summary>
    public SignalStruct? Signal;

    /// <summary>real_parent (a thread, not necessarily a group leader); null when not known.</summary>
    public TaskStruct? Parent;

    /// <summary>The process group's and session's pids (signal->pids[PIDTYPE_PGID/SID]); null when not known.</summary>
    public TaskStruct? Pgrp, Session;

    /// <summary>For a pid used as a group id: the first member (pid->tasks[PIDTYPE_PGID], newest first).</summary>
    public TaskStruct? PgrpHead;

    /// <summary>Links in the group's member list (leaders only), newest first as hlist_add_head makes it.</summary>
    public TaskStruct? PgrpNext, PgrpPrev;

    /// <summary>How many processes use this pid as their session id.</summary>
    public int SessionRefs;

    /// <summary>Children (group leaders only, as in the kernel), oldest first.</summary>
    public TaskStruct? FirstChild, LastChild, NextSibling, PrevSibling;

    /// <summary>Links in the process's thread list.</summary>
    public TaskStruct? NextThread, PrevThread;

    /// <summary>Links in the task list for_each_process walks (leaders, in creation order).</summary>
    public TaskStruct? NextProcess, PrevProcess;

    /// <summary>On the task list: when it joined it (its order there).</summary>
    public long ProcessSeq;

    /// <summary>On the task list and placed below the host: its container's (level-1 namespace's) processes, in task list order.</summary>
    public TaskStruct? NextInContainer, PrevInContainer;

    /// <summary>The container whose list it is on; null when on none.</summary>
    public PidNamespace? ListedIn;

    /// <summary>On the task list and counted among the unplaced processes there.</summary>
    public bool ListedUnplaced;

    /// <summary>The thread's private pending set (tkill, tgkill), one bit per signal: a bit clear is a signal surely not pending.</summary>
    public ulong Pending;

    /// <summary>
    /// The bits of <see cref="Pending"/> surely still pending: queued by a signal the capture
    /// showed delivered, in a process whose every dequeue the capture shows
    /// (<see cref="SignalStruct.QueueFollowed"/>), and not taken since.
    /// </summary>
    public ulong PendingSure;

    /// <summary>What the parent is sent at exit: SIGCHLD, another signal, 0 for none, -1 for a thread, or <see cref="UnknownExitSignal"/>.</summary>
    public int ExitSignal;

    /// <summary>nsproxy->pid_ns_for_children: where this task's children go; null when not known.</summary>
    public PidNamespace? NsForChildren;

    /// <summary>Created during the capture (so every member of a group it names was seen joining).</summary>
    public bool Born;

    /// <summary>PF_FORKNOEXEC: forked and not exec'd since (setpgid by the parent gives EACCES after exec).</summary>
    public Tri ForkNoExec;

    /// <summary>
    /// Ptraced: Yes once it sent its tracer a CLD_TRAPPED stop notice, Unknown when born to a
    /// traced parent (strace -f attaches children at fork, by options the capture does not show).
    /// </summary>
    public Tri Traced;

    /// <summary>The global tid of the tracer its stop notices went to; a tracer detaches its tracees when it exits (exit_ptrace).</summary>
    public int TracerTid;

    /// <summary>
    /// Children on its list whose process is dead with this parent told and not yet seen to hear
    /// of it (SignalStruct.UnseenNotice): a SIGCHLD taken walks the children only when some are.
    /// </summary>
    public int UnseenChildren;

    /// <summary>
    /// The child process whose notice last became unseen on this task's list: where a SIGCHLD
    /// taken with one unseen notice looks first (SeeOnlyNotice checks it before it trusts it).
    /// </summary>
    public SignalStruct? LastUnseen;

    /// <summary>
    /// Made a vfork child (CLONE_VFORK) and has done nothing the capture shows since: glibc's
    /// posix_spawn and CPython's subprocess block every signal around the vfork and restore the
    /// mask after it returns, and sigprocmask is not traced. A blocked signal is never ignored at
    /// generation (sig_ignored, kernel/signal.c), so whether one sent to it now is ignored is not
    /// known (a child that exits before its vfork parent resumes: its SIGCHLD is queued, res=0).
    /// </summary>
    public bool MayBlockAll;

    /// <summary>
    /// Its parent came from a snapshot, whose PPid names the parent's process, not the thread that
    /// forked it (real_parent): which of that process's threads it is, the thread its notice
    /// names, is not known until that notice is recorded.
    /// </summary>
    public bool ParentThreadUnknown;

    /// <summary>
    /// The signals this thread blocks (task_struct.blocked; Sig.Bit), when <see cref="MaskKnown"/>:
    /// from a capture that follows masks (the snapshot's SigBlk, then its SigMask events), copied
    /// at fork. Unknown otherwise, and then taken to block nothing but around a vfork (<see cref="MayBlockAll"/>)
    /// and the signals the snapshot read blocked, which it holds then, copied at fork as well: those
    /// it may block still.
    /// </summary>
    public ulong Blocked;

    /// <summary>The capture gave this thread's mask: <see cref="Blocked"/> holds it, and <see cref="MayBlockAll"/> is not needed.</summary>
    public bool MaskKnown;

    /// <summary>The credentials a kill's permission check reads (copied at fork, changed by exec and the setuid family).</summary>
    public Creds Cred = Creds.Root;

    public bool IsLeader => Signal is not null && Signal.Leader == this;

    /// <summary>On its parent's children list (a thread's real_parent is not linked).</summary>
    public bool OnParentsList => Parent is { } p && (PrevSibling is not null || p.FirstChild == this);

    /// <summary>The pid is referenced as some process group's id.</summary>
    public bool IsPgrp => PgrpHead is not null;

    public void Clear()
    {
        Tid = 0;
        Ns = null!;
        Nr = default;
        Placed = Hashed = Exited = false;
        Signal = null;
        Parent = Pgrp = Session = PgrpHead = PgrpNext = PgrpPrev = null;
        SessionRefs = 0;
        FirstChild = LastChild = NextSibling = PrevSibling = NextThread = PrevThread = NextProcess = PrevProcess = null;
        ProcessSeq = 0;
        NextInContainer = PrevInContainer = null;
        ListedIn = null;
        ListedUnplaced = false;
        Pending = 0;
        PendingSure = 0;
        ExitSignal = 0;
        NsForChildren = null;
        ForkNoExec = Tri.Unknown;
        Born = false;
        Traced = Tri.No;
        TracerTid = 0;
        UnseenChildren = 0;
        LastUnseen = null;
        MayBlockAll = ParentThreadUnknown = false;
        Blocked = 0;
        MaskKnown = false;
        Cred = Creds.Root;
    }
}

/// <summary>
/// A process: what its threads share (signal_struct with sighand): dispositions, the shared
/// pending set, group exit, init and subreaper flags, and the thread list.
/// </summary>
internal sealed class SignalStruct
{
    /// <summary>Scratch of a snapshot's walk, as <see cref="TaskStruct.SnapshotMark"/>.</summary>
    public long SnapshotMark;
    public int SnapshotIndex;

    /// <summary>The thread group leader, whose pid is the tgid.</summary>
    public TaskStruct Leader = null!;

    /// <summary>The thread list (leader first).</summary>
    public TaskStruct? FirstThread, LastThread;

    /// <summary>SIGNAL_GROUP_EXIT: exit_group ran or a fatal signal was delivered; new signals are dropped.</summary>
    public bool GroupExit;

    /// <summary>SIGNAL_UNKILLABLE: a namespace init (the global init too).</summary>
    public bool Unkillable;

    /// <summary>PR_SET_CHILD_SUBREAPER set on this process.</summary>
    public Tri IsChildSubreaper;

    /// <summary>Some ancestor was a subreaper when this process was forked (or became one later).</summary>
    public Tri HasChildSubreaper;

    /// <summary>signal->leader: this process called setsid and leads its session.</summary>
    public Tri SessionLeader;

    /// <summary>The process-wide pending set (kill), one bit per signal: a bit clear is a signal surely not pending.</summary>
    public ulong SharedPending;

    /// <summary>The bits of <see cref="SharedPending"/> surely still pending, as <see cref="TaskStruct.PendingSure"/>.</summary>
    public ulong SharedSure;

    /// <summary>
    /// Every dequeue of this process's signals is in the capture, as far as its fd table goes:
    /// the snapshot said so (TaskSnapshot.DequeuesTraced), or the parent's said so at fork, and
    /// no thread made a signalfd since (a read of one takes signals with no line) nor shared its
    /// descriptors with another process (CLONE_FILES without CLONE_THREAD).
    /// </summary>
    public bool DequeuesSeen;

    /// <summary>A thread of this process entered rt_sigtimedwait, which takes signals with no line.</summary>
    public bool TimedWaited;

    /// <summary>The process has stopped (a stop signal taken at its default action, or its CLD_STOPPED or CLD_CONTINUED notice seen).</summary>
    public bool JobControlSeen;

    /// <summary>A child's notice seen in its place (an exit at its notice) queued a SIGCHLD here that no SIGCHLD taken since can have used up.</summary>
    public bool SeenNoticePending;

    /// <summary>
    /// A signal that kills by default came while its action was not known: complete_signal may
    /// have begun the group's exit and queued SIGKILL on every thread. Ends when a thread takes
    /// a signal other than SIGKILL (get_signal of a group exiting takes only SIGKILL).
    /// </summary>
    public bool MaybeDying;

    /// <summary>
    /// The process's leader was a zombie beside a live thread when the capture began: the leader
    /// may have run exit_group, which sets SIGNAL_GROUP_EXIT and sends the other threads to their
    /// exit, or it may have left alone (pthread_exit). /proc shows neither, so whether a signal
    /// to the process is dropped is not known. Ends when a thread of it makes a call the trace
    /// shows, or takes a signal other than SIGKILL: a thread of a group exiting does neither.
    /// </summary>
    public bool MaybeGroupExit;

    /// <summary>
    /// A thread took a signal at a default action that kills (signal_deliver, handler 0, not
    /// SIGKILL), and the process is no namespace's init: get_signal drops the siglock, then
    /// do_group_exit takes it again to set SIGNAL_GROUP_EXIT, and a signal that comes between
    /// (an interval timer's, from the tick) is delivered, one after it dropped. No line marks
    /// that moment, so until the process's exit whether a signal to it is dropped is not known.
    /// Ends when a thread takes a signal other than SIGKILL: then no group exit had begun.
    /// </summary>
    public bool FatalTaken;

    /// <summary>Whether a signal queued on this process stays queued until a line of the capture shows it taken.</summary>
    public bool QueueFollowed => DequeuesSeen && !TimedWaited;

    /// <summary>The signals of <paramref name="mask"/> (all, by default) are sure on none of the process's queues any more: its shared set's and every thread's.</summary>
    public void DropSure(ulong mask = ulong.MaxValue)
    {
        SharedSure &= ~mask;
        for (var th = FirstThread; th is not null; th = th.NextThread) th.PendingSure &= ~mask;
    }

    /// <summary>The signals of <paramref name="mask"/> leave every queue of the process (flush_sigqueue_mask on the shared set and each thread's).</summary>
    public void Flush(ulong mask)
    {
        SharedPending &= ~mask;
        SharedSure &= ~mask;
        for (var th = FirstThread; th is not null; th = th.NextThread)
        {
            th.Pending &= ~mask;
            th.PendingSure &= ~mask;
        }
    }

    /// <summary>sighand->action[sig-1], by signal number (index 0 unused).</summary>
    public Dispositions Action;

    /// <summary>SA_NOCLDWAIT on SIGCHLD.</summary>
    public Tri NoCldWait;

    /// <summary>SIGCHLDs the process was seen to take (signal_deliver).</summary>
    public int SigchldTaken;

    /// <summary>
    /// The parent's SIGCHLD was pending, as far as the model knows, when this death's notice was
    /// sent at its exit event (where the model runs exit_notify): the next SIGCHLD the parent takes
    /// may be that earlier one (the notice, sent a little after sched_process_exit, may come after
    /// it), so only a later one shows that this notice came.
    /// </summary>
    public bool NoticeBehindPending;

    /// <summary>The parent's <see cref="SigchldTaken"/> when this death's notice was sent.</summary>
    public int NoticeEpoch;

    /// <summary>
    /// The leader was put on its parent's children list when a recorded SIGCHLD named that parent,
    /// not at its fork (first seen after it): where it stands among its siblings, which decides
    /// which of several zombies a wait reaps first, is not known.
    /// </summary>
    public bool PlaceUnknown;

    /// <summary>Every thread has exited; the leader waits to be reaped (or is being autoreaped).</summary>
    public bool Dead;

    /// <summary>
    /// The capture traces none of its calls (TaskSnapshot.Untraced: a snapshot process of a
    /// capture that follows a command's descendants): it may have exited, and its numbers been
    /// taken again, unseen, so a call that names it, or signals it with others, is not predicted.
    /// </summary>
    public bool Untraced;

    /// <summary>
    /// A wait of the process's for any child (no __WCLONE, __WALL or __WNOTHREAD) was answered
    /// ECHILD: it had no such child then, so every one it has since was born in the trace.
    /// </summary>
    public bool NoUnseenChildren;

    /// <summary>Whether the parent reaped it at once (SIG_IGN or SA_NOCLDWAIT) is not known: a wait on it cannot be predicted.</summary>
    public bool AutoreapUnknown;

    /// <summary>The parent was told of the death (do_notify_parent ran), with this result (-1: not known; 255: no signal).</summary>
    public bool Notified;
    public int NotifyResult;

    /// <summary>A dying init whose parent ignores SIGCHLD: released once its namespace is empty, not at its exit.</summary>
    public bool AutoreapWhenEmpty;

    /// <summary>
    /// The parent is known to have been told by now: its SIGCHLD was recorded in order, or the
    /// parent took a SIGCHLD only this death can explain, or the exit stands at its notice
    /// (Exit.AtNotice). Otherwise an exit's own event comes at sched_process_exit, before
    /// exit_notify makes the zombie.
    /// </summary>
    public bool NotifySeen;

    /// <summary>Some task's ptrace stop notices came to this process: its waits report its tracees too.</summary>
    public bool IsTracer;

    /// <summary>Dead, the parent told, and not yet seen to hear of it: counted in the parent's TaskStruct.UnseenChildren.</summary>
    public bool UnseenNotice => Dead && Notified && !NotifySeen;

    /// <summary>Every thread has exited.</summary>
    public void MarkDead()
    {
        bool was = UnseenNotice;
        Dead = true;
        TellParent(was);
    }

    /// <summary>do_notify_parent ran.</summary>
    public void MarkNotified()
    {
        bool was = UnseenNotice;
        Notified = true;
        TellParent(was);
    }

    /// <summary>The parent is known to have been told.</summary>
    public void MarkNotifySeen()
    {
        bool was = UnseenNotice;
        NotifySeen = true;
        TellParent(was);
    }

    /// <summary>The leader's parent, while the leader is on its children list, counts it when its notice is unseen.</summary>
    private void TellParent(bool was)
    {
        bool now = UnseenNotice;
        if (now == was || !Leader.OnParentsList) return;
        var parent = Leader.Parent!;
        parent.UnseenChildren += now ? 1 : -1;
        if (now) parent.LastUnseen = this;
    }

    /// <summary>A process that predates the capture: nothing of its signal state is known.</summary>
    public void MarkAllUnknown()
    {
        ((Span<Disposition>)Action).Fill(Disposition.Unknown);
        IsChildSubreaper = HasChildSubreaper = SessionLeader = NoCldWait = Tri.Unknown;
    }

    public void Clear()
    {
        Leader = null!;
        FirstThread = LastThread = null;
        GroupExit = Unkillable = Dead = AutoreapUnknown = Notified = AutoreapWhenEmpty = IsTracer = NotifySeen = false;
        NotifyResult = 0;
        IsChildSubreaper = HasChildSubreaper = SessionLeader = NoCldWait = Tri.Unknown;
        SharedPending = SharedSure = 0;
        DequeuesSeen = TimedWaited = JobControlSeen = SeenNoticePending = MaybeDying = MaybeGroupExit = FatalTaken = false;
        SigchldTaken = NoticeEpoch = 0;
        NoticeBehindPending = PlaceUnknown = Untraced = NoUnseenChildren = false;
        Action = default;
    }
}

/// <summary>
/// A task's number at each level. The first levels are held in the task itself (a task of the
/// host or of a container needs one or two); deeper ones, which few tasks have, in an array made
/// when one is first set. An unset level reads 0.
/// </summary>
internal struct LevelNumbers
{
    /// <summary>Levels held in the task itself.</summary>
    private const int Inline = 4;

    [System.Runtime.CompilerServices.InlineArray(Inline)]
    private struct Low
    {
        private int _level0;
    }

    private Low _low;
    private int[]? _high;

    public int this[int level]
    {
        readonly get => level < Inline ? _low[level] : _high is null ? 0 : _high[level - Inline];
        set
        {
            if (level < Inline) _low[level] = value;
            else (_high ??= new int[NestedPidModel.MaxLevel + 1 - Inline])[level - Inline] = value;
        }
    }
}

/// <summary>A process's action for each signal (index 0 unused), held in its signal struct.</summary>
[System.Runtime.CompilerServices.InlineArray(Sig.NSIG + 1)]
internal struct Dispositions
{
    private Disposition _signal0;
}
