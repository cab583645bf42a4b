using Replayer.Replay.Models.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

public sealed class PidIdrTests
{
    private static void Check(PidIdr idr, SortedDictionary<int, TaskStruct> reference)
    {
        Assert.Equal(reference.Count, idr.Count);
        Assert.Equal(reference.ToList(), idr.InOrder().ToList());
        var walked = new List<KeyValuePair<int, TaskStruct>>();
        foreach (var kv in idr) walked.Add(kv);
        Assert.Equal(reference.ToList(), walked.OrderBy(kv => kv.Key).ToList());
        foreach (int nr in new[] { -1, 0, 1, 15, 16, 17, 1023, 1024, 1025, 4_194_304, int.MaxValue })
        {
            Assert.Equal(reference.TryGetValue(nr, out var want), idr.TryGetValue(nr, out var got));
            Assert.Same(want, got);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Numbers_are_found_and_written_in_ascending_order_on_either_side_of_each_table(int level)
    {
        var table = PidLookupTable.For(KernelEra.Modern, 4096);
        var host = new PidNamespace(0, 0, null, 4_194_304, table, new PidIdr.Shelf());
        var ns = level == 0 ? host : new PidNamespace(1, 1, host, 4_194_304, table, new PidIdr.Shelf());
        var reference = new SortedDictionary<int, TaskStruct>();
        var rng = new Random(3);
        for (int step = 0; step < 5_000; step++)
        {
            int nr = rng.Next(5) switch
            {
                0 => rng.Next(1, 40),
                1 => rng.Next(1000, 1050),
                2 => rng.Next(4_194_290, 4_194_320),
                3 => rng.Next(2) == 0 ? int.MaxValue - rng.Next(3) : -rng.Next(1, 4),
                _ => rng.Next(1, 3000),
            };
            if (rng.Next(3) == 0)
                Assert.Equal(reference.Remove(nr), ns.Idr.Remove(nr));
            else
            {
                var pid = new TaskStruct();
                reference[nr] = pid;
                ns.Idr[nr] = pid;
            }
            if (step % 500 == 0) Check(ns.Idr, reference);
        }
        Check(ns.Idr, reference);
        Assert.Equal(reference.Count, table.Entries);
    }
}
