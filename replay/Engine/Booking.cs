using Replayer.Ingest.Events;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;

namespace Replayer.Replay.Engine;

/// <summary>What one model's prediction of an event cost and could say, for the books.</summary>
public readonly record struct ModelSample(int TranslationsOut, int TranslationsIn, int Probes, bool AllocationFailed, Verdict Verdict)
{
    public static ModelSample Of(Outcome o) => new(o.TranslationsOut, o.TranslationsIn, o.Probes, o.AllocationFailure != 0, o.Verdict);
}

/// <summary>One way the designs parted on an event, with the words and the causes a report shows.</summary>
public sealed record Finding(DivergenceCategory Category, string Left, string Right, string? Note, EventRef[] Causes);

/// <summary>
/// An event as the host hands it to the container it concerns: where it is, what each model's
/// prediction cost, in which categories the designs differed, and, for the divergences whose
/// details are kept, the findings.
/// </summary>
public readonly struct Booking(PidEvent ev, long position, ModelSample left, ModelSample right, byte categories, Finding[]? findings)
{
    public PidEvent Event { get; } = ev;

    /// <summary>Position of the event in its host's stream (its revision).</summary>
    public long Position { get; } = position;

    public ModelSample Left { get; } = left;

    /// <summary>The second model's sample; default when only one model replays.</summary>
    public ModelSample Right { get; } = right;

    /// <summary>One bit per <see cref="DivergenceCategory"/> in which the designs differed.</summary>
    public byte Categories { get; } = categories;

    /// <summary>Details of the divergences kept; null when none is.</summary>
    public Finding[]? Findings { get; } = findings;
}
