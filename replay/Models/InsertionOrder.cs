namespace Replayer.Replay.Models;

/// <summary>
/// The order a Dictionary&lt;int, T&gt; enumerates its keys in, kept beside a map that has no order
/// of its own: insertion order, except that a new key takes the entry the latest removed key left
/// (Dictionary's free list is last in, first out). Whatever is written in this order (a
/// snapshot) reads as it did when the map was a Dictionary. The map keeps each key's entry
/// beside its value, so that a key comes or goes with one lookup.
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

    /// <summary>Entries holding a key.</summary>
    public int Count { get; private set; }

    /// <summary>The entry Dictionary.Add would put a new key in; the map keeps it for <see cref="Remove"/>.</summary>
    public int Add(int key)
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
        Count++;
        return e;
    }

    /// <summary>Frees the entry <see cref="Add"/> gave a key, for the next key to take.</summary>
    public void Remove(int entry)
    {
        _entries[entry].Next = _free;
        _free = entry;
        Count--;
    }

    public void Clear()
    {
        _used = 0;
        _free = -1;
        Count = 0;
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
