namespace Replayer.Replay.Models.Vpid;

/// <summary>
/// A table indexed by pid, from 0 to twice pid_max, whose pages are made on the first write of a
/// value other than the default: the kernel's pidmap is paged the same way (a page of bitmap per
/// 32K pids, allocated when a pid in it is first used). With pid_max at 4194304, today's default on
/// 64-bit machines, dense tables would hold hundreds of megabytes of empty slots per host.
/// </summary>
internal sealed class PagedTable<T>
{
    private const int PageShift = 12;
    private const int PageSize = 1 << PageShift;

    /// <summary>Pages by index; null until a slot in it is set.</summary>
    private readonly T[]?[] _pages;

    public PagedTable(int length)
    {
        Length = length;
        _pages = new T[]?[(length + PageSize - 1) >> PageShift];
    }

    /// <summary>Slots: valid indexes are 0 to Length - 1.</summary>
    public int Length { get; }

    public T this[int index]
    {
        get
        {
            var page = _pages[index >> PageShift];
            return page is null ? default! : page[index & (PageSize - 1)];
        }
        set
        {
            ref var page = ref _pages[index >> PageShift];
            if (page is null)
            {
                if (EqualityComparer<T>.Default.Equals(value, default!)) return;
                page = new T[PageSize];
            }
            page[index & (PageSize - 1)] = value;
        }
    }

    /// <summary>The first index from <paramref name="index"/> on whose page exists (Length when none): lets a walk skip empty ranges.</summary>
    public int NextUsed(int index)
    {
        for (int p = index >> PageShift; p < _pages.Length; p++)
            if (_pages[p] is not null) return Math.Max(index, p << PageShift);
        return Length;
    }

    /// <summary>Every slot back to the default; the pages made stay, for the replay that follows (a restore) to use again.</summary>
    public void Clear()
    {
        foreach (var page in _pages)
            if (page is not null) Array.Clear(page);
    }
}
