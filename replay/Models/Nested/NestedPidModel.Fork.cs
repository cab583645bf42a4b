using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>Creating tasks: copy_process and alloc_pid (kernel/fork.c, kernel/pid.c), exec.</summary>
public sealed partial class NestedPidModel
{
    private void ApplyFork(Fork f, Outcome o)
    {
        if (f.Child == f.Tid)
        {
            Unknown(o, "the capture names the parent as its own child");
            return;
        }
        var cur = Current(f, o);
        if (cur is null)
        {
            if (f.Child > 0) AdoptUnplaced(f.Child);
            return;
        }
        int err = CopyProcess(cur, f, out var ns, out bool newNs, out bool numberKnown);
        int level = cur.Ns.Level;
        // A write to ns_last_pid the capture's probe lost may have moved a namespace's cursor.
        bool judged = numberKnown && !(_lastPidUnseen && level > 0);
        // A signal that kills the caller's process came while it forked (the reader places a
        // fork after such a signal only then): copy_process fails where it meets it (ENOMEM from
        // an allocation that gives up, EINTR at its last check under the siglock) or has passed
        // that check and succeeds; no line says which.
        if (cur.Signal!.GroupExit || cur.Signal.MaybeDying) Unknown(o, "a signal that kills the caller's process came while it forked: the call fails or not as that signal met it");
        else if (err != 0) o.Return(-err);
        else if (judged) o.Return(_newNr[level], f.Child);
        else if (numberKnown) Unknown(o, "the child's number in the parent's namespace depends on a cursor a write to ns_last_pid may have moved: the capture's probe lost records");
        else Unknown(o, "the child's number in the parent's namespace depends on a cursor the capture did not show");

        // Follow the trace: the child exists when sched_process_fork says so.
        if (f.Child <= 0) return;
        if ((f.Flags & CloneFlags.Vfork) != 0 && !cur.MaskKnown) cur.MayBlockAll = true;
        if (err != 0)
        {
            o.Note ??= "the kernel created a child where this model fails the call";
            AdoptChildUnplaced(cur, f);
            return;
        }
        if (f.Ret is long ret && ret > 0 && level > 0 && _newNr[level] != ret)
        {
            if (judged) o.Note = "the child's number differs from the recorded one; the recorded one is adopted";
            _newNr[level] = (int)ret;
            _cyclic[level] = true;
        }
        if (newNs) ns = CreatePidNamespace(cur.Ns);
        if (ns is null)
        {
            // The parent's namespace for children is not known (setns to a namespace the capture did not name).
            if (!ForkAfterUnnamedSetns(cur, f)) AdoptChildUnplaced(cur, f);
            return;
        }
        WakeUpNewTask(cur, f, ns);
    }

    /// <summary>
    /// copy_process's pid rules, in its order: CLONE_PARENT from an init, CLONE_THREAD across
    /// namespaces, copy_pid_ns (a second CLONE_NEWPID after unshare/setns, the depth limit), then
    /// alloc_pid. Returns the errno (0 on success); the numbers are left in _newNr.
    /// </summary>
    private int CopyProcess(TaskStruct cur, Fork f, out PidNamespace? ns, out bool newNs, out bool numberKnown)
    {
        ns = null;
        newNs = false;
        numberKnown = false;
        var s = cur.Signal!;
        if ((f.Flags & CloneFlags.Parent) != 0 && s.Unkillable) return EINVAL;
        // copy_process refuses a thread whose pid namespace would not be its caller's own (EINVAL
        // below): a thread the kernel made shows that the caller's namespace for children, which
        // the snapshot could not read (its ns/pid_for_children link empty), is its own.
        if (cur.NsForChildren is null && f.IsThread && !f.NewPidNs && f.Child > 0) cur.NsForChildren = cur.Ns;
        if (cur.NsForChildren is null)
        {
            // Children go somewhere the capture did not name; a host parent still sees the global tid.
            _newNr[0] = f.Child;
            numberKnown = cur.Ns.Level == 0 && !f.NewPidNs;
            return 0;
        }
        if (f.IsThread && (f.NewPidNs || cur.NsForChildren != cur.Ns)) return EINVAL;
        int level;
        if (f.NewPidNs)
        {
            if (cur.NsForChildren != cur.Ns) return EINVAL;
            level = cur.Ns.Level + 1;
            if (level > MaxLevel) return ENOSPC;
            newNs = true;
        }
        else
        {
            ns = cur.NsForChildren;
            level = ns.Level;
        }
        int err = AllocPid(ns, level, cur.Ns, f, out numberKnown);
        return err;
    }

    /// <summary>
    /// alloc_pid: one number per level, innermost first; set_tid (innermost first) asks for exact
    /// numbers, else idr_alloc_cyclic from each level's cursor. Level 0 is the global tid the trace
    /// gives. A namespace whose init has died takes no task (ENOMEM, after the numbers were taken:
    /// the cursors have moved).
    /// </summary>
    private int AllocPid(PidNamespace? ns, int level, PidNamespace parentNs, Fork f, out bool numberKnown)
    {
        numberKnown = false;
        var setTid = f.SetTid;
        int setTidSize = setTid?.Length ?? 0;
        if (setTidSize > level + 1) return EINVAL;
        bool parentKnown = true;
        for (int i = level; i >= 0; i--)
        {
            // The new namespace of CLONE_NEWPID does not exist yet: it is empty, its cursor at 0.
            var tmp = ns is null ? (i == level ? null : parentNs.AncestorAt(i)) : ns.AncestorAt(i);
            int pidMax = tmp?.PidMax ?? parentNs.PidMax;
            _cyclic[i] = false;
            int idx = level - i;
            if (idx < setTidSize)
            {
                int tid = setTid![idx];
                if (tid < 1 || tid >= pidMax) return EINVAL;
                if (tid != 1 && tmp?.ChildReaper is null) return EINVAL;
                if (i == 0)
                {
                    _newNr[0] = f.Child > 0 ? f.Child : tid;
                    if (f.Child <= 0 && _host.Idr.TryGetValue(tid, out var h) && h.Hashed) return EEXIST;
                    continue;
                }
                if (tmp is not null)
                {
                    var r = FindPidNs(tid, tmp, out _);
                    if (r == Lookup.Found) return EEXIST;
                    if (r == Lookup.Unknown && i == parentNs.Level) parentKnown = false;
                }
                _newNr[i] = tid;
                continue;
            }
            if (i == 0)
            {
                _newNr[0] = f.Child;
                continue;
            }
            if (tmp is null)
            {
                _newNr[i] = 1;
                _cyclic[i] = true;
                continue;
            }
            if (tmp.Cursor == PidNamespace.UnknownCursor || !tmp.Complete)
            {
                _newNr[i] = TaskStruct.UnknownNr;
                if (i == parentNs.Level) parentKnown = false;
                continue;
            }
            int nr = IdrAllocCyclic(tmp);
            if (nr == 0) return EAGAIN;
            _newNr[i] = nr;
            _cyclic[i] = true;
        }
        if (ns is not null && !ns.Adding)
        {
            for (int i = level; i > 0; i--)
                if (_cyclic[i]) ns.AncestorAt(i).Cursor = _newNr[i] + 1;
            return ENOMEM;
        }
        numberKnown = parentKnown && (parentNs.Level == 0 || _newNr[parentNs.Level] > 0);
        return 0;
    }

    /// <summary>The child as copy_process leaves it, with the numbers alloc_pid chose (or the trace corrected).</summary>
    private void WakeUpNewTask(TaskStruct cur, Fork f, PidNamespace ns)
    {
        var child = FreshRecord(f.Child);
        for (int i = 1; i <= ns.Level; i++)
        {
            child.Nr[i] = _newNr[i];
            if (_newNr[i] > 0 && _cyclic[i]) ns.AncestorAt(i).Cursor = _newNr[i] + 1;
        }
        AttachPid(child, ns);
        CopyTaskState(cur, f, child);
        BecomeInitIfFirst(child);
    }

    /// <summary>attach_pid for a new task: its numbers (already in Nr) become findable in every namespace of its chain.</summary>
    private void AttachPid(TaskStruct child, PidNamespace ns)
    {
        child.Ns = ns;
        child.Placed = true;
        PlacedNow(child);
        HashNumbers(child);
        child.Hashed = true;
        child.NsForChildren = ns;
        Count(child, +1);
    }

    /// <summary>is_child_reaper: the first pid of a namespace is its init, unkillable from inside.</summary>
    private static void BecomeInitIfFirst(TaskStruct child)
    {
        var ns = child.Ns;
        if (ns.Level == 0 || child.Nr[ns.Level] != 1 || !child.IsLeader) return;
        ns.ChildReaper = child;
        child.Signal!.Unkillable = true;
    }

    /// <summary>What copy_process gives the child besides its pid: thread group or a new process, parent, dispositions, group and session.</summary>
    private void CopyTaskState(TaskStruct cur, Fork f, TaskStruct child)
    {
        child.Hashed = true;
        child.ForkNoExec = Tri.Yes;
        child.Born = true;
        child.Traced = IsTraced(cur) == Tri.No ? Tri.No : Tri.Unknown;
        child.TracerTid = child.Traced == Tri.No ? 0 : cur.TracerTid;
        child.Cred = cur.Cred.ForChild(f.Flags);
        child.Blocked = cur.Blocked;
        child.MaskKnown = cur.MaskKnown;
        var cs = cur.Signal!;
        bool siblingOfCurrent = (f.Flags & (CloneFlags.Parent | CloneFlags.Thread)) != 0;
        var parent = siblingOfCurrent ? cur.Parent : cur;
        if (f.IsThread)
        {
            child.ExitSignal = -1;
            AddThread(cs, child);
            child.Parent = parent;
            return;
        }
        var s = NewSignal(child);
        s.Action = cs.Action;
        // The fd table is copied (a signalfd in it too), or with CLONE_FILES shared, and then
        // what either process opens the other holds: neither can be followed from then on.
        bool sharesFiles = (f.Flags & CloneFlags.Files) != 0;
        s.DequeuesSeen = cs.DequeuesSeen && !sharesFiles;
        if (sharesFiles && cs.DequeuesSeen)
        {
            cs.DequeuesSeen = false;
            cs.DropSure();
        }
        s.NoCldWait = cs.NoCldWait;
        s.HasChildSubreaper = Or(cs.HasChildSubreaper, cs.IsChildSubreaper);
        s.IsChildSubreaper = Tri.No;
        s.SessionLeader = Tri.No;
        AddThread(s, child);
        child.ExitSignal = (f.Flags & CloneFlags.Parent) != 0 ? Leader(cur).ExitSignal : ExitSignalOf(f);
        AddProcess(child);
        if (parent is not null) AddChild(parent, child);
        var lead = Leader(cur);
        if (lead.Pgrp is not null) AttachPgrp(child, lead.Pgrp);
        if (lead.Session is not null) AttachSession(child, lead.Session);
    }

    /// <summary>A child the model cannot place (it would have failed the call): known by its global tid only.</summary>
    private void AdoptChildUnplaced(TaskStruct cur, Fork f)
    {
        var child = AdoptUnplaced(f.Child);
        child.Cred = cur.Cred.ForChild(f.Flags);
        child.Blocked = cur.Blocked;
        child.MaskKnown = cur.MaskKnown;
        if (f.IsThread || child.Signal!.Leader != child) return;
        RemoveChild(child);
        AddChild(cur, child);
    }

    /// <summary>
    /// The exit signal: SIGCHLD for fork and vfork, clone's CSIGNAL byte, clone3's when the capture
    /// kept it; not known when the call's entry is not in the trace (its flags are then
    /// task_newtask's, without the exit signal).
    /// </summary>
    private static int ExitSignalOf(Fork f)
    {
        int low = (int)(f.Flags & 0xff);
        if (f.EnterLost) return low != 0 ? low : TaskStruct.UnknownExitSignal;
        return f.Call switch
        {
            ForkCall.Fork or ForkCall.VFork => Sig.SIGCHLD,
            ForkCall.Clone => low,
            _ => low != 0 ? low : TaskStruct.UnknownExitSignal,
        };
    }

    private static Tri Or(Tri a, Tri b) =>
        a == Tri.Yes || b == Tri.Yes ? Tri.Yes : a == Tri.Unknown || b == Tri.Unknown ? Tri.Unknown : Tri.No;

    /// <summary>
    /// execve: de_thread makes the caller the only thread (taking the leader's pid when a
    /// non-leader exec'd), handlers go back to SIG_DFL while SIG_IGN stays, sa_flags are cleared,
    /// and the parent can no longer setpgid the task (PF_FORKNOEXEC cleared).
    /// </summary>
    private void ApplyExec(Exec e, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (e.Ret is < 0) return;
        if (!_host.Idr.TryGetValue(e.Tid, out var cur) || !cur.Hashed || cur.Signal?.Leader is null)
        {
            AdoptUnplaced(e.Tid);
            return;
        }
        var s = cur.Signal;
        var leader = s.Leader;
        // A non-leader thread that exec'd: it goes on under the leader's pid, with its own credentials.
        TaskStruct? old = e.OldTid != 0 && e.OldTid != e.Tid && _host.Idr.TryGetValue(e.OldTid, out var thread) && thread.Hashed && thread.Signal == s
            ? thread : null;
        if (old is not null)
        {
            leader.Cred = old.Cred;
            leader.Blocked = old.Blocked;
            leader.MaskKnown = old.MaskKnown;
            // The thread goes on with its own private queue, and the leader's dies with it.
            leader.Pending |= old.Pending;
        }
        // flush_itimer_signals takes a POSIX timer's queued signals off at exec: nothing stays sure.
        s.DropSure();
        leader.Cred.Exec(e.File, e.FileUid);
        for (var t = s.FirstThread; t is not null;)
        {
            var next = t.NextThread;
            if (t != leader && t.Tid != e.OldTid) KillThreadQuietly(t, leader);
            t = next;
        }
        if (old is not null)
        {
            KillThreadQuietly(old, leader);
            leader.Exited = false;
        }
        Sig.FlushHandlers(((Span<Disposition>)s.Action).Slice(1, Sig.NSIG));
        s.NoCldWait = Tri.No;
        Leader(cur).ForkNoExec = Tri.No;
    }

    /// <summary>A sibling thread that de_thread killed: its children go to the surviving thread.</summary>
    private void KillThreadQuietly(TaskStruct t, TaskStruct heir)
    {
        for (var c = t.FirstChild; c is not null;)
        {
            var next = c.NextSibling;
            RemoveChild(c);
            AddChild(heir, c);
            c = next;
        }
        t.Exited = true;
        ReleaseQuiet(t);
    }
}
