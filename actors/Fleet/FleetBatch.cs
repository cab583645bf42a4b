using Replayer.Actors.Replay;
using Replayer.Ingest.Store;
using Replayer.Replay.Engine;
using Replayer.Replay.Reports;

namespace Replayer.Actors.Fleet;

/// <summary>What one scheduled batch is to do.</summary>
public sealed record BatchRequest
{
    /// <summary>The folder the dated report folders go into.</summary>
    public required string Out { get; init; }
    public required ReplaySettings Settings { get; init; }
    /// <summary>The traces to report on; null: every trace in the store.</summary>
    public IReadOnlyCollection<string>? Traces { get; init; }
    /// <summary>How the batch's own worker leases (PostgreSQL only).</summary>
    public WorkerOptions Worker { get; init; } = new() { ExitWhenIdle = true };
    /// <summary>When the batch runs: names its report folder.</summary>
    public DateTime Stamp { get; init; } = DateTime.UtcNow;
}

/// <summary>What a batch did: nothing (no host stream had events past its checkpoint), or replayed and wrote a report folder.</summary>
public sealed record BatchResult(int Hosts, int NewHosts, long Replayed, string? Folder, IReadOnlyList<ReplayReport> Reports)
{
    public bool NothingNew => NewHosts == 0;
}

/// <summary>
/// A scheduled batch: finds the host streams with events past the batch's checkpoint for its
/// output folder, replays what their snapshots do not cover yet, assembles every trace's report
/// from the stored snapshots, and writes them with a fleet summary into one dated folder, which
/// appears whole or not at all. The checkpoints move only once the reports are written, so a batch
/// that fails is done again in full by the next one, and a batch right after another finds nothing.
/// </summary>
public static class FleetBatch
{
    /// <summary>The checkpoint of one host stream for the batches writing into one folder.</summary>
    public static string CheckpointName(string outDir, HostStatus h) => $"batch:{Path.GetFullPath(outDir)}#{h.Settings.Key}#{h.Stream}";

    /// <summary>The report folder's name: the batch's UTC time, sortable.</summary>
    public static string FolderName(DateTime stamp) => stamp.ToString("yyyy-MM-dd'T'HHmmss'Z'");

    /// <summary>
    /// Runs the batch. With <paramref name="leases"/> (a PostgreSQL store) the replay is a worker's,
    /// sharing the hosts with whatever `replayer worker` processes are running; without, every trace
    /// with work is replayed here, all of its hosts at once.
    /// </summary>
    public static async Task<BatchResult> RunAsync(IEventStore store, PostgresLeases? leases, BatchRequest request, Action<string>? log, CancellationToken ct)
    {
        request.Settings.Validate();
        // A server restarting: everything done so far is in the snapshots, and nothing is published half.
        return await FleetWorker.RetryTransientAsync(() => RunOnceAsync(store, leases, request, log, ct), request.Worker, log, ct);
    }

    private static async Task<BatchResult> RunOnceAsync(IEventStore store, PostgresLeases? leases, BatchRequest request, Action<string>? log, CancellationToken ct)
    {
        var hosts = await FleetScan.ScanAsync(store, request.Settings, request.Traces, ct);
        var last = new Dictionary<HostStatus, Position>();
        foreach (var h in hosts) last[h] = await FleetScan.LastPositionAsync(store, h, ct);
        int fresh = 0;
        foreach (var h in hosts)
            if (await store.GetCheckpointAsync(CheckpointName(request.Out, h), ct) is not { } seen || seen.CompareTo(last[h]) < 0) fresh++;
        if (fresh == 0) return new BatchResult(hosts.Count, 0, 0, null, []);

        long replayed = 0;
        if (leases is not null)
        {
            var worker = new FleetWorker(store, leases, request.Settings, request.Worker with { ExitWhenIdle = true, Traces = request.Traces }, log);
            replayed = (await worker.RunAsync(ct)).Replayed;
        }
        else
        {
            foreach (var trace in hosts.Where(h => !h.UpToDate).Select(h => h.Trace).Distinct())
            {
                var result = await TraceReplay.RunAsync(new ReplayJob { Store = store, Trace = trace, Settings = hosts.First(h => h.Trace == trace).Settings, Cancel = ct });
                replayed += result.Replayed;
                log?.Invoke($"{trace}: replayed {result.Replayed:N0} events");
            }
        }

        var reports = new List<ReplayReport>();
        foreach (var trace in hosts.GroupBy(h => h.Trace))
            reports.Add(await StoredReport.BuildAsync(store, trace.Key, trace.ToList(), ct));
        var folder = await PublishAsync(store, request, hosts, last, reports, ct);
        return new BatchResult(hosts.Count, fresh, replayed, folder, reports);
    }

    /// <summary>Writes the reports into a hidden folder, records the checkpoints, and only then gives the folder its dated name.</summary>
    private static async Task<string> PublishAsync(IEventStore store, BatchRequest request, IReadOnlyList<HostStatus> hosts,
        Dictionary<HostStatus, Position> last, IReadOnlyList<ReplayReport> reports, CancellationToken ct)
    {
        Directory.CreateDirectory(request.Out);
        string name = FolderName(request.Stamp);
        string target = Path.Combine(request.Out, name);
        if (Directory.Exists(target)) throw new IOException($"{target} exists already: one batch per second at most");
        string staging = Path.Combine(request.Out, $".{name}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var r in reports) ReportWriter.WriteAll(r, Path.Combine(staging, r.Trace));
            FleetSummary.Write(reports, staging, request.Stamp);
            foreach (var h in hosts) await store.SetCheckpointAsync(CheckpointName(request.Out, h), last[h], ct);
            Directory.Move(staging, target);
            return target;
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }
}
