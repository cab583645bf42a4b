using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>Ids and groups: getpid/getppid/getpgid/getsid, setpgid, setsid (kernel/sys.c), prctl.</summary>
public sealed partial class NestedPidModel
{
    private void ApplyGetId(GetId g, Outcome o)
    {
        var cur = Current(g, o);
        if (cur is null)
        {
            LearnSetnsPlacement(g);
            return;
        }
        TaskStruct? pid;
        switch (g.Call)
        {
            case GetIdCall.GetPid: pid = Leader(cur); break;
            case GetIdCall.GetTid: pid = cur; break;
            case GetIdCall.GetPpid:
                // getppid: the real parent's tgid, 0 when the parent lives outside (a namespace init's).
                pid = cur.Parent is { } p ? Leader(p) : null;
                break;
            default:
                var target = cur;
                if (g.Call != GetIdCall.GetPgrp && g.Arg != 0)
                {
                    o.TranslationsIn++;
                    var r = FindTaskByVpid(g.Arg, cur, out var found, o);
                    if (r == Lookup.Unknown)
                    {
                        Unknown(o, "the pid argument names a number the capture did not show");
                        return;
                    }
                    if (r == Lookup.None)
                    {
                        o.Return(-ESRCH);
                        return;
                    }
                    target = found!;
                }
                pid = g.Call == GetIdCall.GetSid ? Leader(target).Session : Leader(target).Pgrp;
                break;
        }
        if (pid is null)
        {
            Unknown(o, "the task's parent, group or session is not known");
            return;
        }
        o.TranslationsOut++;
        int nr = PidNrNs(pid, cur.Ns);
        if (nr == TaskStruct.UnknownNr)
        {
            Unknown(o, "the number at the caller's level was allocated before the capture");
            if (g.Ret is long ret && ret > 0) LearnNumber(pid, cur.Ns, (int)ret);
            return;
        }
        o.Return(nr, nr > 0 ? pid.Tid : 0);
    }

    /// <summary>A recorded answer shows a number the model did not know: it is adopted (and the cursor moves past it if ahead).</summary>
    private static void LearnNumber(TaskStruct pid, PidNamespace ns, int nr)
    {
        if (!pid.Placed || ns.Level > pid.Ns.Level || pid.Ns.AncestorAt(ns.Level) != ns) return;
        if (ns.Idr.TryGetValue(nr, out var held) && held != pid) return;
        int old = pid.Nr[ns.Level];
        if (old > 0 && ns.Idr.TryGetValue(old, out var was) && was == pid) ns.Idr.Remove(old);
        pid.Nr[ns.Level] = nr;
        ns.Idr[nr] = pid;
    }

    /// <summary>
    /// setpgid: the caller or its child that has not exec'd, in the caller's session, not a session
    /// leader, into its own group or an existing group of the same session (all numbers in the
    /// caller's namespace).
    /// </summary>
    private void ApplySetPgid(SetPgid e, Outcome o)
    {
        var cur = Current(e, o);
        if (cur is null) return;
        int err = SetPgid(cur, e.Pid, e.Pgid, o, out var p, out var pgrp);
        if (err == UnknownAnswer) Unknown(o, o.Note ?? "setpgid depends on state the capture did not show");
        else o.Return(err);
        bool done = e.Ret.HasValue ? e.Ret == 0 : err == 0;
        // The trace says it moved even where the model could not say it would: follow it
        // (pair/strace.txt: a group made while its leader's session leadership was unknown).
        if (done && p is not null && pgrp is null) pgrp = GroupNamed(cur, p, e.Pgid);
        if (!done || p is null || pgrp is null || p.Pgrp == pgrp) return;
        DetachPgrp(p);
        AttachPgrp(p, pgrp);
    }

    /// <summary>The group a successful setpgid put <paramref name="p"/> in: its own for 0 or its own number, else the one named.</summary>
    private TaskStruct? GroupNamed(TaskStruct cur, TaskStruct p, int pgid)
    {
        if (pgid == 0 || pgid == PidNrNs(p, cur.Ns)) return p;
        return FindPidNs(pgid, cur.Ns, out var g) == Lookup.Found ? g : null;
    }

    private int SetPgid(TaskStruct cur, int pid, int pgid, Outcome o, out TaskStruct? p, out TaskStruct? pgrp)
    {
        p = pgrp = null;
        var groupLeader = Leader(cur);
        if (pid == 0)
        {
            pid = PidNrNs(groupLeader, cur.Ns);
            if (pid == TaskStruct.UnknownNr) return UnknownAnswer;
        }
        if (pgid == 0) pgid = pid;
        if (pgid < 0) return -EINVAL;
        o.TranslationsIn++;
        var r = FindTaskByVpid(pid, cur, out p, o);
        if (r == Lookup.Unknown) return UnknownAnswer;
        if (r == Lookup.None) return -ESRCH;
        if (!p!.IsLeader) return -EINVAL;
        if (p.Parent is not null && p.Parent.Signal == cur.Signal)
        {
            if (p.Session is null || groupLeader.Session is null) return UnknownAnswer;
            if (p.Session != groupLeader.Session) return -EPERM;
            if (p.ForkNoExec == Tri.Unknown) return UnknownAnswer;
            if (p.ForkNoExec == Tri.No) return -EACCES;
        }
        else if (p.Parent is null && p != groupLeader)
        {
            return UnknownAnswer;
        }
        else if (p != groupLeader)
        {
            return -ESRCH;
        }
        var ps = p.Signal!;
        if (ps.SessionLeader == Tri.Unknown) return UnknownAnswer;
        if (ps.SessionLeader == Tri.Yes) return -EPERM;
        pgrp = p;
        if (pgid != pid)
        {
            o.TranslationsIn++;
            var g = FindPidNs(pgid, cur.Ns, out pgrp);
            if (g == Lookup.Unknown) return UnknownAnswer;
            // pid_task(pgrp, PIDTYPE_PGID): some process must be in that group, in the caller's session.
            var member = g == Lookup.Found ? pgrp!.PgrpHead : null;
            if (member is null)
            {
                // An empty group may still have members the capture never showed; and the task
                // that has its number, when which group that task is in is not known, may lead it
                // (a busy capture: a job's first process, forked in the window and made its group's
                // leader there, listed with no group).
                bool unshown = g == Lookup.Found && !_allKnown && !pgrp!.Born;
                bool leaderGroupUnknown = g == Lookup.Found && pgrp!.IsLeader && pgrp.Hashed && pgrp.Pgrp is null && pgrp.Signal is { Dead: false };
                bool maybe = unshown || leaderGroupUnknown;
                pgrp = null;
                return maybe ? UnknownAnswer : -EPERM;
            }
            if (member.Session is null || groupLeader.Session is null) return UnknownAnswer;
            if (member.Session != groupLeader.Session) return -EPERM;
        }
        return 0;
    }

    /// <summary>setsid: fails for a session leader or when a group with the caller's id exists; else the caller's pid (in its view) leads both.</summary>
    private void ApplySetSid(SetSid e, Outcome o)
    {
        var cur = Current(e, o);
        if (cur is null) return;
        var leader = Leader(cur);
        var s = leader.Signal!;
        int session = PidNrNs(leader, cur.Ns);
        o.TranslationsOut++;
        int err;
        if (s.SessionLeader == Tri.Unknown || session == TaskStruct.UnknownNr) err = UnknownAnswer;
        else if (s.SessionLeader == Tri.Yes || leader.IsPgrp) err = -EPERM;
        else err = session;
        if (err == UnknownAnswer) Unknown(o, "whether the caller already leads a session or a group is not known");
        else o.Return(err, err > 0 ? leader.Tid : 0);
        bool done = e.Ret.HasValue ? e.Ret >= 0 : err >= 0;
        if (!done) return;
        s.SessionLeader = Tri.Yes;
        DetachPgrp(leader);
        DetachSession(leader);
        AttachPgrp(leader, leader);
        AttachSession(leader, leader);
    }

    /// <summary>prctl(PR_SET_CHILD_SUBREAPER): the flag, and has_child_subreaper for every descendant (propagate_has_child_subreaper).</summary>
    private void ApplyPrctl(Prctl p, Outcome o)
    {
        if (p.Option != Prctl.SetChildSubreaper)
        {
            o.Verdict = Verdict.NotApplicable;
            if (Prctl.ChangesCapabilities(p.Option, p.Arg2) && _host.Idr.TryGetValue(p.Tid, out var t) && t.Hashed)
                t.Cred.Follow(p);
            return;
        }
        // PR_SET_CHILD_SUBREAPER always succeeds (kernel/sys.c): the answer needs no state.
        o.Return(0);
        var cur = Current(p, o);
        if (cur is null) return;
        if (p.Ret is < 0) return;
        var s = cur.Signal!;
        s.IsChildSubreaper = p.Arg2 != 0 ? Tri.Yes : Tri.No;
        if (p.Arg2 == 0) return;
        _scratch.Clear();
        _scratch.Add(Leader(cur));
        for (int i = 0; i < _scratch.Count && _scratch.Count <= _host.Idr.Count; i++)
        {
            for (var th = _scratch[i].Signal!.FirstThread; th is not null; th = th.NextThread)
                for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                {
                    c.Signal!.HasChildSubreaper = Tri.Yes;
                    _scratch.Add(c);
                }
        }
        _scratch.Clear();
    }

    /// <summary>
    /// unshare(CLONE_NEWPID): the caller stays; its children go to a new namespace one level
    /// down. Refused after an earlier unshare/setns (EINVAL) and past 32 levels (ENOSPC).
    /// </summary>
    private void ApplyUnshare(Unshare u, Outcome o)
    {
        if ((u.Flags & CloneFlags.NewUser) != 0 && u.Ret is 0 && _host.Idr.TryGetValue(u.Tid, out var t) && t.Hashed)
            t.Cred.EnterNewUserNs();
        if ((u.Flags & CloneFlags.NewPid) == 0)
        {
            o.Verdict = Verdict.NotApplicable;
            return;
        }
        var cur = Current(u, o);
        if (cur is null) return;
        int err;
        if (cur.NsForChildren is null) err = UnknownAnswer;
        else if (cur.NsForChildren != cur.Ns) err = -EINVAL;
        else if (cur.Ns.Level + 1 > MaxLevel) err = -ENOSPC;
        else err = 0;
        if (err == UnknownAnswer) Unknown(o, "the caller's namespace for children is not known");
        else o.Return(err);
        bool done = u.Ret.HasValue ? u.Ret == 0 : err == 0;
        if (done) cur.NsForChildren = CreatePidNamespace(cur.Ns);
    }

    /// <summary>
    /// setuid, setreuid, setresuid, capset: the kernel's answer is followed, not predicted (it
    /// rests on CAP_SETUID and the securebits as much as on the uids); a success changes the
    /// caller's credentials as kernel/sys.c does.
    /// </summary>
    private void ApplySetCred(SetCred c, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (_host.Idr.TryGetValue(c.Tid, out var t) && t.Hashed) t.Cred.Follow(c);
    }

    /// <summary>setns to a pid namespace: only the caller's own or a descendant (pidns_install), for its children.</summary>
    private void ApplySetNs(SetNs n, Outcome o)
    {
        if (n.NsType != 0 && (n.NsType & CloneFlags.NewPid) == 0)
        {
            o.Verdict = Verdict.NotApplicable;
            return;
        }
        var target = Entered(n);
        if (n.NsType == 0 && target is null)
        {
            o.Verdict = Verdict.NotApplicable;
            return;
        }
        var cur = Current(n, o);
        if (cur is null) return;
        if (target is null)
        {
            Unknown(o, "the namespace entered is not known");
            if (n.Ret is not 0) return;
            cur.NsForChildren = null;
            UnnamedSetns(cur, n.TargetNs);
            return;
        }
        int err = target.Level < cur.Ns.Level || target.AncestorAt(cur.Ns.Level) != cur.Ns ? -EINVAL : 0;
        o.Return(err);
        bool done = n.Ret.HasValue ? n.Ret == 0 : err == 0;
        if (done) cur.NsForChildren = target;
    }

    /// <summary>
    /// The pid namespace a setns names: by its init, where the capture read it and the model knows
    /// that task as its namespace's child reaper (a namespace made while tracing ran has no inode
    /// the model knows, and an inode is given again to a later namespace once its own is gone);
    /// else by inode (from a snapshot, an init, or a child an unnamed setns sent there: see
    /// NestedPidModel.Setns). Found by its init, the namespace takes the inode, for later calls.
    /// </summary>
    private PidNamespace? Entered(SetNs n)
    {
        if (n.TargetInit != 0 && _host.Idr.TryGetValue(n.TargetInit, out var init) && init.Placed
            && init.Ns.ChildReaper is { } reaper && (reaper == init || reaper.Signal is not null && reaper.Signal == init.Signal))
        {
            var ns = init.Ns;
            if (n.TargetNs != 0 && ns.Inode != n.TargetNs)
            {
                ReleaseInode(n.TargetNs);
                if (ns.Inode != 0) _byInode.Remove(ns.Inode);
                ns.Inode = n.TargetNs;
                _byInode[n.TargetNs] = ns;
            }
            return ns;
        }
        return n.TargetNs != 0 && _byInode.TryGetValue(n.TargetNs, out var known) ? known : PlacedInode(n.TargetNs);
    }
}
