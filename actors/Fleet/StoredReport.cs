using Replayer.Actors.Replay;
using Replayer.Ingest.Store;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Fleet;

/// <summary>A host whose replay has not reached the end of its stream: there is no report of it to assemble yet.</summary>
public sealed class ReplayIncompleteException(string message) : Exception(message);

/// <summary>
/// A trace's report read from the store, without replaying: each host's latest snapshot is its
/// replay's outcome (the models' state and every container's books), restored and put together
/// by <see cref="ReportAssembly.Build"/> as the replay itself does, so the report is the same to
/// the byte whichever workers, in whichever order, made the snapshots.
/// </summary>
public static class StoredReport
{
    public static async Task<ReplayReport> BuildAsync(IEventStore store, string trace, IReadOnlyList<HostStatus> hosts, CancellationToken ct)
    {
        if (hosts.Count == 0) throw new KeyNotFoundException($"no trace '{trace}' in {store.Description}");
        var settings = hosts[0].Settings;
        var results = new List<HostResult>(hosts.Count);
        foreach (var h in hosts)
        {
            var snapshot = await ReplayStreams.LoadHostAsync(store, ReplayStreams.Snapshot(trace, h.Host, settings), ct);
            if (snapshot is null || snapshot.Revision != h.Last)
                throw new ReplayIncompleteException($"host {h.Host} of trace {trace}: its replay is at event {(snapshot?.Revision.Value ?? -1) + 1} of {h.Last.Value + 1}");
            results.Add(Restore(trace, h.Host, settings, snapshot));
        }
        return ReportAssembly.Build(trace, settings, results);
    }

    /// <summary>A host's replay and books as a snapshot left them (the layout of <see cref="ReplayStreams.WriteHost"/>).</summary>
    private static HostResult Restore(string trace, string host, ReplaySettings settings, Snapshot snapshot)
    {
        var (state, hostLedger, containers) = ReplayStreams.DecodeHost(snapshot.State.Span);
        var replay = new HostReplay(host, settings, trace);
        replay.Restore(state);
        var ledgers = new List<ContainerLedger>(containers.Count + 1) { ContainerLedger.Restore(host, "host", settings.Models, hostLedger) };
        for (int i = 0; i < containers.Count; i++)
            ledgers.Add(ContainerLedger.Restore(host, replay.Containers[i + 1].Id, settings.Models, containers[i]));
        return new HostResult(replay, ledgers);
    }
}
