namespace Replayer.Replay.Models.Nested;

/// <summary>Snapshot and Restore: the whole state, records by index so that every list keeps its order.</summary>
public sealed partial class NestedPidModel
{
    /// <summary>The layout of <see cref="WriteSnapshot"/>; a replay's snapshots carry it in their type (a snapshot of another version is not resumed from).</summary>
    public const int StateVersion = 25;

    public byte[] Snapshot()
    {
        using var buffer = new MemoryStream(_host.Idr.Count * 128 + 4096);
        WriteSnapshot(buffer);
        return buffer.ToArray();
    }

    public void WriteSnapshot(Stream output)
    {
        // Records are numbered in the order the walk meets them, the number kept on the record
        // (maps from record to number cost as much as the whole walk at 150,000 tasks).
        long mark = ++_snapshots;
        int known = _host.Idr.Count;
        var order = new List<TaskStruct>(known);
        var sigOrder = new List<SignalStruct>(known);
        void Visit(TaskStruct? t)
        {
            if (t is null || t.SnapshotMark == mark) return;
            t.SnapshotMark = mark;
            t.SnapshotIndex = order.Count;
            order.Add(t);
            if (t.Signal is { Leader: not null } s && s.SnapshotMark != mark)
            {
                s.SnapshotMark = mark;
                s.SnapshotIndex = sigOrder.Count;
                sigOrder.Add(s);
            }
        }
        foreach (var ns in _namespaces)
        {
            foreach (var (_, t) in ns.Idr.InOrder()) Visit(t);
            Visit(ns.ChildReaper);
            Visit(ns.DyingInit);
        }
        for (int i = 0; i < order.Count; i++)
        {
            var t = order[i];
            Visit(t.Parent);
            Visit(t.Pgrp);
            Visit(t.Session);
            for (var c = t.FirstChild; c is not null; c = c.NextSibling) Visit(c);
            for (var m = t.PgrpHead; m is not null; m = m.PgrpNext) Visit(m);
            if (t.Signal is { Leader: not null } s)
            {
                Visit(s.Leader);
                for (var th = s.FirstThread; th is not null; th = th.NextThread) Visit(th);
            }
        }
        int Ix(TaskStruct? t) => t is null ? -1
            : t.SnapshotMark == mark ? t.SnapshotIndex
            : throw new InvalidOperationException($"task {t.Tid} is referenced but was not reached by the snapshot's walk");
        Func<TaskStruct?, int> ix = Ix;

        using (var w = new BinaryWriter(output, Snapshots.Utf8, leaveOpen: true))
        {
            w.Write(StateVersion);
            w.Write(_allKnown);
            w.Write(_groupsUnknown);
            w.Write(_lastPidUnseen);
            w.Write(_eventsLost);
            w.Write(_namespaces.Count);
            // A restore numbers the processes again from 1 in the task list's order (ascending
            // ProcessSeq), so a namespace's MadeAfter is written as how many of the processes on
            // the list come before it: the same number once they are numbered again.
            var seqs = new List<long>(_processes);
            for (var p = _firstProcess; p is not null; p = p.NextProcess) seqs.Add(p.ProcessSeq);
            int Rank(long after)
            {
                int at = seqs.BinarySearch(after);
                return at >= 0 ? at + 1 : ~at;
            }
            foreach (var ns in _namespaces)
            {
                w.Write(ns.Level);
                w.Write(ns.Parent?.Id ?? -1);
                w.Write(ns.Inode);
                w.Write(ns.Cursor);
                w.Write(ns.PidMax);
                w.Write(Ix(ns.ChildReaper));
                w.Write(Ix(ns.DyingInit));
                w.Write(ns.Adding);
                w.Write(ns.Complete);
                w.Write(ns.MayHoldUnseen);
                w.Write(ns.PreExisting);
                w.Write(ns.MadeAfter < 0 ? -1 : Rank(ns.MadeAfter));
                w.Write(ns.Tasks);
                w.Write(ns.Idr.Count);
                foreach (var (nr, t) in ns.Idr.InOrder())
                {
                    w.Write(nr);
                    w.Write(Ix(t));
                }
            }
            w.Write(sigOrder.Count);
            foreach (var s in sigOrder)
            {
                w.Write(Ix(s.Leader));
                w.Write(s.GroupExit);
                w.Write(s.Unkillable);
                w.Write((byte)s.IsChildSubreaper);
                w.Write((byte)s.HasChildSubreaper);
                w.Write((byte)s.SessionLeader);
                w.Write(s.SharedPending);
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes((ReadOnlySpan<Disposition>)s.Action));
                w.Write((byte)s.NoCldWait);
                w.Write(s.Dead);
                w.Write(s.AutoreapUnknown);
                w.Write(s.Notified);
                w.Write(s.AutoreapWhenEmpty);
                w.Write(s.IsTracer);
                w.Write(s.NotifySeen);
                w.Write(s.NotifyResult);
                w.Write(s.SigchldTaken);
                w.Write(s.NoticeBehindPending);
                w.Write(s.NoticeEpoch);
                w.Write(s.SharedSure);
                w.Write(s.DequeuesSeen);
                w.Write(s.TimedWaited);
                w.Write(s.JobControlSeen);
                w.Write(s.SeenNoticePending);
                w.Write(s.MaybeDying);
                w.Write(s.PlaceUnknown);
                w.Write(s.Untraced);
                w.Write(s.NoUnseenChildren);
                w.Write(s.MaybeGroupExit);
                w.Write(s.FatalTaken);
                int n = 0;
                for (var th = s.FirstThread; th is not null; th = th.NextThread) n++;
                w.Write(n);
                for (var th = s.FirstThread; th is not null; th = th.NextThread) w.Write(Ix(th));
            }
            w.Write(order.Count);
            foreach (var t in order)
            {
                w.Write(t.Tid);
                w.Write(t.Ns.Id);
                for (int l = 0; l <= t.Ns.Level; l++) w.Write(t.Nr[l]);
                w.Write(t.Placed);
                w.Write(t.Hashed);
                w.Write(t.Exited);
                w.Write(t.Signal is { Leader: not null } signal ? signal.SnapshotIndex : -1);
                w.Write(Ix(t.Parent));
                w.Write(Ix(t.Pgrp));
                w.Write(Ix(t.Session));
                w.Write(t.SessionRefs);
                w.Write(t.Pending);
                w.Write(t.PendingSure);
                w.Write(t.ExitSignal);
                w.Write(t.NsForChildren?.Id ?? -1);
                w.Write((byte)t.ForkNoExec);
                w.Write(t.Born);
                w.Write((byte)t.Traced);
                w.Write(t.TracerTid);
                w.Write(t.MayBlockAll);
                w.Write(t.ParentThreadUnknown);
                w.Write(t.MaskKnown);
                w.Write(t.Blocked);
                t.Cred.Write(w);
                WriteList(w, t.FirstChild, c => c.NextSibling, ix);
                WriteList(w, t.PgrpHead, m => m.PgrpNext, ix);
            }
            WriteList(w, _firstProcess, p => p.NextProcess, ix);
            WriteSetnsChildren(w, ix);
            _lookups.Write(w, _namespaces);
        }
    }

    private static void WriteList(BinaryWriter w, TaskStruct? first, Func<TaskStruct, TaskStruct?> next, Func<TaskStruct?, int> ix)
    {
        int n = 0;
        for (var t = first; t is not null; t = next(t)) n++;
        w.Write(n);
        for (var t = first; t is not null; t = next(t)) w.Write(ix(t));
    }

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        using var r = new BinaryReader(new MemoryStream(snapshot.ToArray()));
        if (r.ReadInt32() != StateVersion) throw new ArgumentException("not a nested model snapshot of this version");
        _namespaces.Clear();
        _lookups.Clear();
        _byInode.Clear();
        _untracedSeeded = false;
        _firstProcess = _lastProcess = null;
        _processes = _unplacedProcesses = 0;
        _processSeq = 0;
        _adding.Clear();
        _allKnown = r.ReadBoolean();
        _groupsUnknown = r.ReadBoolean();
        _lastPidUnseen = r.ReadBoolean();
        _eventsLost = r.ReadBoolean();

        int nsCount = r.ReadInt32();
        var reapers = new (int Reaper, int Dying)[nsCount];
        var idrs = new List<(int Nr, int Task)>[nsCount];
        for (int i = 0; i < nsCount; i++)
        {
            int level = r.ReadInt32();
            int parent = r.ReadInt32();
            var ns = new PidNamespace(i, level, parent < 0 ? null : _namespaces[parent], 0, _lookups, _idrArrays);
            _namespaces.Add(ns);
            ns.Inode = r.ReadUInt64();
            ns.Cursor = r.ReadInt32();
            ns.PidMax = r.ReadInt32();
            reapers[i] = (r.ReadInt32(), r.ReadInt32());
            ns.Adding = r.ReadBoolean();
            if (ns.Adding && level > 0) ListAdding(ns);
            ns.Complete = r.ReadBoolean();
            ns.MayHoldUnseen = r.ReadBoolean();
            ns.PreExisting = r.ReadBoolean();
            ns.MadeAfter = r.ReadInt32();
            ns.Tasks = r.ReadInt32();
            int n = r.ReadInt32();
            idrs[i] = new List<(int, int)>(n);
            for (int k = 0; k < n; k++) idrs[i].Add((r.ReadInt32(), r.ReadInt32()));
            if (ns.Inode != 0) _byInode[ns.Inode] = ns;
        }
        _host = _namespaces[0];

        int sigCount = r.ReadInt32();
        var sigs = new SignalStruct[sigCount];
        var sigLeaders = new int[sigCount];
        var sigThreads = new int[sigCount][];
        for (int i = 0; i < sigCount; i++)
        {
            var s = sigs[i] = new SignalStruct();
            sigLeaders[i] = r.ReadInt32();
            s.GroupExit = r.ReadBoolean();
            s.Unkillable = r.ReadBoolean();
            s.IsChildSubreaper = (Tri)r.ReadByte();
            s.HasChildSubreaper = (Tri)r.ReadByte();
            s.SessionLeader = (Tri)r.ReadByte();
            s.SharedPending = r.ReadUInt64();
            for (int a = 0; a <= Sig.NSIG; a++) s.Action[a] = (Disposition)r.ReadByte();
            s.NoCldWait = (Tri)r.ReadByte();
            s.Dead = r.ReadBoolean();
            s.AutoreapUnknown = r.ReadBoolean();
            s.Notified = r.ReadBoolean();
            s.AutoreapWhenEmpty = r.ReadBoolean();
            s.IsTracer = r.ReadBoolean();
            s.NotifySeen = r.ReadBoolean();
            s.NotifyResult = r.ReadInt32();
            s.SigchldTaken = r.ReadInt32();
            s.NoticeBehindPending = r.ReadBoolean();
            s.NoticeEpoch = r.ReadInt32();
            s.SharedSure = r.ReadUInt64();
            s.DequeuesSeen = r.ReadBoolean();
            s.TimedWaited = r.ReadBoolean();
            s.JobControlSeen = r.ReadBoolean();
            s.SeenNoticePending = r.ReadBoolean();
            s.MaybeDying = r.ReadBoolean();
            s.PlaceUnknown = r.ReadBoolean();
            s.Untraced = r.ReadBoolean();
            _untracedSeeded |= s.Untraced;
            s.NoUnseenChildren = r.ReadBoolean();
            s.MaybeGroupExit = r.ReadBoolean();
            s.FatalTaken = r.ReadBoolean();
            sigThreads[i] = ReadList(r);
        }

        int taskCount = r.ReadInt32();
        var all = new TaskStruct[taskCount];
        for (int i = 0; i < taskCount; i++) all[i] = new TaskStruct();
        TaskStruct? At(int i) => i < 0 ? null : all[i];
        var children = new int[taskCount][];
        var members = new int[taskCount][];
        for (int i = 0; i < taskCount; i++)
        {
            var t = all[i];
            t.Tid = r.ReadInt32();
            t.Ns = _namespaces[r.ReadInt32()];
            for (int l = 0; l <= t.Ns.Level; l++) t.Nr[l] = r.ReadInt32();
            t.Placed = r.ReadBoolean();
            t.Hashed = r.ReadBoolean();
            t.Exited = r.ReadBoolean();
            int sig = r.ReadInt32();
            t.Signal = sig < 0 ? null : sigs[sig];
            t.Parent = At(r.ReadInt32());
            t.Pgrp = At(r.ReadInt32());
            t.Session = At(r.ReadInt32());
            t.SessionRefs = r.ReadInt32();
            t.Pending = r.ReadUInt64();
            t.PendingSure = r.ReadUInt64();
            t.ExitSignal = r.ReadInt32();
            int nsfc = r.ReadInt32();
            t.NsForChildren = nsfc < 0 ? null : _namespaces[nsfc];
            t.ForkNoExec = (Tri)r.ReadByte();
            t.Born = r.ReadBoolean();
            t.Traced = (Tri)r.ReadByte();
            t.TracerTid = r.ReadInt32();
            t.MayBlockAll = r.ReadBoolean();
            t.ParentThreadUnknown = r.ReadBoolean();
            t.MaskKnown = r.ReadBoolean();
            t.Blocked = r.ReadUInt64();
            t.Cred = Creds.Read(r);
            children[i] = ReadList(r);
            members[i] = ReadList(r);
        }
        for (int i = 0; i < taskCount; i++)
        {
            var t = all[i];
            TaskStruct? prev = null;
            foreach (var c in children[i])
            {
                var child = all[c];
                child.PrevSibling = prev;
                if (prev is null) t.FirstChild = child;
                else prev.NextSibling = child;
                prev = child;
            }
            t.LastChild = prev;
            prev = null;
            foreach (var m in members[i])
            {
                var member = all[m];
                member.PgrpPrev = prev;
                if (prev is null) t.PgrpHead = member;
                else prev.PgrpNext = member;
                prev = member;
            }
        }
        for (int i = 0; i < sigCount; i++)
        {
            var s = sigs[i];
            s.Leader = all[sigLeaders[i]];
            TaskStruct? prev = null;
            foreach (var th in sigThreads[i])
            {
                var task = all[th];
                task.PrevThread = prev;
                if (prev is null) s.FirstThread = task;
                else prev.NextThread = task;
                prev = task;
            }
            s.LastThread = prev;
        }
        foreach (var t in all)
            for (var c = t.FirstChild; c is not null; c = c.NextSibling)
                if (c.Signal is { UnseenNotice: true }) t.UnseenChildren++;
        foreach (var p in ReadList(r)) AddProcess(all[p]);
        for (int i = 0; i < nsCount; i++)
        {
            var ns = _namespaces[i];
            ns.ChildReaper = At(reapers[i].Reaper);
            ns.DyingInit = At(reapers[i].Dying);
            foreach (var (nr, t) in idrs[i]) ns.Idr[nr] = all[t];
        }
        ReadSetnsChildren(r, At);
        _lookups.Read(r, _namespaces);
        _freeTasks.Clear();
        _freeSignals.Clear();
    }

    private static int[] ReadList(BinaryReader r)
    {
        var list = new int[r.ReadInt32()];
        for (int i = 0; i < list.Length; i++) list[i] = r.ReadInt32();
        return list;
    }
}
