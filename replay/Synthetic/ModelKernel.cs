using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Models;

namespace Replayer.Replay.Synthetic;

/// <summary>
/// Any model as the kernel a synthetic host runs on: what it predicts is what the trace records,
/// what it cannot say the trace leaves unrecorded (NestedKernel is this with the nested model).
/// With the virtual-pid model, the trace is what a 2006 OpenVZ host would have logged.
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
