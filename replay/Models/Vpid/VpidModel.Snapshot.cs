using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Vpid;

public sealed partial class VpidModel
{
    /// <summary>The layout of <see cref="WriteSnapshot"/>; a replay's snapshots carry it in their type (a snapshot of another version is not resumed from).</summary>
    public const int SnapshotVersion = 8;

    /// <summary>
    /// The whole state: VPSs, tasks in process-list order with their threads, children and group
    /// lists in their order, the pidmap's holders, and the vpid hash chain by chain, so that a
    /// restored model answers and probes exactly as this one would.
    /// </summary>
    public byte[] Snapshot()
    {
        using var ms = new MemoryStream();
        WriteSnapshot(ms);
        return ms.ToArray();
    }

    public void WriteSnapshot(Stream output)
    {
        using (var w = new BinaryWriter(output, Snapshots.Utf8, leaveOpen: true))
        {
            w.Write(SnapshotVersion);
            w.Write(_options.PidMax);
            w.Write(_options.Buckets);
            w.Write(_host);
            w.Write(_lastPid);
            w.Write(_overflowCursor);
            w.Write(SparseSwitches);
            w.Write(LastSparseSwitch.HasValue);
            if (LastSparseSwitch is { } s)
            {
                w.Write(s.VpsId); w.Write(s.Mappings); w.Write(s.Lookups); w.Write(s.Probes);
                w.Write(s.Preallocated); w.Write(s.AtomicAllocations); w.Write(s.HostWide);
            }
            w.Write(_vpss.Count);
            foreach (var v in _vpss)
            {
                w.Write(v.Name); w.Write(v.PidNs); w.Write(v.Sparse); w.Write(v.Mappings);
                w.Write(v.Tasks); w.Write(v.Stopped); w.Write(v.HadInit); w.Write(v.InitTid);
            }
            // Every task the model knows, in process-list order, leaders before their threads; then
            // those known but on no list (a thread whose group is gone), by tid, to be restored off
            // the list as they were.
            var listed = new List<VpidTask>(_tasks.Count);
            for (int i = 0; i < _processes.End; i++)
                for (var t = _processes[i]; t is not null; t = t.NextThread)
                    listed.Add(t);
            var onList = new HashSet<VpidTask>(listed, ReferenceEqualityComparer.Instance);
            var unlisted = _tasks.Select(kv => kv.Value).Where(t => !onList.Contains(t)).OrderBy(t => t.Tid).ToList();
            w.Write(listed.Count);
            foreach (var t in listed) WriteTask(w, t);
            w.Write(unlisted.Count);
            foreach (var t in unlisted) WriteTask(w, t);
            // Children lists in order (wait and reparenting walk them oldest first).
            for (int i = 0; i < _processes.End; i++)
                for (var t = _processes[i]; t is not null; t = t.NextThread)
                    if (t.FirstChild is not null)
                    {
                        w.Write(t.Tid);
                        int n = 0;
                        for (var c = t.FirstChild; c is not null; c = c.NextSibling) n++;
                        w.Write(n);
                        for (var c = t.FirstChild; c is not null; c = c.NextSibling) w.Write(c.Tid);
                    }
            w.Write(0);
            // Process groups in attach order.
            for (int i = 0; i < _processes.End; i++)
                if (_processes[i] is { Pgrp: > 0 } p && ReferenceEquals(_groupHead[p.Pgrp], p))
                {
                    w.Write(p.Pgrp);
                    int n = 0;
                    for (var g = p; g is not null; g = g.NextInGroup) n++;
                    w.Write(n);
                    for (var g = p; g is not null; g = g.NextInGroup) w.Write(g.Tid);
                }
            w.Write(0);
            // The numbers in use or renumbered, in order: each table is searched on from where it
            // last had something, so a sparse one is not searched again for every number of the other.
            for (int used = _uses.NextSet(0), traced = _traceOf.NextSet(0); Math.Min(used, traced) < _uses.Length;)
            {
                int nr = Math.Min(used, traced);
                w.Write(nr); w.Write(_uses[nr]); w.Write(_traceOf[nr]);
                if (used == nr) used = _uses.NextSet(nr + 1);
                if (traced == nr) traced = _traceOf.NextSet(nr + 1);
            }
            w.Write(-1);
            // Renumberings as they are, reservations for tasks not seen yet included.
            w.Write(_renumbered.Count);
            var (renumberedTids, renumberedTo) = ByKey(_renumbered);
            for (int i = 0; i < renumberedTids.Length; i++) { w.Write(renumberedTids[i]); w.Write(renumberedTo[i]); }
            w.Write(_awaitingParent.Count);
            foreach (var (ppid, list) in _awaitingParent)
            {
                w.Write(ppid);
                w.Write(list.Count);
                foreach (var t in list) w.Write(t.Tid);
            }
            w.Write(_insideNumbers.Count);
            // Sorted by VPS, then number: entries come and go, and a table's order then depends on its history.
            var insideKeys = new long[_insideNumbers.Count];
            var inside = new (int Vps, int Nr, ShownNumber Shown)[insideKeys.Length];
            int at = 0;
            foreach (var e in _insideNumbers.Entries())
            {
                insideKeys[at] = ((long)e.Vps << 32) | (uint)(e.Nr ^ int.MinValue);
                inside[at++] = e;
            }
            Array.Sort(insideKeys, inside);
            foreach (var (vps, nr, shown) in inside)
            {
                w.Write(vps); w.Write(nr); w.Write(shown.Pid); w.Write(shown.Tid);
            }
            w.Write(_notices.Count);
            var (noticeFrom, notices) = ByKey(_notices);
            for (int i = 0; i < noticeFrom.Length; i++)
            {
                var (to, result, child) = notices[i];
                w.Write(noticeFrom[i]); w.Write(to); w.Write((byte)result); w.Write(child);
            }
            _hash.Write(w);
        }
    }

    /// <summary>A map's keys in ascending order and the values that go with them: its own order is its history's. Keys are unique, so the order is that of a stable sort.</summary>
    private static (int[] Keys, T[] Values) ByKey<T>(TidMap<T> map) => ByKey(map, map.Count);

    /// <inheritdoc cref="ByKey{T}(TidMap{T})"/>
    private static (int[] Keys, T[] Values) ByKey<T>(Dictionary<int, T> map) => ByKey(map, map.Count);

    private static (int[] Keys, T[] Values) ByKey<T>(IEnumerable<KeyValuePair<int, T>> map, int count)
    {
        var keys = new int[count];
        var values = new T[keys.Length];
        int at = 0;
        foreach (var (key, value) in map)
        {
            keys[at] = key;
            values[at++] = value;
        }
        Array.Sort(keys, values);
        return (keys, values);
    }

    /// <summary>One task as <see cref="WriteTask"/> wrote it, entered in the task tables; its leader's tid and its parent's (into <paramref name="parents"/>) are linked later.</summary>
    private VpidTask ReadTask(BinaryReader r, out int leader, List<int> parents)
    {
        var t = _pool.Count > 0 ? _pool.Pop() : new VpidTask();
        t.Clear();
        t.Tid = r.ReadInt32(); t.Pid = r.ReadInt32(); t.TraceNr = r.ReadInt32(); t.VPid = r.ReadInt32(); t.VTgid = r.ReadInt32();
        t.VPgid = r.ReadInt32(); t.VSid = r.ReadInt32();
        int vps = r.ReadInt32();
        t.Vps = vps > 0 ? _vpss[vps - 1] : null;
        leader = r.ReadInt32();
        t.LiveThreads = r.ReadInt32();
        parents.Add(r.ReadInt32());
        t.Pgrp = r.ReadInt32(); t.Session = r.ReadInt32();
        t.State = (TaskState)r.ReadByte();
        t.Ignored = r.ReadUInt64(); t.Caught = r.ReadUInt64(); t.UnknownDisposition = r.ReadUInt64();
        t.NoCldWait = r.ReadBoolean(); t.ChildrenFoundVps = r.ReadBoolean();
        int cv = r.ReadInt32();
        t.ChildrenVps = cv > 0 ? _vpss[cv - 1] : null;
        t.Adopted = r.ReadBoolean();
        t.DidExec = r.ReadBoolean();
        t.EnteredUnnamed = r.ReadBoolean(); t.Unplaced = r.ReadBoolean(); t.NestedNs = r.ReadBoolean(); t.ChildrenNested = r.ReadBoolean();
        t.NestedNr = r.ReadInt32(); t.Notifier = r.ReadInt32();
        t.Cred = Creds.Read(r);
        t.MaskKnown = r.ReadBoolean();
        t.Blocked = r.ReadUInt64();
        t.GroupExiting = r.ReadBoolean();
        _tasks.Add(t.Tid, t);
        _byPid[t.Pid] = t;
        return t;
    }

    private static void WriteTask(BinaryWriter w, VpidTask t)
    {
        w.Write(t.Tid); w.Write(t.Pid); w.Write(t.TraceNr); w.Write(t.VPid); w.Write(t.VTgid); w.Write(t.VPgid); w.Write(t.VSid);
        w.Write(t.Vps?.Id ?? 0);
        w.Write(t.Leader.Tid);
        w.Write(t.LiveThreads);
        w.Write(t.Parent?.Tid ?? 0);
        w.Write(t.Pgrp); w.Write(t.Session);
        w.Write((byte)t.State);
        w.Write(t.Ignored); w.Write(t.Caught); w.Write(t.UnknownDisposition);
        w.Write(t.NoCldWait); w.Write(t.ChildrenFoundVps);
        w.Write(t.ChildrenVps?.Id ?? 0);
        w.Write(t.Adopted);
        w.Write(t.DidExec);
        w.Write(t.EnteredUnnamed); w.Write(t.Unplaced); w.Write(t.NestedNs); w.Write(t.ChildrenNested);
        w.Write(t.NestedNr); w.Write(t.Notifier);
        t.Cred.Write(w);
        w.Write(t.MaskKnown); w.Write(t.Blocked);
        w.Write(t.GroupExiting);
    }

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        using var r = new BinaryReader(new MemoryStream(snapshot.ToArray()));
        if (r.ReadInt32() != SnapshotVersion)
            throw new InvalidDataException("not a vpid model snapshot of this version");
        if (r.ReadInt32() != _options.PidMax || r.ReadInt32() != _options.Buckets)
            throw new InvalidDataException("the snapshot was taken with another pid_max or bucket count");
        Clear();
        _host = r.ReadString();
        _lastPid = r.ReadInt32();
        _overflowCursor = r.ReadInt32();
        SparseSwitches = r.ReadInt32();
        LastSparseSwitch = r.ReadBoolean()
            ? new SparseSwitch(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadBoolean())
            : null;
        int vpsCount = r.ReadInt32();
        var inits = new int[vpsCount];
        for (int i = 0; i < vpsCount; i++)
        {
            AddVps(new Vps
            {
                Id = i + 1, Name = r.ReadString(), PidNs = r.ReadUInt64(), Sparse = r.ReadBoolean(), Mappings = r.ReadInt32(),
                Tasks = r.ReadInt32(), Stopped = r.ReadBoolean(), HadInit = r.ReadBoolean(),
            });
            inits[i] = r.ReadInt32();
        }
        int listedCount = r.ReadInt32();
        var parents = new List<int>(listedCount);
        var order = new List<VpidTask>(listedCount);
        for (int i = 0; i < listedCount; i++)
        {
            var t = ReadTask(r, out int leader, parents);
            order.Add(t);
            if (leader == t.Tid)
                _processes.Add(t);
            else
            {
                var last = _tasks[leader];
                t.Leader = last;
                while (last.NextThread is not null) last = last.NextThread;
                last.NextThread = t;
            }
        }
        // Tasks known but on no process list stay off it.
        int unlisted = r.ReadInt32();
        for (int i = 0; i < unlisted; i++)
        {
            var t = ReadTask(r, out int leader, parents);
            order.Add(t);
            t.Leader = leader != t.Tid && _tasks.TryGetValue(leader, out var l) ? l : t;
        }
        ListMembers(unlisted == 0);
        int taskCount = order.Count;
        for (int i = 0; i < taskCount; i++)
            order[i].Parent = parents[i] != 0 && _tasks.TryGetValue(parents[i], out var p) ? p : null;
        for (int tid = r.ReadInt32(); tid != 0; tid = r.ReadInt32())
        {
            var parent = _tasks[tid];
            int n = r.ReadInt32();
            for (int i = 0; i < n; i++)
                AddChild(parent, _tasks[r.ReadInt32()]);
        }
        for (int pgrp = r.ReadInt32(); pgrp != 0; pgrp = r.ReadInt32())
        {
            int n = r.ReadInt32();
            for (int i = 0; i < n; i++)
                LinkGroup(_tasks[r.ReadInt32()]);
        }
        for (int nr = r.ReadInt32(); nr >= 0; nr = r.ReadInt32())
        {
            _uses[nr] = r.ReadInt32();
            _traceOf[nr] = r.ReadInt32();
        }
        for (int n = r.ReadInt32(), i = 0; i < n; i++) _renumbered[r.ReadInt32()] = r.ReadInt32();
        int awaiting = r.ReadInt32();
        for (int i = 0; i < awaiting; i++)
        {
            int ppid = r.ReadInt32(), n = r.ReadInt32();
            var list = new List<VpidTask>(n);
            for (int j = 0; j < n; j++) list.Add(_tasks[r.ReadInt32()]);
            _awaitingParent[ppid] = list;
        }
        int inside = r.ReadInt32();
        for (int i = 0; i < inside; i++)
            ShowInside(_vpss[r.ReadInt32() - 1], r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        int notices = r.ReadInt32();
        for (int i = 0; i < notices; i++)
            _notices[r.ReadInt32()] = (r.ReadInt32(), (SignalResult)r.ReadByte(), r.ReadInt32());
        _hash.Read(r);
        for (int i = 0; i < vpsCount; i++)
            _vpss[i].Init = inits[i] != 0 ? _tasks[inits[i]] : null;
    }

    /// <summary>
    /// After a restore: creation numbers in host walk order and each VPS's member list from that
    /// walk. The lists are exact unless some task is off the walk or walked under a process it
    /// does not name as its leader.
    /// </summary>
    private void ListMembers(bool exact)
    {
        for (int i = 0; i < _processes.End; i++)
        {
            if (_processes[i] is not { } p)
                continue;
            for (VpidTask? t = p; t is not null; t = t.NextThread)
            {
                t.Seq = ++_seq;
                t.ProcessSeq = p.Seq;
                t.Listed = true;
                exact &= ReferenceEquals(t.Leader, p);
                if (t.Vps is { } vps)
                    LinkMember(vps, t);
            }
        }
        _membersExact = exact;
    }

    /// <summary>Back to an empty host, keeping the arrays and pooled tasks.</summary>
    private void Clear()
    {
        foreach (var (_, t) in _tasks)
        {
            t.Clear();
            _pool.Push(t);
        }
        _tasks.Clear();
        _byPid.Clear();
        _uses.Clear();
        _traceOf.Clear();
        _groupHead.Clear();
        _groupTail.Clear();
        _hash.Clear();
        _vpss.Clear();
        _vpssByName.Clear();
        _vpssByNs.Clear();
        _awaitingParent.Clear();
        _renumbered.Clear();
        _notices.Clear();
        _insideNumbers.Clear();
        _processes.Clear();
        _seq = 0;
        _membersExact = true;
    }
}
