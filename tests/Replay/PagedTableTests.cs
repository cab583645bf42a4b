using Replayer.Replay.Models;
using Xunit;

namespace Replayer.Tests.Replay;

public sealed class PagedTableTests
{
    [Fact]
    public void Slots_read_back_what_was_set_and_the_default_elsewhere()
    {
        var t = new PagedTable<int>(2 * 4_194_304);
        t[5] = 7;
        t[8_000_000] = 9;
        Assert.Equal(7, t[5]);
        Assert.Equal(9, t[8_000_000]);
        Assert.Equal(0, t[6]);
        Assert.Equal(0, t[4_000_000]);
        t[5]++;
        Assert.Equal(8, t[5]);
    }

    [Fact]
    public void A_page_whose_slots_all_return_to_the_default_is_let_go()
    {
        var t = new PagedTable<string?>(1 << 20);
        t[70_000] = "a";
        t[70_001] = "b";
        Assert.Equal(70_000 & ~4095, t.NextUsed(0));
        t[70_000] = null;
        Assert.Equal(70_000 & ~4095, t.NextUsed(0));
        t[70_001] = null;
        Assert.Equal(t.Length, t.NextUsed(0));
        Assert.Null(t[70_001]);
        t[70_002] = "c";
        Assert.Equal("c", t[70_002]);
        Assert.Null(t[70_000]);
    }

    [Fact]
    public void Writing_the_default_where_nothing_is_makes_no_page()
    {
        var t = new PagedTable<int>(1 << 20);
        t[123_456] = 0;
        Assert.Equal(t.Length, t.NextUsed(0));
    }

    [Fact]
    public void Cleared_tables_read_as_new_and_reuse_their_pages()
    {
        var t = new PagedTable<int>(1 << 20);
        for (int i = 0; i < 1 << 20; i += 4096) t[i] = 1;
        t.Clear();
        Assert.Equal(t.Length, t.NextUsed(0));
        Assert.Equal(0, t[4096]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16 * 4096; i += 4096) t[i + 1] = 2;
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2, t[4097]);
        Assert.Equal(0, t[4096]);
    }
}
