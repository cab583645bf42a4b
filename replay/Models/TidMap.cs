using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Replayer.Replay.Models;

/// <summary>
/// A map keyed by a host's tids or a namespace's numbers. A key a kernel can give indexes a table:
/// for tids (0 up to PID_MAX_LIMIT) a <see cref="PagedTable{T}"/>, one load where a Dictionary
/// makes two (bucket, then entry) in tables far bigger than the cache; for the small numbers of a
/// namespace below the host, an array grown only as high as the keys held, up to a limit. Any
/// other key a trace names (negative, or past the limit) goes to a Dictionary. A slot holding the
/// default is empty, so the default is never a value.
/// </summary>
internal sealed class TidMap<T> : IEnumerable<KeyValuePair<int, T>>
{
    /// <summary>PID_MAX_LIMIT on 64-bit kernels (include/linux/threads.h): no kernel gives a higher tid.</summary>
    public const int PidMaxLimit = 4 * 1024 * 1024;

    /// <summary>The smallest array a small map grows to.</summary>
    private const int SmallestArray = 16;

    /// <summary>Keys below this are in the table (paged) or the array (small); the others in <see cref="_others"/>.</summary>
    private readonly int _limit;

    /// <summary>The paged table; null for a small map.</summary>
    private readonly PagedTable<T>? _table;

    /// <summary>A small map's slots, as many as its highest key needs (a power of two up to the limit).</summary>
    private T[] _small = [];

    /// <summary>Values held in <see cref="_small"/>.</summary>
    private int _smallCount;

    /// <summary>Keys outside the table or array.</summary>
    private readonly Dictionary<int, T> _others = new();

    /// <summary>Where a small map takes the arrays it grows into and leaves the ones it outgrew; null: made and dropped.</summary>
    private readonly ArrayShelf<T>? _shelf;

    private TidMap(int limit, bool paged, ArrayShelf<T>? shelf)
    {
        _limit = limit;
        if (paged) _table = new PagedTable<T>(limit);
        _shelf = shelf;
    }

    /// <summary>A map by host tid: keys 0 to <see cref="PidMaxLimit"/> paged.</summary>
    public TidMap() : this(PidMaxLimit, paged: true, shelf: null) { }

    /// <summary>A map of small numbers: keys below <paramref name="limit"/> in an array that grows with the highest held (its arrays from and back to <paramref name="shelf"/>, when given).</summary>
    public static TidMap<T> Small(int limit, ArrayShelf<T>? shelf = null) => new(limit, paged: false, shelf);

    public int Count => (_table?.Count ?? _smallCount) + _others.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(int key, [MaybeNullWhen(false)] out T value)
    {
        if ((uint)key >= (uint)_limit) return _others.TryGetValue(key, out value);
        if (_table is not null) value = _table[key];
        else value = (uint)key < (uint)_small.Length ? _small[key] : default;
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
            if ((uint)key >= (uint)_limit) _others[key] = value;
            else if (_table is not null) _table[key] = value;
            else
            {
                if (key >= _small.Length) Grow(key);
                ref var slot = ref _small[key];
                if (PagedTable<T>.IsDefault(slot)) _smallCount++;
                slot = value;
            }
        }
    }

    /// <summary>A small map's array grown to hold <paramref name="key"/>: the next power of two, within the limit.</summary>
    private void Grow(int key)
    {
        int length = Math.Clamp((int)BitOperations.RoundUpToPowerOf2((uint)key + 1), SmallestArray, _limit);
        var bigger = _shelf?.Take(length) ?? new T[length];
        _small.AsSpan().CopyTo(bigger);
        if (_small.Length > 0) _shelf?.Give(_small);
        _small = bigger;
    }

    /// <summary>A small map that holds nothing in its array gives the array back to its shelf; it grows again if a key comes.</summary>
    public void Trim()
    {
        if (_shelf is null || _smallCount > 0 || _small.Length == 0) return;
        _shelf.Give(_small);
        _small = [];
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
        if ((uint)key >= (uint)_limit) return _others.Remove(key, out value);
        if (_table is not null)
        {
            value = _table[key];
            if (PagedTable<T>.IsDefault(value)) return false;
            _table[key] = default!;
            return true;
        }
        if ((uint)key >= (uint)_small.Length || PagedTable<T>.IsDefault(value = _small[key]))
        {
            value = default;
            return false;
        }
        _small[key] = default!;
        _smallCount--;
        return true;
    }

    public void Clear()
    {
        _table?.Clear();
        Array.Clear(_small);
        _smallCount = 0;
        _others.Clear();
    }

    /// <summary>Keys of the table or array in ascending order, then the others in their Dictionary's order.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>
    /// Every key in ascending order, whatever order the keys came and went in: the walk itself
    /// when every key is in the table or array, sorted when any is outside it (negative, or past
    /// the limit: no kernel gives those).
    /// </summary>
    public IEnumerable<KeyValuePair<int, T>> Ascending() => _others.Count == 0 ? this : this.OrderBy(kv => kv.Key);

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
        /// <summary>The next key of the table or array to look at; past them once they are done.</summary>
        private int _next;
        /// <summary>The walk of the keys outside the table or array, taken once those are done.</summary>
        private Dictionary<int, T>.Enumerator _others;

        internal Enumerator(TidMap<T> map)
        {
            _map = map;
            _next = 0;
            _others = map._others.GetEnumerator();
        }

        public KeyValuePair<int, T> Current { get; private set; }

        public bool MoveNext()
        {
            var table = _map._table;
            var small = _map._small;
            int end = table?.Length ?? small.Length;
            while (_next < end)
            {
                if (table is not null && (_next = table.NextSet(_next)) >= end) break;
                int key = _next++;
                var value = table is not null ? table[key] : small[key];
                if (PagedTable<T>.IsDefault(value)) continue;
                Current = new(key, value);
                return true;
            }
            _next = end;
            if (!_others.MoveNext()) return false;
            Current = _others.Current;
            return true;
        }
    }
}
