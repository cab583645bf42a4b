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
    /// <summary>The host's kernel state.</summary>
    private readonly NestedPidModel _model = new(options);
    /// <summary>The model's outcome, reused for every event.</summary>
    private readonly Outcome _outcome = new();

    /// <summary>A workload generated with a nested kernel per host: the trace a modern kernel would have recorded.</summary>
    public static IEnumerable<PidEvent> Trace(WorkloadSpec spec) =>
        WorkloadGenerator.Generate(spec, _ => new NestedKernel(new NestedOptions { PidMax = spec.PidMax }));

    /// <summary>The settings a model needs to replay a trace generated from <paramref name="spec"/>.</summary>
    public static ModelSettings SettingsFor(WorkloadSpec spec) => new() { PidMax = spec.PidMax };

    public void Apply(PidEvent ev, KernelAnswer answer)
    {
        answer.Reset();
        var o = _outcome;
        _model.Apply(ev, o);
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

    public int NumberOf(int viewer, int target) => _model.NumberOf(viewer, target, IdKind.Pid);
}
