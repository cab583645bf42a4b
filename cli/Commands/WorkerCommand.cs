using System.CommandLine;
using Replayer.Actors.Fleet;
using Replayer.Ingest.Store;
using Replayer.Replay.Engine;

namespace Replayer.Cli.Commands;

/// <summary>
/// `replayer worker --store postgres://...`: one of many processes, on one machine or many, that
/// share the replay of a fleet through a PostgreSQL store: each leases a host stream, replays it
/// from its latest snapshot, writes its outcome back and takes the next (docs/batch.md).
/// </summary>
public static class WorkerCommand
{
    public static readonly Option<string?> Traces = new("--traces") { Description = "Only these traces (comma-separated); default: every trace in the store" };

    public static readonly Option<int> LeaseSeconds = new("--lease-seconds")
    {
        Description = "A lease not renewed for this long passes to another worker (how long a killed worker's host waits)",
        DefaultValueFactory = _ => 30,
    };

    public static readonly Option<bool> ExitWhenIdle = new("--exit-when-idle")
    {
        Description = "Exit once every host stream is replayed to its end, instead of waiting for new events",
    };

    public static Command Create()
    {
        var cmd = new Command("worker", "Share the replay of every host stream in a PostgreSQL store with other workers: lease a host, replay it from its snapshot, release it, repeat")
        {
            ReplayCommand.Models, ReplayCommand.Policy, ReplayCommand.PidMax, ReplayCommand.SnapshotEvery, Traces, LeaseSeconds, ExitWhenIdle, StoreOptions.Json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var settings = new ReplaySettings
            {
                Models = parse.GetValue(ReplayCommand.Models)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Policy = ReplaySettings.ParsePolicy(parse.GetValue(ReplayCommand.Policy)!),
                SnapshotEvery = parse.GetValue(ReplayCommand.SnapshotEvery),
                PidMax = parse.GetValue(ReplayCommand.PidMax),
            };
            settings.Validate();
            var options = new WorkerOptions
            {
                LeaseTtl = LeaseTtl(parse.GetValue(LeaseSeconds)),
                ExitWhenIdle = parse.GetValue(ExitWhenIdle),
                Traces = SplitNames(parse.GetValue(Traces)),
            };
            Action<string> log = line => Console.Error.WriteLine($"replayer worker {options.Owner}: {line}");
            var spec = StoreLocator.Resolve(parse.GetValue(StoreOptions.Store));
            // A server restarting while the worker starts is waited out, as it is during the work.
            await using var store = await FleetWorker.RetryTransientAsync(() => OpenPostgresAsync(spec, "workers", ct), options, log, ct);
            var leases = await FleetWorker.RetryTransientAsync(() => PostgresLeases.OpenAsync(store, ct), options, log, ct);
            var worker = new FleetWorker(store, leases, settings, options, log);
            bool stopped = false;
            try
            {
                await worker.RunAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopped (systemctl stop, ^C): whatever it held expires and passes to another worker, which resumes from the snapshot.
                stopped = true;
            }
            var tally = worker.Tally;
            if (parse.GetValue(StoreOptions.Json))
                Terminal.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("worker", options.Owner);
                    w.WriteBoolean("stopped", stopped);
                    w.WriteNumber("finished", tally.Finished);
                    w.WriteNumber("deferred", tally.Deferred);
                    w.WriteNumber("replayed", tally.Replayed);
                    w.WriteEndObject();
                });
            else
                Console.WriteLine($"worker {options.Owner}: {(stopped ? "stopped" : "every host stream is replayed")}; this worker finished {tally.Finished:N0} host replay(s), " +
                    $"stopped {tally.Deferred:N0} before a restore, and replayed {tally.Replayed:N0} events");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static TimeSpan LeaseTtl(int seconds) =>
        seconds >= 3 ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException("--lease-seconds: at least 3 (a heartbeat every third of it)");

    public static IReadOnlyCollection<string>? SplitNames(string? list) =>
        list is null ? null : list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Leases live in a PostgreSQL table: an SQLite file is one machine's, and one process's at a time.</summary>
    public static async Task<PostgresEventStore> OpenPostgresAsync(string spec, string who, CancellationToken ct)
    {
        if (!StoreLocator.IsPostgres(spec))
            throw new ArgumentException($"{who} share work through a PostgreSQL store (--store postgres://...); '{spec}' is an SQLite file: use `replayer batch` or `replayer replay` there");
        return await PostgresEventStore.OpenAsync(spec, ct);
    }
}
