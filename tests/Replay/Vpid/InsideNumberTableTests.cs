using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

public sealed class InsideNumberTableTests
{
    [Fact]
    public void A_number_reads_back_per_vps_until_removed()
    {
        var t = new InsideNumberTable();
        ref var a = ref t.GetOrAdd(1, 5, out bool existed);
        Assert.False(existed);
        a.Pid = 300;
        a.Tid = 301;
        t.GetOrAdd(2, 5, out existed).Pid = 400;
        Assert.False(existed);
        t.GetOrAdd(1, 5, out existed).Tid = 302;
        Assert.True(existed);
        Assert.True(t.TryGet(1, 5, out var shown));
        Assert.Equal((300, 302), (shown.Pid, shown.Tid));
        Assert.True(t.TryGet(2, 5, out shown));
        Assert.Equal(400, shown.Pid);
        Assert.False(t.TryGet(3, 5, out _));
        Assert.True(t.Remove(1, 5, out shown));
        Assert.Equal(300, shown.Pid);
        Assert.False(t.Remove(1, 5, out _));
        Assert.False(t.TryGet(1, 5, out _));
        Assert.True(t.TryGet(2, 5, out _));
        Assert.Equal(1, t.Count);
    }

    [Fact]
    public void Adds_and_removes_in_any_order_agree_with_a_dictionary()
    {
        // Enough keys for several growths, few enough VPSs and numbers that runs collide and
        // removals shift entries whose home lies before, after and around the hole.
        var t = new InsideNumberTable();
        var reference = new Dictionary<(int, int), int>();
        var random = new Random(7);
        for (int step = 0; step < 200_000; step++)
        {
            int vps = random.Next(1, 40), nr = random.Next(1, 3000);
            if (random.Next(3) == 0)
            {
                bool removed = t.Remove(vps, nr, out var shown);
                Assert.Equal(reference.Remove((vps, nr), out int pid), removed);
                if (removed)
                    Assert.Equal(pid, shown.Pid);
            }
            else
            {
                t.GetOrAdd(vps, nr, out bool existed).Pid = step;
                Assert.Equal(reference.ContainsKey((vps, nr)), existed);
                reference[(vps, nr)] = step;
            }
        }
        Assert.Equal(reference.Count, t.Count);
        foreach (var ((vps, nr), pid) in reference)
        {
            Assert.True(t.TryGet(vps, nr, out var shown));
            Assert.Equal(pid, shown.Pid);
        }
        Assert.Equal(reference.Keys.OrderBy(k => k), t.Entries().Select(e => (e.Vps, e.Nr)).OrderBy(k => k));
    }
}
