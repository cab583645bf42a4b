using Replayer.Ingest.Events;

namespace Replayer.Replay.Models;

/// <summary>How much a model could say about an event.</summary>
public enum Verdict : byte
{
    /// <summary>The model predicted the event's answer and effects.</summary>
    Predicted,
    /// <summary>The answer depends on state the capture did not show (a task from before it began, an unknown disposition).</summary>
    UnknownState,
    /// <summary>The design has no way to represent the event (a pid namespace inside a VPS).</summary>
    Unsupported,
    /// <summary>The event asks nothing of a pid model (exec, a disposition change).</summary>
    NotApplicable,
}

/// <summary>A signal a model says was sent: to which task (global), and what became of it.</summary>
public readonly record struct SignalOutcome(int Sig, int To, SignalResult Result, int Code);

/// <summary>An orphan given a new parent (global tids).</summary>
public readonly record struct Reparent(int Child, int NewParent);

/// <summary>
/// What a model says an event did: what the caller observed and the side effects. One instance is
/// reused for every event (<see cref="Reset"/>), so predicting allocates nothing once the lists
/// have grown to their working size.
/// </summary>
public sealed class Outcome
{
    public Verdict Verdict;

    /// <summary>The predicted return value (negative errno on failure); meaningful when HasRet.</summary>
    public long Ret;
    public bool HasRet;

    /// <summary>
    /// The identity Ret names, so that models can be compared by identity, not raw number: the
    /// global tid of the task, or of the leader of the group or session, a returned number stands
    /// for; 0 when it names none (an error, or an invisible 0).
    /// </summary>
    public int RetTarget;

    /// <summary>Signals the event sent, in the order the kernel would send them.</summary>
    public readonly List<SignalOutcome> Signals = new(4);

    /// <summary>
    /// Indices into <see cref="Signals"/> of signals whose recipient the model knows but whose result
    /// depends on state the capture did not show (an unknown disposition); their Result is not a prediction.
    /// </summary>
    public readonly List<int> UnknownResults = new(4);

    /// <summary>
    /// Indices into <see cref="Signals"/> of signals to a recipient that may be gone already (a
    /// zombie whose reaping at its exit the capture could not tell): sent only if it was still
    /// there, so one the kernel did not generate is no difference.
    /// </summary>
    public readonly List<int> MaybeSent = new(2);

    /// <summary>Orphans reparented because of the event.</summary>
    public readonly List<Reparent> Reparented = new(4);

    /// <summary>Tasks killed by a teardown (a namespace init's exit, a VPS stop), global tids in kill order.</summary>
    public readonly List<int> Killed = new(4);

    /// <summary>An allocation this design would have failed (pid space exhausted, EEXIST on restore): the errno.</summary>
    public int AllocationFailure;

    /// <summary>Why, in a few words, when the verdict is not Predicted or something unusual happened; a constant string.</summary>
    public string? Note;

    /// <summary>The note of a wait whose entry the trace does not have (<see cref="Ingest.Events.Wait.EnterLost"/>): every model's.</summary>
    public const string EnterLostNote = "the call began before tracing did: its arguments are not in the capture";

    /// <summary>Translations the event needed (MODELS.md, "Translation cost").</summary>
    public int TranslationsOut;
    public int TranslationsIn;

    /// <summary>Modelled probes in the kernel's own structures (hash chain steps, tree levels, arithmetic).</summary>
    public int Probes;

    public void Reset()
    {
        Verdict = Verdict.Predicted;
        Ret = 0;
        HasRet = false;
        RetTarget = 0;
        Signals.Clear();
        UnknownResults.Clear();
        MaybeSent.Clear();
        Reparented.Clear();
        Killed.Clear();
        AllocationFailure = 0;
        Note = null;
        TranslationsOut = TranslationsIn = Probes = 0;
    }

    public void Return(long value, int target = 0)
    {
        Ret = value;
        HasRet = true;
        RetTarget = target;
    }
}
