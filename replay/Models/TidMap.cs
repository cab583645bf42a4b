using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Replayer.Replay.Models;

/// <summary>
/// A map keyed by a host's tids or a namespace's numbers. By host tid it is an open-addressing
/// hash table whose slots hold key and value side by side, so a hit costs the one cache line a
/// Dictionary needs two for (bucket, then entry), and its size follows the keys held, not the
/// range they are spread over: pids cycle through the whole of pid_max on a long run, so a table
/// indexed by tid ends up with every page of its range made. For the small numbers of a namespace
/// below the host, an array grown only as high as the keys held, up to a limit, and a Dictionary
/// for any other key a trace names. A slot holding the default is empty, so the default is never a
/// value.
/// </summary>
internal sealed class TidMap<T> : IEnumerable<KeyValuePair<int, T>>
{
    /// <summary>PID_MAX_LIMIT on 64-bit kernels (include/linux/threads.h): no kernel gives a higher tid.</summary>
    public const int PidMaxLimit = 4 * 1024 * 1024;

    /// <summary>The smallest array a small map grows to, and the fewest slots of a hash table.</summary>
    private const int SmallestArray = 16;

    /// <summary>
    /// 2^32 / φ: a number times this keeps in its top bits what differs between close numbers,
    /// spread over the table (Knuth's multiplicative hashing, as include/linux/hash.h's hash_32).
    /// </summary>
    private const uint GoldenRatio32 = 0x61C88647;

    /// <summary>
    /// log2 of the tids that keep their order in the table: tids a kernel hands out one after the
    /// other (a fork storm, a shell's pipeline) land in neighbouring slots, a cache line or two,
    /// as they did in a table indexed by tid; only each run of 8 is hashed. Hashing every tid
    /// apart cost a cache miss per fork in each map by tid. The low bits alone (key &amp; mask)
    /// would lay every tid live since pids last wrapped in one run of slots, which linear probing
    /// would walk through.
    /// </summary>
    private const int RunShift = 3;

    /// <summary>A small map's keys below this are in <see cref="_small"/>, the others in <see cref="_others"/>.</summary>
    private readonly int _limit;

    /// <summary>The hash table's slots (a power of two, at most half of them held); null for a small map.</summary>
    private Slot[]? _slots;

    /// <summary>32 less log2 of the slots: the shift that leaves a hash the bits that index them (at most 28, as there are 16 slots at least).</summary>
    private int _shift;

    /// <summary>Slots held in <see cref="_slots"/>.</summary>
    private int _held;

    /// <summary>A small map's slots, as many as its highest key needs (a power of two up to the limit).</summary>
    private T[] _small = [];

    /// <summary>Values held in <see cref="_small"/>.</summary>
    private int _smallCount;

    /// <summary>A small map's keys outside its array; null for a hash table, which takes every key.</summary>
    private readonly Dictionary<int, T>? _others;

    /// <summary>A key and its value, in one slot so a lookup that hits reads one cache line.</summary>
    private struct Slot
    {
        /// <summary>The key; meaningless while the value is the default.</summary>
        public int Key;
        /// <summary>The value; the default while the slot is empty.</summary>
        public T Value;
    }

    /// <summary>A map by host tid: every key in a hash table.</summary>
    public TidMap() => Allocate(SmallestArray);

    private TidMap(int limit)
    {
        _limit = limit;
        _others = new();
    }

    /// <summary>A map of small numbers: keys below <paramref name="limit"/> in an array that grows with the highest held.</summary>
    public static TidMap<T> Small(int limit) => new(limit);

    public int Count => _slots is not null ? _held : _smallCount + _others!.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(int key, [MaybeNullWhen(false)] out T value)
    {
        if (_slots is { } slots)
        {
            for (int mask = slots.Length - 1, i = Home(key); ; i = (i + 1) & mask)
            {
                ref var slot = ref slots[i];
                if (PagedTable<T>.IsDefault(slot.Value)) break;
                if (slot.Key != key) continue;
                value = slot.Value;
                return true;
            }
            value = default;
            return false;
        }
        if ((uint)key >= (uint)_limit) return _others!.TryGetValue(key, out value);
        value = (uint)key < (uint)_small.Length ? _small[key] : default;
        return !PagedTable<T>.IsDefault(value!);
    }

    public bool ContainsKey(int key) => TryGetValue(key, out _);

    /// <summary>The value held for <paramref name="key"/>; reading a key not held throws, as a Dictionary's does.</summary>
    public T this[int key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"{key} is not held");
        set
        {
            Debug.Assert(!PagedTable<T>.IsDefault(value), "the default marks an empty slot: Remove the key instead");
            if (_slots is not null) Store(key, value);
            else if ((uint)key >= (uint)_limit) _others![key] = value;
            else
            {
                if (key >= _small.Length) Array.Resize(ref _small, Math.Clamp((int)BitOperations.RoundUpToPowerOf2((uint)key + 1), SmallestArray, _limit));
                ref var slot = ref _small[key];
                if (PagedTable<T>.IsDefault(slot)) _smallCount++;
                slot = value;
            }
        }
    }

    /// <summary>Holds a key not held yet; one held already throws, as a Dictionary's Add does.</summary>
    public void Add(int key, T value)
    {
        if (ContainsKey(key)) throw new ArgumentException($"{key} is held already", nameof(key));
        this[key] = value;
    }

    public bool Remove(int key) => Remove(key, out _);

    public bool Remove(int key, [MaybeNullWhen(false)] out T value)
    {
        if (_slots is { } slots)
        {
            for (int mask = slots.Length - 1, i = Home(key); ; i = (i + 1) & mask)
            {
                ref var slot = ref slots[i];
                if (PagedTable<T>.IsDefault(slot.Value)) break;
                if (slot.Key != key) continue;
                value = slot.Value;
                Delete(slots, i);
                return true;
            }
            value = default;
            return false;
        }
        if ((uint)key >= (uint)_limit) return _others!.Remove(key, out value);
        if ((uint)key >= (uint)_small.Length || PagedTable<T>.IsDefault(value = _small[key]))
        {
            value = default;
            return false;
        }
        _small[key] = default!;
        _smallCount--;
        return true;
    }

    /// <summary>
    /// Every key gone. A hash table keeps its slots for the restore that follows, unless it holds
    /// under an eighth of what they were sized for (a peak long past): then it is made again only
    /// as big as what it held needs, so memory follows the keys and a Clear never grows it.
    /// </summary>
    public void Clear()
    {
        if (_slots is not null)
        {
            int needed = SlotsFor(_held);
            if (needed * 4 <= _slots.Length) Allocate(needed);
            else Array.Clear(_slots);
            _held = 0;
            return;
        }
        Array.Clear(_small);
        _smallCount = 0;
        _others!.Clear();
    }

    /// <summary>Where <paramref name="key"/>'s probe starts: its run of tids hashed to a run of slots, its low bits the slot in that run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(int key) =>
        (int)(((uint)key >> RunShift) * GoldenRatio32 >> (_shift + RunShift) << RunShift) | (key & ((1 << RunShift) - 1));

    /// <summary>The fewest slots (a power of two) that hold <paramref name="count"/> keys at most half full.</summary>
    private static int SlotsFor(int count) => Math.Max(SmallestArray, (int)BitOperations.RoundUpToPowerOf2((uint)count * 2));

    /// <summary>Puts <paramref name="value"/> in <paramref name="key"/>'s slot, the one holding it or the first empty one on its probe.</summary>
    private void Store(int key, T value)
    {
        var slots = _slots!;
        int mask = slots.Length - 1, i = Home(key);
        for (; !PagedTable<T>.IsDefault(slots[i].Value); i = (i + 1) & mask)
        {
            if (slots[i].Key != key) continue;
            slots[i].Value = value;
            return;
        }
        // At most half full: at three quarters the maps took 10.3% of the 10M-event replay's samples, not 9.0%, and peak memory did not measurably drop.
        if ((_held + 1) * 2 > slots.Length)
        {
            Resize(slots.Length * 2);
            Store(key, value);
            return;
        }
        slots[i].Key = key;
        slots[i].Value = value;
        _held++;
    }

    /// <summary>
    /// Empties slot <paramref name="hole"/> by backward shift (Knuth, TAOCP 6.4, Algorithm R):
    /// each later slot of the run whose probe passed the hole moves into it, and leaves its own
    /// slot as the next hole; the run ends at an empty slot. No tombstone is left, so a probe
    /// still ends at the first empty slot and a long run of forks and exits does not slow lookups.
    /// </summary>
    private void Delete(Slot[] slots, int hole)
    {
        int mask = slots.Length - 1;
        for (int i = (hole + 1) & mask; !PagedTable<T>.IsDefault(slots[i].Value); i = (i + 1) & mask)
        {
            // The slot's key may fill the hole when the hole lies on its probe, from its home to i.
            if (((i - Home(slots[i].Key)) & mask) < ((i - hole) & mask)) continue;
            slots[hole] = slots[i];
            hole = i;
        }
        slots[hole] = default;
        _held--;
    }

    /// <summary>Makes the table <paramref name="length"/> slots (a power of two) and puts every key held back in.</summary>
    private void Resize(int length)
    {
        var old = _slots!;
        Allocate(length);
        foreach (ref var slot in old.AsSpan())
            if (!PagedTable<T>.IsDefault(slot.Value)) Store(slot.Key, slot.Value);
    }

    /// <summary>Gives the table <paramref name="length"/> empty slots (a power of two).</summary>
    private void Allocate(int length)
    {
        _slots = new Slot[length];
        _shift = 32 - BitOperations.Log2((uint)length);
        _held = 0;
    }

    /// <summary>A hash table's keys in the order of their slots; a small map's keys of the array in ascending order, then the others in their Dictionary's order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<int, T>> IEnumerable<KeyValuePair<int, T>>.GetEnumerator() => new Boxed(this);

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => new Boxed(this);

    /// <summary>The walk for LINQ (snapshots sort what they take from it): off the hot path, so it may allocate.</summary>
    private sealed class Boxed(TidMap<T> map) : IEnumerator<KeyValuePair<int, T>>
    {
        /// <summary>The walk this one wraps.</summary>
        private Enumerator _walk = map.GetEnumerator();

        public KeyValuePair<int, T> Current => _walk.Current;

        object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext() => _walk.MoveNext();

        public void Reset() => _walk = map.GetEnumerator();

        public void Dispose() { }
    }

    public struct Enumerator
    {
        /// <summary>The map walked.</summary>
        private readonly TidMap<T> _map;
        /// <summary>The next slot of the table or array to look at; past them once they are done.</summary>
        private int _next;
        /// <summary>The walk of a small map's keys outside its array, taken once those are done.</summary>
        private Dictionary<int, T>.Enumerator _others;

        internal Enumerator(TidMap<T> map)
        {
            _map = map;
            _next = 0;
            if (map._others is not null) _others = map._others.GetEnumerator();
        }

        public KeyValuePair<int, T> Current { get; private set; }

        public bool MoveNext()
        {
            if (_map._slots is { } slots)
            {
                while (_next < slots.Length)
                {
                    ref var slot = ref slots[_next++];
                    if (PagedTable<T>.IsDefault(slot.Value)) continue;
                    Current = new(slot.Key, slot.Value);
                    return true;
                }
                return false;
            }
            var small = _map._small;
            while (_next < small.Length)
            {
                int key = _next++;
                if (PagedTable<T>.IsDefault(small[key])) continue;
                Current = new(key, small[key]);
                return true;
            }
            if (!_others.MoveNext()) return false;
            Current = _others.Current;
            return true;
        }
    }
}
