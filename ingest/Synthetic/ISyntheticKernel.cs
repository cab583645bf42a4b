using Replayer.Ingest.Events;

namespace Replayer.Ingest.Synthetic;

/// <summary>An orphan the kernel gave a new parent (global tids).</summary>
public readonly record struct Reparenting(int Child, int NewParent);

/// <summary>
/// What a kernel recorded for one event: the return value, the signal_generate lines, and the side
/// effects a tracer does not print but the generator must follow (reparentings, a teardown's
/// kills). One instance is reused for every event.
/// </summary>
public sealed class KernelAnswer
{
    /// <summary>Whether the kernel's answer is known; a synthetic trace records no answer it does not know.</summary>
    public bool HasRet;

    /// <summary>The return value, negative for an errno; meaningful when HasRet.</summary>
    public long Ret;

    /// <summary>The signal_generate records the event caused, in the kernel's order.</summary>
    public readonly List<SignalRecord> Signals = new(8);

    /// <summary>Orphans reparented by the event.</summary>
    public readonly List<Reparenting> Reparented = new(8);

    /// <summary>Tasks a teardown killed (a namespace init's exit), global tids, in kill order.</summary>
    public readonly List<int> Killed = new(8);

    public void Reset()
    {
        HasRet = false;
        Ret = 0;
        Signals.Clear();
        Reparented.Clear();
        Killed.Clear();
    }
}

/// <summary>
/// The kernel a synthetic host runs on (MODELS.md, "Divergence": a synthetic trace is written the
/// way a kernel would have recorded it). ingest defines it and depends on no model; replay
/// implements it over the nested model, today's kernel.
/// </summary>
public interface ISyntheticKernel
{
    /// <summary>Runs <paramref name="ev"/> (its recorded answer not yet set) and fills <paramref name="answer"/>, reset first.</summary>
    void Apply(PidEvent ev, KernelAnswer answer);

    /// <summary>The number <paramref name="viewer"/> sees for the pid of <paramref name="target"/> (a task, or a group or session leader, alive or not); 0 when it cannot see it; -1 when the kernel does not know.</summary>
    int NumberOf(int viewer, int target);
}
