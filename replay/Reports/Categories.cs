using Replayer.Replay.Divergence;

namespace Replayer.Replay.Reports;

/// <summary>What each divergence category means, in the words of MODELS.md ("Divergence"), for readers of a report.</summary>
internal static class Categories
{
    public static string Meaning(DivergenceCategory c) => c switch
    {
        DivergenceCategory.Identity => "the same call names different tasks, or succeeds in one design and fails in the other",
        DivergenceCategory.Visibility => "a number one design shows is 0 (invisible) in the other",
        DivergenceCategory.Numbering => "same task, different number: expected between designs",
        DivergenceCategory.SignalSet => "signal recipients, or delivered against ignored, differ",
        DivergenceCategory.Reaping => "an orphan goes to a different reaper, or a teardown kills differently",
        DivergenceCategory.Capacity => "an allocation fails in one design only",
        DivergenceCategory.Unsupported => "one design cannot represent the event",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "not a divergence category"),
    };
}
