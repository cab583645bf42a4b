using System.Diagnostics;

namespace Replayer.Replay.Models.Vpid;

/// <summary>What VpidModel keeps of a number the trace's kernel showed inside a VPS.</summary>
internal struct ShownNumber
{
    /// <summary>The global pid of the task that last held the number.</summary>
    public int Pid;
    /// <summary>That task's identity.</summary>
    public int Tid;
    /// <summary>The number shown in the same VPS before this one (the VPS's chain, newest first); 0 ends it.</summary>
    public int Next;
}

/// <summary>
/// The numbers the trace's kernel showed inside VPSs, by (VPS id, number): an open-addressing
/// table of structs with linear probing, because a fork, wait or kill inside a VPS asks it and a
/// host keeps hundreds of thousands of such numbers; a lookup here reads one slot where a
/// Dictionary read a bucket, then an entry elsewhere. Removal shifts the run that follows back,
/// so no tombstones build up as VPSs come and go. Grows (and allocates) only to a new high.
/// </summary>
internal sealed class InsideNumberTable
{
    /// <summary>One slot: the key (VPS id 0 marks it empty: ids start at 1) and what it holds.</summary>
    private struct Slot
    {
        public int Vps;
        public int Nr;
        public ShownNumber Shown;
    }

    /// <summary>Slots, a power of two, at most half full.</summary>
    private Slot[] _slots = new Slot[1024];
    /// <summary>log2 of the slot count: the hash keeps that many top bits.</summary>
    private int _bits = 10;

    public int Count { get; private set; }

    /// <summary>
    /// The slot a key hashes to: Fibonacci hashing (Knuth 6.4, top bits) of the VPS and the number
    /// divided by eight, then the number's low three bits. A VPS's numbers come in order (its
    /// pid counter), so the next one shown, and the recent ones its callers pass back, mostly
    /// land in slots already in the cache.
    /// </summary>
    private int Home(int vps, int nr) =>
        (int)(((((ulong)(uint)vps << 32) | (uint)(nr >> 3)) * 0x9E3779B97F4A7C15UL >> (64 - _bits)) & ~7UL) | (nr & 7);

    /// <summary>The slot holding the key, or the empty slot where it would go.</summary>
    private int Find(int vps, int nr)
    {
        int mask = _slots.Length - 1;
        int i = Home(vps, nr);
        while (_slots[i].Vps != 0 && (_slots[i].Vps != vps || _slots[i].Nr != nr))
            i = (i + 1) & mask;
        return i;
    }

    public bool TryGet(int vps, int nr, out ShownNumber shown)
    {
        ref var slot = ref _slots[Find(vps, nr)];
        shown = slot.Shown;
        return slot.Vps != 0;
    }

    /// <summary>What is kept for the key, made empty when the key is new (<paramref name="existed"/> false).</summary>
    public ref ShownNumber GetOrAdd(int vps, int nr, out bool existed)
    {
        Debug.Assert(vps > 0, "VPS ids start at 1");
        if (2 * (Count + 1) > _slots.Length)
            Grow();
        ref var slot = ref _slots[Find(vps, nr)];
        existed = slot.Vps != 0;
        if (!existed)
        {
            slot = new Slot { Vps = vps, Nr = nr };
            Count++;
        }
        return ref slot.Shown;
    }

    public bool Remove(int vps, int nr, out ShownNumber shown)
    {
        int i = Find(vps, nr);
        shown = _slots[i].Shown;
        if (_slots[i].Vps == 0)
            return false;
        // Backward shift: each later slot of the run moves into the hole unless its home lies
        // cyclically after the hole, where a lookup starting at home would no longer pass it.
        int mask = _slots.Length - 1;
        for (int j = (i + 1) & mask; _slots[j].Vps != 0; j = (j + 1) & mask)
        {
            int home = Home(_slots[j].Vps, _slots[j].Nr);
            bool stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if (stays)
                continue;
            _slots[i] = _slots[j];
            i = j;
        }
        _slots[i] = default;
        Count--;
        return true;
    }

    /// <summary>Every key with what it holds, in no particular order (a snapshot sorts them).</summary>
    public IEnumerable<(int Vps, int Nr, ShownNumber Shown)> Entries()
    {
        foreach (var slot in _slots)
            if (slot.Vps != 0)
                yield return (slot.Vps, slot.Nr, slot.Shown);
    }

    public void Clear()
    {
        Array.Clear(_slots);
        Count = 0;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        _bits++;
        foreach (var slot in old)
            if (slot.Vps != 0)
                _slots[Find(slot.Vps, slot.Nr)] = slot;
    }
}
