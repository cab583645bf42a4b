using Replayer.Ingest.Events;
namespace Replayer.Replay.Models.Nested;

/// <summary>Pids and namespaces: kernel/pid.c.</summary>
public sealed partial class NestedPidModel
{
    private PidNamespace NewNamespace(int level, PidNamespace? parent)
    {
        var ns = new PidNamespace(_namespaces.Count, level, parent, parent?.PidMax ?? _options.PidMax, _lookups, _idrArrays);
        _namespaces.Add(ns);
        if (level > 0) ListAdding(ns);
        return ns;
    }

    /// <summary>A namespace below the host that takes new tasks joins the end of the adding list (Ids only grow).</summary>
    private void ListAdding(PidNamespace ns) => _adding.Add(ns);

    /// <summary>disable_pid_allocation: the namespace takes no new task, and leaves the adding list.</summary>
    private void DisablePidAllocation(PidNamespace ns)
    {
        if (!ns.Adding) return;
        ns.Adding = false;
        if (ns.Level == 0) return;
        int at = _adding.BinarySearch(ns, ById.Instance);
        if (at >= 0) _adding.RemoveAt(at);
        TrimIfDead(ns);
    }

    /// <summary>A namespace that holds no number and takes no more is dead: its idr's array goes to the next namespace made.</summary>
    private static void TrimIfDead(PidNamespace ns)
    {
        if (!ns.Adding && ns.Idr.Count == 0) ns.Idr.Trim();
    }

    /// <summary>Namespaces in the order of their Ids (the adding list's order).</summary>
    private sealed class ById : IComparer<PidNamespace>
    {
        public static readonly ById Instance = new();

        public int Compare(PidNamespace? a, PidNamespace? b) => a!.Id.CompareTo(b!.Id);
    }

    /// <summary>create_pid_namespace for clone(CLONE_NEWPID) or unshare: empty, complete, cursor at 0.</summary>
    private PidNamespace CreatePidNamespace(PidNamespace parent)
    {
        var ns = NewNamespace(parent.Level + 1, parent);
        ns.Cursor = 0;
        ns.Complete = true;
        ns.MadeAfter = _processSeq;
        return ns;
    }

    /// <summary>pid_nr_ns: the pid's number in ns, 0 when the pid does not pass through ns, UnknownNr when not shown.</summary>
    private static int PidNrNs(TaskStruct pid, PidNamespace ns)
    {
        if (ns.Level == 0) return pid.Tid;
        if (!pid.Placed) return KnownBeforeMade(pid, ns) ? 0 : TaskStruct.UnknownNr;
        if (ns.Level > pid.Ns.Level || pid.Ns.AncestorAt(ns.Level) != ns) return 0;
        return pid.Nr[ns.Level];
    }

    /// <summary>
    /// The task's process was on the task list before the namespace was made (<see cref="PidNamespace.MadeAfter"/>):
    /// wherever it lives, it has no number there. A busy capture's namespace inits, made while
    /// tracing ran, sent kill(-1) after tasks had been adopted whose namespaces were not known
    /// (made in the window before tracing_on and gone by the second read): every such kill was
    /// not known, though none of those tasks could be in a namespace made after them.
    /// </summary>
    private static bool KnownBeforeMade(TaskStruct pid, PidNamespace ns)
    {
        long seq = pid.Signal?.Leader is { } leader ? leader.ProcessSeq : 0;
        return seq > 0 && ns.MadeAfter >= seq;
    }

    /// <summary>find_pid_ns: the pid holding nr in ns; None only when every number of ns is known. Its cost in the kernel's structures is counted.</summary>
    private Lookup FindPidNs(int nr, PidNamespace ns, out TaskStruct? pid)
    {
        if (nr > 0) _lookupProbes += _lookups.Probes(nr, ns);
        if (nr > 0 && ns.Idr.TryGetValue(nr, out pid)) return Lookup.Found;
        pid = null;
        return ns.Complete && !ns.MayHoldUnseen || nr <= 0 ? Lookup.None : Lookup.Unknown;
    }

    /// <summary>
    /// find_task_by_vpid: a task (alive or zombie) by its number in the caller's namespace; not
    /// known when the task is of a process the capture does not trace (it may be gone, and the
    /// number another's), but for the global init, which outlives everything.
    /// </summary>
    private Lookup FindTaskByVpid(int nr, TaskStruct current, out TaskStruct? task, Outcome o)
    {
        var r = FindPidNs(nr, current.Ns, out task);
        if (r == Lookup.Found && !task!.Hashed)
        {
            task = null;
            return Lookup.None;
        }
        if (r == Lookup.Found && task!.Signal is { Untraced: true } s && s != current.Signal && !(s.Leader.Tid == 1 && s.Leader.Ns == _host))
        {
            task = null;
            o.Note ??= "the call names a process the capture does not trace, or whose number may have been another's when tracing began: it may have exited, and its number been taken again, unseen";
            return Lookup.Unknown;
        }
        // A dead process that may have been reaped at its exit: its parent's SA_NOCLDWAIT is not
        // known (a test suite's capture: a sleep orphaned to a VM's init, which made no call while
        // traced and keeps SIGCHLD at SIG_DFL; a loop's `kill -0` to the sleep got ESRCH once it
        // died, and the model, which held the zombie, said 0).
        if (r == Lookup.Found && task!.Signal is { Dead: true, AutoreapUnknown: true } z && z != current.Signal)
        {
            task = null;
            o.Note ??= "the call names a dead process that may have been reaped at its exit (whether its parent set SA_NOCLDWAIT is not known)";
            return Lookup.Unknown;
        }
        return r;
    }

    /// <summary>
    /// idr_alloc_cyclic as alloc_pid calls it: the first free number from the cursor below pid_max,
    /// wrapping to RESERVED_PIDS once the cursor has passed it ("init really needs pid 1, but after
    /// reaching the maximum wrap back to RESERVED_PIDS"); 0 when the space is full (EAGAIN).
    /// </summary>
    private static int IdrAllocCyclic(PidNamespace ns)
    {
        int min = ns.Cursor > ReservedPids ? ReservedPids : 1;
        return ns.Idr.FirstFree(Math.Max(ns.Cursor, min), min, ns.PidMax);
    }

    /// <summary>
    /// A write to /proc/sys/kernel/ns_last_pid (pid_ns_ctl_handler, kernel/pid_namespace.c): the
    /// writer's own namespace (task_active_pid_ns, not the one its children go to after a setns or
    /// an unshare) looks for its next number from the value plus one. The capture read the value
    /// from the kernel after the write, so it holds whether the write was taken or refused.
    /// </summary>
    private void ApplyLastPid(LastPid l, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        // From a capture whose probe lost records: any write may be missing (a busy capture whose
        // bpftrace lost 10,095 records: a namespace init's writes before its forks were among
        // them, and the model, going on from the cursor, gave three forks other numbers).
        if (l.Lossy) _lastPidUnseen = true;
        if (!_host.Idr.TryGetValue(l.Tid, out var t) || !t.Hashed || !t.Placed) return;
        var ns = t.Ns;
        if (l.Value >= ns.PidMax) return;
        // The idr's remembered search is keyed by its start, which this moves: nothing to forget.
        ns.Cursor = l.Value + 1;
    }

    /// <summary>Makes a record's numbers findable (idr_replace at every level where the number is known).</summary>
    private void HashNumbers(TaskStruct t)
    {
        _host.Idr[t.Tid] = t;
        if (!t.Placed) return;
        for (var ns = t.Ns; ns.Level > 0; ns = ns.Parent!)
            if (t.Nr[ns.Level] > 0) ns.Idr[t.Nr[ns.Level]] = t;
    }

    /// <summary>free_pid: the numbers go back to every level's idr, the record to the pool.</summary>
    private void FreePid(TaskStruct t)
    {
        ForgetSetnsChild(t);
        if (_host.Idr.TryGetValue(t.Tid, out var cur) && cur == t) _host.Idr.Remove(t.Tid);
        if (t.Placed)
        {
            for (var ns = t.Ns; ns.Level > 0; ns = ns.Parent!)
            {
                int nr = t.Nr[ns.Level];
                if (nr <= 0 || !ns.Idr.TryGetValue(nr, out var held) || held != t) continue;
                ns.Idr.Remove(nr);
                TrimIfDead(ns);
            }
        }
        RemoveProcess(t);
        if (t.Signal is { } s && s.Leader == t && s.FirstThread is null)
        {
            s.Clear();
            _freeSignals.Push(s);
        }
        t.Clear();
        _freeTasks.Push(t);
    }

    /// <summary>Frees a pid nobody uses any more: no task, no process group, no session (nor a child or thread still naming its record).</summary>
    private void PutPid(TaskStruct pid)
    {
        if (!pid.Hashed && !pid.IsPgrp && pid.SessionRefs == 0 && pid.Tid != 0 && pid.FirstChild is null
            && (pid.Signal is null || pid.Signal.FirstThread is null))
            FreePid(pid);
    }

    private TaskStruct NewRecord(int tid)
    {
        var t = _freeTasks.Count > 0 ? _freeTasks.Pop() : new TaskStruct();
        t.Tid = tid;
        t.Ns = _host;
        t.Nr[0] = tid;
        return t;
    }

    private SignalStruct NewSignal(TaskStruct leader)
    {
        var s = _freeSignals.Count > 0 ? _freeSignals.Pop() : new SignalStruct();
        s.Leader = leader;
        return s;
    }

    /// <summary>A record for a tid the trace names, created as an unplaced placeholder when not known yet.</summary>
    private TaskStruct GetOrAddRecord(int tid) => _host.Idr.TryGetValue(tid, out var t) ? t : AddRecord(tid);

    /// <summary>A new unplaced record, findable by its tid, for a tid no record holds.</summary>
    private TaskStruct AddRecord(int tid)
    {
        var t = NewRecord(tid);
        HashNumbers(t);
        return t;
    }

    /// <summary>
    /// A new record for a tid the trace says was just allocated: a live task still holding it is
    /// evicted, and a lingering group or session id (which a consistent trace never reuses) is
    /// left to its members under the old record.
    /// </summary>
    private TaskStruct FreshRecord(int tid)
    {
        if (_host.Idr.TryGetValue(tid, out var old))
        {
            if (old.Hashed) Evict(old);
            if (_host.Idr.TryGetValue(tid, out old) && (old.IsPgrp || old.SessionRefs > 0 || old.FirstChild is not null || old.Signal is not null))
                _host.Idr.Remove(tid);
            return GetOrAddRecord(tid);
        }
        return AddRecord(tid);
    }

    /// <summary>A task first seen acting, with no snapshot: known only by its global tid.</summary>
    private TaskStruct AdoptUnplaced(int tid)
    {
        if (_host.Idr.TryGetValue(tid, out var old) && old.Hashed && !old.Exited && old.Signal is not null) return old;
        var t = FreshRecord(tid);
        MarkIncomplete();
        var s = NewSignal(t);
        t.Signal = s;
        t.Hashed = true;
        t.ExitSignal = TaskStruct.UnknownExitSignal;
        AddThread(s, t);
        AddProcess(t);
        return t;
    }

    /// <summary>The capture turned out not to show every task: numbers not found may now be in use.</summary>
    private void MarkIncomplete()
    {
        if (!_allKnown && !_host.Complete) return;
        _allKnown = false;
        foreach (var ns in _namespaces)
            if (ns.PreExisting || ns.Level == 0) ns.Complete = false;
    }
}
