using System.Runtime.CompilerServices;

namespace Replayer.Replay.Models;

/// <summary>
/// A table indexed by pid or tid (the virtual-pid model's from 0 to twice pid_max, a
/// <see cref="TidMap{T}"/>'s to PID_MAX_LIMIT), whose pages are made on the first write of a
/// value other than the default and let go when they hold none again: the kernel's pidmap is
/// paged the same way (a page of bitmap per 32K pids, allocated when a pid in it is first used).
/// With pid_max at 4194304, today's default on 64-bit machines, dense tables would hold hundreds
/// of megabytes of empty slots per host.
/// </summary>
internal sealed class PagedTable<T>
{
    /// <summary>log2 of the slots in a page.</summary>
    public const int PageShift = 12;
    /// <summary>Slots in a page: 32 KiB of references, 16 KiB of ints.</summary>
    public const int PageSize = 1 << PageShift;

    /// <summary>Emptied pages kept to be used again, so that a warm replay allocates none.</summary>
    private const int SparePages = 16;

    /// <summary>Pages by index; null while every slot in it holds the default.</summary>
    private readonly T[]?[] _pages;

    /// <summary>Slots other than the default, per page: a page that falls to none is let go (pids cycle through the whole range over a long run).</summary>
    private readonly int[] _set;

    /// <summary>Pages let go, kept for the next page made (at most <see cref="SparePages"/>).</summary>
    private readonly Stack<T[]> _spare = new();

    /// <summary>Slots other than the default, over every page.</summary>
    private int _count;

    public PagedTable(int length)
    {
        Length = length;
        _pages = new T[]?[(length + PageSize - 1) >> PageShift];
        _set = new int[_pages.Length];
    }

    /// <summary>Slots: valid indexes are 0 to Length - 1.</summary>
    public int Length { get; }

    /// <summary>Slots holding something other than the default.</summary>
    public int Count => _count;

    public T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var page = _pages[index >> PageShift];
            return page is null ? default! : page[index & (PageSize - 1)];
        }
        set
        {
            int p = index >> PageShift;
            ref var page = ref _pages[p];
            bool isDefault = IsDefault(value);
            if (page is null)
            {
                if (isDefault) return;
                page = _spare.TryPop(out var spare) ? spare : new T[PageSize];
            }
            ref var slot = ref page[index & (PageSize - 1)];
            bool wasDefault = IsDefault(slot);
            slot = value;
            if (wasDefault == isDefault) return;
            if (!isDefault)
            {
                _set[p]++;
                _count++;
                return;
            }
            _count--;
            if (--_set[p] == 0)
            {
                if (_spare.Count < SparePages) _spare.Push(page);
                page = null;
            }
        }
    }

    /// <summary>
    /// A reference is the default when null; asked that way, the check compiles to a compare in
    /// the code shared by reference types, where the comparer is looked up at run time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsDefault(T value) =>
        typeof(T).IsValueType ? EqualityComparer<T>.Default.Equals(value, default!) : value is null;

    /// <summary>
    /// The first index from <paramref name="index"/> on whose slot holds something other than the
    /// default (Length when none): a walk over a table of millions of slots, most of them empty,
    /// looks only at the pages it has and searches each as one span.
    /// </summary>
    public int NextSet(int index)
    {
        for (int p = index >> PageShift; p < _pages.Length; p++)
        {
            if (_pages[p] is not { } page) continue;
            int from = p == index >> PageShift ? index & (PageSize - 1) : 0;
            int found = FirstSet(page, from);
            if (found >= 0) return (p << PageShift) + found;
        }
        return Length;
    }

    /// <summary>The first slot of a page from <paramref name="from"/> on that is not the default, or -1.</summary>
    private static int FirstSet(T[] page, int from)
    {
        if (typeof(T) == typeof(int))
        {
            // Vectorised: the JIT compiles this branch alone for a table of ints, and drops it for every other.
            int k = Unsafe.As<int[]>(page).AsSpan(from).IndexOfAnyExcept(0);
            return k < 0 ? -1 : from + k;
        }
        for (int i = from; i < page.Length; i++)
            if (!IsDefault(page[i])) return i;
        return -1;
    }

    /// <summary>Every slot back to the default; the pages become spares, for the replay that follows (a restore) to use again.</summary>
    public void Clear()
    {
        for (int p = 0; p < _pages.Length; p++)
        {
            if (_pages[p] is not { } page) continue;
            Array.Clear(page);
            if (_spare.Count < SparePages) _spare.Push(page);
            _pages[p] = null;
            _set[p] = 0;
        }
        _count = 0;
    }
}
