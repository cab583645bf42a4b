using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Models;

namespace Replayer.Replay.WhatIf;

/// <summary>
/// Any model as the kernel a synthetic host runs on: what it predicts is what the trace records,
/// what it cannot say the trace leaves unrecorded (as replay/Synthetic's NestedKernel does for the
/// nested model). With the virtual-pid model, the trace is what a 2006 OpenVZ host would have logged.
/// </summary>
public sealed class ModelKernel(IPidModel model) : ISyntheticKernel
{
    /// <summary>The model's outcome, reused for every event.</summary>
    private readonly Outcome _outcome = new();

    public void Apply(PidEvent ev, KernelAnswer answer)
    {
        answer.Reset();
        var o = _outcome;
        model.Apply(ev, o);
        if (o.HasRet)
        {
            answer.HasRet = true;
            answer.Ret = o.Ret;
        }
        // tkill and tgkill queue on the thread; everything else here is process-wide.
        bool group = ev is not Kill { Call: KillCall.Tkill or KillCall.Tgkill };
        foreach (var s in o.Signals) answer.Signals.Add(new SignalRecord(s.Sig, s.To, s.Result, s.Code, group));
        foreach (var r in o.Reparented) answer.Reparented.Add(new Reparenting(r.Child, r.NewParent));
        answer.Killed.AddRange(o.Killed);
    }

    public int NumberOf(int viewer, int target) => model.NumberOf(viewer, target, IdKind.Pid);
}

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
