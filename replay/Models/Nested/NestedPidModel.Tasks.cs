using System.Diagnostics;

namespace Replayer.Replay.Models.Nested;

/// <summary>The task lists: children, threads, processes, process groups and sessions (kernel/fork.c, kernel/exit.c).</summary>
public sealed partial class NestedPidModel
{
    private static void AddChild(TaskStruct parent, TaskStruct child)
    {
        if (child.Parent is not null) RemoveChild(child);
        if (parent == child) return;
        child.Parent = parent;
        child.ParentThreadUnknown = false;
        if (!child.IsLeader) return;
        child.PrevSibling = parent.LastChild;
        child.NextSibling = null;
        if (parent.LastChild is null) parent.FirstChild = child;
        else parent.LastChild.NextSibling = child;
        parent.LastChild = child;
        if (!child.Signal!.UnseenNotice) return;
        parent.UnseenChildren++;
        parent.LastUnseen = child.Signal;
    }

    private static void RemoveChild(TaskStruct child)
    {
        var parent = child.Parent;
        if (parent is null) return;
        if (child.PrevSibling is null && parent.FirstChild != child)
        {
            // Not on the list (a thread, whose real_parent is not linked): nothing to unlink.
            child.Parent = null;
            child.NextSibling = null;
            return;
        }
        if (child.Signal is { UnseenNotice: true }) parent.UnseenChildren--;
        if (child.PrevSibling is null) parent.FirstChild = child.NextSibling;
        else child.PrevSibling.NextSibling = child.NextSibling;
        if (child.NextSibling is null) parent.LastChild = child.PrevSibling;
        else child.NextSibling.PrevSibling = child.PrevSibling;
        child.NextSibling = child.PrevSibling = null;
        child.Parent = null;
    }

    /// <summary>
    /// Puts a thread at the end of its group's thread list (copy_process: list_add_tail), or at its
    /// head with <paramref name="first"/>: a group's leader is always first there (the list
    /// starts with it, and de_thread puts an exec'ing thread in its place), which is where
    /// find_alive_thread looks first for the heir of a dying thread's children.
    /// </summary>
    private static void AddThread(SignalStruct s, TaskStruct t, bool first = false)
    {
        if (t.Signal is not null) RemoveThread(t);
        t.Signal = s;
        if (first && s.FirstThread is { } head)
        {
            t.PrevThread = null;
            t.NextThread = head;
            head.PrevThread = t;
            s.FirstThread = t;
            return;
        }
        t.PrevThread = s.LastThread;
        t.NextThread = null;
        if (s.LastThread is null) s.FirstThread = t;
        else s.LastThread.NextThread = t;
        s.LastThread = t;
    }

    private static void RemoveThread(TaskStruct t)
    {
        var s = t.Signal!;
        if (t.PrevThread is null && s.FirstThread != t) return;
        if (t.PrevThread is null) s.FirstThread = t.NextThread;
        else t.PrevThread.NextThread = t.NextThread;
        if (t.NextThread is null) s.LastThread = t.PrevThread;
        else t.NextThread.PrevThread = t.PrevThread;
        t.NextThread = t.PrevThread = null;
    }

    private void AddProcess(TaskStruct leader)
    {
        RemoveProcess(leader);
        leader.PrevProcess = _lastProcess;
        leader.NextProcess = null;
        if (_lastProcess is null) _firstProcess = leader;
        else _lastProcess.NextProcess = leader;
        _lastProcess = leader;
        leader.ProcessSeq = ++_processSeq;
        _processes++;
        ListInContainer(leader);
    }

    private void RemoveProcess(TaskStruct leader)
    {
        if (!OnTaskList(leader)) return;
        if (leader.PrevProcess is null) _firstProcess = leader.NextProcess;
        else leader.PrevProcess.NextProcess = leader.NextProcess;
        if (leader.NextProcess is null) _lastProcess = leader.PrevProcess;
        else leader.NextProcess.PrevProcess = leader.PrevProcess;
        leader.NextProcess = leader.PrevProcess = null;
        _processes--;
        UnlistFromContainer(leader);
    }

    private bool OnTaskList(TaskStruct t) => t.PrevProcess is not null || _firstProcess == t;

    /// <summary>
    /// A process on the task list is counted unplaced, or linked into its container's list where
    /// the task list has it; called again whenever it is placed, so that the two agree.
    /// </summary>
    private void ListInContainer(TaskStruct p)
    {
        UnlistFromContainer(p);
        if (!p.Placed)
        {
            p.ListedUnplaced = true;
            _unplacedProcesses++;
            return;
        }
        if (p.Ns.Level == 0) return;
        var container = p.Ns.AncestorAt(1);
        var after = container.LastProcess;
        while (after is not null && after.ProcessSeq > p.ProcessSeq) after = after.PrevInContainer;
        var before = after is null ? container.FirstProcess : after.NextInContainer;
        p.PrevInContainer = after;
        p.NextInContainer = before;
        if (after is null) container.FirstProcess = p;
        else after.NextInContainer = p;
        if (before is null) container.LastProcess = p;
        else before.PrevInContainer = p;
        p.ListedIn = container;
    }

    private void UnlistFromContainer(TaskStruct p)
    {
        if (p.ListedUnplaced)
        {
            p.ListedUnplaced = false;
            _unplacedProcesses--;
        }
        if (p.ListedIn is not { } container) return;
        if (p.PrevInContainer is null) container.FirstProcess = p.NextInContainer;
        else p.PrevInContainer.NextInContainer = p.NextInContainer;
        if (p.NextInContainer is null) container.LastProcess = p.PrevInContainer;
        else p.NextInContainer.PrevInContainer = p.PrevInContainer;
        p.NextInContainer = p.PrevInContainer = null;
        p.ListedIn = null;
    }

    /// <summary>A record was just placed (or placed again): a process on the task list moves to its container's list.</summary>
    private void PlacedNow(TaskStruct t)
    {
        if (OnTaskList(t)) ListInContainer(t);
    }

    /// <summary>attach_pid(PIDTYPE_PGID): hlist_add_head, so a group's newest member is signalled first.</summary>
    private void AttachPgrp(TaskStruct leader, TaskStruct pgrp)
    {
        if (leader.Pgrp is not null) DetachPgrp(leader);
        leader.Pgrp = pgrp;
        leader.PgrpPrev = null;
        leader.PgrpNext = pgrp.PgrpHead;
        if (pgrp.PgrpHead is not null) pgrp.PgrpHead.PgrpPrev = leader;
        pgrp.PgrpHead = leader;
    }

    private void DetachPgrp(TaskStruct leader)
    {
        var pgrp = leader.Pgrp;
        if (pgrp is null) return;
        if (leader.PgrpPrev is not null || pgrp.PgrpHead == leader)
        {
            if (leader.PgrpPrev is null) pgrp.PgrpHead = leader.PgrpNext;
            else leader.PgrpPrev.PgrpNext = leader.PgrpNext;
            if (leader.PgrpNext is not null) leader.PgrpNext.PgrpPrev = leader.PgrpPrev;
        }
        leader.PgrpNext = leader.PgrpPrev = null;
        leader.Pgrp = null;
        if (pgrp != leader) PutPid(pgrp);
    }

    private void AttachSession(TaskStruct leader, TaskStruct session)
    {
        if (leader.Session is not null) DetachSession(leader);
        leader.Session = session;
        session.SessionRefs++;
    }

    private void DetachSession(TaskStruct leader)
    {
        var session = leader.Session;
        if (session is null) return;
        leader.Session = null;
        session.SessionRefs--;
        if (session != leader) PutPid(session);
    }

    /// <summary>find_alive_thread: a thread of the process that has not exited, other than <paramref name="except"/>.</summary>
    private static TaskStruct? FindAliveThread(SignalStruct s, TaskStruct? except)
    {
        for (var t = s.FirstThread; t is not null; t = t.NextThread)
            if (!t.Exited && t != except) return t;
        return null;
    }

    /// <summary>
    /// release_task for one thread: its pid is unhashed; a leader also leaves the task list, its
    /// parent's children and its group and session. The pid itself lingers while a group or
    /// session still uses it.
    /// </summary>
    private void ReleaseTask(TaskStruct t, Outcome o)
    {
        if (!t.Hashed) return;
        t.Hashed = false;
        t.Exited = true;
        var s = t.Signal!;
        bool leader = s.Leader == t;
        RemoveThread(t);
        RemoveProcess(t);
        RemoveChild(t);
        DetachPgrp(t);
        DetachSession(t);
        if (t.Placed)
        {
            for (var ns = t.Ns; ns != null; ns = ns.Parent)
            {
                if (ns.ChildReaper == t) ns.ChildReaper = null;
                if (ns.DyingInit == t) ns.DyingInit = null;
            }
        }
        // Children not handed on (a task the trace removed without an exit): their parent is no longer known.
        for (var c = t.FirstChild; c is not null;)
        {
            var next = c.NextSibling;
            RemoveChild(c);
            c = next;
        }
        if (t.Placed) Count(t, -1);
        var ns0 = t.Ns;
        bool placed = t.Placed;
        Debug.Assert(!leader || s.FirstThread is null, "a leader is released only after its threads");
        PutPid(t);
        if (placed) NotifyDyingInits(ns0, o);
    }

    /// <summary>Counts a placed task in (or out of) every namespace it has a number in.</summary>
    private static void Count(TaskStruct t, int delta)
    {
        for (var ns = t.Ns; ns is not null; ns = ns.Parent) ns.Tasks += delta;
    }

    /// <summary>Removes a live task the trace contradicts (a tid reused without its exit being seen).</summary>
    private void Evict(TaskStruct t)
    {
        var s = t.Signal;
        if (s is not null && s.Leader == t)
        {
            for (var c = t.FirstChild; c is not null;)
            {
                var next = c.NextSibling;
                RemoveChild(c);
                c = next;
            }
            for (var th = s.FirstThread; th is not null;)
            {
                var next = th.NextThread;
                if (th != t) { th.Exited = true; ReleaseQuiet(th); }
                th = next;
            }
        }
        t.Exited = true;
        ReleaseQuiet(t);
    }

    private void ReleaseQuiet(TaskStruct t)
    {
        if (t.Signal is null)
        {
            PutPid(t);
            return;
        }
        var scratch = _quiet;
        scratch.Reset();
        ReleaseTask(t, scratch);
    }

    /// <summary>An outcome that absorbs the effects of corrections nobody asked about.</summary>
    private readonly Outcome _quiet = new();
}
