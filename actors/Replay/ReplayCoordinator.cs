using Replayer.Actors.Runtime;
using Replayer.Ingest.Events;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Replay.Engine;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Actors.Replay;

/// <summary>What one replay of a trace is to do, and where it reports how far it got.</summary>
public sealed class ReplayJob
{
    public required IEventStore Store { get; init; }
    public required string Trace { get; init; }
    public required ReplaySettings Settings { get; init; }

    /// <summary>Ignore snapshots: replay every host from its first event.</summary>
    public bool FromStart { get; init; }

    /// <summary>Stop each host once this many of its events are replayed (a snapshot is kept there); null: to the end.</summary>
    public long? StopAfter { get; init; }

    /// <summary>
    /// Replay only these hosts of the trace (a worker's leased host); null: every host. A restore
    /// whose checkpoint is on a host outside the set takes its image from the store, or stops its
    /// host before the restore when the source has not got that far (<see cref="ImageReply.NotYet"/>).
    /// </summary>
    public IReadOnlySet<string>? Hosts { get; init; }

    /// <summary>Called before each container booking; what it throws fails the booking (the seam tests inject faults with).</summary>
    public ContainerActor.Inspector? Inspect { get; init; }

    /// <summary>Called on the host actor before each event goes through the models; what it throws counts as the models' failure on that event.</summary>
    public Action<string, PidEvent>? BeforeStep { get; init; }

    /// <summary>Whether a host runs its second model ahead on a lane of its own (<see cref="ModelLane"/>); false: every model on the host actor, the reference the lane is tested against.</summary>
    public bool Ahead { get; init; } = true;

    /// <summary>Called on a host's lane before its model takes an event ahead (<see cref="ModelLane"/>); what it throws counts as that model's failure on the event.</summary>
    public Action<string, PidEvent>? BeforeAhead { get; init; }

    public CancellationToken Cancel { get; init; }

    /// <summary>
    /// What the actors wait with: <see cref="Cancel"/>, or the replay failing, so that no actor
    /// stays in an ask to a coordinator that is gone and holds up the system's shutdown.
    /// </summary>
    internal CancellationToken Token { get; set; }

    /// <summary>Events done so far by every host (those a snapshot covered included), for progress.</summary>
    public long Progress;
}

/// <summary>A restore needs a checkpoint's image: the reply is an <see cref="ImageReply"/> once the source host has passed it.</summary>
public sealed record AwaitImage(ImageKey Key, string Requester);

/// <summary>
/// The image a restore asked for; null when the checkpoint made none (or the source never
/// checkpointed). NotYet: the source is replayed elsewhere and has not passed the checkpoint.
/// </summary>
public sealed record ImageReply(VpsImage? Image, bool NotYet = false)
{
    public static readonly ImageReply Later = new(null, NotYet: true);
}

/// <summary>A host passed a checkpoint; the reply, <see cref="ImageSaved"/>, comes once the image is in the store.</summary>
public sealed record ImagePublished(PublishedImage Image);

/// <summary>The image is in the store: a snapshot taken after its checkpoint may now be saved.</summary>
public sealed record ImageSaved(ImageKey Key);

/// <summary>
/// The replay of one trace: one host actor per host stream, supervised here. Migrations go between
/// host actors through it, in causal order: a restore waits until the source host has passed its
/// checkpoint, whose image is kept in the store so that a resumed replay finds it too.
/// </summary>
public sealed class ReplayCoordinator : Actor
{
    private readonly ReplayJob _job;
    private readonly IReadOnlyList<string> _hosts;
    /// <summary>The trace's hosts replayed elsewhere (another worker), with their streams' last revisions.</summary>
    private readonly IReadOnlyDictionary<string, StreamRevision> _elsewhere;
    private readonly TaskCompletionSource<IReadOnlyList<HostFinished>> _done;
    /// <summary>Hosts that have finished, by name.</summary>
    private readonly SortedDictionary<string, HostFinished> _finished = new(StringComparer.Ordinal);
    /// <summary>Restores waiting for their checkpoint.</summary>
    private readonly List<(AwaitImage Request, IActorRef ReplyTo)> _waiting = [];
    /// <summary>Images published in this run.</summary>
    private readonly Dictionary<ImageKey, VpsImage?> _images = [];

    public ReplayCoordinator(ReplayJob job, IReadOnlyList<string> hosts, IReadOnlyDictionary<string, StreamRevision> elsewhere,
        TaskCompletionSource<IReadOnlyList<HostFinished>> done)
    {
        _job = job;
        _hosts = hosts;
        _elsewhere = elsewhere;
        _done = done;
        ReceiveAsync<ImagePublished>(OnPublishedAsync);
        ReceiveAsync<AwaitImage>(OnAwaitAsync);
        Receive<HostFinished>(OnFinished);
        Receive<Failure>(f => _done.TrySetException(f.Cause));
    }

    /// <summary>A host that fails (the store went away, a bug past quarantine) ends the replay with its error.</summary>
    public override SupervisorStrategy SupervisorStrategy => SupervisorStrategy.StopOnFailure;

    protected internal override void PreStart()
    {
        if (_hosts.Count == 0)
        {
            _done.TrySetResult([]);
            return;
        }
        foreach (var host in _hosts)
            Context.ActorOf(Props.Create(() => new HostActor(_job, host, Self), mailboxCapacity: 256), ActorName(host)).Tell(StartHost.Instance);
    }

    /// <summary>Host names are free text; actor names are not.</summary>
    private static string ActorName(string host) => "host-" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(host));

    private async ValueTask OnPublishedAsync(ImagePublished m)
    {
        var publisher = Sender;
        var key = m.Image.Key;
        await _job.Store.SaveSnapshotAsync(ReplayStreams.Image(_job.Trace, _job.Settings, key), new StreamRevision(m.Image.Position),
            ReplayStreams.ImageType, ReplayStreams.EncodeImage(m.Image.Image), _job.Token);
        _images[key] = m.Image.Image;
        for (int i = _waiting.Count - 1; i >= 0; i--)
        {
            if (_waiting[i].Request.Key != key) continue;
            _waiting[i].ReplyTo.Tell(new ImageReply(m.Image.Image), Self);
            _waiting.RemoveAt(i);
        }
        publisher?.Tell(new ImageSaved(key), Self);
    }

    private async ValueTask OnAwaitAsync(AwaitImage m)
    {
        var replyTo = Sender!;
        if (_images.TryGetValue(m.Key, out var image))
        {
            replyTo.Tell(new ImageReply(image), Self);
            return;
        }
        // Published by an earlier run that this one resumed after.
        if (await _job.Store.LoadSnapshotAsync(ReplayStreams.Image(_job.Trace, _job.Settings, m.Key), _job.Token) is { } stored)
        {
            replyTo.Tell(new ImageReply(ReplayStreams.DecodeImage(stored.State.Span)), Self);
            return;
        }
        if (_elsewhere.TryGetValue(m.Key.Source, out var last))
        {
            // The source's replay is another worker's: a source whose snapshot is at the end of its
            // stream has finished without the checkpoint (its image would be in the store, saved
            // before any snapshot past it); otherwise it has not got there yet.
            var source = await _job.Store.LoadSnapshotAsync(ReplayStreams.Snapshot(_job.Trace, m.Key.Source, _job.Settings), _job.Token);
            replyTo.Tell(source is not null && source.Revision == last ? new ImageReply(null) : ImageReply.Later, Self);
            return;
        }
        if (!_hosts.Contains(m.Key.Source) || _finished.ContainsKey(m.Key.Source))
        {
            replyTo.Tell(new ImageReply(null), Self);
            return;
        }
        _waiting.Add((m, replyTo));
    }

    private void OnFinished(HostFinished m)
    {
        _finished[m.Result.Replay.Host] = m;
        // A source that ended without the checkpoint a restore waits for will never make it.
        for (int i = _waiting.Count - 1; i >= 0; i--)
        {
            if (_waiting[i].Request.Key.Source != m.Result.Replay.Host) continue;
            _waiting[i].ReplyTo.Tell(new ImageReply(null), Self);
            _waiting.RemoveAt(i);
        }
        if (_finished.Count == _hosts.Count) _done.TrySetResult(_finished.Values.ToList());
    }
}

/// <summary>What a replay did: its report, whether every host reached its end, and how many events it replayed this time.</summary>
public sealed record ReplayResult(ReplayReport Report, bool Complete, long Replayed, IReadOnlyList<HostFinished> Hosts);

/// <summary>Replays a stored trace through the actors: `await TraceReplay.RunAsync(job)`.</summary>
public static class TraceReplay
{
    public static async Task<ReplayResult> RunAsync(ReplayJob job)
    {
        job.Settings.Validate();
        var catalog = new TraceCatalog(job.Store);
        var streams = await catalog.HostStreamsAsync(job.Trace, job.Cancel);
        if (streams.Count == 0) throw new KeyNotFoundException($"no trace '{job.Trace}' in {job.Store.Description}");
        var all = streams.ToDictionary(s => TraceStreams.TryParse(s.Name, out _, out var host) ? host : throw new InvalidDataException($"'{s.Name}' is not a host stream"), s => s.Last, StringComparer.Ordinal);
        if (job.Hosts?.FirstOrDefault(h => !all.ContainsKey(h)) is { } unknown)
            throw new KeyNotFoundException($"no host '{unknown}' in trace '{job.Trace}' of {job.Store.Description}");
        var hosts = all.Keys.Where(h => job.Hosts is null || job.Hosts.Contains(h)).ToList();
        var elsewhere = all.Where(kv => !hosts.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

        var done = new TaskCompletionSource<IReadOnlyList<HostFinished>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(job.Cancel);
        job.Token = abort.Token;
        // The coordinator's own failure (the store gone while it saves an image) is escalated to
        // UnsupervisedFailure: a guardian that stopped it quietly would leave the replay waiting forever.
        await using var system = ActorSystem.Create("replay", SupervisorStrategy.EscalateAlways);
        system.UnsupervisedFailure += (_, _, e) => done.TrySetException(e);
        system.ActorOf(Props.Create(() => new ReplayCoordinator(job, hosts, elsewhere, done)), "coordinator");
        IReadOnlyList<HostFinished> finished;
        try
        {
            using (job.Cancel.Register(() => done.TrySetCanceled(job.Cancel)))
                finished = await done.Task;
        }
        catch
        {
            // Before the system is disposed (declared after, so disposed first): it waits for every actor to stop.
            await abort.CancelAsync();
            throw;
        }
        var report = ReportAssembly.Build(job.Trace, job.Settings, finished.Select(f => f.Result));
        long replayed = finished.Sum(f => f.Result.Replay.Position - f.ResumedFrom);
        return new ReplayResult(report, finished.All(f => f.Complete), replayed, finished);
    }
}
