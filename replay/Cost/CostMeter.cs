using Replayer.Replay.Models;

namespace Replayer.Replay.Cost;

/// <summary>Where the caller of an event lives, which decides the structures its translations go through.</summary>
public enum CallerPlace : byte
{
    /// <summary>The host (the initial namespace, or outside every VPS).</summary>
    Host,
    /// <summary>A container: a pid namespace, or a VPS numbered linearly.</summary>
    Container,
    /// <summary>A VPS switched to sparse numbering: its virtual numbers go through the vpid hash.</summary>
    SparseContainer,
}

/// <summary>Translations and probes of the events whose callers lived in one <see cref="CallerPlace"/>.</summary>
public struct PlaceCost
{
    public long Events;
    public long TranslationsOut;
    public long TranslationsIn;
    public long Probes;

    /// <summary>Modelled probes per translation (in or out); 0 when there was none.</summary>
    public readonly double ProbesPerTranslation =>
        TranslationsOut + TranslationsIn == 0 ? 0 : (double)Probes / (TranslationsOut + TranslationsIn);
}

/// <summary>
/// What one design's answers cost over a replay (MODELS.md, "Translation cost"): translations out
/// and in and the probes they made in the kernel's structures, split by where the caller lived;
/// events that switched a VPS to sparse numbering are kept apart as spikes, so that one walk under
/// the host-wide lock does not hide in a mean. Counting allocates nothing.
/// </summary>
public sealed class CostMeter
{
    /// <summary>Per <see cref="CallerPlace"/>, events outside spikes.</summary>
    private readonly PlaceCost[] _places = new PlaceCost[3];

    /// <summary>Events outside spikes by probes made: [0] none, [k] from 2^(k-1) to 2^k - 1.</summary>
    private readonly long[] _byProbes = new long[33];

    public long Events { get; private set; }

    /// <summary>Probes made by the events that switched a VPS to sparse numbering.</summary>
    public long SpikeProbes { get; private set; }

    public int SpikeEvents { get; private set; }

    /// <summary>The most probes one event outside the spikes made.</summary>
    public int MaxProbes { get; private set; }

    /// <summary>Events where this design would have failed an allocation (pid space exhausted, EEXIST on restore).</summary>
    public long AllocationFailures { get; private set; }

    /// <summary>Position of the first such event; -1 when none.</summary>
    public long FirstAllocationFailure { get; private set; } = -1;

    /// <summary>Events the design cannot represent.</summary>
    public long Unsupported { get; private set; }

    public PlaceCost this[CallerPlace place] => _places[(int)place];

    /// <summary>
    /// An event before the steady state (the containers' setup): its translations are not a cost
    /// of running so many containers, but an allocation it failed is the host running out of pids.
    /// </summary>
    public void CountSetup(long position, Outcome o)
    {
        if (o.AllocationFailure != 0)
        {
            AllocationFailures++;
            if (FirstAllocationFailure < 0) FirstAllocationFailure = position;
        }
        if (o.Verdict == Verdict.Unsupported) Unsupported++;
    }

    public void Count(long position, CallerPlace place, Outcome o, bool spike)
    {
        Events++;
        CountSetup(position, o);
        if (spike)
        {
            SpikeEvents++;
            SpikeProbes += o.Probes;
            return;
        }
        ref var p = ref _places[(int)place];
        p.Events++;
        p.TranslationsOut += o.TranslationsOut;
        p.TranslationsIn += o.TranslationsIn;
        p.Probes += o.Probes;
        if (o.Probes > MaxProbes) MaxProbes = o.Probes;
        _byProbes[o.Probes <= 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)o.Probes)]++;
    }

    /// <summary>
    /// The upper bound of the power-of-two range holding the event at <paramref name="quantile"/>
    /// of the steady events ordered by probes (0 when it made none): 0.99 gives the tail a mean hides.
    /// </summary>
    public int ProbesAtQuantile(double quantile)
    {
        long steady = Events - SpikeEvents, rank = (long)Math.Ceiling(quantile * steady), seen = 0;
        for (int k = 0; k < _byProbes.Length; k++)
        {
            seen += _byProbes[k];
            if (seen >= rank && seen > 0) return k == 0 ? 0 : (int)Math.Min(int.MaxValue, (1L << k) - 1);
        }
        return 0;
    }

    /// <summary>Every place together.</summary>
    public PlaceCost Total
    {
        get
        {
            var t = new PlaceCost();
            foreach (var p in _places)
            {
                t.Events += p.Events;
                t.TranslationsOut += p.TranslationsOut;
                t.TranslationsIn += p.TranslationsIn;
                t.Probes += p.Probes;
            }
            return t;
        }
    }
}
