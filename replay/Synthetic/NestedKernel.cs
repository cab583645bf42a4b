using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;

namespace Replayer.Replay.Synthetic;

/// <summary>
/// Today's kernel for the synthetic workload generator: the nested model, one per host. What the
/// model predicts is what the trace records; what it cannot say (the verdict is unknown) the trace
/// leaves unrecorded, as a capture would lack it.
/// </summary>
public sealed class NestedKernel(NestedOptions? options = null) : ISyntheticKernel
{
    /// <summary>The host's kernel: the nested model behind the generator's kernel interface.</summary>
    private readonly ModelKernel _kernel = new(new NestedPidModel(options));

    /// <summary>A workload generated with a nested kernel per host: the trace a modern kernel would have recorded.</summary>
    public static IEnumerable<PidEvent> Trace(WorkloadSpec spec) =>
        WorkloadGenerator.Generate(spec, _ => new NestedKernel(new NestedOptions { PidMax = spec.PidMax }));

    /// <summary>The settings a model needs to replay a trace generated from <paramref name="spec"/>.</summary>
    public static ModelSettings SettingsFor(WorkloadSpec spec) => new() { PidMax = spec.PidMax };

    public void Apply(PidEvent ev, KernelAnswer answer) => _kernel.Apply(ev, answer);

    public int NumberOf(int viewer, int target) => _kernel.NumberOf(viewer, target);
}
