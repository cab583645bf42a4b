using System.CommandLine;
using System.Diagnostics;
using Replayer.Actors.Fleet;
using Replayer.Ingest.Store;
using Replayer.Replay.Engine;

namespace Replayer.Cli.Commands;

/// <summary>
/// `replayer batch [--config FILE] [--out DIR]`: the nightly run (docs/batch.md). Replays what is
/// new in every host stream (from its snapshot), and writes a dated folder of reports with a fleet
/// summary; a run with nothing new does no replay work and says so. One batch at a time per output
/// folder (a file lock) and per PostgreSQL store (an advisory lock); another exits 75.
/// </summary>
public static class BatchCommand
{
    public const string LockFile = ".batch.lock";

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "A YAML file of settings (store, out, traces, models, policy, pid_max, snapshot_every, lease_seconds); options given here win" };
        var output = new Option<string?>("--out") { Description = "The folder the dated report folders go into" };
        var models = new Option<string?>("--models") { Description = "The models to compare, left then right (default nested,vpid)" };
        var policy = new Option<string?>("--policy") { Description = "Who kill(-1) reaches under virtual pids: openvz (default) or vpid-only" };
        var pidMax = new Option<int?>("--pid-max") { Description = "The hosts' /proc/sys/kernel/pid_max (default 32768)" };
        var cmd = new Command("batch", "The scheduled run: replay what is new in every host stream (from snapshots; sharing the work with `replayer worker` on PostgreSQL) and write dated reports with a fleet summary; a run with nothing new does nothing and says so")
        {
            config, output, WorkerCommand.Traces, models, policy, pidMax, StoreOptions.Json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config) is { } path ? BatchConfig.Read(path) : new BatchConfig();
            var outDir = parse.GetValue(output) ?? file.Out ?? throw new ArgumentException("give the report folder: --out DIR, or out: in the --config file");
            var settings = new ReplaySettings
            {
                Models = (parse.GetValue(models) ?? file.Models ?? "nested,vpid").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Policy = ReplaySettings.ParsePolicy(parse.GetValue(policy) ?? file.Policy ?? "openvz"),
                SnapshotEvery = file.SnapshotEvery ?? 1_000_000,
                PidMax = parse.GetValue(pidMax) ?? file.PidMax ?? Replayer.Replay.Models.Nested.NestedPidModel.DefaultPidMax,
            };
            settings.Validate();
            var request = new BatchRequest
            {
                Out = outDir, Settings = settings,
                Traces = WorkerCommand.SplitNames(parse.GetValue(WorkerCommand.Traces)) ?? file.Traces,
                Worker = new WorkerOptions { LeaseTtl = WorkerCommand.LeaseTtl(file.LeaseSeconds ?? 30), ExitWhenIdle = true },
            };
            var spec = StoreLocator.Resolve(parse.GetValue(StoreOptions.Store) ?? file.Store);

            Directory.CreateDirectory(outDir);
            using var folderLock = TryLockFolder(outDir);
            if (folderLock is null) return Busy($"another batch is writing into {Path.GetFullPath(outDir)}");
            Action<string> log = line => Console.Error.WriteLine($"replayer batch: {line}");
            // A server restarting while the batch starts is waited out, as it is during the replay.
            await using var store = await FleetWorker.RetryTransientAsync(() => StoreLocator.OpenAsync(spec, ct), request.Worker, log, ct);
            PostgresLeases? leases = null;
            IAsyncDisposable? storeLock = null;
            if (store is PostgresEventStore pg)
            {
                leases = await FleetWorker.RetryTransientAsync(() => PostgresLeases.OpenAsync(pg, ct), request.Worker, log, ct);
                storeLock = await FleetWorker.RetryTransientAsync(() => leases.TryLockAsync("replayer batch", ct), request.Worker, log, ct);
                if (storeLock is null) return Busy($"another batch is running on {store.Description}");
            }
            await using (storeLock)
            {
                var clock = Stopwatch.StartNew();
                var result = await FleetBatch.RunAsync(store, leases, request, log, ct);
                Print(parse.GetValue(StoreOptions.Json), result, clock.Elapsed);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The folder's lock: an exclusive lock on a file in it (flock, held until the process ends); null when another process holds it.</summary>
    private static FileStream? TryLockFolder(string dir)
    {
        try
        {
            return new FileStream(Path.Combine(dir, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(Path.Combine(dir, LockFile)))
        {
            return null;
        }
    }

    private static int Busy(string why)
    {
        Terminal.Error($"{why}; try again later (exit {ExitCodes.Busy})");
        return ExitCodes.Busy;
    }

    private static void Print(bool json, BatchResult result, TimeSpan elapsed)
    {
        if (json)
        {
            Terminal.Json(w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("nothing_new", result.NothingNew);
                w.WriteNumber("hosts", result.Hosts);
                w.WriteNumber("new_hosts", result.NewHosts);
                w.WriteNumber("replayed", result.Replayed);
                w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
                if (result.Folder is { } f) w.WriteString("folder", Path.GetFullPath(f));
                w.WriteNumber("events", result.Reports.Sum(r => r.Events));
                w.WriteNumber("divergent_events", result.Reports.Sum(r => r.DivergentEvents));
                w.WriteEndObject();
            });
            return;
        }
        if (result.NothingNew)
        {
            Console.WriteLine($"nothing new since the last batch: all {result.Hosts:N0} host stream(s) are reported up to their last event; no replay work, no new report");
            return;
        }
        Console.WriteLine($"{result.NewHosts:N0} of {result.Hosts:N0} host stream(s) had new events; replayed {result.Replayed:N0} events in {elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"{result.Reports.Sum(r => r.Events):N0} events in {result.Reports.Count:N0} trace(s), {result.Reports.Sum(r => r.DivergentEvents):N0} divergent; " +
            $"wrote {Path.Combine(result.Folder!, FleetSummary.Markdown)}, {FleetSummary.Json} and a report folder per trace");
    }
}
