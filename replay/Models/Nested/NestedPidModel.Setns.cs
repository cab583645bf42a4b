using System.Runtime.InteropServices;
using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>
/// setns into a namespace the capture did not name (tracefs records only the fd): where the
/// children went, inferred from the first number such a child reports for itself.
///
/// pidns_install admits only the caller's own namespace or a descendant, and alloc_pid gives the
/// child, at each level, the first free number from that level's cursor (kernel/pid.c). So when a
/// host task forks after such a setns, each namespace the model knows has one number the child
/// would have got there; the child's own getpid names the level it lives at. If exactly one
/// candidate would have given that number, the child lives there; if none or several do, it stays
/// unknown. Until then, every candidate (and each level above it) may have given a number the
/// model did not see: its cursor and its idr are not known.
///
/// The candidates are the namespaces the model knows. That is every one the child could have
/// entered when the capture showed every task (a full /proc snapshot, nothing unknown since): a
/// namespace with no task left has lost its init, and alloc_pid refuses it (ENOMEM), except one
/// never forked into, whose first task gets 1; so a 1 is never taken as evidence.
///
/// Where the setns named the namespace's inode (a probe that reads it, a synthetic trace) but not
/// its init, the placement also teaches the inode: the parent's last unnamed setns named it, and
/// the child went where that call led. A later setns naming the same inode then enters that
/// namespace directly, as long as it is still adding. Past that its init is gone, the namespace
/// may have been freed, and the kernel gives its inode number to a new namespace (proc_alloc_inum
/// takes the lowest free one), so the inode names nothing the model knows.
///
/// An inode named also rules candidates out: a namespace that is adding keeps its inode, so one
/// the model knows by another inode (from a snapshot, its init, or a child placed there) is not
/// where the call led, and its cursor stays known.
/// </summary>
public sealed partial class NestedPidModel
{
    /// <summary>A child of an unnamed setns, waiting for its own number to say where it lives.</summary>
    private sealed class SetnsChild
    {
        /// <summary>The child (known by its global tid only).</summary>
        public required TaskStruct Child;

        /// <summary>The task whose setns sent it there; null once released.</summary>
        public required TaskStruct? Parent;

        /// <summary><see cref="_setnsCalls"/> when the child was forked: the parent has not entered anywhere else since when equal.</summary>
        public required int SetnsCalls;

        /// <summary>Where it may live, and where the numbers alloc_pid would have given it there begin in <see cref="Numbers"/>.</summary>
        public readonly List<(PidNamespace Ns, int At)> Candidates = [];

        /// <summary>Each candidate's numbers, level 0 up to its own (UnknownNr where a cursor was not known), one run after another: no array per candidate.</summary>
        public readonly List<int> Numbers = [];

        /// <summary>The cursors and completeness the fork made uncertain, as they were before it.</summary>
        public readonly List<(PidNamespace Ns, int Cursor, bool Complete)> Saved = [];

        /// <summary>The inode the parent's setns named (the one that sent this child), or 0 where the trace named none or the model cannot tell which call it was.</summary>
        public ulong Inode;
    }

    /// <summary>Children of unnamed setns calls whose namespace is not known yet, by global tid.</summary>
    private readonly Dictionary<int, SetnsChild> _setnsChildren = new();

    /// <summary>The last child placed or forgotten, its lists kept for the next.</summary>
    private SetnsChild? _spareSetnsChild;

    /// <summary>setns calls into unnamed namespaces so far (a parent that calls it again may have moved its children elsewhere).</summary>
    private int _setnsCalls;

    /// <summary>Forks after an unnamed setns so far: each marks the namespaces it saved with its count (PidNamespace.SavedBy).</summary>
    private long _setnsForks;

    /// <summary>The task of the last unnamed setns that succeeded, and the inode that call named (0 if none): its next children went there.</summary>
    private TaskStruct? _unnamedSetnsBy;

    private ulong _unnamedSetnsInode;

    /// <summary>Inodes that unnamed setns calls named, learned from where their children were placed.</summary>
    private readonly Dictionary<ulong, PidNamespace> _placedInodes = new();

    /// <summary>An unnamed setns succeeded: the caller's next children go where it led.</summary>
    private void UnnamedSetns(TaskStruct cur, ulong inode)
    {
        _setnsCalls++;
        _unnamedSetnsBy = cur;
        _unnamedSetnsInode = inode;
    }

    /// <summary>An inode another namespace now has: whichever namespace the model knew by it (from a snapshot, an init or a placed child) is known by it no more.</summary>
    private void ReleaseInode(ulong inode)
    {
        if (_byInode.Remove(inode, out var known)) known.Inode = 0;
        if (_placedInodes.Remove(inode, out var taught)) taught.TaughtInode = 0;
    }

    /// <summary>The namespace a placed child taught for this inode, while it is still adding (so its inode is still its own).</summary>
    private PidNamespace? PlacedInode(ulong inode)
    {
        if (inode == 0 || !_placedInodes.TryGetValue(inode, out var ns)) return null;
        if (ns.Adding) return ns;
        _placedInodes.Remove(inode);
        ns.TaughtInode = 0;
        return null;
    }

    /// <summary>
    /// A host task forks after a setns the capture could not name. Returns false when the child
    /// cannot be inferred (the capture does not show every task, the parent is not on the host, or
    /// another such child is still unplaced): the caller then adopts it as unknown.
    /// </summary>
    private bool ForkAfterUnnamedSetns(TaskStruct cur, Fork f)
    {
        if (!_allKnown || cur.Ns.Level != 0 || f.NewPidNs || f.IsThread || _setnsChildren.Count > 0) return false;
        var child = FreshRecord(f.Child);
        // One is pending at a time: the last one's lists are used again (a thousand candidates each, at a thousand containers).
        var pending = _spareSetnsChild ?? new SetnsChild { Child = child, Parent = cur, SetnsCalls = _setnsCalls };
        _spareSetnsChild = null;
        pending.Child = child;
        pending.Parent = cur;
        pending.SetnsCalls = _setnsCalls;
        pending.Candidates.Clear();
        pending.Numbers.Clear();
        pending.Saved.Clear();
        // The parent's NsForChildren is null from its last unnamed setns; that call named this inode if it was the last one anyone made.
        pending.Inode = _unnamedSetnsBy == cur ? _unnamedSetnsInode : 0;
        var numbers = pending.Numbers;
        ulong named = pending.Inode;
        // Into its own namespace: the host's number is the global tid the trace gives.
        if (!KnownElsewhere(_host, named))
        {
            pending.Candidates.Add((_host, 0));
            numbers.Add(f.Child);
        }
        foreach (var ns in CollectionsMarshal.AsSpan(_adding))
        {
            if (KnownElsewhere(ns, named)) continue;
            int start = numbers.Count;
            numbers.Add(f.Child);
            bool full = false;
            for (int level = 1; level <= ns.Level; level++)
            {
                var at = ns.AncestorAt(level);
                int nr = at.Cursor == PidNamespace.UnknownCursor || !at.Complete ? TaskStruct.UnknownNr : IdrAllocCyclic(at);
                numbers.Add(nr);
                full |= nr == 0;
            }
            // A full level would have failed the fork (EAGAIN): the kernel's child is not there.
            if (full) numbers.RemoveRange(start, ns.Level + 1);
            else pending.Candidates.Add((ns, start));
        }
        long mark = ++_setnsForks;
        foreach (var (candidate, _) in pending.Candidates)
            for (var ns = candidate; ns.Level > 0 && ns.SavedBy != mark; ns = ns.Parent!)
            {
                ns.SavedBy = mark;
                pending.Saved.Add((ns, ns.Cursor, ns.Complete));
                ns.Cursor = PidNamespace.UnknownCursor;
                ns.Complete = false;
            }
        CopyTaskState(cur, f, child);
        _setnsChildren[f.Child] = pending;
        return true;
    }

    /// <summary>Whether the model knows <paramref name="ns"/> by an inode other than the one the setns named (none named: false).</summary>
    private static bool KnownElsewhere(PidNamespace ns, ulong named) =>
        named != 0 && (ns.Inode != 0 && ns.Inode != named || ns.TaughtInode != 0 && ns.TaughtInode != named);

    /// <summary>
    /// The child reported its own number (getpid, or gettid of a leader) and the model could not
    /// predict it: the one candidate that would have given that number is where it lives.
    /// </summary>
    private void LearnSetnsPlacement(GetId g)
    {
        if (g.Call is not (GetIdCall.GetPid or GetIdCall.GetTid) || g.Ret is not long ret || ret <= 1) return;
        if (!_setnsChildren.Remove(g.Tid, out var pending)) return;
        try
        {
            Place(g, ret, pending);
        }
        finally
        {
            _spareSetnsChild = pending;
        }
    }

    private void Place(GetId g, long ret, SetnsChild pending)
    {
        var child = pending.Child;
        if (!_host.Idr.TryGetValue(g.Tid, out var now) || now != child || child.Placed || !child.IsLeader) return;
        (PidNamespace Ns, int At)? only = null;
        var numbers = pending.Numbers;
        foreach (var c in pending.Candidates)
        {
            int nr = numbers[c.At + c.Ns.Level];
            if (nr != ret && nr != TaskStruct.UnknownNr) continue;
            // A candidate whose number is not known might have given it too: no single answer.
            if (only is not null || nr == TaskStruct.UnknownNr) return;
            only = c;
        }
        if (only is not { } found) return;
        // Nothing else was allocated where the child was not: those levels are as they were, unless the trace has taught them since.
        foreach (var (ns, cursor, complete) in pending.Saved)
        {
            if (ns.Cursor != PidNamespace.UnknownCursor) continue;
            ns.Cursor = cursor;
            ns.Complete = complete;
        }
        var target = found.Ns;
        for (int level = 1; level <= target.Level; level++)
        {
            var at = target.AncestorAt(level);
            int nr = numbers[found.At + level];
            child.Nr[level] = nr;
            if (nr > 0) at.Cursor = nr + 1;
        }
        AttachPid(child, target);
        BecomeInitIfFirst(child);
        if (pending.Inode != 0 && pending.Inode != target.Inode)
        {
            // The inode is this namespace's now: a namespace known by it before was freed.
            ReleaseInode(pending.Inode);
            if (target.TaughtInode != 0) _placedInodes.Remove(target.TaughtInode);
            _placedInodes[pending.Inode] = target;
            target.TaughtInode = pending.Inode;
        }
        // The parent's own setns entered the same namespace, unless it has entered another since.
        if (pending.SetnsCalls == _setnsCalls && pending.Parent is { Hashed: true, NsForChildren: null } parent)
            parent.NsForChildren = target;
    }

    /// <summary>A pid freed: a child released before it told its number stays unknown, and so do the candidates; a released parent learns nothing.</summary>
    private void ForgetSetnsChild(TaskStruct t)
    {
        if (_setnsChildren.TryGetValue(t.Tid, out var pending) && pending.Child == t)
        {
            _setnsChildren.Remove(t.Tid);
            _spareSetnsChild = pending;
        }
        foreach (var p in _setnsChildren.Values)
            if (p.Parent == t) p.Parent = null;
        if (_unnamedSetnsBy == t) _unnamedSetnsBy = null;
    }

    private void WriteSetnsChildren(BinaryWriter w, Func<TaskStruct?, int> ix)
    {
        w.Write(_setnsCalls);
        w.Write(_unnamedSetnsBy is null ? -1 : ix(_unnamedSetnsBy));
        w.Write(_unnamedSetnsInode);
        var placed = _placedInodes.Where(kv => kv.Value.Adding).OrderBy(kv => kv.Key).ToList();
        w.Write(placed.Count);
        foreach (var (inode, ns) in placed)
        {
            w.Write(inode);
            w.Write(ns.Id);
        }
        w.Write(_setnsChildren.Count);
        foreach (var p in _setnsChildren.Values)
        {
            w.Write(ix(p.Child));
            w.Write(p.Parent is null ? -1 : ix(p.Parent));
            w.Write(p.SetnsCalls);
            w.Write(p.Inode);
            w.Write(p.Candidates.Count);
            foreach (var (ns, start) in p.Candidates)
            {
                w.Write(ns.Id);
                for (int level = 0; level <= ns.Level; level++) w.Write(p.Numbers[start + level]);
            }
            w.Write(p.Saved.Count);
            foreach (var (ns, cursor, complete) in p.Saved)
            {
                w.Write(ns.Id);
                w.Write(cursor);
                w.Write(complete);
            }
        }
    }

    private void ReadSetnsChildren(BinaryReader r, Func<int, TaskStruct?> at)
    {
        _setnsChildren.Clear();
        _setnsCalls = r.ReadInt32();
        _unnamedSetnsBy = at(r.ReadInt32());
        _unnamedSetnsInode = r.ReadUInt64();
        _placedInodes.Clear();
        int learned = r.ReadInt32();
        for (int i = 0; i < learned; i++)
        {
            ulong inode = r.ReadUInt64();
            var ns = _namespaces[r.ReadInt32()];
            _placedInodes[inode] = ns;
            ns.TaughtInode = inode;
        }
        int count = r.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            var p = new SetnsChild { Child = at(r.ReadInt32())!, Parent = at(r.ReadInt32()), SetnsCalls = r.ReadInt32(), Inode = r.ReadUInt64() };
            int candidates = r.ReadInt32();
            for (int k = 0; k < candidates; k++)
            {
                var ns = _namespaces[r.ReadInt32()];
                p.Candidates.Add((ns, p.Numbers.Count));
                for (int l = 0; l <= ns.Level; l++) p.Numbers.Add(r.ReadInt32());
            }
            int saved = r.ReadInt32();
            for (int k = 0; k < saved; k++) p.Saved.Add((_namespaces[r.ReadInt32()], r.ReadInt32(), r.ReadBoolean()));
            _setnsChildren[p.Child.Tid] = p;
        }
    }
}
