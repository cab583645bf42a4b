using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;

namespace Replayer.Replay.Engine;

/// <summary>
/// The books of one container (or of the host's own tasks): events, divergences by category,
/// each model's translation costs, the divergences kept with their details and the events around
/// them, and the events quarantined. What a container actor owns; <see cref="Snapshot"/> is what
/// its supervisor restarts it from.
/// </summary>
public sealed class ContainerLedger
{
    /// <summary>Events of the container shown before a divergence.</summary>
    public const int ContextBefore = 5;

    /// <summary>Events of the container shown after a divergence.</summary>
    public const int ContextAfter = 3;

    public string Host { get; }
    public string Container { get; }

    public long Events { get; private set; }
    public long DivergentEvents { get; private set; }
    public CategoryCounts Divergences { get; } = new();

    /// <summary>Per model, in the replay's order.</summary>
    public ModelCost[] Costs { get; }

    /// <summary>Divergences kept with their details, in the order of the stream.</summary>
    public List<DivergenceRecord> Details { get; } = [];

    public List<QuarantineRecord> Quarantined { get; } = [];

    /// <summary>The container's last events, oldest first, turned into text only when a divergence shows them.</summary>
    private readonly Queue<(PidEvent? Event, long Position, EventRef? Ref)> _recent = new(ContextBefore + 1);

    /// <summary>Details still collecting the events after them.</summary>
    private readonly List<DivergenceRecord> _open = [];

    public ContainerLedger(string host, string container, IReadOnlyList<string> models)
    {
        Host = host;
        Container = container;
        Costs = models.Select(m => new ModelCost { Model = m }).ToArray();
    }

    /// <summary>Books one event.</summary>
    public void Book(in Booking b)
    {
        Events++;
        Add(Costs[0], b.Left);
        if (Costs.Length > 1) Add(Costs[1], b.Right);
        if (b.Categories != 0)
        {
            DivergentEvents++;
            for (int c = 0; c < CategoryNames.All.Length; c++)
                if ((b.Categories & (1 << c)) != 0) Divergences[(DivergenceCategory)c]++;
        }
        if (_open.Count > 0) FillAfter(b);
        if (b.Findings is { } findings)
        {
            var self = HostReplay.Ref(b.Event, b.Position);
            var before = _recent.Select(Text).ToArray();
            foreach (var f in findings)
            {
                var record = new DivergenceRecord
                {
                    Host = Host,
                    Container = Container,
                    Event = self,
                    Kind = NativeJson.KindName(b.Event.Kind),
                    Category = f.Category,
                    Left = f.Left,
                    Right = f.Right,
                    Note = f.Note,
                    Causes = f.Causes,
                    Before = before,
                };
                Details.Add(record);
                _open.Add(record);
            }
        }
        if (_recent.Count == ContextBefore) _recent.Dequeue();
        _recent.Enqueue((b.Event, b.Position, null));
    }

    /// <summary>Sets an event aside: its replay failed; it is counted and shown, not booked.</summary>
    public void Quarantine(in Booking b, string error)
    {
        Quarantined.Add(new QuarantineRecord(Host, Container, HostReplay.Ref(b.Event, b.Position), NativeJson.KindName(b.Event.Kind), error));
    }

    private static void Add(ModelCost cost, in ModelSample s)
    {
        cost.TranslationsOut += s.TranslationsOut;
        cost.TranslationsIn += s.TranslationsIn;
        cost.Probes += s.Probes;
        if (s.AllocationFailed) cost.AllocationFailures++;
        if (s.Verdict == Verdict.UnknownState) cost.UnknownState++;
        else if (s.Verdict == Verdict.Unsupported) cost.Unsupported++;
    }

    private void FillAfter(in Booking b)
    {
        var self = HostReplay.Ref(b.Event, b.Position);
        for (int i = _open.Count - 1; i >= 0; i--)
        {
            var d = _open[i];
            if (d.Event.Position == b.Position) continue;
            d.After.Add(self);
            if (d.After.Count == ContextAfter) _open.RemoveAt(i);
        }
    }

    private static EventRef Text((PidEvent? Event, long Position, EventRef? Ref) e) => e.Ref ?? HostReplay.Ref(e.Event!, e.Position);

    public byte[] Snapshot()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Events);
            w.Write(DivergentEvents);
            for (int c = 0; c < CategoryNames.All.Length; c++) w.Write(Divergences[(DivergenceCategory)c]);
            foreach (var cost in Costs)
            {
                w.Write(cost.TranslationsOut); w.Write(cost.TranslationsIn); w.Write(cost.Probes);
                w.Write(cost.AllocationFailures); w.Write(cost.UnknownState); w.Write(cost.Unsupported);
            }
            w.Write(Details.Count);
            foreach (var d in Details)
            {
                WriteRef(w, d.Event);
                w.Write(d.Kind);
                w.Write((byte)d.Category);
                w.Write(d.Left);
                w.Write(d.Right);
                w.Write(d.Note is not null);
                if (d.Note is not null) w.Write(d.Note);
                WriteRefs(w, d.Causes);
                WriteRefs(w, d.Before);
                WriteRefs(w, d.After);
                w.Write(_open.Contains(d));
            }
            WriteRefs(w, _recent.Select(Text).ToList());
            w.Write(Quarantined.Count);
            foreach (var q in Quarantined)
            {
                WriteRef(w, q.Event);
                w.Write(q.Kind);
                w.Write(q.Error);
            }
        }
        return ms.ToArray();
    }

    public static ContainerLedger Restore(string host, string container, IReadOnlyList<string> models, ReadOnlySpan<byte> snapshot)
    {
        var l = new ContainerLedger(host, container, models);
        using var r = new BinaryReader(new MemoryStream(snapshot.ToArray()), Encoding.UTF8);
        l.Events = r.ReadInt64();
        l.DivergentEvents = r.ReadInt64();
        for (int c = 0; c < CategoryNames.All.Length; c++) l.Divergences[(DivergenceCategory)c] = r.ReadInt64();
        foreach (var cost in l.Costs)
        {
            cost.TranslationsOut = r.ReadInt64(); cost.TranslationsIn = r.ReadInt64(); cost.Probes = r.ReadInt64();
            cost.AllocationFailures = r.ReadInt64(); cost.UnknownState = r.ReadInt64(); cost.Unsupported = r.ReadInt64();
        }
        for (int n = r.ReadInt32(), i = 0; i < n; i++)
        {
            var ev = ReadRef(r);
            var kind = r.ReadString();
            var category = (DivergenceCategory)r.ReadByte();
            var left = r.ReadString();
            var right = r.ReadString();
            var note = r.ReadBoolean() ? r.ReadString() : null;
            var record = new DivergenceRecord
            {
                Host = host, Container = container, Event = ev, Kind = kind, Category = category,
                Left = left, Right = right, Note = note, Causes = ReadRefs(r), Before = ReadRefs(r),
            };
            record.After.AddRange(ReadRefs(r));
            l.Details.Add(record);
            if (r.ReadBoolean()) l._open.Add(record);
        }
        foreach (var e in ReadRefs(r)) l._recent.Enqueue((null, e.Position, e));
        for (int n = r.ReadInt32(), i = 0; i < n; i++)
            l.Quarantined.Add(new QuarantineRecord(host, container, ReadRef(r), r.ReadString(), r.ReadString()));
        return l;
    }

    /// <summary>
    /// Takes down where the books stand, to <see cref="Rewind"/> to: the counts, and how long each
    /// list is (details are only ever added, and an open detail only collects more events after
    /// it). A few numbers: cheap enough to take before every batch.
    /// </summary>
    public void Mark(LedgerMark m)
    {
        m.Events = Events;
        m.DivergentEvents = DivergentEvents;
        Divergences.CopyTo(m.Divergences);
        if (m.Costs.Length != Costs.Length) m.Costs = Costs.Select(c => new ModelCost { Model = c.Model }).ToArray();
        for (int i = 0; i < Costs.Length; i++) m.Costs[i].CopyFrom(Costs[i]);
        m.Details = Details.Count;
        m.Quarantined = Quarantined.Count;
        m.Open.Clear();
        foreach (var d in _open) m.Open.Add((d, d.After.Count));
        m.Recent.Clear();
        // Not AddRange: a Queue is no ICollection<T>, so that would box an enumerator every batch.
        foreach (var e in _recent) m.Recent.Add(e);
    }

    /// <summary>Puts the books back where a <see cref="Mark"/> took them down: whatever was booked since is gone.</summary>
    public void Rewind(LedgerMark m)
    {
        Events = m.Events;
        DivergentEvents = m.DivergentEvents;
        Divergences.CopyFrom(m.Divergences);
        for (int i = 0; i < Costs.Length; i++) Costs[i].CopyFrom(m.Costs[i]);
        Details.RemoveRange(m.Details, Details.Count - m.Details);
        Quarantined.RemoveRange(m.Quarantined, Quarantined.Count - m.Quarantined);
        _open.Clear();
        foreach (var (d, after) in m.Open)
        {
            d.After.RemoveRange(after, d.After.Count - after);
            _open.Add(d);
        }
        _recent.Clear();
        foreach (var e in m.Recent) _recent.Enqueue(e);
    }

    private static void WriteRef(BinaryWriter w, EventRef e)
    {
        w.Write(e.Position); w.Write(e.Time); w.Write(e.Tid); w.Write(e.Comm); w.Write(e.Text);
    }

    private static EventRef ReadRef(BinaryReader r) => new(r.ReadInt64(), r.ReadInt64(), r.ReadInt32(), r.ReadString(), r.ReadString());

    private static void WriteRefs(BinaryWriter w, IReadOnlyList<EventRef> refs)
    {
        w.Write(refs.Count);
        foreach (var e in refs) WriteRef(w, e);
    }

    private static EventRef[] ReadRefs(BinaryReader r)
    {
        var refs = new EventRef[r.ReadInt32()];
        for (int i = 0; i < refs.Length; i++) refs[i] = ReadRef(r);
        return refs;
    }
}

/// <summary>Where a ledger's books stood (<see cref="ContainerLedger.Mark"/>); reused mark after mark.</summary>
public sealed class LedgerMark
{
    internal long Events, DivergentEvents;
    internal readonly long[] Divergences = new long[CategoryNames.All.Length];
    /// <summary>The costs per model, as they stood.</summary>
    internal ModelCost[] Costs = [];
    internal int Details, Quarantined;
    /// <summary>The details still collecting events after them, and how many each had.</summary>
    internal readonly List<(DivergenceRecord Record, int After)> Open = [];
    internal readonly List<(PidEvent? Event, long Position, EventRef? Ref)> Recent = [];
}
