using Replayer.Replay.Models;
using Xunit;

namespace Replayer.Tests.Replay;

public sealed class TidMapTests
{
    [Fact]
    public void Keys_a_kernel_cannot_give_are_held_beside_the_paged_ones()
    {
        var map = new TidMap<string>();
        int[] keys = [0, 1, TidMap<string>.PidMaxLimit - 1, TidMap<string>.PidMaxLimit, -1, int.MinValue, int.MaxValue];
        foreach (int k in keys) map[k] = $"v{k}";
        Assert.Equal(keys.Length, map.Count);
        foreach (int k in keys)
        {
            Assert.True(map.TryGetValue(k, out var v));
            Assert.Equal($"v{k}", v);
        }
        Assert.False(map.ContainsKey(2));
        Assert.False(map.ContainsKey(-2));
        Assert.Throws<KeyNotFoundException>(() => map[int.MaxValue - 1]);
        foreach (int k in keys) Assert.True(map.Remove(k));
        foreach (int k in keys) Assert.False(map.Remove(k));
        Assert.Equal(0, map.Count);
    }

    [Fact]
    public void A_small_map_grows_its_array_to_the_highest_key_and_keeps_the_rest_beside_it()
    {
        var map = TidMap<string>.Small(1024);
        int[] keys = [3, 1023, 1024, int.MaxValue, -1, 0, 700];
        foreach (int k in keys) map[k] = $"v{k}";
        Assert.Equal(keys.Length, map.Count);
        foreach (int k in keys) Assert.Equal($"v{k}", map[k]);
        Assert.False(map.ContainsKey(4));
        Assert.False(map.ContainsKey(1022));
        Assert.Equal([0, 3, 700, 1023, 1024, int.MaxValue, -1], map.Select(kv => kv.Key));
        Assert.True(map.Remove(1023));
        Assert.False(map.Remove(1023));
        Assert.False(map.Remove(5));
        Assert.True(map.Remove(1024));
        Assert.Equal(keys.Length - 2, map.Count);
        map.Clear();
        Assert.Equal(0, map.Count);
        Assert.Empty(map);
        Assert.False(map.ContainsKey(3));
    }

    [Fact]
    public void Walks_go_through_paged_keys_in_ascending_order_then_the_others()
    {
        var map = new TidMap<int>();
        map[-5] = 1;
        map[70_000] = 2;
        map[3] = 3;
        map[int.MaxValue] = 4;
        map[4095] = 5;
        Assert.Equal([3, 4095, 70_000, -5, int.MaxValue], map.Select(kv => kv.Key));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ascending_gives_every_key_in_order_whatever_order_they_came_and_went_in(bool small)
    {
        var rng = new Random(7);
        var map = small ? TidMap<int>.Small(64) : new TidMap<int>();
        var reference = new SortedDictionary<int, int>();
        for (int step = 0; step < 20_000; step++)
        {
            int key = rng.Next(4) == 0 ? rng.Next(int.MinValue, int.MaxValue) : rng.Next(300);
            if (rng.Next(3) == 0)
                Assert.Equal(reference.Remove(key), map.Remove(key));
            else
            {
                reference[key] = step + 1;
                map[key] = step + 1;
            }
            if (step % 1000 == 0) Assert.Equal(reference.ToList(), map.Ascending().ToList());
        }
        Assert.Equal(reference.ToList(), map.Ascending().ToList());
    }

    [Fact]
    public void Add_refuses_a_key_held_already_as_a_dictionary_does()
    {
        var map = new TidMap<string>();
        map.Add(42, "a");
        map.Add(-42, "b");
        Assert.Throws<ArgumentException>(() => map.Add(42, "c"));
        Assert.Throws<ArgumentException>(() => map.Add(-42, "c"));
        Assert.Equal("a", map[42]);
    }

    [Fact]
    public void Removing_every_key_of_a_page_lets_the_page_go()
    {
        var map = new TidMap<string>();
        map[100_000] = "a";
        map[100_001] = "b";
        Assert.True(map.Remove(100_000, out var a));
        Assert.Equal("a", a);
        map.Remove(100_001);
        Assert.Equal(0, map.Count);
        Assert.Empty(map);
    }

    [Fact]
    public void A_warm_map_looks_up_adds_and_removes_without_allocating()
    {
        var map = new TidMap<string>();
        var value = "x";
        map[12_345] = value;
        map.Remove(12_345);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 12_000; k < 12_200; k++) map[k] = value;
        for (int k = 12_000; k < 12_200; k++) Assert.True(map.TryGetValue(k, out _));
        for (int k = 12_000; k < 12_200; k++) map.Remove(k);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_small_map_emptied_and_trimmed_leaves_its_arrays_to_the_next_map_of_its_shelf()
    {
        var shelf = new ArrayShelf<string>();
        var dead = TidMap<string>.Small(1024, shelf);
        for (int k = 1; k < 1024; k++) dead[k] = $"v{k}";
        for (int k = 1; k < 1024; k++) Assert.True(dead.Remove(k));
        dead.Trim();
        Assert.Equal(0, dead.Count);
        Assert.Empty(dead);

        // The next map grows through the sizes the first one did, into its arrays, which hold nothing.
        var next = TidMap<string>.Small(1024, shelf);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 1; k < 1024; k++) next[k] = "x";
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1023, next.Count);
        Assert.Equal(Enumerable.Range(1, 1023), next.Select(kv => kv.Key));

        // A trimmed map still works: it grows again when a key comes.
        dead[700] = "back";
        Assert.Equal("back", dead[700]);
        Assert.Equal(1, dead.Count);
        Assert.False(dead.ContainsKey(699));
    }
}
