using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Models;
using Replayer.Replay.Synthetic;

namespace Replayer.Replay.WhatIf;

/// <summary>
/// A workload of the synthetic generator (a built-in name or a YAML file), sized per sweep point:
/// its containers, tasks per container, events, seed and pid_max come from the what-if options,
/// its mix, hosts, nesting and migration rate from the workload. The generator boots containers
/// as it goes, so its events are counted whole, setup included. It follows a nested kernel's
/// teardowns (the init's exit killing its namespace), which a virtual-pid kernel as posted does not
/// do, so only a nested kernel records it.
/// </summary>
public sealed class GeneratedWorkload(WorkloadSpec spec) : IWhatIfWorkload
{
    public string Name => spec.Workload;

    public bool AnyKernel => false;

    public WorkloadRun Generate(int containers, WhatIfOptions options, Func<string, IPidModel> kernelForHost)
    {
        var sized = spec with
        {
            Containers = containers,
            TasksPerContainer = options.TasksPerContainer,
            Events = options.Events,
            Seed = options.Seed,
            PidMax = options.PidMax,
        };
        var events = WorkloadGenerator.Generate(sized, host => new ModelKernel(kernelForHost(host))).ToList();
        return new WorkloadRun(events, 0);
    }
}
