namespace Replayer.Replay.Models.Vpid;

/// <summary>How far a task has gone toward release_task.</summary>
internal enum TaskState : byte
{
    Running,
    /// <summary>A group leader whose own thread exited while other threads of its process live on.</summary>
    LeaderGone,
    /// <summary>The whole process exited; it waits for its parent to reap it.</summary>
    Zombie,
}

/// <summary>
/// One task as the patch sees it: a global pid used for all kernel linkage, and one virtual number
/// per id type (struct pid's vnr, seed 001 diff-vpids-virt) that a task inside a VPS sees. Process
/// wide state (group, session, dispositions, the group list) lives on the group leader, like
/// signal_struct. Objects are pooled by the model so that forks allocate nothing once warm.
/// </summary>
internal sealed class VpidTask
{
    /// <summary>The identity: the global tid the trace knows the task by.</summary>
    public int Tid;
    /// <summary>The global pid this design gives the task (the trace's tid when the design could have allocated it).</summary>
    public int Pid;
    /// <summary>The number the trace's kernel showed for the task at its VPS's level (or its global tid on the host): fork's return to a parent there, its own getpid, NSpid; 0 until shown.</summary>
    public int TraceNr;
    /// <summary>pids[PIDTYPE_PID].vnr: what the task is called inside a VPS (equal to Pid on the host).</summary>
    public int VPid
    {
        get => _vpid;
        set { _vpid = value; Processes?.Refresh(this); }
    }
    /// <summary>pids[PIDTYPE_TGID].vnr.</summary>
    public int VTgid;
    /// <summary>pids[PIDTYPE_PGID].vnr: per task, set from the parent at fork, by setsid only on the group leader.</summary>
    public int VPgid;
    /// <summary>pids[PIDTYPE_SID].vnr.</summary>
    public int VSid;
    /// <summary>The VPS the task belongs to; null for the host (the patch's super_vps_info, id 0).</summary>
    public Vps? Vps;
    /// <summary>The thread group leader; this task itself for a leader.</summary>
    public VpidTask Leader = null!;
    /// <summary>Next thread of the same process, leader first; null at the end.</summary>
    public VpidTask? NextThread;
    /// <summary>On the leader: threads of the process not yet exited.</summary>
    public int LiveThreads;
    /// <summary>real_parent; null when the parent is the host init outside the model, or unknown.</summary>
    public VpidTask? Parent;
    /// <summary>Children list of this thread (real_parent->children), oldest first.</summary>
    public VpidTask? FirstChild, LastChild, PrevSibling, NextSibling;
    /// <summary>On the leader: the global process group (signal->pgrp).</summary>
    public int Pgrp;
    /// <summary>On the leader: the global session (signal->session).</summary>
    public int Session;
    /// <summary>On a leader: neighbours in its process group's list, in attach order.</summary>
    public VpidTask? PrevInGroup, NextInGroup;
    /// <summary>On a leader on the host's process list: that list, which keeps a copy of what kill(-1) reads (<see cref="Signals"/>, Tid, VPid); null otherwise.</summary>
    public ProcessList? Processes;
    /// <summary>On a leader: its slot in <see cref="Processes"/>; -1 when it is not on it.</summary>
    public int ProcessSlot = -1;
    /// <summary>Reached by the host walk (for_each_process, then each process's threads): a released task, or a thread whose process was released before it, is not.</summary>
    public bool Listed;
    /// <summary>Position in the host walk: the creation number of the process it is walked under, then its own.</summary>
    public long ProcessSeq, Seq;
    /// <summary>Neighbours among its VPS's tasks on the host walk, in walk order (so a VPS's own walks skip the rest of the host).</summary>
    public VpidTask? PrevMember, NextMember;
    public TaskState State
    {
        get => _state;
        set { _state = value; Processes?.Refresh(this); }
    }
    /// <summary>On the leader: signals whose action is SIG_IGN.</summary>
    public ulong Ignored
    {
        get => _ignored;
        set { _ignored = value; Processes?.Refresh(this); }
    }
    /// <summary>On the leader: signals with a handler (bit n = signal n).</summary>
    public ulong Caught
    {
        get => _caught;
        set { _caught = value; Processes?.Refresh(this); }
    }
    /// <summary>On the leader: signals whose disposition changed in a way the capture did not show.</summary>
    public ulong UnknownDisposition
    {
        get => _unknownDisposition;
        set { _unknownDisposition = value; Processes?.Refresh(this); }
    }
    /// <summary>On the leader: SA_NOCLDWAIT set for SIGCHLD.</summary>
    public bool NoCldWait;
    /// <summary>After unshare(CLONE_NEWPID) from the host: the next child founds a VPS.</summary>
    public bool ChildrenFoundVps;
    /// <summary>After setns or unshare: the VPS this task's children are born into.</summary>
    public Vps? ChildrenVps;
    /// <summary>On the leader: the process has exec'd since its fork (p->did_exec): its parent can no longer setpgid it.</summary>
    public bool DidExec;
    /// <summary>Lives in a pid namespace nested inside its VPS (no representation here: a member of the outer VPS); the trace's numbers for it are not the VPS's.</summary>
    public bool NestedNs;
    /// <summary>Forked by a task of such a nested namespace: the number fork returned to that parent there (what its wait4 passes); 0 otherwise.</summary>
    public int NestedNr;
    /// <summary>On a zombie leader: the thread whose exit sent the notice the model keeps for it (VpidModel._notices' key); 0 when none.</summary>
    public int Notifier;
    /// <summary>After unshare(CLONE_NEWPID) inside a VPS: its children are born in such a nested namespace.</summary>
    public bool ChildrenNested;
    /// <summary>After a setns the capture could not name: this task's children are born where it entered, not yet known.</summary>
    public bool EnteredUnnamed;
    /// <summary>Born after its parent's unnamed setns: kept on the host until its own getpid says otherwise.</summary>
    public bool Unplaced;
    /// <summary>The task was first seen mid-trace, without a snapshot: its history is unknown.</summary>
    public bool Adopted;

    // Behind the properties that write through to the process list's copy.
    private int _vpid;
    private TaskState _state;
    private ulong _ignored, _caught, _unknownDisposition;

    public bool IsLeader => ReferenceEquals(Leader, this);

    /// <summary>What a signal's result depends on, of this task's process when it is the leader.</summary>
    public SignalView Signals => new(_state, _ignored, _caught, _unknownDisposition);

    /// <summary>The credentials a kill's permission check reads (copied at fork, changed by exec and the setuid family).</summary>
    public Creds Cred = Creds.Root;
    /// <summary>
    /// This thread's blocked signals (bit sig-1 for signal sig, as the capture gives them), when
    /// <see cref="MaskKnown"/>; otherwise those the snapshot read blocked, which it may block still. Copied at fork.
    /// </summary>
    public ulong Blocked;
    /// <summary>The capture follows masks and gave this thread's: a blocked signal is never ignored.</summary>
    public bool MaskKnown;
    /// <summary>On a leader: the process began its group exit before the Exit the trace places later (an Exiting event): signals to it are dropped.</summary>
    public bool GroupExiting;

    public void Clear()
    {
        Cred = Creds.Root;
        Processes = null;
        ProcessSlot = -1;
        Tid = Pid = TraceNr = NestedNr = Notifier = VPid = VTgid = VPgid = VSid = 0;
        Vps = null;
        Leader = this;
        NextThread = null;
        LiveThreads = 0;
        Parent = FirstChild = LastChild = PrevSibling = NextSibling = null;
        Pgrp = Session = 0;
        PrevInGroup = NextInGroup = null;
        Listed = false;
        ProcessSeq = Seq = 0;
        PrevMember = NextMember = null;
        State = TaskState.Running;
        Ignored = Caught = UnknownDisposition = 0;
        NoCldWait = false;
        ChildrenFoundVps = false;
        ChildrenVps = null;
        Adopted = false;
        DidExec = false;
        EnteredUnnamed = Unplaced = NestedNs = ChildrenNested = false;
        Blocked = 0;
        MaskKnown = GroupExiting = false;
    }
}
