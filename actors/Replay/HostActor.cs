using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Replayer.Actors.Runtime;
using Replayer.Ingest.Events;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Replay;

/// <summary>Tells a host actor to begin: from its latest snapshot when there is one, else from the start.</summary>
public sealed record StartHost
{
    public static readonly StartHost Instance = new();
}

/// <summary>A host actor's own cue to take the next chunk of its stream.</summary>
internal sealed record Pump
{
    public static readonly Pump Instance = new();
}

/// <summary>
/// A host's replay ended: its books, and whether it reached the end of its stream (false: stopped
/// where asked, or before a restore whose image another worker's replay has not made yet: WaitingFor).
/// </summary>
public sealed record HostFinished(HostResult Result, bool Complete, long ResumedFrom, ImageKey? WaitingFor = null);

/// <summary>
/// One host: sequences its stream from the store, owns the host-wide state of every model (the
/// global pid space and the namespace tree: <see cref="HostReplay"/>), books the host's own events
/// and routes every other event to the actor of the container it concerns, in batches. It
/// supervises its container actors: one that fails is restarted, recovers from its journal and
/// quarantines the event it failed on. Every <see cref="ReplaySettings.SnapshotEvery"/> events,
/// and at the end, it saves the replay's state to the store to resume from.
/// </summary>
public sealed class HostActor : Actor
{
    /// <summary>Events decoded ahead of the models, per chunk.</summary>
    private const int ChunkSize = 2048;

    /// <summary>Bookings a container collects at most before they are sent.</summary>
    private const int BatchSize = 256;

    /// <summary>
    /// Bookings waiting in all containers' buffers, about: with many containers each sends smaller
    /// batches, so that what the host holds, and what waits in the containers' small mailboxes,
    /// stays bounded however many containers there are; but never fewer than
    /// <see cref="MinBatch"/>, since each batch costs a mailbox's turn on the pool.
    /// </summary>
    private const int PendingBudget = 256 * 1024;

    /// <summary>
    /// The smallest batch: at 5,400 containers, 64 bookings each hold about 55 MB of bookings and
    /// their events, and cut the mailbox turns to a fourth of what batches of 16 cost (about 9 of
    /// the 10M replay's 50 CPU seconds; docs/performance.md).
    /// </summary>
    private const int MinBatch = 64;

    /// <summary>Batches a container's mailbox holds: past that, the host waits (backpressure).</summary>
    private const int ContainerMailbox = 4;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Model failures a host sets aside before the replay stops: past this, the models are broken, not an event.</summary>
    private const int MaxModelFailures = 100;

    private readonly ReplayJob _job;
    private readonly string _host;
    private readonly IActorRef _coordinator;
    private readonly HostReplay _replay;
    private readonly string _snapshotStream;

    /// <summary>The host's own books (events of tasks outside every container).</summary>
    private ContainerLedger _hostLedger;

    /// <summary>Container actors by container index (index 0, the host, has none).</summary>
    private readonly List<IActorRef?> _containers = [null];

    /// <summary>Bookings waiting to be sent, per container index.</summary>
    private readonly List<Booking[]?> _pending = [null];
    private readonly List<int> _pendingCount = [0];
    /// <summary>Per container index: the host's position when its batch took its first booking.</summary>
    private readonly List<long> _pendingSince = [0];

    /// <summary>Events quarantined since the last snapshot: a recovery passes over them again.</summary>
    private readonly HashSet<long> _skipped = [];

    /// <summary>The stream cut into segments, the second model run ahead on them (<see cref="ModelLane"/>).</summary>
    private ModelLane? _lane;

    /// <summary>Segments the lane made past a failure on an event it had taken ahead, to be stepped whole after the failing one's.</summary>
    private List<LaneSegment>? _drained;
    private CancellationTokenSource? _reading;
    private long _resumedFrom;

    /// <summary>The position the store's latest snapshot of this host was taken at.</summary>
    private long _saved;

    public HostActor(ReplayJob job, string host, IActorRef coordinator)
    {
        _job = job;
        _host = host;
        _coordinator = coordinator;
        _replay = new HostReplay(host, job.Settings, job.Trace);
        _hostLedger = new ContainerLedger(host, "host", job.Settings.Models);
        _snapshotStream = ReplayStreams.Snapshot(job.Trace, host, job.Settings);
        ReceiveAsync<StartHost>(_ => StartAsync());
        ReceiveAsync<Pump>(_ => PumpAsync());
        // A container actor's failure needs nothing of the host: its restart recovers from its journal.
        Receive<Failure>(_ => { });
    }

    /// <summary>Container actors are restarted on any failure; the replay goes on.</summary>
    public override SupervisorStrategy SupervisorStrategy { get; } = new(_ => Directive.Restart, maxRestarts: 1000);

    protected internal override void PostStop()
    {
        _reading?.Cancel();
        _reading?.Dispose();
    }

    private async ValueTask StartAsync()
    {
        var snapshot = _job.FromStart ? null : await ReplayStreams.LoadHostAsync(_job.Store, _snapshotStream, _job.Token);
        if (snapshot is not null) Restore(snapshot);
        _resumedFrom = _saved = _replay.Position;
        Interlocked.Add(ref _job.Progress, _resumedFrom);
        _reading = CancellationTokenSource.CreateLinkedTokenSource(_job.Token);
        var channel = Channel.CreateBounded<Task<PidEvent[]>>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        _lane = new ModelLane(_replay, channel.Reader, _job.Ahead, _job.StopAfter, _job.BeforeAhead is { } before ? ev => before(_host, ev) : null);
        _ = Task.Run(() => ReadAsync(channel.Writer, _replay.Position, _reading.Token));
        _ = Task.Run(() => _lane.RunAsync(_reading.Token));
        Self.Tell(Pump.Instance);
    }

    /// <summary>
    /// Reads the stream from a revision ahead of the models, one chunk per read (short reads, so
    /// that the snapshots the replay writes meanwhile never wait for a long read to end), and has
    /// each chunk decoded on the pool while the next is read: reading, decoding and the models
    /// each get a core's share. The chunks' buffers go round: at most the channel's capacity, the
    /// one being read and the ones being decoded are out at once.
    /// </summary>
    private async Task ReadAsync(ChannelWriter<Task<PidEvent[]>> writer, long from, CancellationToken ct)
    {
        try
        {
            var stream = TraceStreams.HostStream(_job.Trace, _host);
            var free = new ConcurrentBag<EventChunk>();
            while (true)
            {
                var chunk = free.TryTake(out var reused) ? reused : new EventChunk(ChunkSize);
                int read = await _job.Store.ReadStreamDataAsync(stream, new StreamRevision(from), ChunkSize, chunk, ct);
                if (read == 0) break;
                from += read;
                await writer.WriteAsync(Task.Run(() =>
                {
                    try { return TraceCatalog.Decode(chunk); }
                    finally { free.Add(chunk); }
                }, ct), ct);
            }
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    /// <summary>Up to <paramref name="count"/> events of the stream from a revision, decoded: one short read.</summary>
    private async Task<PidEvent[]> ReadChunkAsync(string stream, long from, int count, CancellationToken ct)
    {
        var chunk = new EventChunk(count);
        await _job.Store.ReadStreamDataAsync(stream, new StreamRevision(from), count, chunk, ct);
        return TraceCatalog.Decode(chunk);
    }

    private async ValueTask PumpAsync()
    {
        var segments = _lane!.Segments;
        if (Stopped)
        {
            await FinishAsync(complete: false);
            return;
        }
        if (!await segments.WaitToReadAsync(_job.Token))
        {
            await FinishAsync(complete: true);
            return;
        }
        segments.TryRead(out var segment);
        if (!await TakeAsync(segment!, whole: false)) return;
        _lane.Return(segment!);
        Self.Tell(Pump.Instance);
    }

    /// <summary>Whether the replay has come to the position it was asked to stop at.</summary>
    private bool Stopped => _job.StopAfter is long stop && _replay.Position >= stop;

    /// <summary>
    /// Steps a segment's events, taking the lane model's outcomes where it recorded them, unless
    /// <paramref name="whole"/>: then every model takes every event here (the lane is parked).
    /// Lets the lane go on after a segment it parked at. False when the replay finished in it.
    /// </summary>
    private async ValueTask<bool> TakeAsync(LaneSegment segment, bool whole)
    {
        long every = _job.Settings.SnapshotEvery;
        for (int i = 0; i < segment.Count; i++)
        {
            if (Stopped)
            {
                await FinishAsync(complete: false);
                return false;
            }
            var ev = segment.Events[i];
            long position = _replay.Position;
            if (!whole && i < segment.Recorded)
            {
                // The common case, without a wait: the lane took the event ahead.
                if (StepAhead(ev, segment, i, out int full) is { } error)
                {
                    // The host's model failed: the lane stops first (unless parked already), the
                    // models go back to the last snapshot, and what the lane took ahead no longer
                    // holds: the rest is stepped whole.
                    if (!segment.Parks) _drained = await _lane!.DrainAsync(_job.Token);
                    await RecoverModelsAsync(ev, position, error);
                    whole = true;
                }
                else if (full != 0) await FlushAsync(full);
            }
            else if (!whole && i == segment.Recorded && segment.Failure is { } failure)
            {
                // The lane model threw on this event: the lane is parked, and the models go back to the last snapshot.
                await RecoverModelsAsync(ev, position, failure);
            }
            else if (await StepWholeAsync(ev) is { } waiting)
            {
                await FinishAsync(complete: false, waiting);
                return false;
            }
            if (_replay.Position % every == 0) await SaveSnapshotAsync();
        }
        Interlocked.Add(ref _job.Progress, segment.Count);
        await FlushStaleAsync(segment.Count);
        if (segment.Parks) _lane!.Go();
        if (_drained is { } made)
        {
            _drained = null;
            foreach (var later in made)
            {
                if (!await TakeAsync(later, whole: true)) return false;
                _lane!.Return(later);
            }
        }
        return true;
    }

    /// <summary>
    /// Takes an event the lane took ahead and books it, without waiting: returns what the models
    /// threw (nothing is booked then), and in <paramref name="full"/> the container whose batch is
    /// full and must be sent (0: none). The lane parks before checkpoints and restores, so no
    /// image comes or goes here.
    /// </summary>
    private Exception? StepAhead(PidEvent ev, LaneSegment ahead, int i, out int full)
    {
        full = 0;
        int container;
        Booking booking;
        try
        {
            _job.BeforeStep?.Invoke(_host, ev);
            (container, booking) = _replay.Step(ev, ahead, i);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e;
        }
        if (Book(container, booking)) full = container;
        return null;
    }

    /// <summary>
    /// Takes one event through every model here. Returns the image it waits for when it is a
    /// restore that cannot be taken yet (nothing is changed then).
    /// </summary>
    private async ValueTask<ImageKey?> StepWholeAsync(PidEvent ev)
    {
        if (_replay.ImageNeeded(ev) is { } key)
        {
            var image = await _coordinator.Ask<ImageReply>(new AwaitImage(key, _host), AskTimeout, _job.Token);
            if (image.NotYet) return key;
            _replay.Admit(key, image.Image);
        }
        int container;
        Booking booking;
        long position = _replay.Position;
        try
        {
            _job.BeforeStep?.Invoke(_host, ev);
            (container, booking) = _replay.Step(ev);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await RecoverModelsAsync(ev, position, e);
            return null;
        }
        // Asked, not told: the image must be in the store before any snapshot past its checkpoint,
        // or a replay resumed from that snapshot (another worker's, after this one died) would
        // never publish it again, and the restore would find none.
        foreach (var published in _replay.Emigrated)
            await _coordinator.Ask<ImageSaved>(new ImagePublished(published), AskTimeout, _job.Token);
        _replay.Emigrated.Clear();
        if (Book(container, booking)) await FlushAsync(container);
        return null;
    }

    /// <summary>Books an event in the host's books or adds it to its container's batch; true when that batch is full.</summary>
    private bool Book(int container, in Booking booking)
    {
        while (_containers.Count < _replay.Containers.Count) AddContainer(null);
        if (container == 0)
        {
            _hostLedger.Book(booking);
            return false;
        }
        int batchSize = Math.Clamp(PendingBudget / _containers.Count, MinBatch, BatchSize);
        if (_pendingCount[container] == 0) _pendingSince[container] = _replay.Position;
        var pending = _pending[container] ??= BookBatch.Pool.Rent(batchSize);
        pending[_pendingCount[container]++] = booking;
        return _pendingCount[container] >= batchSize;
    }

    /// <summary>
    /// A model threw on an event: the models' state may be half changed, so they go back to the last
    /// snapshot and take again the events since, read back from the store (their bookings were
    /// already made), and the event is quarantined in the host's books.
    /// </summary>
    private async ValueTask RecoverModelsAsync(PidEvent failed, long at, Exception error)
    {
        if (_hostLedger.Quarantined.Count >= MaxModelFailures)
            throw new InvalidOperationException($"host {_host}: the models failed on {MaxModelFailures} events; the last, at position {at}: {error.Message}", error);
        _replay.Restore(await LastSnapshotAsync());
        var stream = TraceStreams.HostStream(_job.Trace, _host);
        while (_replay.Position < at)
            foreach (var ev in await ReadChunkAsync(stream, _replay.Position, (int)Math.Min(ChunkSize, at - _replay.Position), _job.Token))
            {
                if (_skipped.Contains(_replay.Position)) _replay.Skip();
                else _replay.Step(ev);
            }
        _replay.Emigrated.Clear();
        var booking = new Booking(failed, _replay.Position, default, default, 0, null);
        _skipped.Add(at);
        _replay.Skip();
        _hostLedger.Quarantine(booking, $"model: {error.GetType().Name}: {error.Message}");
    }

    /// <summary>
    /// The models' state at the last snapshot, read back from the store rather than kept: a host's
    /// state is tens of megabytes at a thousand containers, and a model failure is rare. Before any
    /// snapshot of this run, the state the replay started from.
    /// </summary>
    private async ValueTask<byte[]> LastSnapshotAsync()
    {
        if (_saved == 0) return new HostReplay(_host, _job.Settings, _job.Trace).Snapshot();
        var snapshot = await ReplayStreams.LoadHostAsync(_job.Store, _snapshotStream, _job.Token);
        if (snapshot is null || snapshot.Revision.Value + 1 != _saved)
            throw new InvalidOperationException($"host {_host}: the snapshot at position {_saved} to recover the models from is no longer in the store");
        return ReplayStreams.DecodeHost(snapshot.State.Span).Host;
    }

    private void AddContainer(byte[]? snapshot)
    {
        int index = _containers.Count;
        var info = _replay.Containers[index];
        var ledger = snapshot is null
            ? new ContainerLedger(_host, info.Id, _job.Settings.Models)
            : ContainerLedger.Restore(_host, info.Id, _job.Settings.Models, snapshot);
        var journal = new ContainerJournal(ledger);
        var props = Props.Create(() => new ContainerActor(_host, info.Id, journal, _job.Inspect), mailboxCapacity: ContainerMailbox);
        var actor = Context.ActorOf(props, info.Id);
        _containers.Add(actor);
        _pending.Add(null);
        _pendingCount.Add(0);
        _pendingSince.Add(0);
    }

    /// <summary>
    /// Sends every batch whose first booking is <see cref="ReplaySettings.BatchAge"/> events old or
    /// more; looked at four times in that many events, after the segment that crossed the mark.
    /// At 5,400 containers most are quiet or gone, and their half-full batches held their bookings
    /// and events to the end: the 10M-event replay's peak was 70 MB higher (docs/performance.md,
    /// "Thirty-ninth sitting").
    /// </summary>
    private async ValueTask FlushStaleAsync(int stepped)
    {
        long age = _job.Settings.BatchAge, every = Math.Max(1, age / 4), now = _replay.Position;
        if (now / every == (now - stepped) / every) return;
        for (int c = 1; c < _containers.Count; c++)
            if (_pendingCount[c] > 0 && now - _pendingSince[c] >= age) await FlushAsync(c);
    }

    private async ValueTask FlushAsync(int container)
    {
        int count = _pendingCount[container];
        if (count == 0) return;
        var batch = new BookBatch(_pending[container]!, count);
        _pending[container] = null;
        _pendingCount[container] = 0;
        await _containers[container]!.TellAsync(batch, Self, _job.Token);
    }

    private async ValueTask FlushAllAsync()
    {
        for (int c = 1; c < _containers.Count; c++) await FlushAsync(c);
    }

    /// <summary>Saves the models' state and every container's books as of the last event taken.</summary>
    private async ValueTask SaveSnapshotAsync()
    {
        // The container actors write their books on the pool while the models are written here
        // (the books touch nothing of the replay's): at 5,000 containers, 0.2 s of the final
        // snapshot's 1.4 s, which the models' writers left a core's worth of idle. The books are
        // waited for either way, so that nothing of this snapshot is left running.
        var books = CollectAsync<byte[]>(TakeSnapshot.Instance);
        using var models = new SnapshotBuffer();
        Exception? failed = null;
        try
        {
            _replay.WriteSnapshot(models);
        }
        catch (Exception e)
        {
            failed = e;
        }
        var ledgers = await books;
        if (failed is not null) ExceptionDispatchInfo.Throw(failed);
        _skipped.Clear();
        using var state = new SnapshotBuffer();
        ReplayStreams.WriteHost(state, models, _hostLedger.Snapshot(), ledgers.Skip(1).ToList()!);
        await using var read = state.OpenRead();
        await _job.Store.SaveSnapshotAsync(_snapshotStream, new StreamRevision(_replay.Position - 1), ReplayStreams.SnapshotType, read, _job.Token);
        _saved = _replay.Position;
    }

    /// <summary>Sends every pending batch, then asks every container actor the same question and waits for all answers (index 0 stays null).</summary>
    private async Task<T?[]> CollectAsync<T>(object question) where T : class
    {
        await FlushAllAsync();
        var answers = new Task<T>[_containers.Count];
        for (int c = 1; c < _containers.Count; c++) answers[c] = _containers[c]!.Ask<T>(question, AskTimeout, _job.Token);
        var result = new T?[_containers.Count];
        for (int c = 1; c < _containers.Count; c++) result[c] = await answers[c];
        return result;
    }

    private void Restore(Snapshot snapshot)
    {
        var (host, hostLedger, ledgers) = ReplayStreams.DecodeHost(snapshot.State.Span);
        _replay.Restore(host);
        _hostLedger = ContainerLedger.Restore(_host, "host", _job.Settings.Models, hostLedger);
        foreach (var ledger in ledgers) AddContainer(ledger);
    }

    private async ValueTask FinishAsync(bool complete, ImageKey? waitingFor = null)
    {
        if (_replay.Position != _saved) await SaveSnapshotAsync();
        var ledgers = await CollectAsync<ContainerLedger>(HandOver.Instance);
        ledgers[0] = _hostLedger;
        await _coordinator.TellAsync(new HostFinished(new HostResult(_replay, ledgers!), complete, _resumedFrom, waitingFor), Self, _job.Token);
    }
}
