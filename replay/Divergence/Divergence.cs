using System.Runtime.InteropServices;
using Replayer.Replay.Models;

namespace Replayer.Replay.Divergence;

/// <summary>How two designs parted ways on one event (MODELS.md, "Divergence").</summary>
public enum DivergenceCategory : byte
{
    /// <summary>The same call names different tasks, or succeeds in one design and fails in the other.</summary>
    Identity,
    /// <summary>A number one design shows is 0 (invisible) in the other.</summary>
    Visibility,
    /// <summary>Same task, different number: expected between designs; counted, not alarming.</summary>
    Numbering,
    /// <summary>Signal recipients, or what became of a signal (delivered, ignored), differ.</summary>
    SignalSet,
    /// <summary>An orphan goes to a different reaper, or a teardown kills differently.</summary>
    Reaping,
    /// <summary>An allocation fails in one design only.</summary>
    Capacity,
    /// <summary>One design cannot represent the event at all.</summary>
    Unsupported,
}

/// <summary>One way two outcomes differ, with the two sides in a few words.</summary>
public readonly record struct Difference(DivergenceCategory Category, string Left, string Right);

/// <summary>
/// Compares what two models say of the same event by identity, not by raw number: a returned
/// number is compared through the task it names (<see cref="Outcome.RetTarget"/>), signals by
/// recipient and result, reaping by (orphan, reaper) pairs.
/// </summary>
public static class DivergenceClassifier
{
    /// <summary>The categories in the order <see cref="Compare"/> lists them.</summary>
    private static readonly DivergenceCategory[] Order =
    [
        DivergenceCategory.Unsupported, DivergenceCategory.Capacity, DivergenceCategory.Identity, DivergenceCategory.Visibility,
        DivergenceCategory.Numbering, DivergenceCategory.SignalSet, DivergenceCategory.Reaping,
    ];

    /// <summary>Adds to <paramref name="into"/> every way <paramref name="a"/> and <paramref name="b"/> differ; nothing when they agree or either could not tell.</summary>
    public static void Compare(Outcome a, Outcome b, List<Difference> into)
    {
        int categories = Categories(a, b);
        foreach (var c in Order)
        {
            if ((categories & Bit(c)) == 0) continue;
            var (left, right) = Describe(c, a, b);
            into.Add(new Difference(c, left, right));
        }
    }

    /// <summary>
    /// One bit per <see cref="DivergenceCategory"/> in which the outcomes differ, without a word
    /// of description: what a replay asks of every event, while it describes only the few it keeps.
    /// </summary>
    public static byte Categories(Outcome a, Outcome b)
    {
        if (a.Verdict == Verdict.Unsupported || b.Verdict == Verdict.Unsupported)
            return a.Verdict != b.Verdict ? Bit(DivergenceCategory.Unsupported) : (byte)0;
        // What one model could not know is not a difference between the designs.
        if (a.Verdict == Verdict.UnknownState || b.Verdict == Verdict.UnknownState) return 0;

        byte bits = 0;
        if (a.AllocationFailure != b.AllocationFailure) bits |= Bit(DivergenceCategory.Capacity);
        if (a.HasRet && b.HasRet && ReturnCategory(a, b) is { } r) bits |= Bit(r);
        if (!SameSignals(a, b)) bits |= Bit(DivergenceCategory.SignalSet);
        if (!SameSet(a.Reparented, b.Reparented) || !SameSet(a.Killed, b.Killed)) bits |= Bit(DivergenceCategory.Reaping);
        return bits;
    }

    /// <summary>What each side said, in a few words, in a category where they differ.</summary>
    public static (string Left, string Right) Describe(DivergenceCategory category, Outcome a, Outcome b) => category switch
    {
        DivergenceCategory.Unsupported => (Describe(a), Describe(b)),
        DivergenceCategory.Capacity => (Errno(a.AllocationFailure), Errno(b.AllocationFailure)),
        DivergenceCategory.SignalSet => (Signals(a.Signals), Signals(b.Signals)),
        DivergenceCategory.Reaping => (Reaping(a), Reaping(b)),
        _ => (Return(a), Return(b)),
    };

    /// <summary>Every category, in the order <see cref="Compare"/> lists them.</summary>
    public static ReadOnlySpan<DivergenceCategory> InOrder => Order;

    private static byte Bit(DivergenceCategory c) => (byte)(1 << (int)c);

    /// <summary>How two returns differ: by the task a number names, then by the number; null when they do not.</summary>
    private static DivergenceCategory? ReturnCategory(Outcome a, Outcome b)
    {
        bool okA = a.Ret >= 0, okB = b.Ret >= 0;
        if (okA != okB || (!okA && a.Ret != b.Ret)) return DivergenceCategory.Identity;
        if (!okA) return null;
        if (a.RetTarget == b.RetTarget) return a.Ret != b.Ret ? DivergenceCategory.Numbering : null;
        // A 0 that names nothing against a number that names someone: the viewer cannot see it.
        bool hiddenA = a.Ret == 0 && a.RetTarget == 0, hiddenB = b.Ret == 0 && b.RetTarget == 0;
        return hiddenA != hiddenB ? DivergenceCategory.Visibility : DivergenceCategory.Identity;
    }

    private static bool SameSignals(Outcome a, Outcome b)
    {
        if (a.Signals.Count != b.Signals.Count) return false;
        if (a.Signals.Count == 0) return true;
        // Order of delivery is not a difference between designs; who gets what is. A result one
        // model marks unknown (Outcome.UnknownResults) is no prediction: only the recipient counts.
        Span<bool> taken = b.Signals.Count <= 64 ? stackalloc bool[b.Signals.Count] : new bool[b.Signals.Count];
        for (int i = 0; i < a.Signals.Count; i++)
        {
            var x = a.Signals[i];
            int match = -1;
            for (int k = 0; k < b.Signals.Count; k++)
            {
                var y = b.Signals[k];
                if (taken[k] || x.Sig != y.Sig || x.To != y.To) continue;
                if (x.Result == y.Result) { match = k; break; }
                if (match < 0 && (a.UnknownResults.Contains(i) || b.UnknownResults.Contains(k))) match = k;
            }
            if (match < 0) return false;
            taken[match] = true;
        }
        return true;
    }

    /// <summary>
    /// The same elements, whatever the order: each of one is in the other. The lists hold a few
    /// (the orphans of one exit), so they are searched, not hashed into a set made for each event.
    /// </summary>
    private static bool SameSet<T>(List<T> a, List<T> b) where T : IEquatable<T>
    {
        if (a.Count != b.Count) return false;
        var x = CollectionsMarshal.AsSpan(a);
        var y = CollectionsMarshal.AsSpan(b);
        if (x.Length > 32) return a.ToHashSet().SetEquals(b);
        foreach (var e in x) if (!y.Contains(e)) return false;
        foreach (var e in y) if (!x.Contains(e)) return false;
        return true;
    }

    private static string Describe(Outcome o) => o.Verdict switch
    {
        Verdict.Unsupported => "unsupported" + (o.Note is null ? "" : $": {o.Note}"),
        _ => Return(o),
    };

    private static string Return(Outcome o) => !o.HasRet
        ? "no return"
        : o.Ret < 0 ? Errno((int)-o.Ret) : o.RetTarget == 0 ? $"{o.Ret}" : $"{o.Ret} (task {o.RetTarget})";

    private static string Errno(int errno) => errno == 0 ? "ok" : Errnos.Name(errno);

    private static string Signals(List<SignalOutcome> s) =>
        s.Count == 0 ? "no signal" : string.Join(", ", s.Select(x => $"sig {x.Sig} to {x.To} {x.Result.ToString().ToLowerInvariant()}"));

    private static string Reaping(Outcome o)
    {
        var parts = o.Reparented.Select(r => $"{r.Child} to {r.NewParent}").Concat(o.Killed.Select(k => $"{k} killed")).ToList();
        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }
}

/// <summary>errno names for messages (Linux x86-64 numbering).</summary>
public static class Errnos
{
    public const int EPERM = 1, ESRCH = 3, EINTR = 4, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EEXIST = 17, EINVAL = 22, ENOSPC = 28, EUSERS = 87;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        ECHILD => "ECHILD",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        EUSERS => "EUSERS",
        _ => $"errno {errno}",
    };
}
