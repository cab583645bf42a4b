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
        Assert.Equal(70_000, t.NextSet(0));
        t[70_000] = null;
        Assert.Equal(70_001, t.NextSet(0));
        t[70_001] = null;
        Assert.Equal(t.Length, t.NextSet(0));
        Assert.Null(t[70_001]);
        // The page let go is the one the next page is made of: nothing is allocated.
        long before = GC.GetAllocatedBytesForCurrentThread();
        t[500_000] = "c";
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("c", t[500_000]);
        Assert.Null(t[70_000]);
    }

    [Fact]
    public void Writing_the_default_where_nothing_is_makes_no_page()
    {
        var t = new PagedTable<int>(1 << 20);
        t[123_456] = 0;
        Assert.Equal(t.Length, t.NextSet(0));
        // Had the default made a page, the first value written beside it would not need a new one.
        long before = GC.GetAllocatedBytesForCurrentThread();
        t[123_457] = 1;
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before >= 4096 * sizeof(int));
    }

    [Fact]
    public void Cleared_tables_read_as_new_and_reuse_their_pages()
    {
        var t = new PagedTable<int>(1 << 20);
        for (int i = 0; i < 1 << 20; i += 4096) t[i] = 1;
        t.Clear();
        Assert.Equal(t.Length, t.NextSet(0));
        Assert.Equal(0, t[4096]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16 * 4096; i += 4096) t[i + 1] = 2;
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2, t[4097]);
        Assert.Equal(0, t[4096]);
    }

    [Fact]
    public void The_next_set_slot_is_found_from_any_index_across_pages_and_past_the_end()
    {
        var ints = new PagedTable<int>(1 << 20);
        var refs = new PagedTable<string?>(1 << 20);
        foreach (int i in new[] { 3, 4095, 4096, 300_000, (1 << 20) - 1 })
        {
            ints[i] = -i;
            refs[i] = i.ToString();
        }
        ints[5] = 1;
        ints[5] = 0;  // set and cleared: its page stays for slot 3
        foreach (var (from, expected) in new[] { (0, 3), (3, 3), (4, 4095), (4095, 4095), (4096, 4096), (4097, 300_000),
                     (300_001, (1 << 20) - 1), ((1 << 20) - 1, (1 << 20) - 1), (1 << 20, 1 << 20) })
        {
            Assert.Equal(expected, ints.NextSet(from));
            Assert.Equal(expected, refs.NextSet(from));
        }
        ints[(1 << 20) - 1] = 0;
        Assert.Equal(ints.Length, ints.NextSet(300_001));
    }
}
