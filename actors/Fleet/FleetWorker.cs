using Replayer.Actors.Replay;
using Replayer.Ingest.Store;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Fleet;

/// <summary>How a worker leases and waits.</summary>
public sealed record WorkerOptions
{
    /// <summary>Who holds a lease, for the lease table and messages: host name and process id.</summary>
    public string Owner { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>A lease not renewed for this long is free for another worker: how long a killed worker's host waits.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait when there is nothing to claim, or after a store error.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a host stopped before a restore stays unclaimed, to give its source's replay time to pass the checkpoint.</summary>
    public TimeSpan Defer { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the store may stay unreachable (a server restarting) before the worker gives up.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Return once every host stream is replayed to its end; otherwise wait for new events until cancelled.</summary>
    public bool ExitWhenIdle { get; init; }

    /// <summary>The traces to work on; null: every trace in the store.</summary>
    public IReadOnlyCollection<string>? Traces { get; init; }
}

/// <summary>What a worker did.</summary>
public sealed class WorkerTally
{
    /// <summary>Host replays taken to the end of their streams.</summary>
    public int Finished;
    /// <summary>Host replays stopped before a restore whose checkpoint another worker had not replayed yet.</summary>
    public int Deferred;
    /// <summary>Events replayed (those a snapshot covered not counted).</summary>
    public long Replayed;
}

/// <summary>
/// One worker of a fleet sharing a PostgreSQL store: claims a host stream whose replay is behind,
/// replays it from its latest snapshot through the actors (the coordinator given only that host),
/// renews the lease while it does, and releases it. Another host's checkpoint is taken from the
/// store; when its source has not got there yet the replay stops just before the restore, keeps a
/// snapshot there and releases the lease with a short not-before, and the worker takes other work.
/// Waiting in place instead would deadlock a fleet with fewer workers than hosts: every worker
/// could hold a host that waits for one nobody holds. Stopping costs one snapshot; since a
/// checkpoint comes before its restore in time, the source always gets there.
/// </summary>
public sealed class FleetWorker(IEventStore store, PostgresLeases leases, ReplaySettings settings, WorkerOptions options, Action<string>? log = null)
{
    public WorkerTally Tally { get; } = new();

    public async Task<WorkerTally> RunAsync(CancellationToken ct)
    {
        settings.Validate();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // A server restarting: the step is taken again once it is back (for at most RetryFor).
            bool idle = await RetryTransientAsync(() => StepAsync(ct), options, log, ct);
            if (idle) return Tally;
        }
    }

    /// <summary>One round: find the hosts with work, claim one and replay it; true when there is none and the worker is to exit.</summary>
    private async Task<bool> StepAsync(CancellationToken ct)
    {
        var pending = (await FleetScan.ScanAsync(store, settings, options.Traces, ct)).Where(h => !h.UpToDate).ToList();
        if (pending.Count == 0 && options.ExitWhenIdle) return true;
        var lease = await leases.ClaimAsync(pending.Select(h => (h.Settings.Key, h.Stream)).ToList(), options.Owner, options.LeaseTtl, ct);
        if (lease is null)
        {
            await Task.Delay(options.Poll, ct);
            return false;
        }
        await ReplayLeasedAsync(pending.First(h => h.Settings.Key == lease.Settings && h.Stream == lease.Stream), lease, ct);
        return false;
    }

    /// <summary>Replays one leased host from its latest snapshot, with a heartbeat; a lease lost meanwhile cancels the replay.</summary>
    private async Task ReplayLeasedAsync(HostStatus host, HostLease lease, CancellationToken ct)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopBeating = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(lease, lost, stopBeating.Token);
        try
        {
            var result = await TraceReplay.RunAsync(new ReplayJob
            {
                Store = store, Trace = host.Trace, Settings = host.Settings, Hosts = new HashSet<string>([host.Host], StringComparer.Ordinal),
                Cancel = lost.Token,
            });
            var finished = result.Hosts.Single();
            Tally.Replayed += result.Replayed;
            if (finished.WaitingFor is { } key)
            {
                Tally.Deferred++;
                log?.Invoke($"{host.Trace}/{host.Host}: replayed {result.Replayed:N0} events, waits at event {finished.Result.Replay.Position} for checkpoint {key.Occurrence + 1} of {key.Name} on {key.Source}");
                await leases.ReleaseAsync(lease, options.Defer, ct);
                return;
            }
            Tally.Finished++;
            // For visibility (EVENTS.md, checkpoints): where the replay of this stream under these settings got to.
            await store.SetCheckpointAsync(ReplayStreams.Snapshot(host.Trace, host.Host, host.Settings), await FleetScan.LastPositionAsync(store, host, ct), ct);
            log?.Invoke($"{host.Trace}/{host.Host}: replayed {result.Replayed:N0} events to the end ({finished.Result.Replay.Position:N0})");
            await leases.ReleaseAsync(lease, TimeSpan.Zero, ct);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            log?.Invoke($"{host.Trace}/{host.Host}: the lease was lost to another worker; stopped");
        }
        finally
        {
            await stopBeating.CancelAsync();
            await heartbeat;
        }
    }

    /// <summary>Renews the lease every third of its time to live; cancels the replay when another worker has taken it over.</summary>
    private async Task HeartbeatAsync(HostLease lease, CancellationTokenSource lost, CancellationToken stop)
    {
        var every = options.LeaseTtl / 3;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop);
                if (!await leases.RenewAsync(lease, options.LeaseTtl, stop))
                {
                    await lost.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException e) when (e.Transient)
            {
                // The replay meets the same outage and fails on its own; the next beat tries again.
            }
        }
    }

    /// <summary>The store error behind a failure, when trying again may work (it may come wrapped by the actors).</summary>
    /// <summary>
    /// Runs <paramref name="step"/>, again while the store is unavailable for a passing reason (a
    /// server restarting), for at most <see cref="WorkerOptions.RetryFor"/>.
    /// </summary>
    public static async Task<T> RetryTransientAsync<T>(Func<Task<T>> step, WorkerOptions options, Action<string>? log, CancellationToken ct)
    {
        DateTime? failingSince = null;
        while (true)
        {
            try
            {
                return await step();
            }
            catch (Exception e) when (TransientCause(e) is { } cause && !ct.IsCancellationRequested)
            {
                failingSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - failingSince > options.RetryFor) throw cause;
                log?.Invoke($"store unavailable, retrying in {options.Poll.TotalSeconds:0.#} s: {cause.Message}");
                await Task.Delay(options.Poll, ct);
            }
        }
    }

    public static StoreException? TransientCause(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is StoreException { Transient: true } s) return s;
        return e is AggregateException a ? a.InnerExceptions.Select(TransientCause).FirstOrDefault(s => s is not null) : null;
    }
}
