using Replayer.Replay.Models;
using Xunit;

namespace Replayer.Tests.Replay;

public sealed class TidMapTests
{
    [Fact]
    public void Every_int_is_a_key_of_a_map_by_host_tid()
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
        Assert.Equal(keys.Order(), map.Select(kv => kv.Key).Order());
        foreach (int k in keys) Assert.True(map.Remove(k));
        foreach (int k in keys) Assert.False(map.Remove(k));
        Assert.Equal(0, map.Count);
        Assert.Empty(map);
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
    public void Setting_a_key_held_replaces_its_value_and_a_key_0_is_no_empty_slot()
    {
        var map = new TidMap<int>();
        map[0] = 5;
        map[0] = 6;
        Assert.Equal(1, map.Count);
        Assert.Equal(6, map[0]);
        Assert.False(map.TryGetValue(16, out int missing));
        Assert.Equal(0, missing);
        Assert.True(map.Remove(0, out int gone));
        Assert.Equal(6, gone);
        Assert.False(map.TryGetValue(0, out _));
    }

    [Fact]
    public void Keys_sharing_a_home_slot_are_each_found_and_removing_one_keeps_the_others_findable()
    {
        // Five tids that start their probe at the last of a new table's 16 slots: the last of a run of 8 (tid & 7 == 7)
        // whose run hashes (hash_32, include/linux/hash.h) to the second half. They hold one run of slots that wraps to
        // the first, which removes must shift back across.
        var map = new TidMap<int>();
        var keys = Enumerable.Range(0, 1_000).Where(k => (k & 7) == 7 && ((uint)k >> 3) * 0x61C88647u >> 31 == 1).Take(5).ToArray();
        Assert.Equal(5, keys.Length);
        for (int i = 0; i < keys.Length; i++) map[keys[i]] = i + 1;
        Assert.True(map.Remove(keys[1]));
        Assert.True(map.Remove(keys[3]));
        Assert.False(map.ContainsKey(keys[1]));
        Assert.False(map.ContainsKey(keys[3]));
        Assert.Equal([1, 3, 5], new[] { keys[0], keys[2], keys[4] }.Select(k => map[k]));
        Assert.True(map.Remove(keys[0]));
        Assert.Equal([3, 5], new[] { keys[2], keys[4] }.Select(k => map[k]));
        map[keys[1]] = 9;
        Assert.Equal(9, map[keys[1]]);
        Assert.Equal(3, map.Count);
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 70_000)]
    [InlineData(3, TidMap<int>.PidMaxLimit)]
    public void Any_run_of_adds_and_removes_leaves_the_keys_and_values_a_dictionary_holds(int seed, int range)
    {
        // Sequential tids cycling through the range, as a host's, and random ones, any int now and then; the table
        // grows from 16 slots to thousands and backward shifts after every remove.
        var rng = new Random(seed);
        var map = new TidMap<int>();
        var reference = new Dictionary<int, int>();
        int next = 0;
        for (int step = 0; step < 60_000; step++)
        {
            int key = rng.Next(10) switch
            {
                0 => rng.Next(int.MinValue, int.MaxValue),
                < 5 => next = (next + 1) % range,
                _ => rng.Next(range),
            };
            if (reference.Count < 4_000 && rng.Next(2) == 0)
            {
                int value = rng.Next(1, int.MaxValue);
                map[key] = value;
                reference[key] = value;
            }
            else
            {
                Assert.Equal(reference.Remove(key, out int expected), map.Remove(key, out int removed));
                Assert.Equal(expected, removed);
            }
            if (step % 5_000 == 0) AssertHolds(reference, map);
        }
        AssertHolds(reference, map);
        foreach (int key in reference.Keys.ToList())
        {
            Assert.True(map.Remove(key));
            reference.Remove(key);
            if (reference.Count % 500 == 0) AssertHolds(reference, map);
        }
        Assert.Equal(0, map.Count);
    }

    private static void AssertHolds(Dictionary<int, int> reference, TidMap<int> map)
    {
        Assert.Equal(reference.Count, map.Count);
        foreach (var (key, value) in reference) Assert.Equal(value, map[key]);
        Assert.Equal(reference.OrderBy(kv => kv.Key), map.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void A_clear_keeps_a_table_sized_for_what_it_held_and_lets_a_long_past_peak_go()
    {
        var map = new TidMap<int>();
        for (int k = 1; k <= 10_000; k++) map[k] = k;
        for (int k = 1; k <= 9_000; k++) map.Remove(k);
        map.Clear();
        Assert.Equal(0, map.Count);
        Assert.Empty(map);
        Assert.False(map.ContainsKey(9_500));
        // A restore of what it held (1,000 keys) then fits in the table the clear left without growing it.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 1; k <= 1_000; k++) map[k] = k;
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_000, map.Count);
        Assert.Equal(500, map[500]);
    }

    [Fact]
    public void A_warm_map_looks_up_adds_and_removes_without_allocating()
    {
        var map = new TidMap<string>();
        var value = "x";
        for (int k = 12_000; k < 12_200; k++) map[k] = value;
        for (int k = 12_000; k < 12_200; k++) map.Remove(k);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 4_000_000; k < 4_000_200; k++) map[k] = value;
        for (int k = 4_000_000; k < 4_000_200; k++) Assert.True(map.TryGetValue(k, out _));
        for (int k = 4_000_000; k < 4_000_200; k++) map.Remove(k);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

public sealed class InsertionOrderTests
{
    [Fact]
    public void Keys_come_in_the_order_a_dictionary_enumerates_them_after_any_adds_and_removes()
    {
        var rng = new Random(7);
        var order = new InsertionOrder();
        var entries = new Dictionary<int, int>();
        var reference = new Dictionary<int, bool>();
        for (int step = 0; step < 20_000; step++)
        {
            int key = rng.Next(4) == 0 ? rng.Next(int.MinValue, int.MaxValue) : rng.Next(300);
            if (rng.Next(3) == 0 || !reference.ContainsKey(key))
            {
                if (reference.TryAdd(key, true)) entries[key] = order.Add(key);
            }
            else
            {
                reference.Remove(key);
                entries.Remove(key, out int entry);
                order.Remove(entry);
            }
            if (step % 1000 == 0)
            {
                Assert.Equal(reference.Keys, Walk(order));
            }
        }
        Assert.Equal(reference.Count, order.Count);
        Assert.Equal(reference.Keys, Walk(order));
        reference.Clear();
        order.Clear();
        foreach (int k in new[] { 9, 8, 7 }) { reference[k] = true; order.Add(k); }
        Assert.Equal(reference.Keys, Walk(order));
    }

    private static List<int> Walk(InsertionOrder order)
    {
        var keys = new List<int>();
        foreach (int k in order) keys.Add(k);
        return keys;
    }
}
