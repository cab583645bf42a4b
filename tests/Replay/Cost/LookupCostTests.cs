using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Tests.Replay.Cost;

/// <summary>What one lookup costs in each kernel's structures, and how a restore reaches the vpid hash.</summary>
public sealed class LookupCostTests
{
    private static TaskSnapshot Root() => new()
    {
        Host = "h", Tid = 1, Tgid = 1, PPid = 0, Pgid = 1, Sid = 1, NsPid = [1], NsPgid = [1], NsSid = [1], PidNs = 1, Comm = "init",
    };

    [Theory]
    [InlineData(1, 1)]
    [InlineData(63, 1)]
    [InlineData(64, 2)]
    [InlineData(4095, 2)]
    [InlineData(4096, 3)]
    [InlineData(32767, 3)]
    [InlineData(4194303, 4)]
    public void An_idr_is_as_tall_as_64_slot_nodes_need_for_its_highest_number(int highest, int height) =>
        Assert.Equal(height, IdrHeights.Height(highest));

    /// <summary>
    /// A host that starts <paramref name="containers"/> namespaces of 5 tasks, then the first
    /// container's init kills its sibling by number: that kill's probes. Chains grow at the head,
    /// so the first container's upids lie behind everything made after them.
    /// </summary>
    private static int ProbesOfOneKill(KernelEra era, int containers)
    {
        var m = new NestedPidModel(new NestedOptions { Kernel = era, PidHashBuckets = 16 });
        var o = new Outcome();
        m.Apply(Root(), o);
        int tid = 300, first = tid;
        for (int c = 0; c < containers; c++)
        {
            int init = tid++;
            m.Apply(new Fork { Host = "h", Tid = 1, Child = init, Flags = CloneFlags.NewPid }, o);
            for (int i = 0; i < 4; i++) m.Apply(new Fork { Host = "h", Tid = init, Child = tid++ }, o);
        }
        m.Apply(new Kill { Host = "h", Tid = first, Pid = 3, Sig = 0 }, o);
        Assert.Equal(0, o.Ret);
        Assert.Equal(1, o.TranslationsIn);
        return o.Probes;
    }

    [Fact]
    public void Under_2_6_24_a_kill_inside_a_container_walks_a_chain_as_long_as_the_whole_host_makes_it()
    {
        int few = ProbesOfOneKill(KernelEra.Linux2_6_24, 2), many = ProbesOfOneKill(KernelEra.Linux2_6_24, 200);
        // 200 namespaces of 5 tasks: 2,000 upids over 16 buckets, about 125 a chain.
        Assert.True(many > 10 * few, $"{few} probes with 2 containers, {many} with 200");
    }

    [Fact]
    public void Under_todays_idr_the_same_kill_costs_the_same_whatever_the_host_holds()
    {
        Assert.Equal(ProbesOfOneKill(KernelEra.Modern, 2), ProbesOfOneKill(KernelEra.Modern, 200));
        Assert.Equal(2, ProbesOfOneKill(KernelEra.Modern, 2)); // the head, then one node: numbers below 64
    }

    [Fact]
    public void A_clone3_set_tid_inside_a_VPS_asks_for_its_old_virtual_number_and_switches_the_VPS_to_sparse()
    {
        var m = new VpidModel(new VpidOptions { Buckets = 16 });
        var o = new Outcome();
        m.Apply(Root(), o);
        m.Apply(new Fork { Host = "h", Tid = 1, Child = 300, Call = ForkCall.Clone3, Flags = CloneFlags.NewPid, SetTid = [1] }, o);
        Assert.Equal(0, m.SparseSwitches);
        m.Apply(new Fork { Host = "h", Tid = 300, Child = 301, Call = ForkCall.Clone3, SetTid = [5000 | VpidModel.VpidDiv] }, o);

        Assert.Equal(1, m.SparseSwitches);
        Assert.True(m.Containers[0].Sparse);
        Assert.Equal(5000 | VpidModel.VpidDiv, m.NumberOf(301, 301, IdKind.Pid));
        m.Apply(new Kill { Host = "h", Tid = 300, Pid = 5000 | VpidModel.VpidDiv, Sig = 0 }, o);
        Assert.Equal(0, o.Ret);
        Assert.Equal(301, o.RetTarget);
        Assert.True(o.Probes >= 2, "the vpid hash's chain head and at least one entry");

        m.Apply(new Fork { Host = "h", Tid = 300, Child = 302, Call = ForkCall.Clone3, SetTid = [5000 | VpidModel.VpidDiv] }, o);
        Assert.Equal(Replayer.Replay.Divergence.Errnos.EEXIST, o.AllocationFailure);
    }
}
