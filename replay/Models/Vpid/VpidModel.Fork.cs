using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Vpid;

public sealed partial class VpidModel
{
    /// <summary>
    /// do_fork_pid with no requested number (copy_process of the patch): the child gets a global
    /// pid, then alloc_vpid its virtual one (1 for a VPS's first task, global + 1024 when linear,
    /// the hash when sparse), and the parent's *virtual* pgid and sid.
    /// </summary>
    private void DoFork(Fork ev, Outcome o)
    {
        var parent = Caller(ev, o);
        if (ev.Child <= 0)
        {
            o.Verdict = Verdict.UnknownState;
            o.Note = "the fork failed in the trace";
            return;
        }
        var vps = ChildVps(parent, ev, o);
        int pid = TakeGlobal(ev.Child, o);
        // clone3's set_tid (innermost level first) is today's form of the patch's do_fork_pid(...,
        // vpid): a restore asking for the virtual number the task had before it migrated.
        int requested = vps is not null && ev.SetTid is { Length: > 0 } setTid ? setTid[0] : -1;
        int vpid = AllocVpid(vps, pid, requested, o);
        if (vpid < 0)
        {
            o.AllocationFailure = -vpid;
            o.Note ??= "restore: a virtual pid already mapped in the VPS (EEXIST)";
            vpid = AllocVpid(vps, pid, -1, o); // the trace says the task exists: it is numbered as a plain fork would be
        }
        VpidTask child;
        if (ev.IsThread)
        {
            child = NewTask(ev.Child, pid);
            JoinThreadGroup(parent.Leader, child);
            if (parent.Parent is not null) // CLONE_THREAD: p->real_parent = current->real_parent
                AddChild(parent.Parent, child);
            child.VTgid = parent.VTgid;
        }
        else
        {
            var realParent = (ev.Flags & CloneFlags.Parent) != 0 ? parent.Leader.Parent : parent;
            child = NewProcess(ev.Child, pid, realParent);
            AttachProcess(child, parent.Leader.Pgrp, parent.Leader.Session);
            child.VTgid = vpid;
            // Dispositions survive fork; handlers too until exec.
            child.Ignored = parent.Leader.Ignored;
            child.Caught = parent.Leader.Caught;
            child.UnknownDisposition = parent.Leader.UnknownDisposition;
        }
        child.VPid = vpid;
        child.Cred = parent.Cred.ForChild(ev.Flags);
        child.Blocked = parent.Blocked;
        child.MaskKnown = parent.MaskKnown;
        child.Unplaced = parent.EnteredUnnamed && !ev.IsThread;
        child.VPgid = parent.VPgid;
        child.VSid = parent.VSid;
        SetVps(child, vps);
        child.NestedNs = vps is not null && (parent.NestedNs || parent.ChildrenNested || (ev.NewPidNs && parent.Vps is not null));
        // The parent's view of the child: its global tid on the host, its number at the VPS's level
        // when the parent lives there (a child in a nested namespace has one there too).
        SetTraceNr(child, parent.Vps is null ? ev.Child : ev.Ret is > 0 && parent.Vps == vps && !parent.NestedNs ? (int)ev.Ret : 0);
        if (parent.NestedNs && ev.Ret is > 0 and <= int.MaxValue)
            child.NestedNr = (int)ev.Ret;
        if (vps is not null)
        {
            VpsTaskAdd(vps);
            if (vpid == 1)
            {
                vps.Init = child;
                vps.HadInit = true;
            }
        }
        // As posted, do_fork_pid returns the allocated global pid even to a parent inside a VPS;
        // only CLONE_PARENT_SETTID and the child itself see the virtual number.
        if (parent.Vps is not null && _options.ForkReturnsVirtual)
        {
            o.TranslationsOut++;
            o.Return(vpid, child.Tid);
        }
        else
        {
            o.Return(pid, child.Tid);
            if (parent.Vps is not null && vpid != pid)
                o.Note ??= "fork returned the child's global pid inside a VPS (posted do_fork_pid)";
        }
    }

    /// <summary>Which VPS a child is born into: the parent's, a new one (CLONE_NEWPID, or the first child after unshare), or the one setns chose.</summary>
    private Vps? ChildVps(VpidTask parent, Fork ev, Outcome o)
    {
        if (ev.IsThread)
            return parent.Vps; // a thread shares its process's VPS (Linux refuses CLONE_THREAD after setns or unshare)
        if (ev.NewPidNs)
        {
            if (parent.Vps is not null)
                return Nested(parent.Vps, o);
            return NewVps("", 0);
        }
        if (parent.ChildrenFoundVps)
        {
            parent.ChildrenFoundVps = false;
            parent.ChildrenVps = NewVps("", 0);
            return parent.ChildrenVps;
        }
        return parent.ChildrenVps ?? parent.Vps;
    }

    /// <summary>A pid namespace inside a VPS: one level only, so the nested tasks stay members of the outer VPS.</summary>
    private static Vps Nested(Vps outer, Outcome o)
    {
        o.Verdict = Verdict.Unsupported;
        o.Note = "a pid namespace inside a VPS has no representation: its tasks stay in the VPS";
        return outer;
    }

    private Vps NewVps(string name, ulong pidNs)
    {
        var vps = new Vps { Id = _vpss.Count + 1, Name = name, PidNs = pidNs };
        AddVps(vps);
        return vps;
    }

    private void AddVps(Vps vps)
    {
        _vpss.Add(vps);
        if (_vpssByName.TryGetValue(vps.Name, out var named))
        {
            named.Last.NextNamed = vps;
            _vpssByName[vps.Name] = (named.First, vps);
        }
        else
            _vpssByName[vps.Name] = (vps, vps);
        if (vps.PidNs == 0)
            return;
        if (_vpssByNs.TryGetValue(vps.PidNs, out var inNs))
        {
            inNs.Last.NextInNs = vps;
            _vpssByNs[vps.PidNs] = (inNs.First, vps);
        }
        else
            _vpssByNs[vps.PidNs] = (vps, vps);
    }

    /// <summary>
    /// alloc_vpid(pid, vpid) of the patch, for a task born into <paramref name="vps"/> (null: the
    /// host, where virtual = global). <paramref name="requested"/> is -1 for a plain fork.
    /// Returns the virtual number, or a negative errno.
    /// </summary>
    private int AllocVpid(Vps? vps, int pid, int requested, Outcome o)
    {
        if (vps is null)
            return pid;
        if (requested == -1 && !vps.HadInit)
            requested = 1; // the VPS's first task is created with do_fork_pid(..., 1): its init
        if (!vps.Sparse)
        {
            o.Probes++;
            if (requested == -1)
                return pid + VpidDiv;
            if (requested == 1 || requested == pid + VpidDiv)
                return requested;
            SwitchToSparseMapping(pid, vps, o);
        }
        int result = requested == -1 ? pid + VpidDiv : requested;
        int probes = 0;
        if (_hash.Lookup(result, vps.Id, ref probes) != 0)
        {
            if (requested > 0)
            {
                o.Probes += probes;
                return -EEXIST;
            }
            // "No luck. Now we search for some not-existing vpid. It is weak place. We do linear search."
            do
            {
                result++;
                if (!IsVirtual(result))
                    result += VpidDiv;
                if (result >= _options.PidMax)
                    result = ReservedPids + VpidDiv;
            } while (_hash.Lookup(result, vps.Id, ref probes) != 0);
            _lastPid = result - VpidDiv; // "in hope future alloc_pidmap() to avoid collisions"
            o.Note ??= "sparse VPS: global + 1024 was taken, the next free virtual number was searched for";
        }
        o.Probes += probes;
        _hash.Add(result, vps.Id, pid);
        vps.Mappings++;
        return result;
    }

    /// <summary>
    /// switch_to_sparse_mapping: under the tasklist write lock, one mapping per thread (its virtual
    /// pid) and per process (tgid, pgrp, session), keyed with the switching VPS's id, duplicates
    /// skipped. As posted the walk has no VPS filter and covers the whole host.
    /// </summary>
    private void SwitchToSparseMapping(int pid, Vps vps, Outcome o)
    {
        bool hostWide = _options.Walk == SparseWalk.HostWide;
        int before = vps.Mappings, lookups = 0, probes = 0;
        if (hostWide || !_membersExact)
        {
            for (int i = 0; i < _processes.End; i++)
                for (var t = _processes[i]; t is not null; t = t.NextThread)
                {
                    if (t.Pid == pid || (!hostWide && t.Vps != vps))
                        continue;
                    lookups++;
                    AddMapping(t.Pid, t.VPid, vps, ref probes);
                }
            for (int i = 0; i < _processes.End; i++)
            {
                if (_processes[i] is not { } t || t.Pid == pid || (!hostWide && t.Vps != vps))
                    continue;
                lookups += 3;
                AddMapping(t.Pid, t.VTgid, vps, ref probes);
                AddMapping(t.Pgrp, t.VPgid, vps, ref probes);
                AddMapping(t.Session, t.VSid, vps, ref probes);
            }
        }
        else
        {
            // The VPS-local walk meets the same tasks in the same order on the member list.
            for (var t = vps.FirstMember; t is not null; t = t.NextMember)
            {
                if (t.Pid == pid)
                    continue;
                lookups++;
                AddMapping(t.Pid, t.VPid, vps, ref probes);
            }
            for (var t = vps.FirstMember; t is not null; t = t.NextMember)
            {
                if (!t.IsLeader || t.Pid == pid)
                    continue;
                lookups += 3;
                AddMapping(t.Pid, t.VTgid, vps, ref probes);
                AddMapping(t.Pgrp, t.VPgid, vps, ref probes);
                AddMapping(t.Session, t.VSid, vps, ref probes);
            }
        }
        vps.Sparse = true;
        int made = vps.Mappings - before;
        int preallocated = vps.Tasks; // get_vps_tasks_num(vps), allocated before taking the lock
        LastSparseSwitch = new SparseSwitch(vps.Id, made, lookups, probes, preallocated, Math.Max(0, made - preallocated), hostWide);
        SparseSwitches++;
        o.Probes += probes;
        o.Note = hostWide
            ? "switched to sparse vpids: host-wide walk under tasklist_lock"
            : "switched to sparse vpids: VPS-local walk under tasklist_lock";
    }

    /// <summary>add_mapping: a mapping for (vnr, vps id) unless one exists.</summary>
    private void AddMapping(int pid, int vnr, Vps vps, ref int probes)
    {
        if (pid <= 0 || vnr <= 0 || _hash.Lookup(vnr, vps.Id, ref probes) != 0)
            return;
        _hash.Add(vnr, vps.Id, pid);
        vps.Mappings++;
    }

    /// <summary>unshare(CLONE_NEWPID): from the host, the next child founds a VPS; from inside one, nesting.</summary>
    private void SysUnshare(Unshare ev, Outcome o)
    {
        var caller = Caller(ev, o);
        if ((ev.Flags & CloneFlags.NewUser) != 0 && ev.Ret is 0)
            caller.Cred.EnterNewUserNs();
        if ((ev.Flags & CloneFlags.NewPid) == 0)
        {
            o.Verdict = Verdict.NotApplicable;
            return;
        }
        if (caller.Vps is not null || caller.ChildrenVps is not null)
        {
            Nested(caller.Vps ?? caller.ChildrenVps!, o);
            o.Return(0);
            caller.ChildrenNested |= ev.Ret is not < 0;
            return;
        }
        if (ev.Ret is < 0)
            return;
        caller.ChildrenFoundVps = true;
        o.Return(0);
    }

    /// <summary>setns into a top-level pid namespace: what `vzctl exec` does; the caller's children are born inside.</summary>
    private void SysSetns(SetNs ev, Outcome o)
    {
        var caller = Caller(ev, o);
        if (ev.NsType != 0 && (ev.NsType & CloneFlags.NewPid) == 0)
        {
            o.Verdict = Verdict.NotApplicable;
            return;
        }
        Vps? target = null;
        // By its init where the capture read it: a VPS whose namespace was made while tracing ran
        // has no inode the model knows. A namespace nested in a VPS has an init that is not the VPS's.
        if (ev.TargetInit != 0 && _tasks.TryGetValue(ev.TargetInit, out var init) && init.Vps is { Stopped: false } vpsOfInit && vpsOfInit.Init == init)
            target = vpsOfInit;
        else if (ev.TargetNs != 0 && _vpssByNs.TryGetValue(ev.TargetNs, out var inNs))
            for (Vps? vps = inNs.First; vps is not null; vps = vps.NextInNs)
                if (!vps.Stopped)
                    target = vps;
        if (target is null)
        {
            o.Verdict = Verdict.UnknownState;
            o.Note = "setns target is not a known top-level pid namespace";
            caller.EnteredUnnamed = ev.Ret == 0;
            return;
        }
        o.Return(0);
        if (ev.Ret is < 0)
            return;
        caller.ChildrenVps = target;
        caller.ChildrenFoundVps = false;
        caller.EnteredUnnamed = false;
    }

    /// <summary>
    /// A child of an unnamed setns told its own number. Its global tid: it stayed on the host.
    /// Any other number: it lives in a pid namespace under the host's, which is one VPS here, or
    /// a namespace nested in one (whose tasks stay members of the outer VPS); when exactly one VPS
    /// is running, that is where it went, as `vzctl exec` would have put it, and its parent's
    /// later children follow. With several, it stays on the host, unplaced.
    /// </summary>
    private void PlaceSetnsChild(VpidTask child, int ret, Outcome o)
    {
        child.Unplaced = false;
        if (ret == child.Tid)
            return;
        Vps? only = null;
        foreach (var vps in _vpss)
        {
            if (vps.Stopped)
                continue;
            if (only is not null)
                return;
            only = vps;
        }
        if (only is null || !child.IsLeader || child.Vps is not null)
            return;
        SetVps(child, only);
        VpsTaskAdd(only);
        child.VPid = child.VTgid = AllocVpid(only, child.Pid, -1, o);
        SetTraceNr(child, ret);
        if (child.Parent is { EnteredUnnamed: true } parent)
        {
            parent.ChildrenVps = only;
            parent.EnteredUnnamed = false;
        }
    }

    /// <summary>A task of a /proc snapshot, or adopted: its numbers as the capture gives them, placed by the rules of this design.</summary>
    private void ApplySnapshot(TaskSnapshot ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        int levels = ev.NsPid?.Length ?? 1;
        Vps? vps = null;
        if (levels >= 2)
        {
            if (ev.PidNs != 0 && levels == 2 && _vpssByNs.TryGetValue(ev.PidNs, out var inNs))
                vps = inNs.Last;
            if (vps is null && ev.PidNs == 0 && _tasks.TryGetValue(ev.PPid, out var known))
                vps = known.Vps; // no inode: a child of a VPS task is in its VPS
            if (levels > 2)
            {
                // The outer namespace's inode is not in the snapshot: the parent's VPS is the outer one.
                vps = _tasks.TryGetValue(ev.PPid, out var p) ? p.Vps : null;
                if (vps is not null) Nested(vps, o);
                else
                {
                    o.Verdict = Verdict.Unsupported;
                    o.Note = "a task of a nested pid namespace whose outer namespace is unknown stays on the host";
                }
            }
            else
                vps ??= NewVps("", ev.PidNs);
        }
        int pid = PreexistingGlobal(ev.Tid);
        bool thread = ev.Tgid != 0 && ev.Tgid != ev.Tid && _tasks.ContainsKey(ev.Tgid);
        int vpid = vps is null ? pid : ev.NsPid![1] == 1 && levels == 2 ? 1 : pid + VpidDiv;
        VpidTask t;
        if (thread)
        {
            var leader = _tasks[ev.Tgid];
            t = NewTask(ev.Tid, pid);
            JoinThreadGroup(leader, t);
            // A zombie leader with a live thread: the leader exited first, the process lives.
            if (leader.State == TaskState.Zombie) leader.State = TaskState.LeaderGone;
            t.VTgid = leader.VTgid;
            t.VPgid = leader.VPgid;
            t.VSid = leader.VSid;
            if (leader.Parent is not null) AddChild(leader.Parent, t);
        }
        else
        {
            _tasks.TryGetValue(ev.PPid, out var parent);
            t = NewProcess(ev.Tid, pid, parent);
            if (parent is null && ev.PPid > 1)
            {
                if (!_awaitingParent.TryGetValue(ev.PPid, out var list))
                    _awaitingParent[ev.PPid] = list = new List<VpidTask>();
                list.Add(t);
            }
            int pgrp = ModelNumber(ev.Pgid), session = ModelNumber(ev.Sid);
            if (pgrp == 0 && ev.Pgid == ev.Tid) pgrp = pid;
            if (session == 0 && ev.Sid == ev.Tid) session = pid;
            AttachProcess(t, pgrp, session);
            // A zombie in the snapshot (State Z): dead, its parent told, waiting to be reaped.
            if (ev.Zombie)
            {
                t.State = TaskState.Zombie;
                t.LiveThreads = 0;
            }
            t.VTgid = vpid;
            t.VPgid = SnapshotVirtual(vps, pgrp, ev.NsPgid, levels);
            t.VSid = SnapshotVirtual(vps, session, ev.NsSid, levels);
        }
        t.VPid = vpid;
        SetVps(t, vps);
        t.NestedNs = levels > 2 && vps is not null;
        SetTraceNr(t, ev.NsPid is { Length: > 0 } nspid ? nspid[Math.Min(1, nspid.Length - 1)] : 0);
        t.Adopted = ev.Adopted;
        t.Cred = Creds.FromSnapshot(ev);
        t.MaskKnown = ev.Blocked.HasValue;
        t.Blocked = ev.Blocked ?? ev.BlockedAtRead ?? 0;
        if (!thread && ev.SigIgn is { } ignored && ev.SigCgt is { } caught)
        {
            // /proc's actions (bit sig-1 for signal sig; a signal in neither set is SIG_DFL), in
            // this model's masks (bit sig); SA_NOCLDWAIT where the capture read it.
            ulong never = SigBit(SIGKILL) | SigBit(SIGSTOP);
            t.Ignored = (ignored << 1) & ~never;
            t.Caught = (caught << 1) & ~never;
            t.UnknownDisposition = 0;
            if (ev.SigchldFlags is { } flags) t.NoCldWait = (flags & SA_NOCLDWAIT) != 0;
        }
        if (vps is not null)
        {
            VpsTaskAdd(vps);
            if (vpid == 1) { vps.Init = t; vps.HadInit = true; }
        }
        if (_awaitingParent.Remove(ev.Tid, out var children))
            foreach (var c in children)
                if (c.Parent is null) AddChild(t, c);
    }

    /// <summary>A group or session seen from inside: the leader's virtual number when it is inside (NSpgid's inner level non-zero), else the global number.</summary>
    private static int SnapshotVirtual(Vps? vps, int global, int[]? nested, int levels)
    {
        if (vps is null || global == 0)
            return global;
        if (nested is null || nested.Length < 2 || nested[1] == 0 || levels > 2)
            return global;
        return nested[1] == 1 ? 1 : global + VpidDiv;
    }
}
