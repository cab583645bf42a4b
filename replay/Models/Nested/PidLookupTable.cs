using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace Replayer.Replay.Models.Nested;

/// <summary>Which kernel's structures find_pid_ns walks (MODELS.md, "Translation cost").</summary>
public enum KernelEra : byte
{
    /// <summary>Today's kernels: one idr (an xarray) per namespace, looked up by number.</summary>
    Modern,
    /// <summary>Linux 2.6.24, where pid namespaces were merged: one host-wide hash of (nr, ns) upids.</summary>
    Linux2_6_24,
}

/// <summary>
/// What a lookup of a number in a namespace costs in the kernel's own structures. Every (nr, ns)
/// pair an idr holds is reported here as it comes and goes, so the table mirrors the kernel's.
/// </summary>
internal abstract class PidLookupTable
{
    public static PidLookupTable For(KernelEra era, int buckets) =>
        era == KernelEra.Linux2_6_24 ? new PidHash2624(buckets) : new IdrHeights();

    /// <summary>(nr, ns) pairs held, over every namespace.</summary>
    public int Entries { get; protected set; }

    public abstract void Add(int nr, PidNamespace ns);

    public abstract void Remove(int nr, PidNamespace ns);

    /// <summary>Memory loads find_pid_ns(nr, ns) makes before it has its answer.</summary>
    public abstract int Probes(int nr, PidNamespace ns);

    public abstract void Clear();

    /// <summary>
    /// What the costs depend on beyond the numbers held (a snapshot's part): a restore that added
    /// the numbers back in another order, or without the numbers since freed, would cost lookups
    /// differently from the replay it resumes.
    /// </summary>
    public abstract void Write(BinaryWriter w, IReadOnlyList<PidNamespace> namespaces);

    /// <summary>Puts back what <see cref="Write"/> wrote, once the idrs hold their numbers again.</summary>
    public abstract void Read(BinaryReader r, IReadOnlyList<PidNamespace> namespaces);
}

/// <summary>
/// Today's find_pid_ns is idr_find(&amp;ns->idr, nr): a load of the xarray's head, then one slot load
/// per level of a tree of 64-slot nodes (XA_CHUNK_SHIFT 6, lib/xarray.c), as tall as the highest
/// number it holds needs. alloc_pid's cyclic allocation only climbs until it wraps, and the xarray
/// shrinks only when everything above the first node's range is gone, so the height is taken from
/// the highest number the namespace has held while it held any.
/// </summary>
internal sealed class IdrHeights : PidLookupTable
{
    private const int ChunkShift = 6;

    public override void Add(int nr, PidNamespace ns)
    {
        Entries++;
        if (nr > ns.IdrHighest) ns.IdrHighest = nr;
    }

    public override void Remove(int nr, PidNamespace ns)
    {
        Entries--;
        if (ns.Idr.Count == 0) ns.IdrHighest = 0;
    }

    /// <summary>A number beyond what the tree can index is refused after the head's load (xa_load's range check).</summary>
    public override int Probes(int nr, PidNamespace ns)
    {
        int height = Height(ns.IdrHighest);
        return nr >> (ChunkShift * height) == 0 ? 1 + height : 1;
    }

    /// <summary>Levels of 64-slot nodes needed to index <paramref name="max"/>; 0 when only index 0 is stored (in the head itself).</summary>
    public static int Height(int max) => max <= 0 ? 0 : (BitOperations.Log2((uint)max) + ChunkShift) / ChunkShift;

    public override void Clear() => Entries = 0;

    /// <summary>Each namespace's highest number held since it last held none: the tree does not shrink when numbers go.</summary>
    public override void Write(BinaryWriter w, IReadOnlyList<PidNamespace> namespaces)
    {
        foreach (var ns in namespaces) w.Write(ns.IdrHighest);
    }

    public override void Read(BinaryReader r, IReadOnlyList<PidNamespace> namespaces)
    {
        foreach (var ns in namespaces) ns.IdrHighest = r.ReadInt32();
    }
}

/// <summary>
/// Linux 2.6.24's pid_hash (kernel/pid.c): every upid of every struct pid, at every level, in one
/// host-wide table of hlist chains, bucket hash_long(nr + ns, pidhash_shift), new entries at the
/// head (hlist_add_head_rcu in alloc_pid). find_pid_ns walks the chain comparing nr and ns, so a
/// lookup costs the chain head plus every upid visited. The namespace pointer is modelled as the
/// address of a pid_ns_cachep object, packed sizeof(struct pid_namespace) apart: 2104 bytes on
/// x86_64 (kref, 128 pidmap entries of 16 bytes for PID_MAX_LIMIT 4M, last_pid, child_reaper,
/// pid_cachep, level, parent, proc_mnt). The spacing matters: 2.6.24's GOLDEN_RATIO_PRIME_64 mixes
/// keys that differ only in high power-of-two steps badly. Entries live in flat arrays with a free
/// list: nothing is allocated once warm.
/// </summary>
internal sealed class PidHash2624 : PidLookupTable
{
    /// <summary>GOLDEN_RATIO_PRIME_64 of include/linux/hash.h (2.6.24): hash_long on a 64-bit host.</summary>
    private const ulong GoldenRatioPrime64 = 0x9e37fffffffc0001UL;
    /// <summary>Where the modelled pid_namespace objects start (a 64-bit direct-map address).</summary>
    private const ulong NsBase = 0xffff_8100_0000_0000UL;
    /// <summary>sizeof(struct pid_namespace) in 2.6.24 on x86_64: the slab packs the objects this far apart.</summary>
    private const ulong NsSize = 2104;

    /// <summary>First entry of each chain; -1 when empty.</summary>
    private readonly int[] _heads;
    /// <summary>pidhash_shift: log2 of the bucket count.</summary>
    private readonly int _shift;
    /// <summary>Per entry: the number, the namespace id, the next entry in the chain (or the free list).</summary>
    private int[] _nr = new int[256], _ns = new int[256], _next = new int[256];
    /// <summary>First free entry; -1 when none.</summary>
    private int _free = -1;
    /// <summary>Entries ever used (the arrays' high-water mark).</summary>
    private int _used;

    /// <param name="buckets">pidhash_size: 1 &lt;&lt; min(12, fls(megabytes * 4)), so 4096 on any host with a gigabyte.</param>
    public PidHash2624(int buckets)
    {
        if (buckets < 16 || buckets > 4096 || (buckets & (buckets - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(buckets), buckets, "pid hash buckets must be a power of two from 16 to 4096");
        _heads = new int[buckets];
        Array.Fill(_heads, -1);
        _shift = BitOperations.Log2((uint)buckets);
    }

    /// <summary>pid_hashfn(nr, ns): hash_long((unsigned long)nr + (unsigned long)ns, pidhash_shift).</summary>
    private int Bucket(int nr, int nsId) =>
        (int)(unchecked(((ulong)nr + NsBase + (ulong)nsId * NsSize) * GoldenRatioPrime64) >> (64 - _shift));

    public override void Add(int nr, PidNamespace ns)
    {
        if (Find(nr, ns.Id, out _) >= 0)
            return; // the idr replaced the pid holding the number: the upid stays where it is
        int e = _free;
        if (e >= 0)
            _free = _next[e];
        else
        {
            if (_used == _nr.Length)
                Grow();
            e = _used++;
        }
        int b = Bucket(nr, ns.Id);
        _nr[e] = nr;
        _ns[e] = ns.Id;
        _next[e] = _heads[b];
        _heads[b] = e;
        Entries++;
    }

    public override void Remove(int nr, PidNamespace ns)
    {
        int e = Find(nr, ns.Id, out int prev);
        if (e < 0)
            return;
        if (prev < 0) _heads[Bucket(nr, ns.Id)] = _next[e];
        else _next[prev] = _next[e];
        _next[e] = _free;
        _free = e;
        Entries--;
    }

    public override int Probes(int nr, PidNamespace ns)
    {
        int probes = 1; // the chain head
        for (int e = _heads[Bucket(nr, ns.Id)]; e >= 0; e = _next[e])
        {
            probes++;
            if (_nr[e] == nr && _ns[e] == ns.Id)
                break;
        }
        return probes;
    }

    public override void Clear()
    {
        Array.Fill(_heads, -1);
        _free = -1;
        _used = 0;
        Entries = 0;
    }

    /// <summary>Every chain in order, head first: a lookup's cost is its place in the chain, and the newest upid is at the head.</summary>
    public override void Write(BinaryWriter w, IReadOnlyList<PidNamespace> namespaces)
    {
        w.Write(Entries);
        for (int b = 0; b < _heads.Length; b++)
            for (int e = _heads[b]; e >= 0; e = _next[e])
            {
                w.Write(_nr[e]);
                w.Write(_ns[e]);
            }
    }

    /// <summary>The chains as they were: rebuilt from the tail, each entry going to its chain's head.</summary>
    public override void Read(BinaryReader r, IReadOnlyList<PidNamespace> namespaces)
    {
        int n = r.ReadInt32();
        if (n != Entries) throw new InvalidDataException($"the snapshot's pid hash holds {n} upids, its idrs {Entries}");
        var entries = new (int Nr, int Ns)[n];
        for (int i = 0; i < n; i++) entries[i] = (r.ReadInt32(), r.ReadInt32());
        Clear();
        for (int i = n - 1; i >= 0; i--) Add(entries[i].Nr, namespaces[entries[i].Ns]);
    }

    private int Find(int nr, int nsId, out int prev)
    {
        prev = -1;
        for (int e = _heads[Bucket(nr, nsId)]; e >= 0; prev = e, e = _next[e])
            if (_nr[e] == nr && _ns[e] == nsId)
                return e;
        return -1;
    }

    private void Grow()
    {
        int n = _nr.Length * 2;
        Array.Resize(ref _nr, n);
        Array.Resize(ref _ns, n);
        Array.Resize(ref _next, n);
    }
}

/// <summary>
/// A namespace's idr (number to pid): a map that reports every number it gains or loses to the
/// model's <see cref="PidLookupTable"/>, so lookup costs follow the kernel's structures. The
/// host's, by global tid and looked up on nearly every event, is paged by number. The others
/// number a few tasks each and there are thousands of them: their numbers under 1024 (all of them
/// in the traces measured: 5M events, 1,000 containers) are in an array grown only as high as the
/// numbers held, the rest in a Dictionary. A snapshot takes the numbers in ascending order
/// (<see cref="InOrder"/>), as the kernel's idr walks them, so what it writes does not depend on
/// the order numbers came and went in.
/// </summary>
internal sealed class PidIdr
{
    /// <summary>A namespace below the host keeps numbers under this in an array: 8 KiB at most, thousands of namespaces.</summary>
    private const int SmallLimit = 1024;

    /// <summary>The numbers of this namespace and the pid holding each.</summary>
    private readonly TidMap<TaskStruct> _map;
    /// <summary>The namespace this idr belongs to.</summary>
    private readonly PidNamespace _ns;
    /// <summary>The model's lookup-cost table.</summary>
    private readonly PidLookupTable _table;

    public PidIdr(PidNamespace ns, PidLookupTable table, Shelf shelf)
    {
        _ns = ns;
        _table = table;
        _map = ns.Level == 0 ? new TidMap<TaskStruct>() : TidMap<TaskStruct>.Small(SmallLimit, shelf.Arrays);
    }

    /// <summary>The arrays a model's namespaces below the host pass on, one to the next (<see cref="ArrayShelf{T}"/>).</summary>
    public sealed class Shelf
    {
        internal readonly ArrayShelf<TaskStruct> Arrays = new();
    }

    /// <summary>A namespace that holds no number and takes no more gives its array to the shelf (<see cref="TidMap{T}.Trim"/>).</summary>
    public void Trim() => _map.Trim();

    public int Count => _map.Count;

    public bool TryGetValue(int nr, [MaybeNullWhen(false)] out TaskStruct pid) => _map.TryGetValue(nr, out pid);

    public bool ContainsKey(int nr) => _map.ContainsKey(nr);

    public TaskStruct this[int nr]
    {
        get => _map[nr];
        set
        {
            bool added = !_map.ContainsKey(nr);
            _map[nr] = value;
            if (!added) return;
            _table.Add(nr, _ns);
            _ns.ForgetSearch();
        }
    }

    public bool Remove(int nr)
    {
        if (!_map.Remove(nr))
            return false;
        _table.Remove(nr, _ns);
        _ns.ForgetSearch();
        return true;
    }

    /// <summary>
    /// The first number not held from <paramref name="start"/> up to <paramref name="max"/>, else
    /// from <paramref name="min"/> up to <paramref name="start"/>; 0 when every one is held. The
    /// answer is kept until a number comes or goes: a fork after an unnamed setns asks every
    /// namespace, most of which have not changed since the last such fork asked.
    /// </summary>
    public int FirstFree(int start, int min, int max)
    {
        var ns = _ns;
        if (start != ns.SearchStart || min != ns.SearchMin || max != ns.SearchMax)
        {
            ns.SearchFound = Search(start, min, max);
            (ns.SearchStart, ns.SearchMin, ns.SearchMax) = (start, min, max);
        }
        return ns.SearchFound;
    }

    private int Search(int start, int min, int max)
    {
        for (int nr = start; nr < max; nr++)
            if (!_map.ContainsKey(nr)) return nr;
        for (int nr = min; nr < start && nr < max; nr++)
            if (!_map.ContainsKey(nr)) return nr;
        return 0;
    }

    /// <summary>The numbers and their pids: those in the table or array ascending, then the others in no set order (for walks whose result does not depend on it).</summary>
    public TidMap<TaskStruct>.Enumerator GetEnumerator() => _map.GetEnumerator();

    /// <summary>The numbers and their pids in ascending order, whatever order they came in: what a snapshot writes.</summary>
    public IEnumerable<KeyValuePair<int, TaskStruct>> InOrder() => _map.Ascending();
}
