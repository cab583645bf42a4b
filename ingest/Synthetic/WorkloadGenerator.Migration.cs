using Replayer.Ingest.Events;

namespace Replayer.Ingest.Synthetic;

/// <summary>
/// Migration, the way vzctl chkpnt/restore drives CRIU on a kernel with nested pid namespaces:
/// Container Checkpoint on the source and the container killed there; Container Restore on the
/// destination, which clones a new init with CLONE_NEWPID and recreates every task with clone3's
/// set_tid, so each keeps its virtual number. Groups and sessions whose leader has gone are
/// recreated the way CRIU does it, with a helper task holding the number until its members are in.
/// </summary>
internal sealed partial class SyntheticCluster
{
    /// <summary>One process of a checkpointed container, numbers as its init saw them.</summary>
    private struct ImageProcess
    {
        public int Vpid, Parent, Vpgid, Vsid, Job, Work, FirstThread, ThreadCount;
        public Role Role;
        public string Comm;
        public ulong Catch, Ignore;
        public bool Subreaper;
    }

    private readonly List<ImageProcess> _image = new(64);
    private readonly List<int> _imageThreads = new(64);
    private readonly List<SimTask> _scratch = new(64);
    /// <summary>Restored tasks by virtual number, helpers included.</summary>
    private readonly Dictionary<int, SimTask> _restored = new();
    private readonly List<SimTask> _helpers = new(8);
    private readonly SortedSet<int> _numbers = new();

    private static readonly Comparison<SimTask> ByBirth = (a, b) => a.Born.CompareTo(b.Born);

    private bool TryMigrate()
    {
        var from = _hosts[_rng.Next(_hosts.Length)];
        SimContainer? ct = null;
        int n = from.Containers.Count, start = _rng.Next(n);
        for (int i = 0; i < n && ct is null; i++)
        {
            var c = from.Containers[(start + i) % n];
            // CRIU here restores one pid namespace: a container with a nested one stays.
            if (c.Depth == 0 && c.Child is null) ct = c;
        }
        if (ct is null || !Checkpoint(ct)) return false;
        var to = Emptiest(from);
        Emit(from, new Container { Tid = from.Vzctl.Tid, Comm = from.Vzctl.Comm, Action = ContainerAction.Checkpoint, Id = ct.Id, Peer = to.Name });
        // vzctl chkpnt kills the dumped container: SIGKILL to its init, the kernel does the rest.
        Kill(from, from.Vzctl, ct.Init.Tid, SIGKILL);
        Drain();
        Restore(ct.Id, from, to);
        return true;
    }

    /// <summary>Dumps the container's processes in creation order (parents first); false when a number is not known.</summary>
    private bool Checkpoint(SimContainer ct)
    {
        var k = ct.Host.Kernel;
        int init = ct.Init.Tid;
        _image.Clear();
        _imageThreads.Clear();
        _scratch.Clear();
        _scratch.AddRange(ct.Processes);
        _scratch.Sort(ByBirth);
        foreach (var p in _scratch)
        {
            var img = new ImageProcess
            {
                Vpid = k.NumberOf(init, p.Tid),
                Parent = p.Parent is { } par && par.Container == ct ? k.NumberOf(init, par.Tid) : 0,
                Vpgid = k.NumberOf(init, p.Pgid),
                Vsid = k.NumberOf(init, p.Sid),
                Job = p.Job != 0 ? k.NumberOf(init, p.Job) : 0,
                Work = p.Work,
                Role = p.Role,
                Comm = p.Comm,
                Catch = p.Catch,
                Ignore = p.Ignore,
                Subreaper = p.Subreaper,
                FirstThread = _imageThreads.Count,
                ThreadCount = p.Threads.Count,
            };
            if (img.Vpid <= 0 || img.Vpgid <= 0 || img.Vsid <= 0) return false;
            foreach (var th in p.Threads)
            {
                int v = k.NumberOf(init, th.Tid);
                if (v <= 0) return false;
                _imageThreads.Add(v);
            }
            _image.Add(img);
        }
        _scratch.Clear();
        return _image.Count > 0 && _image[0].Vpid == 1;
    }

    /// <summary>Recreates the image on <paramref name="to"/>: init, session holders, group holders, the rest, threads, dispositions; then the helpers go.</summary>
    private void Restore(string id, SimHost from, SimHost to)
    {
        var ct = new SimContainer { Id = id, Host = to, Inode = 4026532000UL + (ulong)++_madeContainers };
        var init = Fork(to, to.Vzctl, Role.Init, ct, CloneFlags.NewPid | SIGCHLD, ForkCall.Clone);
        Emit(to, new Container { Tid = to.Vzctl.Tid, Comm = to.Vzctl.Comm, Action = ContainerAction.Restore, Id = id, Peer = from.Name, Task = init.Tid });
        ct.Init = init;
        ct.Add(init);
        SetSid(to, init);
        _restored.Clear();
        _helpers.Clear();
        _restored[1] = init;

        // Sessions first: their leaders, or helpers standing in for leaders that have exited.
        _numbers.Clear();
        foreach (var p in _image) if (p.Vsid != 1) _numbers.Add(p.Vsid);
        foreach (int sid in _numbers)
        {
            var t = Recreate(to, ct, init, sid);
            SetSid(to, t);
        }
        // Then groups inside those sessions, forked by a member of the session.
        _numbers.Clear();
        foreach (var p in _image) if (p.Vpgid != p.Vsid) _numbers.Add(p.Vpgid);
        foreach (int pgid in _numbers)
        {
            var t = Recreate(to, ct, _restored[SessionOfGroup(pgid)], pgid);
            JoinGroup(to, t, 0, t.Tid);
        }
        // The rest in creation order, each from its parent when the parent is in its session.
        foreach (var p in _image)
        {
            if (_restored.ContainsKey(p.Vpid)) continue;
            var forker = _restored.TryGetValue(p.Parent, out var par) && to.Kernel.NumberOf(init.Tid, par.Sid) == p.Vsid
                ? par
                : _restored[p.Vsid];
            var t = Recreate(to, ct, forker, p.Vpid);
            if (to.Kernel.NumberOf(init.Tid, t.Pgid) != p.Vpgid) JoinGroup(to, t, p.Vpgid, _restored[p.Vpgid].Tid);
        }
        foreach (var p in _image)
        {
            var t = _restored[p.Vpid];
            for (int i = 0; i < p.ThreadCount; i++) Thread(to, t, [_imageThreads[p.FirstThread + i]]);
            SigActions(to, t, p.Catch, p.Ignore);
            if (p.Subreaper) Prctl(to, t, true);
            t.Role = p.Role;
            t.Comm = p.Comm;
            t.Work = p.Work;
            t.Job = p.Job != 0 && _restored.TryGetValue(p.Job, out var job) ? job.Tid : 0;
        }
        AddContainer(to, ct);
        // Group helpers were made after session helpers: they go first, each reaped by its parent.
        for (int i = _helpers.Count - 1; i >= 0; i--)
        {
            Quit(_helpers[i]);
            Drain();
        }
    }

    /// <summary>clone3 with set_tid = [nr] from <paramref name="forker"/>: the image's process with that number, or a helper holding it.</summary>
    private SimTask Recreate(SimHost h, SimContainer ct, SimTask forker, int nr)
    {
        bool inImage = false;
        foreach (var p in _image)
            if (p.Vpid == nr) { inImage = true; break; }
        var t = Fork(h, forker, inImage ? Role.Worker : Role.Helper, ct, SIGCHLD, ForkCall.Clone3, [nr]);
        if (!inImage) _helpers.Add(t);
        _restored[nr] = t;
        return t;
    }

    private int SessionOfGroup(int pgid)
    {
        foreach (var p in _image)
            if (p.Vpgid == pgid) return p.Vsid;
        return 1;
    }
}
