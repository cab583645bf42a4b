using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Synthetic;
using Replayer.Replay.Validation;

namespace Replayer.Tests.Replay.Synthetic;

/// <summary>
/// The scale the project generates at: one host with a thousand containers of fifty tasks. Three
/// containers (the other tests) hid that an entry from the host could leave the kernel unable to
/// place the child, and with it the namespace's teardown.
/// </summary>
public sealed class GeneratorAtScaleTests
{
    public static TheoryData<string> Workloads => [.. WorkloadSpec.Names];

    private static WorkloadSpec AtScale(string name, long events) =>
        WorkloadSpec.Named(name) with { Hosts = 1, Containers = 1000, TasksPerContainer = 50, Events = events, Seed = 1 };

    [Theory]
    [MemberData(nameof(Workloads))]
    public void Every_named_workload_on_a_thousand_containers_completes_and_validates_without_disagreement(string name)
    {
        var spec = AtScale(name, 200_000);
        long count = 0;
        var report = Validator.Run(name, "nested", Counted(NestedKernel.Trace(spec), () => count++), NestedKernel.SettingsFor(spec));
        Assert.Equal(spec.Events, count);
        Assert.True(report.Clean, string.Join("\n", report.Disagreements.Take(8)));
    }

    [Theory]
    [InlineData("mixed")]
    [InlineData("exec")]
    [InlineData("init-exits")]
    public void Every_containers_bookkeeping_stays_consistent_with_itself_and_the_kernel(string name)
    {
        var spec = AtScale(name, 0);
        var cluster = new SyntheticCluster(spec, _ => new NestedKernel(new NestedOptions { PidMax = spec.PidMax }));
        for (int step = 0; step < 30_000; step++)
        {
            cluster.Step().Clear();
            if (step % 500 == 0) Assert.Null(cluster.Audit());
        }
        Assert.Null(cluster.Audit());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void Entries_next_to_restored_containers_complete_with_migrations_on(int seed)
    {
        // The seeds where an entry into, or next to, a namespace a restore filled with set_tid was left unplaced.
        var spec = WorkloadSpec.Named("mixed") with { Events = 300_000, Seed = seed };
        long count = 0;
        var report = Validator.Run("mixed", "nested", Counted(NestedKernel.Trace(spec), () => count++), NestedKernel.SettingsFor(spec));
        Assert.Equal(spec.Events, count);
        Assert.True(report.Clean, string.Join("\n", report.Disagreements.Take(8)));
    }

    [Fact]
    public void Tasks_entered_from_the_host_record_the_pid_they_got_inside()
    {
        var entered = new HashSet<int>();
        int answered = 0;
        foreach (var ev in NestedKernel.Trace(AtScale("exec", 200_000)))
        {
            if (ev is Fork { Comm: "nsenter" or "vzctl" } f && f.Flags == 0) entered.Add(f.Child);
            if (ev is GetId { Call: GetIdCall.GetPid } g && entered.Contains(g.Tid))
            {
                Assert.True(g.Ret is > 1, $"the entered task {g.Tid}'s getpid records {g.Ret?.ToString() ?? "nothing"}");
                answered++;
            }
        }
        Assert.True(answered > 100, $"{answered} entries");
    }

    private static IEnumerable<PidEvent> Counted(IEnumerable<PidEvent> events, Action each)
    {
        foreach (var ev in events)
        {
            each();
            yield return ev;
        }
    }
}
