namespace Replayer.Replay.Models.Vpid;

/// <summary>
/// The host-wide vpid_hash of the patch: chains of (vnr, vps id) -> global pid, new entries at the
/// head of their chain (hlist_add_head). Entries live in flat arrays with a free list, so lookups
/// and inserts allocate nothing once the arrays have grown; every chain entry visited is a probe.
/// </summary>
internal sealed class VpidHash
{
    /// <summary>GOLDEN_RATIO_PRIME_64 of include/linux/hash.h (2.6.16): hash_long on a 64-bit host.</summary>
    private const ulong GoldenRatioPrime64 = 0x9e37fffffffc0001UL;

    /// <summary>Index of the first entry of each chain; -1 for an empty chain.</summary>
    private readonly int[] _heads;
    /// <summary>pidhash_shift: log2 of the bucket count.</summary>
    private readonly int _shift;
    /// <summary>Per entry: the virtual number, the VPS id, the global pid, the next entry in the chain (or in the free list).</summary>
    private int[] _vnr = new int[64], _vps = new int[64], _pid = new int[64], _next = new int[64];
    /// <summary>First free entry; -1 when the arrays are full.</summary>
    private int _free = -1;
    /// <summary>Entries ever used (the high-water mark of the arrays).</summary>
    private int _used;

    public VpidHash(int buckets)
    {
        _heads = new int[buckets];
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
        probes++; // loading the chain head
        for (int e = _heads[Bucket(vnr, vpsId)]; e >= 0; e = _next[e])
        {
            probes++;
            if (_vnr[e] == vnr && _vps[e] == vpsId)
                return _pid[e];
        }
        return 0;
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
        _next[e] = _heads[b];
        _heads[b] = e;
        Count++;
    }

    /// <summary>Unlinks (vnr, vps id); false when it was not there (the patch's BUG_ON(m == NULL)).</summary>
    public bool Remove(int vnr, int vpsId, ref int probes)
    {
        int b = Bucket(vnr, vpsId);
        probes++;
        for (int e = _heads[b], prev = -1; e >= 0; prev = e, e = _next[e])
        {
            probes++;
            if (_vnr[e] != vnr || _vps[e] != vpsId)
                continue;
            if (prev < 0) _heads[b] = _next[e];
            else _next[prev] = _next[e];
            _next[e] = _free;
            _free = e;
            Count--;
            return true;
        }
        return false;
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
    }
}
