using Replayer.Actors.Replay;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Fleet;

/// <summary>
/// One host stream of the fleet under one set of settings: how far the stream goes, and how far its
/// replay's latest snapshot got. The snapshot is the replay's outcome (models, oracles and every
/// container's books), so a host whose snapshot is at its stream's last revision needs no work.
/// </summary>
public sealed record HostStatus(string Trace, string Host, ReplaySettings Settings, StreamRevision Last, StreamRevision? Replayed)
{
    public string Stream => TraceStreams.HostStream(Trace, Host);

    public bool UpToDate => Replayed == Last;

    /// <summary>Events the replay has still to take.</summary>
    public long Behind => Last.Value - (Replayed?.Value ?? -1);
}

/// <summary>Finds every trace's host streams in the store and how far each one's replay is.</summary>
public static class FleetScan
{
    /// <summary>The settings a trace is replayed under: those given, ptraced when every source was an strace capture (as `replayer replay` does).</summary>
    public static async Task<ReplaySettings> SettingsForAsync(IEventStore store, string trace, ReplaySettings settings, CancellationToken ct)
    {
        var sources = await new TraceCatalog(store).SourcesAsync(trace, ct);
        return settings with { Ptraced = sources.Count > 0 && sources.All(s => s.Format == "strace") };
    }

    /// <summary>Every host of the traces named (every trace when null), by trace then host.</summary>
    public static async Task<IReadOnlyList<HostStatus>> ScanAsync(IEventStore store, ReplaySettings settings, IReadOnlyCollection<string>? traces, CancellationToken ct)
    {
        var byTrace = new SortedDictionary<string, List<StreamInfo>>(StringComparer.Ordinal);
        foreach (var s in await store.ListStreamsAsync(TraceStreams.Prefix, ct))
        {
            if (!TraceStreams.TryParse(s.Name, out var trace, out _) || s.Name.EndsWith(TraceStreams.MetaSuffix, StringComparison.Ordinal)) continue;
            if (traces is not null && !traces.Contains(trace)) continue;
            if (!byTrace.TryGetValue(trace, out var list)) byTrace[trace] = list = [];
            list.Add(s);
        }
        if (traces?.FirstOrDefault(t => !byTrace.ContainsKey(t)) is { } missing)
            throw new KeyNotFoundException($"no trace '{missing}' in {store.Description}");
        var hosts = new List<HostStatus>();
        foreach (var (trace, streams) in byTrace)
        {
            var traceSettings = await SettingsForAsync(store, trace, settings, ct);
            foreach (var s in streams)
            {
                TraceStreams.TryParse(s.Name, out _, out var host);
                var snapshot = await ReplayStreams.LoadHostAsync(store, ReplayStreams.Snapshot(trace, host, traceSettings), ct);
                hosts.Add(new HostStatus(trace, host, traceSettings, s.Last, snapshot?.Revision));
            }
        }
        return hosts;
    }

    /// <summary>The global position of a stream's last event: what a checkpoint records.</summary>
    public static async Task<Position> LastPositionAsync(IEventStore store, HostStatus host, CancellationToken ct)
    {
        await foreach (var e in store.ReadStreamAsync(host.Stream, host.Last, 1, ct)) return e.Position;
        return Position.Start;
    }
}
