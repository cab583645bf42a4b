using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Replayer.Replay.Models;

/// <summary>
/// A map keyed by a host's tids: a key a kernel can give (0 up to PID_MAX_LIMIT) indexes a
/// <see cref="PagedTable{T}"/>, one load where a Dictionary makes two (bucket, then entry) in
/// tables far bigger than the cache; any other key a trace names (negative, or past the limit)
/// goes to a Dictionary. A slot holding the default is empty, so the default is never a value.
/// </summary>
internal sealed class TidMap<T> : IEnumerable<KeyValuePair<int, T>>
{
    /// <summary>PID_MAX_LIMIT on 64-bit kernels (include/linux/threads.h): no kernel gives a higher tid.</summary>
    public const int PidMaxLimit = 4 * 1024 * 1024;

    /// <summary>Keys from 0 to the table's length.</summary>
    private readonly PagedTable<T> _table;

    /// <summary>Keys outside the table.</summary>
    private readonly Dictionary<int, T> _others = new();

    /// <param name="length">Keys below this are paged: <see cref="PidMaxLimit"/> for tids, 0 for a map of a few small numbers (a Dictionary in all but name).</param>
    public TidMap(int length = PidMaxLimit) => _table = new PagedTable<T>(length);

    public int Count => _table.Count + _others.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(int key, [MaybeNullWhen(false)] out T value)
    {
        if ((uint)key < (uint)_table.Length)
        {
            value = _table[key];
            return !PagedTable<T>.IsDefault(value);
        }
        return _others.TryGetValue(key, out value);
    }

    public bool ContainsKey(int key) => TryGetValue(key, out _);

    /// <summary>The value held for <paramref name="key"/>; reading a key not held throws, as a Dictionary's does.</summary>
    public T this[int key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"{key} is not held");
        set
        {
            Debug.Assert(!PagedTable<T>.IsDefault(value), "the default marks an empty slot: Remove the key instead");
            if ((uint)key < (uint)_table.Length) _table[key] = value;
            else _others[key] = value;
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
        if ((uint)key < (uint)_table.Length)
        {
            value = _table[key];
            if (PagedTable<T>.IsDefault(value)) return false;
            _table[key] = default!;
            return true;
        }
        return _others.Remove(key, out value);
    }

    public void Clear()
    {
        _table.Clear();
        _others.Clear();
    }

    /// <summary>Paged keys in ascending order, then the others in their Dictionary's order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<int, T>> IEnumerable<KeyValuePair<int, T>>.GetEnumerator() => new Boxed(this);

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => new Boxed(this);

    /// <summary>The walk for LINQ (snapshots sort what they take from it): off the hot path, so it may allocate.</summary>
    private sealed class Boxed(TidMap<T> map) : IEnumerator<KeyValuePair<int, T>>
    {
        private Enumerator _walk = map.GetEnumerator();

        public KeyValuePair<int, T> Current => _walk.Current;

        object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext() => _walk.MoveNext();

        public void Reset() => _walk = map.GetEnumerator();

        public void Dispose() { }
    }

    public struct Enumerator
    {
        private readonly TidMap<T> _map;
        /// <summary>The next paged key to look at; the table's length once they are done.</summary>
        private int _next;
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
            while ((_next = table.NextUsed(_next)) < table.Length)
            {
                int key = _next++;
                var value = table[key];
                if (PagedTable<T>.IsDefault(value)) continue;
                Current = new(key, value);
                return true;
            }
            if (!_others.MoveNext()) return false;
            Current = _others.Current;
            return true;
        }
    }
}
