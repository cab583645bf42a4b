namespace Replayer.Replay.Models.Vpid;

/// <summary>
/// The host-wide vpid_hash of the patch: chains of (vnr, vps id) -> global pid, new entries at the
/// head of their chain (hlist_add_head). Entries live in flat arrays with a free list, so lookups
/// and inserts allocate nothing once the arrays have grown; every chain entry visited is a probe.
///
/// The probes are counted as the kernel would make them, but not all are made here. hash_long's
/// multiplier of the time (GOLDEN_RATIO_PRIME_64) times any 32-bit vpsid &lt;&lt; 16 moves the
/// top bits by one at most, so the bucket depends on vnr alone: a host-wide sparse switch at 1000
/// containers puts 48,000 mappings into about 60 chains, at 10,000 ten times as many. Walking
/// them made a what-if point of 10,000 containers run for hours. So the chains are counted, not
/// walked: an index of the entries says whether a mapping is there; a lookup of one that is not
/// visits the whole chain, whose length each bucket keeps; one that is visits the entries added
/// after it and itself, which a Fenwick tree per bucket over the order of adding counts. The
/// chains themselves (doubly linked, so that an entry leaves in one step) are walked only to be
/// written into a snapshot.
/// </summary>
internal sealed class VpidHash
{
    /// <summary>GOLDEN_RATIO_PRIME_64 of include/linux/hash.h (2.6.16): hash_long on a 64-bit host.</summary>
    private const ulong GoldenRatioPrime64 = 0x9e37fffffffc0001UL;

    /// <summary>Index of the first entry of each chain; -1 for an empty chain.</summary>
    private readonly int[] _heads;
    /// <summary>pidhash_shift: log2 of the bucket count.</summary>
    private readonly int _shift;
    /// <summary>
    /// Per entry: the virtual number, the VPS id, the global pid, the next entry in the chain (or in
    /// the free list), the one before it (-1 at the head), and when it was added to its chain.
    /// </summary>
    private int[] _vnr = new int[64], _vps = new int[64], _pid = new int[64], _next = new int[64], _prev = new int[64], _stamp = new int[64];
    /// <summary>First free entry; -1 when the arrays are full.</summary>
    private int _free = -1;
    /// <summary>Entries ever used (the high-water mark of the arrays).</summary>
    private int _used;
    /// <summary>Entries in each chain.</summary>
    private readonly int[] _lengths;
    /// <summary>
    /// Every entry by its (vnr, vps id), so that a lookup knows whether one is there without walking
    /// its chain: open addressing with linear probing, a slot holding an entry plus one (0: empty),
    /// at most half full. Eight bytes an entry, where a Dictionary took about 28 (a what-if host of
    /// 10,000 containers holds tens of millions of mappings).
    /// </summary>
    private int[] _index = new int[128];
    /// <summary>Per chain: the stamp its next entry gets, and a Fenwick tree (1-based) of its entries by stamp; null while none was added.</summary>
    private readonly int[] _nextStamp;
    private readonly int[]?[] _trees;

    public VpidHash(int buckets)
    {
        _heads = new int[buckets];
        _lengths = new int[buckets];
        _nextStamp = new int[buckets];
        _trees = new int[]?[buckets];
        Array.Fill(_heads, -1);
        _shift = System.Numerics.BitOperations.Log2((uint)buckets);
    }

    /// <summary>Mappings now in the hash.</summary>
    public int Count { get; private set; }

    /// <summary>vpid_hashfn: hash_long(vnr + (vpsid &lt;&lt; 16), pidhash_shift).</summary>
    public int Bucket(int vnr, int vpsId) =>
        (int)(unchecked((ulong)(long)(vnr + (vpsId << 16)) * GoldenRatioPrime64) >> (64 - _shift));

    /// <summary>__lookup_vpid_mapping: the global pid mapped to (vnr, vps id), or 0; probes counts the entries visited.</summary>
    public int Lookup(int vnr, int vpsId, ref int probes)
    {
        int b = Bucket(vnr, vpsId);
        probes++; // loading the chain head
        int found = Find(vnr, vpsId, out _);
        if (found < 0)
        {
            probes += _lengths[b]; // the whole chain, compared and passed over
            return 0;
        }
        probes += Visited(b, found);
        return _pid[found];
    }

    /// <summary>Entries a walk from the head of chain <paramref name="b"/> visits to reach entry <paramref name="e"/>: those added after it, and itself.</summary>
    private int Visited(int b, int e) => _lengths[b] - Prefix(_trees[b]!, _stamp[e]);

    /// <summary>Entries of a chain with a stamp below <paramref name="stamp"/>.</summary>
    private static int Prefix(int[] tree, int stamp)
    {
        int sum = 0;
        for (int i = Math.Min(stamp, tree.Length - 1); i > 0; i -= i & -i) sum += tree[i];
        return sum;
    }

    private static void Change(int[] tree, int stamp, int by)
    {
        for (int i = stamp + 1; i < tree.Length; i += i & -i) tree[i] += by;
    }

    /// <summary>The next stamp of chain <paramref name="b"/>, its tree grown (or its stamps given again from 0, when most were used by entries gone) to hold it.</summary>
    private int NextStamp(int b)
    {
        var tree = _trees[b] ??= new int[65];
        if (_nextStamp[b] + 1 >= tree.Length)
        {
            int capacity = tree.Length - 1;
            if (_lengths[b] * 2 < capacity)
                Renumber(b, tree);
            else
            {
                // Slots past the old capacity hold 0 but at powers of two, which cover the whole old range.
                var grown = new int[capacity * 2 + 1];
                Array.Copy(tree, grown, tree.Length);
                grown[capacity * 2] = tree[capacity];
                _trees[b] = grown;
            }
        }
        return _nextStamp[b]++;
    }

    /// <summary>Stamps 0 to length - 1 from the tail of the chain to its head, the tree made again.</summary>
    private void Renumber(int b, int[] tree)
    {
        Array.Clear(tree);
        int stamp = _lengths[b];
        for (int e = _heads[b]; e >= 0; e = _next[e])
        {
            _stamp[e] = --stamp;
            Change(tree, _stamp[e], 1);
        }
        _nextStamp[b] = _lengths[b];
    }

    /// <summary>Where the index's probing for (vnr, vps id) begins.</summary>
    private int Home(int vnr, int vpsId)
    {
        ulong key = (ulong)(uint)vpsId << 32 | (uint)vnr;
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdUL; // MurmurHash3's finaliser
        key ^= key >> 33;
        return (int)(key & (ulong)(_index.Length - 1));
    }

    /// <summary>The entry of (vnr, vps id), or -1; <paramref name="slot"/>: where it is in the index, or the empty slot where it would go.</summary>
    private int Find(int vnr, int vpsId, out int slot)
    {
        int mask = _index.Length - 1;
        for (slot = Home(vnr, vpsId); ; slot = (slot + 1) & mask)
        {
            int e = _index[slot] - 1;
            if (e < 0 || _vnr[e] == vnr && _vps[e] == vpsId) return e;
        }
    }

    /// <summary>Takes entry <paramref name="e"/> into the index, which grows to stay at most half full.</summary>
    private void Index(int e)
    {
        if ((Count + 1) * 2 > _index.Length)
        {
            var old = _index;
            _index = new int[old.Length * 2];
            foreach (int held in old)
                if (held != 0)
                {
                    Find(_vnr[held - 1], _vps[held - 1], out int to);
                    _index[to] = held;
                }
        }
        Find(_vnr[e], _vps[e], out int slot);
        _index[slot] = e + 1;
    }

    /// <summary>Lets the index's slot go, moving back the entries after it whose probing passed over it (no tombstones).</summary>
    private void Unindex(int slot)
    {
        int mask = _index.Length - 1;
        for (int next = (slot + 1) & mask; _index[next] != 0; next = (next + 1) & mask)
        {
            int e = _index[next] - 1;
            int home = Home(_vnr[e], _vps[e]);
            // The entry stays unless the freed slot lies on its way from home to where it is.
            if (((next - home) & mask) < ((next - slot) & mask)) continue;
            _index[slot] = _index[next];
            slot = next;
        }
        _index[slot] = 0;
    }

    /// <summary>hlist_add_head of a new mapping; the caller has checked it is absent.</summary>
    public void Add(int vnr, int vpsId, int pid)
    {
        int e = _free;
        if (e >= 0)
            _free = _next[e];
        else
        {
            if (_used == _vnr.Length)
                Grow();
            e = _used++;
        }
        int b = Bucket(vnr, vpsId);
        _vnr[e] = vnr;
        _vps[e] = vpsId;
        _pid[e] = pid;
        _stamp[e] = NextStamp(b);
        Change(_trees[b]!, _stamp[e], 1);
        _prev[e] = -1;
        _next[e] = _heads[b];
        if (_heads[b] >= 0) _prev[_heads[b]] = e;
        _heads[b] = e;
        _lengths[b]++;
        Index(e);
        Count++;
    }

    /// <summary>Unlinks (vnr, vps id); false when it was not there (the patch's BUG_ON(m == NULL)).</summary>
    public bool Remove(int vnr, int vpsId, ref int probes)
    {
        int b = Bucket(vnr, vpsId);
        probes++;
        int e = Find(vnr, vpsId, out int slot);
        if (e < 0)
        {
            probes += _lengths[b];
            return false;
        }
        Unindex(slot);
        probes += Visited(b, e);
        Change(_trees[b]!, _stamp[e], -1);
        if (_prev[e] < 0) _heads[b] = _next[e];
        else _next[_prev[e]] = _next[e];
        if (_next[e] >= 0) _prev[_next[e]] = _prev[e];
        _next[e] = _free;
        _free = e;
        _lengths[b]--;
        Count--;
        return true;
    }

    /// <summary>Chains in bucket order, each from its head: enough to rebuild the same chains (and probe counts).</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(Count);
        var chain = new List<int>();
        for (int b = 0; b < _heads.Length; b++)
        {
            int n = 0;
            for (int e = _heads[b]; e >= 0; e = _next[e]) n++;
            if (n == 0) continue;
            w.Write(b);
            w.Write(n);
            // Written tail first so that re-adding at the head restores the chain order.
            chain.Clear();
            for (int e = _heads[b]; e >= 0; e = _next[e]) chain.Add(e);
            for (int i = n - 1; i >= 0; i--)
            {
                w.Write(_vnr[chain[i]]);
                w.Write(_vps[chain[i]]);
                w.Write(_pid[chain[i]]);
            }
        }
        w.Write(-1);
    }

    public void Read(BinaryReader r)
    {
        int expected = r.ReadInt32();
        for (int b = r.ReadInt32(); b >= 0; b = r.ReadInt32())
        {
            int n = r.ReadInt32();
            for (int i = 0; i < n; i++)
            {
                int vnr = r.ReadInt32(), vps = r.ReadInt32(), pid = r.ReadInt32();
                if (Bucket(vnr, vps) != b)
                    throw new InvalidDataException("vpid hash snapshot: an entry is in the wrong bucket for this bucket count");
                Add(vnr, vps, pid);
            }
        }
        if (Count != expected)
            throw new InvalidDataException("vpid hash snapshot: entry count does not match");
    }

    public void Clear()
    {
        Array.Fill(_heads, -1);
        Array.Clear(_lengths);
        Array.Clear(_nextStamp);
        Array.Clear(_trees);
        Array.Clear(_index);
        _free = -1;
        _used = 0;
        Count = 0;
    }

    private void Grow()
    {
        int n = _vnr.Length * 2;
        Array.Resize(ref _vnr, n);
        Array.Resize(ref _vps, n);
        Array.Resize(ref _pid, n);
        Array.Resize(ref _next, n);
        Array.Resize(ref _prev, n);
        Array.Resize(ref _stamp, n);
    }
}
