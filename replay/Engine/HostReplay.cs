using System.Buffers;
using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Replayer.Replay.Validation;

namespace Replayer.Replay.Engine;

/// <summary>
/// One host's replay: the host-wide state of every model (one namespace tree, one global pid
/// space: what a host actor owns), the containers born on it, and for each event the comparison
/// of the models' outcomes and of each model with the kernel's recorded answers. Deterministic
/// and single-threaded: <see cref="Step"/> turns an event into a <see cref="Booking"/> for the
/// container it concerns, and the books are kept by <see cref="ContainerLedger"/>s.
/// </summary>
public sealed class HostReplay
{
    /// <summary>How many earlier events of a task are kept as the causes of what it does.</summary>
    private const int LineageDepth = 4;

    /// <summary>Causes shown per divergence.</summary>
    private const int MaxCauses = 6;

    /// <summary>The host's name, as its stream is named.</summary>
    public string Host { get; }

    public ReplaySettings Settings { get; }

    /// <summary>The models, in the order compared.</summary>
    private readonly IPidModel[] _models;

    /// <summary>One outcome per model, reused for every event.</summary>
    private readonly Outcome[] _outcomes;

    /// <summary>Each model against the recorded answers.</summary>
    private readonly Validator[] _oracles;

    /// <summary>The model whose containers the books are kept by: nested when it replays (a real trace's containers are its namespaces), else the first.</summary>
    private readonly int _authority;

    /// <summary>Where the virtual-pid model leaves its checkpoints and finds what it restores.</summary>
    private readonly VpsMigrations _migrations = new();

    /// <summary>Container index plus one (0 marks an id not seen) by the authority model's container id; the host is index 0. Looked up on every event.</summary>
    private readonly TidMap<int> _containerIndex = new() { [0] = 1 };

    /// <summary>Containers in order of birth; [0] is the host.</summary>
    private readonly List<ContainerInfo> _containers = [];

    /// <summary>VEIDs by the task a Container Create event named, for containers' names.</summary>
    private readonly Dictionary<int, string> _namedInits = [];

    /// <summary>The last events that shaped each live task's ids (birth, group, session, namespace), oldest first.</summary>
    private readonly TidMap<Lineage> _lineage = new();

    /// <summary>Lineages of tasks gone, used again: a steady fork and exit load allocates none (they were 8% of a replay's garbage).</summary>
    private readonly Stack<Lineage> _spareLineages = new();

    /// <summary>Details handed out per container index and category, to keep the first few of each.</summary>
    private readonly List<int[]> _detailsGiven = [];

    /// <summary>Checkpoints seen per VPS name on this host, and restores done per (source host, VPS name).</summary>
    private readonly Dictionary<string, int> _checkpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _restores = new(StringComparer.Ordinal);

    /// <summary>Details handed out that were not their container's first: what a report can show of them is bounded.</summary>
    private int _laterDetailsGiven;

    /// <summary>The size of the last snapshot, to size the next one's buffer.</summary>
    private int _lastSnapshotSize;

    /// <summary>Events stepped so far; the position of the next.</summary>
    public long Position { get; private set; }

    /// <summary>Images this host's checkpoints produced since the caller last took them.</summary>
    public List<PublishedImage> Emigrated { get; } = [];

    public HostReplay(string host, ReplaySettings settings, string trace)
    {
        settings.Validate();
        Host = host;
        Settings = settings;
        var modelSettings = new ModelSettings { Ptraced = settings.Ptraced, PidMax = settings.PidMax, Policy = settings.Policy, Migrations = _migrations };
        _models = settings.Models.Select(m => ModelCatalog.Create(m, modelSettings)).ToArray();
        _outcomes = _models.Select(_ => new Outcome()).ToArray();
        _oracles = settings.Models.Select(m => new Validator(trace, m, () => throw new InvalidOperationException("the host replay applies its models itself"))).ToArray();
        int nested = settings.Models.ToList().IndexOf("nested");
        _authority = nested >= 0 ? nested : 0;
        _containers.Add(new ContainerInfo(0, "host", 0, 0));
    }

    /// <summary>Containers in order of birth, the host first.</summary>
    public IReadOnlyList<ContainerInfo> Containers => _containers;

    /// <summary>A model's answers against the kernel's, in the order of <see cref="ReplaySettings.Models"/>.</summary>
    public AnswerCounts Oracle(int model) => _oracles[model].Report.Totals;

    /// <summary>The name of a container's VEID, its init's comm and pid otherwise.</summary>
    public string NameOf(ContainerInfo c) =>
        c.Index == 0 ? "host" : _namedInits.TryGetValue(c.Init, out var name) ? name : $"{c.InitComm}[{c.Init}]";

    /// <summary>
    /// For a Container Restore event: the key of the checkpoint image it needs (source host, VPS
    /// name, which checkpoint of that name), which the caller must <see cref="Admit"/> first. Null
    /// for every other event, and when no model restores images.
    /// </summary>
    public ImageKey? ImageNeeded(PidEvent ev)
    {
        if (ev is not Container { Action: ContainerAction.Restore, Peer: { } peer } c || !Settings.Models.Contains("vpid")) return null;
        return new ImageKey(peer, Host, c.Id, _restores.GetValueOrDefault($"{peer}\0{c.Id}"));
    }

    /// <summary>Puts a checkpoint image where the restore will find it; null when the source's checkpoint made none.</summary>
    public void Admit(ImageKey key, VpsImage? image)
    {
        _restores[$"{key.Source}\0{key.Name}"] = key.Occurrence + 1;
        if (image is not null) _migrations.Put(image);
    }

    /// <summary>
    /// The model a host can replay a stretch ahead of the others, on a thread of its own (the
    /// lane: <see cref="Ahead"/>), or -1: when two models replay, the one that is not the
    /// authority. Nothing the host does between events reads the lane model's state; only
    /// snapshots, restores and migrations do, and the lane waits for those.
    /// </summary>
    public int Lane => _models.Length == 2 ? 1 - _authority : -1;

    /// <summary>The lane's outcome, reused: only the lane's thread touches it.</summary>
    private readonly Outcome _laneOutcome = new();

    /// <summary>
    /// The lane's half of a step: the lane model takes the segment's next event and is judged
    /// against the kernel's answers, and its outcome is recorded in the segment, for
    /// <see cref="Step(PidEvent, LaneSegment, int)"/> to take later. Runs on the lane's thread,
    /// ahead of the host's; touches nothing but the lane model and its oracle.
    /// </summary>
    public void Ahead(LaneSegment segment)
    {
        int lane = Lane;
        int i = segment.Recorded;
        var ev = segment.Events[i];
        _models[lane].Apply(ev, _laneOutcome);
        _oracles[lane].Judge(ev, _laneOutcome, segment.PositionOf(i));
        segment.Record(_laneOutcome);
    }

    /// <summary>Replays one event through every model and says what the books should record, and where.</summary>
    public (int Container, Booking Booking) Step(PidEvent ev)
    {
        long position = Position++;
        int container = ev is TaskSnapshot ? -1 : ContainerIndexOf(ev.Tid);
        for (int i = 0; i < _models.Length; i++)
        {
            _models[i].Apply(ev, _outcomes[i]);
            _oracles[i].Judge(ev, _outcomes[i], position);
        }
        return Compare(ev, position, container);
    }

    /// <summary>
    /// <see cref="Step(PidEvent)"/> for an event the lane model has already taken (<see cref="Ahead"/>):
    /// the authority model takes it here, and the lane model's outcome comes from the segment.
    /// The same books, to the byte, as stepping it whole.
    /// </summary>
    public (int Container, Booking Booking) Step(PidEvent ev, LaneSegment ahead, int i)
    {
        if (i >= ahead.Recorded) throw new ArgumentOutOfRangeException(nameof(i), $"host {Host}: the lane did not take the event at {ahead.PositionOf(i)}");
        if (ahead.PositionOf(i) != Position || !ReferenceEquals(ahead.Events[i], ev))
            throw new InvalidOperationException($"host {Host}: the lane's event at {ahead.PositionOf(i)} is not the next one ({Position})");
        long position = Position++;
        int container = ev is TaskSnapshot ? -1 : ContainerIndexOf(ev.Tid);
        _models[_authority].Apply(ev, _outcomes[_authority]);
        _oracles[_authority].Judge(ev, _outcomes[_authority], position);
        ahead.CopyTo(i, _outcomes[Lane]);
        return Compare(ev, position, container);
    }

    /// <summary>The rest of a step once every model has taken the event: the books' side.</summary>
    private (int Container, Booking Booking) Compare(PidEvent ev, long position, int container)
    {
        if (container < 0) container = ContainerIndexOf(ev.Tid);
        Observe(ev, position);

        var left = ModelSample.Of(_outcomes[0]);
        if (_models.Length == 1) return (container, new Booking(ev, position, left, default, 0, null));
        var right = ModelSample.Of(_outcomes[1]);
        var a = _outcomes[0];
        var b = _outcomes[1];
        if (Alike(a, b)) return (container, new Booking(ev, position, left, right, 0, null));

        byte categories = DivergenceClassifier.Categories(a, b);
        if (categories == 0) return (container, new Booking(ev, position, left, right, 0, null));
        List<Finding>? findings = null;
        var given = DetailsGiven(container);
        foreach (var category in DivergenceClassifier.InOrder)
        {
            if ((categories & (1 << (int)category)) == 0 || given[(int)category] >= Settings.DetailsPerCategory) continue;
            // A report keeps each container's first detail and, of the others, the earliest of
            // each host (ReportAssembly): past DetailsPerReport of those, none could be shown, and
            // at thousands of containers, keeping them would hold hundreds of megabytes.
            bool first = given.AsSpan().IndexOfAnyExcept(0) < 0;
            if (!first && _laterDetailsGiven >= Settings.DetailsPerReport) continue;
            if (!first) _laterDetailsGiven++;
            given[(int)category]++;
            var (l, r) = DivergenceClassifier.Describe(category, a, b);
            findings ??= new List<Finding>(2);
            findings.Add(new Finding(category, l, r, a.Note ?? b.Note, Causes(ev, position, a, b)));
        }
        return (container, new Booking(ev, position, left, right, categories, findings?.ToArray()));
    }

    /// <summary>Details handed out so far in a container, per category.</summary>
    private int[] DetailsGiven(int container)
    {
        while (_detailsGiven.Count <= container) _detailsGiven.Add(new int[CategoryNames.All.Length]);
        return _detailsGiven[container];
    }

    /// <summary>Passes over an event without replaying it (it was quarantined): the next event keeps its position.</summary>
    public void Skip() => Position++;

    /// <summary>The fast check: two outcomes that agree in everything the classifier compares.</summary>
    private static bool Alike(Outcome a, Outcome b) =>
        a.Verdict == b.Verdict && a.HasRet == b.HasRet && a.Ret == b.Ret && a.RetTarget == b.RetTarget &&
        a.AllocationFailure == b.AllocationFailure && a.Signals.Count == 0 && b.Signals.Count == 0 &&
        a.Reparented.Count == 0 && b.Reparented.Count == 0 && a.Killed.Count == 0 && b.Killed.Count == 0;

    private int ContainerIndexOf(int tid)
    {
        int id = _models[_authority].ContainerOf(tid);
        return _containerIndex.TryGetValue(id, out int index) ? index - 1 : 0;
    }

    /// <summary>After the models have taken an event: containers born, names given, the tasks' lineage, images made.</summary>
    private void Observe(PidEvent ev, long position)
    {
        switch (ev)
        {
            case TaskSnapshot s:
                Born(s.Tid, s.Comm, position);
                Shape(s.Tid, ev, position);
                break;
            case Fork f when f.Child != 0:
                var lineage = NewLineage();
                if (_lineage.TryGetValue(f.Tid, out var parent)) lineage.CopyFrom(parent);
                lineage.Add(ev, position);
                _lineage[f.Child] = lineage;
                Born(f.Child, f.Comm, position);
                break;
            case SetSid or SetPgid or Unshare or SetNs:
                Shape(ev.Tid, ev, position);
                break;
            case Exit x:
                if (_lineage.Remove(x.Tid, out var gone))
                {
                    gone.Clear();
                    _spareLineages.Push(gone);
                }
                break;
            case Container c:
                Contain(c, position);
                break;
        }
        foreach (var r in _outcomes[_authority].Reparented) Shape(r.Child, ev, position);
    }

    private void Contain(Container c, long position)
    {
        switch (c.Action)
        {
            case ContainerAction.Create when c.Task != 0:
                _namedInits[c.Task] = c.Id;
                Born(c.Task, c.Comm, position);
                break;
            case ContainerAction.Enter:
                Shape(c.Task != 0 ? c.Task : c.Tid, c, position);
                break;
            case ContainerAction.Checkpoint:
                // Counted per destination: a VPS that goes from here to B and later to C has one image for each.
                string destination = c.Peer ?? "";
                int nth = _checkpoints.GetValueOrDefault($"{destination}\0{c.Id}");
                _checkpoints[$"{destination}\0{c.Id}"] = nth + 1;
                if (Settings.Models.Contains("vpid"))
                    Emigrated.Add(new PublishedImage(new ImageKey(Host, destination, c.Id, nth), _migrations.Take(c.Id), position));
                break;
        }
    }

    /// <summary>Registers the container <paramref name="tid"/> lives in, if the authority model says it is a new one.</summary>
    private void Born(int tid, string comm, long position)
    {
        int id = _models[_authority].ContainerOf(tid);
        if (_containerIndex.ContainsKey(id)) return;
        _containerIndex[id] = _containers.Count + 1;
        _containers.Add(new ContainerInfo(_containers.Count, comm, tid, position));
    }

    private Lineage NewLineage() => _spareLineages.TryPop(out var spare) ? spare : new Lineage();

    private void Shape(int tid, PidEvent ev, long position)
    {
        if (!_lineage.TryGetValue(tid, out var lineage)) _lineage[tid] = lineage = NewLineage();
        lineage.Add(ev, position);
    }

    /// <summary>The earlier events that made the states differ: those that shaped the caller and the tasks either model named.</summary>
    private EventRef[] Causes(PidEvent ev, long position, Outcome a, Outcome b)
    {
        var found = new SortedDictionary<long, PidEvent>();
        void Of(int tid)
        {
            if (tid == 0 || !_lineage.TryGetValue(tid, out var l)) return;
            for (int i = 0; i < l.Count; i++)
                if (l.Positions[i] < position) found.TryAdd(l.Positions[i], l.Events[i]);
        }
        Of(ev.Tid);
        foreach (var o in (ReadOnlySpan<Outcome>)[a, b])
        {
            Of(o.RetTarget);
            for (int i = 0; i < o.Signals.Count && i < 4; i++) Of(o.Signals[i].To);
            for (int i = 0; i < o.Reparented.Count && i < 4; i++) Of(o.Reparented[i].Child);
        }
        return found.Reverse().Take(MaxCauses).Reverse().Select(kv => Ref(kv.Value, kv.Key)).ToArray();
    }

    public static EventRef Ref(PidEvent ev, long position) => new(position, ev.Time, ev.Tid, ev.Comm, EventText.Describe(ev));

    /// <summary>The whole replay state of the host, to resume from: models, oracles, containers, lineage.</summary>
    public byte[] Snapshot()
    {
        // Sized from the last one: a host's state grows slowly, and a stream that doubles its way to tens of megabytes copies them all.
        using var ms = new MemoryStream(_lastSnapshotSize + _lastSnapshotSize / 8 + 4096);
        WriteSnapshot(ms);
        _lastSnapshotSize = (int)ms.Length;
        return ms.ToArray();
    }

    /// <summary>Writes the <see cref="Snapshot"/> to a stream, without holding it whole in memory.</summary>
    public void WriteSnapshot(Stream output)
    {
        using (var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Settings.Key);
            w.Write(Position);
            w.Write(_models.Length);
            // The models share nothing: each is written on its own core (the final snapshot of a
            // host of 5,000 containers is 40 MB of models, half a second when written one after the other).
            // The wait runs a model's task here if no other thread has taken it yet. The lineage,
            // which nothing changes while the snapshot is written, is written meanwhile too.
            var lineage = Task.Run(() => Buffered(WriteLineage));
            var others = _models.Skip(1).Select(m => Task.Run(() => Buffered(m.WriteSnapshot))).ToArray();
            using (var first = Buffered(_models[0].WriteSnapshot)) WriteBuffer(w, first);
            foreach (var m in others)
                using (var b = m.GetAwaiter().GetResult()) WriteBuffer(w, b);
            foreach (var o in _oracles) WriteCounts(w, o.Report.Totals);
            w.Write(_containerIndex.Count);
            foreach (var (id, index) in _containerIndex.OrderBy(kv => kv.Value)) { w.Write(id); w.Write(index - 1); }
            w.Write(_containers.Count);
            foreach (var c in _containers) { w.Write(c.InitComm); w.Write(c.Init); w.Write(c.Born); }
            WriteMap(w, _namedInits.OrderBy(kv => kv.Key), (w, kv) => { w.Write(kv.Key); w.Write(kv.Value); });
            WriteMap(w, _detailsGiven.SelectMany((given, container) => given.Select((n, category) => (container, category, n))).Where(x => x.n > 0), (w, x) =>
            {
                w.Write(x.container);
                w.Write((byte)x.category);
                w.Write(x.n);
            });
            WriteMap(w, _checkpoints.OrderBy(kv => kv.Key, StringComparer.Ordinal), (w, kv) => { w.Write(kv.Key); w.Write(kv.Value); });
            WriteMap(w, _restores.OrderBy(kv => kv.Key, StringComparer.Ordinal), (w, kv) => { w.Write(kv.Key); w.Write(kv.Value); });
            w.Flush();
            using var l = lineage.GetAwaiter().GetResult();
            PutOut(l, output);
        }
    }

    /// <summary>A part's bytes to the output: moved over when the output is a buffer too, copied otherwise.</summary>
    private static void PutOut(SnapshotBuffer part, Stream output)
    {
        if (output is SnapshotBuffer whole) whole.Append(part);
        else part.CopyOut(output);
    }

    /// <summary>What <paramref name="write"/> writes, held in blocks.</summary>
    private static SnapshotBuffer Buffered(Action<Stream> write)
    {
        var buffer = new SnapshotBuffer();
        try
        {
            write(buffer);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>A buffer's length, then its bytes: what <see cref="WriteBytes"/> writes of an array.</summary>
    private static void WriteBuffer(BinaryWriter w, SnapshotBuffer buffer)
    {
        w.Write(checked((int)buffer.Length));
        w.Flush();
        PutOut(buffer, w.BaseStream);
    }

    /// <summary>The lineage map as a snapshot holds it: every live task's last events, as canonical JSON.</summary>
    private void WriteLineage(Stream output)
    {
        using (var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            // One buffer for every lineage event: a live task's four events each, thousands of tasks.
            var buffer = new ArrayBufferWriter<byte>(256);
            WriteMap(w, _lineage.Ascending(), (w, kv) =>
            {
                w.Write(kv.Key);
                w.Write(kv.Value.Count);
                for (int i = 0; i < kv.Value.Count; i++)
                {
                    w.Write(kv.Value.Positions[i]);
                    buffer.ResetWrittenCount();
                    NativeJson.WriteBinary(buffer, kv.Value.Events[i]);
                    WriteBytes(w, buffer.WrittenSpan);
                }
            });
        }
    }

    /// <summary>Continues from a <see cref="Snapshot"/> made under the same settings.</summary>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        using var r = new BinaryReader(new MemoryStream(snapshot.ToArray()), Encoding.UTF8);
        var key = r.ReadString();
        if (key != Settings.Key) throw new InvalidDataException($"a snapshot made under '{key}' cannot resume a replay under '{Settings.Key}'");
        Position = r.ReadInt64();
        if (r.ReadInt32() != _models.Length) throw new InvalidDataException("the snapshot holds another number of models");
        foreach (var m in _models) m.Restore(ReadBytes(r));
        foreach (var o in _oracles) ReadCounts(r, o.Report.Totals);
        _containerIndex.Clear();
        for (int n = r.ReadInt32(), i = 0; i < n; i++) _containerIndex[r.ReadInt32()] = r.ReadInt32() + 1;
        _containers.Clear();
        for (int n = r.ReadInt32(), i = 0; i < n; i++) _containers.Add(new ContainerInfo(i, r.ReadString(), r.ReadInt32(), r.ReadInt64()));
        _namedInits.Clear();
        for (int n = r.ReadInt32(), i = 0; i < n; i++) _namedInits[r.ReadInt32()] = r.ReadString();
        _detailsGiven.Clear();
        for (int n = r.ReadInt32(), i = 0; i < n; i++)
        {
            int container = r.ReadInt32();
            int category = r.ReadByte();
            DetailsGiven(container)[category] = r.ReadInt32();
        }
        _laterDetailsGiven = _detailsGiven.Sum(given => Math.Max(0, given.Sum() - 1));
        _checkpoints.Clear();
        for (int n = r.ReadInt32(), i = 0; i < n; i++) _checkpoints[r.ReadString()] = r.ReadInt32();
        _restores.Clear();
        for (int n = r.ReadInt32(), i = 0; i < n; i++) _restores[r.ReadString()] = r.ReadInt32();
        _lineage.Clear();
        for (int n = r.ReadInt32(), i = 0; i < n; i++)
        {
            int tid = r.ReadInt32();
            var lineage = new Lineage();
            for (int m = r.ReadInt32(), j = 0; j < m; j++)
            {
                long position = r.ReadInt64();
                lineage.Add(NativeJson.ParseStored(ReadBytes(r), "snapshot", j + 1), position);
            }
            _lineage[tid] = lineage;
        }
    }

    private static void WriteMap<T>(BinaryWriter w, IEnumerable<T> items, Action<BinaryWriter, T> write)
    {
        var list = items.ToList();
        w.Write(list.Count);
        foreach (var item in list) write(w, item);
    }

    private static void WriteBytes(BinaryWriter w, ReadOnlySpan<byte> bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader r) => r.ReadBytes(r.ReadInt32());

    private static void WriteCounts(BinaryWriter w, AnswerCounts c)
    {
        w.Write(c.Checked); w.Write(c.Agreed); w.Write(c.Disagreed); w.Write(c.UnknownState); w.Write(c.NotApplicable); w.Write(c.Unrecorded); w.Write(c.AfterEnd);
    }

    private static void ReadCounts(BinaryReader r, AnswerCounts c)
    {
        c.Checked = r.ReadInt64(); c.Agreed = r.ReadInt64(); c.Disagreed = r.ReadInt64();
        c.UnknownState = r.ReadInt64(); c.NotApplicable = r.ReadInt64(); c.Unrecorded = r.ReadInt64(); c.AfterEnd = r.ReadInt64();
    }

    /// <summary>The last few events that shaped a task, oldest first: one object per task, the arrays inline.</summary>
    private sealed class Lineage
    {
        public EventRing Events;
        public PositionRing Positions;
        public int Count;

        public void Add(PidEvent ev, long position)
        {
            if (Count == LineageDepth)
            {
                for (int i = 1; i < LineageDepth; i++)
                {
                    Events[i - 1] = Events[i];
                    Positions[i - 1] = Positions[i];
                }
                Count--;
            }
            Events[Count] = ev;
            Positions[Count] = position;
            Count++;
        }

        public void CopyFrom(Lineage other)
        {
            Events = other.Events;
            Positions = other.Positions;
            Count = other.Count;
        }

        /// <summary>Empties it, letting its events go.</summary>
        public void Clear()
        {
            Events = default;
            Count = 0;
        }
    }

    [System.Runtime.CompilerServices.InlineArray(LineageDepth)]
    private struct EventRing
    {
        private PidEvent _first;
    }

    [System.Runtime.CompilerServices.InlineArray(LineageDepth)]
    private struct PositionRing
    {
        private long _first;
    }
}

/// <summary>A container as its host knows it: index in order of birth (0 = the host), its init and when it was made.</summary>
public sealed record ContainerInfo(int Index, string InitComm, int Init, long Born)
{
    public string Id => Index == 0 ? "host" : $"c{Index}";
}

/// <summary>Which checkpoint a restore needs: the source and destination hosts, the VPS name, and which checkpoint of that name from the source to the destination (from 0).</summary>
public readonly record struct ImageKey(string Source, string Destination, string Name, int Occurrence);

/// <summary>What a checkpoint left for its restore: the image, or null when the checkpoint failed; and where in the source's stream.</summary>
public sealed record PublishedImage(ImageKey Key, VpsImage? Image, long Position);
