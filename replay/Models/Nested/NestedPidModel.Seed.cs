using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>Seeding from /proc snapshots: tasks that existed before the capture, and the namespaces they live in.</summary>
public sealed partial class NestedPidModel
{
    private void ApplySnapshot(TaskSnapshot s, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (s.Adopted) MarkIncomplete();
        else if (!_host.Complete && _host.Idr.Count == 0)
        {
            // The first line of a full /proc snapshot: every task of the host will be listed.
            _host.Complete = true;
            _allKnown = true;
        }
        TaskStruct t;
        if (_host.Idr.TryGetValue(s.Tid, out var existing) && existing.Hashed)
        {
            if (existing.Placed || s.NsPid is null) return;
            t = FreshRecord(s.Tid);
        }
        else
        {
            t = GetOrAddRecord(s.Tid);
        }
        if (s.NsPid is { Length: > 0 } nspid && nspid[0] == s.Tid && nspid.Length <= MaxLevel + 1)
            Place(t, SeedNamespace(s.PidNs, nspid.Length - 1, s.PPid, !s.Adopted), nspid);
        else if (s.Adopted) MarkIncomplete();

        // The thread group: a thread's leader may be listed after it; a placeholder stands in until then.
        var leader = s.Tgid == s.Tid || s.Tgid <= 0 ? t : GetOrAddRecord(s.Tgid);
        var sig = leader.Signal ?? NewSignal(leader);
        if (leader.Signal is null)
        {
            leader.Signal = sig;
            sig.MarkAllUnknown();
        }
        if (s.SigIgn is { } ignored && s.SigCgt is { } caught) SeedActions(sig, ignored, caught, s.SigchldFlags);
        sig.DequeuesSeen = s.DequeuesTraced;
        // Any thread's: a window check marks the block whose number may have been reused, not its process's others.
        sig.Untraced |= s.Untraced || s.MaybeReused;
        _untracedSeeded |= sig.Untraced;
        // Signals pending a moment before tracing began may be pending still: never surely (one
        // may have been taken before tracing did), but a signal not among them is not predicted
        // delivered on a queue that may hold one already.
        t.Pending |= s.SigPnd ?? 0;
        sig.SharedPending |= s.ShdPnd ?? 0;
        t.Hashed = true;
        t.Cred = Creds.FromSnapshot(s);
        t.MaskKnown = s.Blocked.HasValue;
        t.Blocked = s.Blocked ?? s.BlockedAtRead ?? 0;
        if (t != leader) RemoveProcess(t);
        // The snapshot lists a process's threads in the kernel's order; an older one, by tid, may
        // list threads before their leader (tids wrap), which heads the list all the same.
        AddThread(sig, t, first: t == leader);
        SeedExitState(sig, t, s.Zombie);
        // SIGKILL pending: the group's exit had begun (complete_signal sets SIGNAL_GROUP_EXIT as it
        // queues SIGKILL on every thread), for good; what comes to the process is dropped (a test
        // suite's capture: a chromium read so, whose SIGTERM from the test host said res=1). After
        // the exit state: a live thread listed after a zombie leader makes the process alive again
        // there, which would clear it.
        if ((((s.SigPnd ?? 0) | (s.ShdPnd ?? 0)) & Sig.Bit(Sig.SIGKILL)) != 0 && !s.Zombie && !s.MaybeReused) sig.GroupExit = true;
        // A zombie of the global init when tracing began: init reaps its orphans, and its calls need
        // not be in the capture (this VM's init made none that 118 test-suite captures show; a
        // sleep, its zombie at tracing_on, answered kill -0 with 0 twice and ESRCH 1.4 s later, with
        // no line between): what names it is not known (a dead process that may have been reaped).
        if (t == leader && s.Zombie && s.PPid == 1 && sig.Dead) sig.AutoreapUnknown = true;
        if (t.Placed) Count(t, +1);
        t.NsForChildren = t.Placed ? ForChildren(t, s) : null;
        // An untraced task forks with no line: its children take numbers where its children go
        // (its own namespace, unless it unshared or entered one) and at every level above.
        if (s.Untraced && t.Placed)
            for (var ns = t.NsForChildren ?? t.Ns; ns is not null && !ns.MayHoldUnseen; ns = ns.Parent) ns.MayHoldUnseen = true;
        t.ExitSignal = s.ExitSignal ?? TaskStruct.UnknownExitSignal;
        if (t != leader) return;

        AddProcess(t);
        if (s.PPid > 0)
        {
            AddChild(GetOrAddRecord(s.PPid), t);
            t.ParentThreadUnknown = true;
        }
        if (s.Pgid > 0) AttachPgrp(t, SeedGroupPid(s.Pgid, s.NsPgid, t));
        // No group shown (pgrp and NSpgid both absent, as the window check leaves a block whose
        // group may have changed in the window; a kernel thread's is 0, shown).
        else if (s.NsPgid is null && !s.Zombie && !s.Adopted) _groupsUnknown = true;
        if (s.Sid > 0)
        {
            AttachSession(t, SeedGroupPid(s.Sid, s.NsSid, t));
            sig.SessionLeader = s.Sid == s.Tid ? Tri.Yes : Tri.No;
        }
        // The init of its namespace (the global init too: tid 1 at level 0).
        if (t.Placed && t.Nr[t.Ns.Level] == 1)
        {
            t.Ns.ChildReaper = t;
            sig.Unkillable = true;
        }
    }

    /// <summary>
    /// Where a snapshot task's children go (ns/pid_for_children): its own namespace, unless it
    /// entered one for its children (setns) or unshared one whose init exists: the namespace of
    /// that inode, a child of its own when no task listed so far lives there (an unshared one's
    /// init is listed after its parent; a setns may have chosen a deeper one, which the model would
    /// then take for two). Not known (null) when the link could not be read: a namespace unshared
    /// and not forked into yet has no inode to show, and an exiting task none either (a zombie's
    /// is of no matter: it forks no more); nor past the depth limit.
    /// </summary>
    private PidNamespace? ForChildren(TaskStruct t, TaskSnapshot s)
    {
        if (s.PidNsForChildren is not { } inode || s.PidNs == 0 || inode == s.PidNs || s.Zombie) return t.Ns;
        if (inode == 0) return null;
        if (_byInode.TryGetValue(inode, out var known)) return known;
        return t.Ns.Level < MaxLevel ? SeedNamespace(inode, t.Ns.Level + 1, t.Tid, !s.Adopted) : null;
    }

    /// <summary>
    /// A snapshot's zombie (State Z) has exited. A process whose leader has and whose threads
    /// listed so far all have is dead, its parent told before the capture began (exit_notify
    /// makes the zombie after do_notify_parent): a wait may reap it. A live thread listed later
    /// shows it alive after all (a leader that exits before its threads stays a zombie while they
    /// run). Set directly, not through MarkDead and MarkNotified: the notice is not unseen.
    /// </summary>
    private static void SeedExitState(SignalStruct s, TaskStruct t, bool zombie)
    {
        if (zombie) t.Exited = true;
        bool dead = s.Leader is { Exited: true } && FindAliveThread(s, null) is null;
        // A leader gone before a live thread: exit_group's, or its own exit alone (above).
        s.MaybeGroupExit = s.Leader is { Exited: true } && !dead;
        if (dead == s.Dead) return;
        s.Dead = s.GroupExit = s.Notified = s.NotifySeen = dead;
        s.NotifyResult = dead ? -1 : 0;
    }

    /// <summary>
    /// The process's actions as /proc showed them (SigIgn, SigCgt: a signal in neither is
    /// SIG_DFL), and SA_NOCLDWAIT when the capture read the flags of its SIGCHLD action (the
    /// capturing process's own); else that stays unknown. SIGKILL and SIGSTOP are always SIG_DFL.
    /// </summary>
    private static void SeedActions(SignalStruct sig, ulong ignored, ulong caught, ulong? sigchldFlags)
    {
        for (int n = 1; n <= Sig.NSIG; n++)
        {
            ulong bit = Sig.Bit(n);
            sig.Action[n] = Sig.KernelOnly(n) ? Disposition.Default
                : (ignored & bit) != 0 ? Disposition.Ignore
                : (caught & bit) != 0 ? Disposition.Catch
                : Disposition.Default;
        }
        sig.NoCldWait = sigchldFlags is { } flags ? ((flags & Sig.SA_NOCLDWAIT) != 0 ? Tri.Yes : Tri.No) : Tri.Unknown;
    }

    /// <summary>Gives a record its namespace and numbers (NSpid, outermost first) and makes them findable.</summary>
    private void Place(TaskStruct t, PidNamespace ns, int[] nspid)
    {
        t.Ns = ns;
        t.Placed = true;
        PlacedNow(t);
        for (int level = 0; level <= ns.Level; level++) t.Nr[level] = nspid[level];
        HashNumbers(t);
    }

    /// <summary>
    /// The namespace a snapshot names: by inode when one was seen before; else a new namespace of
    /// that level, under the parent's namespace when the parent is known to live one level up.
    /// A namespace that predates the capture has an unknown cursor.
    /// </summary>
    private PidNamespace SeedNamespace(ulong inode, int level, int ppid, bool full)
    {
        if (level == 0)
        {
            if (inode != 0 && _host.Inode == 0)
            {
                _host.Inode = inode;
                _byInode[inode] = _host;
            }
            return _host;
        }
        if (inode != 0 && _byInode.TryGetValue(inode, out var known) && known.Level == level) return known;
        var parent = _host;
        if (_host.Idr.TryGetValue(ppid, out var p) && p.Placed && p.Ns.Level >= level - 1) parent = p.Ns.AncestorAt(level - 1);
        else if (level > 1) parent = SeedNamespace(0, level - 1, 0, full);
        var ns = NewNamespace(level, parent);
        ns.PreExisting = true;
        ns.Complete = full;
        if (inode != 0)
        {
            ns.Inode = inode;
            _byInode[inode] = ns;
        }
        return ns;
    }

    /// <summary>
    /// The pid of a snapshot task's group or session: the leader's record, or a pid that outlived
    /// its task, placed from NSpgid/NSsid (a 0 there: no number at that level).
    /// </summary>
    private TaskStruct SeedGroupPid(int tid, int[]? numbers, TaskStruct member)
    {
        var pid = GetOrAddRecord(tid);
        if (pid.Placed || numbers is null || !member.Placed || numbers.Length != member.Ns.Level + 1) return pid;
        int level = 0;
        while (level + 1 < numbers.Length && numbers[level + 1] > 0) level++;
        var nspid = new int[level + 1];
        Array.Copy(numbers, nspid, level + 1);
        Place(pid, member.Ns.AncestorAt(level), nspid);
        return pid;
    }
}
