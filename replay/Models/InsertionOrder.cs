namespace Replayer.Replay.Models;

/// <summary>
/// The order a Dictionary&lt;int, T&gt; enumerates its keys in, kept beside a map that has no order
/// of its own: insertion order, except that a new key takes the entry the latest removed key left
/// (Dictionary's free list is last in, first out). Whatever is written in this order (a
/// snapshot) reads as it did when the map was a Dictionary.
/// </summary>
internal sealed class InsertionOrder
{
    /// <summary>Marks an entry that holds a key (<see cref="Entry.Next"/>).</summary>
    private const int Held = -2;

    /// <summary>The entries, side by side so that adding or removing one touches one cache line.</summary>
    private Entry[] _entries = new Entry[16];

    /// <summary>Entries ever used: the walk's end.</summary>
    private int _used;

    /// <summary>The entry the latest removal freed; -1 when none is free.</summary>
    private int _free = -1;

    /// <summary>Each key's entry, plus one (0: the key is not held).</summary>
    private readonly TidMap<int> _entryOf;

    /// <param name="entryOf">Where each key's entry is kept: a map shaped like the one whose order this is.</param>
    public InsertionOrder(TidMap<int> entryOf) => _entryOf = entryOf;

    public int Count => _entryOf.Count;

    /// <summary>A key not held goes where Dictionary.Add would put it.</summary>
    public void Add(int key)
    {
        int e = _free;
        if (e < 0)
        {
            if (_used == _entries.Length) Array.Resize(ref _entries, _used * 2);
            e = _used++;
        }
        else
            _free = _entries[e].Next;
        _entries[e] = new Entry(key, Held);
        _entryOf[key] = e + 1;
    }

    public void Remove(int key)
    {
        if (!_entryOf.Remove(key, out int held)) return;
        int e = held - 1;
        _entries[e].Next = _free;
        _free = e;
    }

    public void Clear()
    {
        _entryOf.Clear();
        _used = 0;
        _free = -1;
    }

    /// <summary>A key, and <see cref="Held"/> or for a free entry the next free one (-1 ends the list).</summary>
    private struct Entry(int key, int next)
    {
        public int Key = key;
        public int Next = next;
    }

    /// <summary>The keys in order.</summary>
    public Enumerator GetEnumerator() => new(this);

    public struct Enumerator
    {
        /// <summary>The order walked.</summary>
        private readonly InsertionOrder _order;
        /// <summary>The entry after the current one.</summary>
        private int _e;

        internal Enumerator(InsertionOrder order)
        {
            _order = order;
            _e = 0;
            Current = 0;
        }

        public int Current { get; private set; }

        public bool MoveNext()
        {
            while (_e < _order._used)
            {
                int e = _e++;
                ref var entry = ref _order._entries[e];
                if (entry.Next != Held) continue;
                Current = entry.Key;
                return true;
            }
            return false;
        }
    }
}
