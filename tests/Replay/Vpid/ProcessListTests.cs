using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

public sealed class ProcessListTests
{
    private static List<int> Walk(ProcessList list)
    {
        var tids = new List<int>();
        for (int i = 0; i < list.End; i++)
            if (list[i] is { } p)
                tids.Add(p.Tid);
        return tids;
    }

    [Fact]
    public void The_walk_keeps_creation_order_through_removals_and_compaction()
    {
        var list = new ProcessList();
        var live = new List<VpidTask>();
        var random = new Random(3);
        for (int tid = 1; tid <= 20_000; tid++)
        {
            var p = new VpidTask();
            p.Clear();
            p.Tid = tid;
            list.Add(p);
            live.Add(p);
            // An append closes the holes once they are half the slots: a walk reads at most twice the processes.
            Assert.True(list.End <= 2 * list.Count, $"{list.End} slots for {list.Count} processes");
            while (live.Count > 0 && random.Next(3) != 0)
            {
                int i = random.Next(live.Count);
                list.Remove(live[i]);
                Assert.Equal(-1, live[i].ProcessSlot);
                live.RemoveAt(i);
            }
        }
        Assert.Equal(live.Select(p => p.Tid), Walk(list));
        Assert.All(live, p => Assert.Same(p, list[p.ProcessSlot]));
    }

    [Fact]
    public void A_walk_that_removes_what_it_has_reached_still_reaches_the_rest()
    {
        var list = new ProcessList();
        for (int tid = 1; tid <= 10; tid++)
        {
            var p = new VpidTask();
            p.Clear();
            p.Tid = tid;
            list.Add(p);
        }
        var reached = new List<int>();
        for (int i = 0; i < list.End; i++)
            if (list[i] is { } p)
            {
                reached.Add(p.Tid);
                if (p.Tid % 3 != 0)
                    list.Remove(p);
            }
        Assert.Equal(Enumerable.Range(1, 10), reached);
        Assert.Equal(new[] { 3, 6, 9 }, Walk(list));
        Assert.Equal(3, list.Count);
    }

    [Fact]
    public void The_copy_kill_minus_one_reads_follows_the_leader_until_it_leaves()
    {
        var list = new ProcessList();
        var p = new VpidTask();
        p.Clear();
        p.Tid = 42;
        p.VPid = 42;
        list.Add(p);
        p.VPid = 1066;
        p.Ignored |= 1UL << 15;
        p.Caught = 1UL << 1;
        p.UnknownDisposition = 1UL << 2;
        p.State = TaskState.Zombie;
        var e = list.Entry(p.ProcessSlot);
        Assert.Equal((42, 1066), (e.Tid, e.VPid));
        Assert.Equal(new SignalView(TaskState.Zombie, 1UL << 15, 1UL << 1, 1UL << 2), e.Signals);
        int slot = p.ProcessSlot;
        list.Remove(p);
        p.VPid = 7; // off the list: nothing to keep current
        Assert.Null(list.Entry(slot).Task);
        Assert.Null(p.Processes);
    }
}
