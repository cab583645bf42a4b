using Replayer.Ingest.Events;
using Replayer.Replay.Models;

namespace Replayer.Replay.Engine;

/// <summary>
/// A stretch of a host's stream that the lane model (<see cref="HostReplay.Lane"/>) has taken
/// ahead of the host: the events, and for the first <see cref="Recorded"/> of them what the lane
/// model said, kept in flat arrays so that a segment, once grown, is used again without
/// allocating. The events past <see cref="Recorded"/> the lane has not taken: the host steps
/// them with every model itself, while the lane waits (<see cref="Parks"/>).
/// </summary>
public sealed class LaneSegment
{
    /// <summary>What one outcome said, without its lists: those are runs of the segment's lists.</summary>
    private struct Said
    {
        public long Ret;
        public string? Note;
        public int RetTarget, AllocationFailure, TranslationsOut, TranslationsIn, Probes;
        public int Signals, SignalCount, Unknown, UnknownCount, Reparented, ReparentedCount, Killed, KilledCount;
        public Verdict Verdict;
        public bool HasRet;
    }

    private Said[] _records;
    private readonly List<SignalOutcome> _signals = [];
    private readonly List<int> _unknown = [];
    private readonly List<Reparent> _reparented = [];
    private readonly List<int> _killed = [];

    /// <summary>The events, [0, Count).</summary>
    public PidEvent[] Events { get; private set; }

    public int Count { get; private set; }

    /// <summary>Events the lane model has taken, from the first: [0, Recorded).</summary>
    public int Recorded { get; private set; }

    /// <summary>The position of the first event in its host's stream.</summary>
    public long First { get; private set; }

    /// <summary>What the lane model threw on the event at <see cref="Recorded"/>: the host quarantines it.</summary>
    public Exception? Failure { get; set; }

    /// <summary>The lane waits, after this segment, until the host has taken it and lets it go on.</summary>
    public bool Parks { get; set; }

    public LaneSegment(int capacity)
    {
        Events = new PidEvent[capacity];
        _records = new Said[capacity];
    }

    /// <summary>Room for more events.</summary>
    public bool Full => Count == Events.Length;

    /// <summary>Empties the segment for the stretch that begins at a position.</summary>
    public void Reset(long first)
    {
        Array.Clear(Events, 0, Count);
        First = first;
        Count = Recorded = 0;
        Failure = null;
        Parks = false;
        _signals.Clear();
        _unknown.Clear();
        _reparented.Clear();
        _killed.Clear();
    }

    /// <summary>Appends an event the lane has not taken (yet).</summary>
    public void Add(PidEvent ev) => Events[Count++] = ev;

    /// <summary>The position of the event at <paramref name="i"/>.</summary>
    public long PositionOf(int i) => First + i;

    /// <summary>Keeps what the lane model said of the next event not yet recorded.</summary>
    public void Record(Outcome o)
    {
        ref var r = ref _records[Recorded++];
        r.Verdict = o.Verdict;
        r.Ret = o.Ret;
        r.HasRet = o.HasRet;
        r.RetTarget = o.RetTarget;
        r.AllocationFailure = o.AllocationFailure;
        r.Note = o.Note;
        r.TranslationsOut = o.TranslationsOut;
        r.TranslationsIn = o.TranslationsIn;
        r.Probes = o.Probes;
        (r.Signals, r.SignalCount) = Append(_signals, o.Signals);
        (r.Unknown, r.UnknownCount) = Append(_unknown, o.UnknownResults);
        (r.Reparented, r.ReparentedCount) = Append(_reparented, o.Reparented);
        (r.Killed, r.KilledCount) = Append(_killed, o.Killed);
    }

    /// <summary>Gives <paramref name="o"/> back what the lane model said of the event at <paramref name="i"/>.</summary>
    public void CopyTo(int i, Outcome o)
    {
        if (i >= Recorded) throw new ArgumentOutOfRangeException(nameof(i), $"the lane did not take the event at {PositionOf(i)}");
        ref readonly var r = ref _records[i];
        o.Reset();
        o.Verdict = r.Verdict;
        o.Ret = r.Ret;
        o.HasRet = r.HasRet;
        o.RetTarget = r.RetTarget;
        o.AllocationFailure = r.AllocationFailure;
        o.Note = r.Note;
        o.TranslationsOut = r.TranslationsOut;
        o.TranslationsIn = r.TranslationsIn;
        o.Probes = r.Probes;
        for (int k = 0; k < r.SignalCount; k++) o.Signals.Add(_signals[r.Signals + k]);
        for (int k = 0; k < r.UnknownCount; k++) o.UnknownResults.Add(_unknown[r.Unknown + k]);
        for (int k = 0; k < r.ReparentedCount; k++) o.Reparented.Add(_reparented[r.Reparented + k]);
        for (int k = 0; k < r.KilledCount; k++) o.Killed.Add(_killed[r.Killed + k]);
    }

    private static (int Start, int Count) Append<T>(List<T> into, List<T> items)
    {
        int start = into.Count;
        for (int k = 0; k < items.Count; k++) into.Add(items[k]);
        return (start, items.Count);
    }
}
