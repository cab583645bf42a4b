using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Vpid;

public sealed partial class VpidModel
{
    /// <summary>Container lifecycle from tooling logs (vzctl) or synthetic workloads.</summary>
    private void ContainerEvent(Container ev, Outcome o)
    {
        switch (ev.Action)
        {
            case ContainerAction.Create: CreateVps(ev, o); break;
            case ContainerAction.Enter: EnterVps(ev, o); break;
            case ContainerAction.Checkpoint: Checkpoint(ev, o); break;
            case ContainerAction.Restore: RestoreVps(ev, o); break;
            case ContainerAction.Stop:
                if (FindVps(ev.Id) is { } vps)
                {
                    StopVps(vps, null, o, releaseNow: true);
                    o.Return(0);
                }
                else
                    o.Return(-ESRCH);
                break;
        }
    }

    /// <summary>vzctl start: a VPS is made; the task named (when there is one) becomes its init, virtual pid 1, keeping its group and session.</summary>
    private void CreateVps(Container ev, Outcome o)
    {
        var vps = NewVps(ev.Id, 0);
        o.Return(0);
        if (ev.Task == 0 || !_tasks.TryGetValue(ev.Task, out var init))
            return;
        if (init.Vps is { } old)
            VpsTaskDel(old, init);
        SetVps(init, vps);
        init.VPid = 1;
        if (init.IsLeader)
            for (var th = init; th is not null; th = th.NextThread)
                th.VTgid = 1;
        vps.Init = init;
        vps.HadInit = true;
        VpsTaskAdd(vps);
    }

    /// <summary>
    /// vzctl exec/enter: the task moves into the VPS and keeps every number it had, so its host
    /// group and session show inside as global numbers (seed 001: pgid 6879, sid 6879 inside).
    /// </summary>
    private void EnterVps(Container ev, Outcome o)
    {
        var vps = FindVps(ev.Id);
        int tid = ev.Task != 0 ? ev.Task : ev.Tid;
        if (vps is null || !_tasks.TryGetValue(tid, out var t))
        {
            o.Return(-ESRCH);
            return;
        }
        o.Return(0, t.Tid);
        if (ReferenceEquals(t.Vps, vps))
            return;
        if (t.Vps is { } old)
            VpsTaskDel(old, t);
        SetVps(t, vps);
        VpsTaskAdd(vps);
    }

    /// <summary>
    /// Checkpoint: the VPS's tasks in creation order with their virtual numbers. A VPS whose tasks
    /// refer to a group or session outside it cannot migrate ("Container can be migrated only
    /// when all the references resolve inside this container": Kuznetsov, seed 001).
    /// </summary>
    private void Checkpoint(Container ev, Outcome o)
    {
        var vps = FindVps(ev.Id);
        if (vps is null)
        {
            o.Return(-ESRCH);
            return;
        }
        var index = new Dictionary<VpidTask, int>(ReferenceEqualityComparer.Instance);
        var tasks = new List<ImageTask>(vps.Tasks);
        // One task into the image; false when it refers outside the VPS and the checkpoint fails.
        bool Image(VpidTask t)
        {
            if (!Inside(t.VPgid) || !Inside(t.VSid) || !Inside(t.VPid))
            {
                o.Return(-EBUSY, t.Tid);
                o.Note = "a task refers to a group, session or pid outside the VPS: it cannot migrate";
                return false;
            }
            index[t] = tasks.Count;
            int parent = t.Parent is { } par && index.TryGetValue(par.Leader, out int pi) ? pi : -1;
            int leader = index.TryGetValue(t.Leader, out int li) ? li : tasks.Count;
            tasks.Add(new ImageTask(t.Tid, t.VPid, t.VTgid, t.VPgid, t.VSid, parent, leader, t.Leader.State == TaskState.Zombie));
            return true;
        }
        if (_membersExact)
        {
            for (var t = vps.FirstMember; t is not null; t = t.NextMember)
                if (!Image(t))
                    return;
        }
        else
        {
            for (int i = 0; i < _processes.End; i++)
                for (var t = _processes[i]; t is not null; t = t.NextThread)
                    if (t.Vps == vps && !Image(t))
                        return;
        }
        _migrations.Put(new VpsImage(vps.Name, _host, tasks.ToArray()));
        o.Return(0);
    }

    private static bool Inside(int vnr) => vnr == 1 || IsVirtual(vnr);

    /// <summary>
    /// Restore on this host: each task recreated with do_fork_pid and its old virtual number, on a
    /// new global pid from this host's alloc_pidmap. The VPS stays linear while every number is 1
    /// or the new global + 1024; the first that is not switches it to sparse (the walk's cost in
    /// <see cref="LastSparseSwitch"/>); in a sparse VPS a number already mapped gives EEXIST.
    /// Restored tasks are known by their new global pids.
    /// </summary>
    private void RestoreVps(Container ev, Outcome o)
    {
        var image = _migrations.Take(ev.Id);
        if (image is null)
        {
            o.Return(-ESRCH);
            o.Note = "no checkpoint of this VPS is waiting";
            return;
        }
        _tasks.TryGetValue(ev.Tid, out var restorer);
        var vps = NewVps(image.Name, 0);
        var created = new VpidTask?[image.Tasks.Length];
        var byVnr = new Dictionary<int, VpidTask>();
        int failure = 0;
        for (int i = 0; i < image.Tasks.Length; i++)
        {
            var it = image.Tasks[i];
            bool thread = it.Leader != i;
            if (thread && created[it.Leader] is null)
                continue;
            int pid;
            do pid = AllocGlobal(o); while (_tasks.ContainsKey(pid)); // a number some trace task is known by stays its name
            int vpid = AllocVpid(vps, pid, it.VPid, o);
            if (vpid < 0)
            {
                failure = vpid;
                o.AllocationFailure = -vpid;
                o.Note ??= "restore: a virtual pid already mapped in the VPS (EEXIST)";
                continue;
            }
            VpidTask t;
            if (thread)
            {
                var leader = created[it.Leader]!;
                t = NewTask(pid, pid);
                JoinThreadGroup(leader, t);
                if (leader.Parent is not null) AddChild(leader.Parent, t);
            }
            else
            {
                var parent = it.Parent >= 0 ? created[it.Parent] : i == 0 ? restorer : vps.Init;
                t = NewProcess(pid, pid, parent ?? vps.Init ?? restorer);
                t.LiveThreads = 1;
                int pgrp = byVnr.TryGetValue(it.VPgid, out var pl) ? pl.Pid : it.VPgid == it.VPid ? pid : 0;
                int session = byVnr.TryGetValue(it.VSid, out var sl) ? sl.Pid : it.VSid == it.VPid ? pid : 0;
                AttachProcess(t, pgrp, session);
                if (it.Zombie)
                {
                    t.State = TaskState.Zombie;
                    t.LiveThreads = 0;
                }
            }
            t.VPid = vpid;
            t.VTgid = it.VTgid;
            t.VPgid = it.VPgid;
            t.VSid = it.VSid;
            SetVps(t, vps);
            VpsTaskAdd(vps);
            if (vpid == 1) { vps.Init = t; vps.HadInit = true; }
            byVnr.TryAdd(vpid, t);
            created[i] = t;
        }
        // Groups and sessions whose leader came later in the image (or is gone) are attached now.
        for (int i = 0; i < created.Length; i++)
        {
            var t = created[i];
            if (t is null || !t.IsLeader)
                continue;
            var it = image.Tasks[i];
            if (t.Pgrp == 0 && byVnr.TryGetValue(it.VPgid, out var pl))
                MoveGroup(t, pl.Pid);
            if (t.Session == 0 && byVnr.TryGetValue(it.VSid, out var sl))
                MoveSession(t, sl.Pid);
        }
        o.Return(failure);
    }
}
