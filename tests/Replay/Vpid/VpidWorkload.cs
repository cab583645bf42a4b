using Replayer.Ingest.Events;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>
/// A seeded synthetic workload for N linear VPSs on one host, written the way a kernel with the
/// 2006 patch would have recorded it: tids from the patch's alloc_pidmap (bit 10 skipped, wrap to
/// 300 at pid_max, numbers still held by a task, group or session skipped), arguments in the
/// caller's view, return values the patch's. It is its own small kernel, independent of the model:
/// fork, exit (orphans to the VPS init), wait4(-1), kill by virtual pid and by virtual group,
/// getpid, setsid.
/// </summary>
internal sealed class VpidWorkload
{
    private sealed class Proc
    {
        public int Tid, Vpid, Pgid, Sid, VPgid, VSid, Vps = -1;
        public Proc? Parent;
        public bool Zombie;
        public readonly List<Proc> Children = new();
    }

    private const int PidMax = 32768, ReservedPids = 300, VpidDiv = 1024;

    private readonly Random _rng;
    private readonly string _host;
    private readonly List<PidEvent> _events = new();
    private readonly Dictionary<int, Proc> _live = new();
    private readonly int[] _uses = new int[PidMax];
    private readonly List<List<Proc>> _vpss = new();
    private readonly Proc _init;
    private int _lastPid = ReservedPids - 1;
    private long _seq;

    /// <summary>Processes a VPS may hold before its forks give way to exits.</summary>
    public int MaxPerVps { get; init; } = 24;

    public VpidWorkload(int seed, string host = "a")
    {
        _rng = new Random(seed);
        _host = host;
        _init = new Proc { Tid = 1, Vpid = 1, Pgid = 1, Sid = 1, VPgid = 1, VSid = 1 };
        Hold(_init);
        _live[1] = _init;
        Add(new TaskSnapshot { Tid = 1, Tgid = 1, PPid = 0, Pgid = 1, Sid = 1, Comm = "init", NsPid = [1] });
    }

    public IReadOnlyList<PidEvent> Events => _events;

    /// <summary>Starts VPS "ve{n}": a host vzctl forks the init, makes it the VPS's init, and the init calls setsid.</summary>
    public void AddVps()
    {
        var vzctl = Spawn(_init, -1);
        Add(new Fork { Tid = 1, Child = vzctl.Tid, Ret = vzctl.Tid, Comm = "init" });
        var init = Spawn(vzctl, -1);
        Add(new Fork { Tid = vzctl.Tid, Child = init.Tid, Ret = init.Tid, Comm = "vzctl" });
        init.Vps = _vpss.Count;
        init.Vpid = 1;
        _vpss.Add(new List<Proc> { init });
        Add(new Container { Tid = vzctl.Tid, Action = ContainerAction.Create, Id = VpsName(_host, init.Vps), Task = init.Tid, Ret = 0, Comm = "vzctl" });
        SetSid(init);
    }

    public static string VpsName(string host, int index) => host + "-ve" + index;

    /// <summary>Appends <paramref name="count"/> random events over the VPSs made so far.</summary>
    public void Run(int count)
    {
        int end = _events.Count + count;
        while (_events.Count < end)
        {
            var vps = _vpss[_rng.Next(_vpss.Count)];
            var caller = vps[_rng.Next(vps.Count)];
            int roll = _rng.Next(100);
            if (roll < 22)
            {
                if (vps.Count < MaxPerVps) Fork(caller, vps);
                else GetPid(caller);
            }
            else if (roll < 36) ExitOne(vps);
            else if (roll < 55) WaitAny(vps);
            else if (roll < 70) KillOne(caller, vps);
            else if (roll < 95) GetPid(caller);
            else if (caller.Pgid != caller.Tid && caller.Sid != caller.Tid) SetSid(caller);
            else GetPid(caller);
        }
    }

    private void Add(PidEvent ev) => _events.Add(ev with { Host = _host, Seq = _seq++ });

    private Proc Spawn(Proc parent, int vps)
    {
        int tid = AllocPidmap();
        var child = new Proc
        {
            Tid = tid, Vps = vps, Vpid = vps < 0 ? tid : tid + VpidDiv, Parent = parent,
            Pgid = parent.Pgid, Sid = parent.Sid, VPgid = parent.VPgid, VSid = parent.VSid,
        };
        parent.Children.Add(child);
        _live[tid] = child;
        Hold(child);
        return child;
    }

    private void Fork(Proc parent, List<Proc> vps)
    {
        var child = Spawn(parent, parent.Vps);
        vps.Add(child);
        Add(new Fork { Tid = parent.Tid, Child = child.Tid, Ret = child.Tid, Comm = "sh" });
    }

    private void ExitOne(List<Proc> vps)
    {
        if (vps.Count < 2)
            return;
        var p = vps[1 + _rng.Next(vps.Count - 1)];
        vps.Remove(p);
        p.Zombie = true;
        var init = vps[0];
        foreach (var c in p.Children)
        {
            c.Parent = init;
            init.Children.Add(c);
        }
        p.Children.Clear();
        Add(new Exit { Tid = p.Tid, Group = true, Code = 0, Comm = "sh" });
    }

    private void WaitAny(List<Proc> vps)
    {
        foreach (var p in vps)
        {
            var zombie = p.Children.Find(c => c.Zombie);
            if (zombie is null)
                continue;
            p.Children.Remove(zombie);
            _live.Remove(zombie.Tid);
            Release(zombie);
            Add(new Wait { Tid = p.Tid, Pid = -1, Ret = zombie.Vpid, Comm = "sh" });
            return;
        }
    }

    private void KillOne(Proc caller, List<Proc> vps)
    {
        var target = vps[_rng.Next(vps.Count)];
        if (_rng.Next(4) == 0 && target.VPgid != 1) // -1 would be kill(-1), not the init's group
            Add(new Kill { Tid = caller.Tid, Pid = -target.VPgid, Sig = 28, Ret = 0, Comm = "sh" });
        else
            Add(new Kill { Tid = caller.Tid, Pid = target.Vpid, Sig = _rng.Next(2) == 0 ? 0 : 28, Ret = 0, Comm = "sh" });
    }

    private void GetPid(Proc caller) =>
        Add(new GetId { Tid = caller.Tid, Call = GetIdCall.GetPid, Ret = caller.Vpid, Comm = "sh" });

    private void SetSid(Proc p)
    {
        Drop(p.Pgid);
        Drop(p.Sid);
        p.Pgid = p.Sid = p.Tid;
        _uses[p.Tid] += 2;
        p.VPgid = p.VSid = p.Vpid;
        Add(new SetSid { Tid = p.Tid, Ret = p.Vpid, Comm = "init" });
    }

    private void Hold(Proc p)
    {
        _uses[p.Tid]++;
        _uses[p.Pgid]++;
        _uses[p.Sid]++;
    }

    private void Release(Proc p)
    {
        Drop(p.Tid);
        Drop(p.Pgid);
        Drop(p.Sid);
    }

    private void Drop(int nr) => _uses[nr]--;

    /// <summary>The patch's alloc_pidmap: the number after the last, bit 10 skipped, wrapping to 300.</summary>
    private int AllocPidmap()
    {
        int pid = _lastPid + 1;
        for (int scanned = 0; scanned < PidMax; scanned++, pid++)
        {
            if ((pid & VpidDiv) != 0) pid += VpidDiv;
            if (pid >= PidMax) pid = ReservedPids;
            if (_uses[pid] == 0)
            {
                _lastPid = pid;
                return pid;
            }
        }
        throw new InvalidOperationException("workload too large: bit 10 leaves about 16,000 global pids below pid_max 32768");
    }

    /// <summary>The live processes of VPS <paramref name="index"/>, as (tid, virtual pid).</summary>
    public IEnumerable<(int Tid, int Vpid)> Members(int index) => _vpss[index].Select(p => (p.Tid, p.Vpid));

    public int VpsCount => _vpss.Count;
}
