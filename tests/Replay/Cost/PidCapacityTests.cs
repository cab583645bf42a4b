using Replayer.Replay.Cost;

namespace Replayer.Tests.Replay.Cost;

public sealed class PidCapacityTests
{
    [Fact]
    public void At_the_default_pid_max_the_halved_global_space_runs_out_at_half_the_containers_nested_namespaces_hold()
    {
        var computed = PidCapacity.Compute(32768, 50);
        var measured = PidCapacity.Fill(32768, 50);

        Assert.Equal(computed.NestedPids, measured.NestedPids);
        Assert.Equal(computed.VpidContainers, measured.VpidContainers);
        Assert.Equal(321, measured.VpidContainers);  // (16384 - 300) / 50
        Assert.Equal(649, computed.NestedContainers); // (32768 - 300) / 50
        Assert.True(measured.VpidPids <= computed.VpidPids && measured.VpidPids > computed.VpidPids - 50);
    }

    [Fact]
    public void The_capacity_formula_holds_at_another_pid_max_as_the_models_fill_up()
    {
        var computed = PidCapacity.Compute(131072, 20);
        var measured = PidCapacity.Fill(131072, 20);
        Assert.Equal(computed.NestedPids, measured.NestedPids);
        Assert.Equal(computed.VpidContainers, measured.VpidContainers);
    }
}
