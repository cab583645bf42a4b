namespace Replayer.Replay.Models.Vpid;

public sealed partial class VpidModel
{
    /// <summary>
    /// vpid_to_pid as the caller passes a positive number: inside a VPS, 1 names the VPS init, a
    /// number with VPID_BIT set maps back (minus 1024 when linear, through the hash when sparse)
    /// and any other number is a global pid used as it is ("all the inter-container communication
    /// is made using global pids"). From the host, a virtual number names nothing. Returns the
    /// global number, or 0 (the patch's -1).
    /// </summary>
    private int VpidToPid(VpidTask caller, int nr, Outcome o)
    {
        if (nr <= 0)
            return nr;
        var vps = caller.Vps;
        if (vps is null)
        {
            nr = FromTrace(nr);
            return IsVirtual(nr) ? 0 : nr;
        }
        int known = FromTraceInside(caller, nr);
        if (known != nr)
            return known; // a number the trace's kernel showed inside: the task this design gave the caller instead
        if (!IsVirtual(nr) && nr != 1)
            return nr; // is_virtual_pid is false: no translation at all
        o.TranslationsIn++;
        if (vps.Sparse)
        {
            int probes = 0;
            int pid = _hash.Lookup(nr, vps.Id, ref probes);
            o.Probes += probes;
            return pid;
        }
        o.Probes++; // one subtraction, or one load of vps->init_task
        if (nr != 1)
            return nr - VpidDiv;
        return vps.Init?.Pid ?? 0;
    }

    /// <summary>Whether the OpenVZ policy keeps the caller from reaching the target (another VPS, or the host from inside).</summary>
    private bool Fenced(VpidTask caller, VpidTask target) =>
        _options.Policy == KillPolicy.OpenVz && caller.Vps is not null && target.Vps != caller.Vps;

    /// <summary>find_task_by_pid after vpid_to_pid: the task a number names for the caller, or null.</summary>
    private VpidTask? FindTask(VpidTask caller, int nr, Outcome o)
    {
        int pid = VpidToPid(caller, nr, o);
        if (pid <= 0 || pid >= _byPid.Length)
            return null;
        var t = _byPid[pid];
        return t is null || Fenced(caller, t) ? null : t;
    }

    /// <summary>
    /// The number a viewer is shown: inside a VPS the stored virtual number (get_task_pid and
    /// friends: inside_vps() ? virt_* : global), on the host the global one.
    /// </summary>
    private static int Shown(VpidTask viewer, VpidTask target, IdKind kind, Outcome? o)
    {
        if (viewer.Vps is null)
            return kind switch
            {
                IdKind.Pid => target.Pid,
                IdKind.Tgid => target.Leader.Pid,
                IdKind.Pgid => target.Leader.Pgrp,
                _ => target.Leader.Session,
            };
        if (o is not null)
        {
            o.TranslationsOut++;
            o.Probes++; // a load of pids[type].vnr
        }
        return Virtual(target, kind);
    }

    /// <summary>virt_pid, virt_tgid, virt_pgid, virt_sid: the stored virtual numbers, whoever asks.</summary>
    private static int Virtual(VpidTask t, IdKind kind) => kind switch
    {
        IdKind.Pid => t.VPid,
        IdKind.Tgid => t.VTgid,
        IdKind.Pgid => t.VPgid,
        _ => t.VSid,
    };

    public int NumberOf(int viewer, int target, IdKind kind)
    {
        if (!_tasks.TryGetValue(viewer, out var v) || !_tasks.TryGetValue(target, out var t))
            return -1;
        return Shown(v, t, kind, null);
    }

    public int Resolve(int viewer, int number, IdKind kind)
    {
        if (!_tasks.TryGetValue(viewer, out var v) || number <= 0)
            return 0;
        var scratch = _resolveScratch;
        scratch.Reset();
        int pid = VpidToPid(v, number, scratch);
        if (pid <= 0 || pid >= _byPid.Length)
            return 0;
        if (kind is IdKind.Pid or IdKind.Tgid)
        {
            var t = _byPid[pid];
            if (t is null || Fenced(v, t))
                return 0;
            return kind == IdKind.Tgid ? t.Leader.Tid : t.Tid;
        }
        if (kind == IdKind.Pgid)
        {
            var first = _groupHead[pid];
            return first is null || Fenced(v, first) ? 0 : IdentityOf(pid);
        }
        return _uses[pid] > 0 && SessionExists(pid) ? IdentityOf(pid) : 0;
    }

    private bool SessionExists(int session)
    {
        for (int i = 0; i < _processes.End; i++)
            if (_processes[i] is { } p && p.Session == session)
                return true;
        return false;
    }
}
