using System.Runtime.InteropServices;
using System.Text;
using Npgsql;
using Replayer.Actors.Fleet;
using Replayer.Actors.Replay;
using Replayer.Ingest.Events;
using Replayer.Ingest.Store;
using Replayer.Replay.Engine;
using Replayer.Tests.Actors.Fleet;
using Replayer.Tests.Store;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Cli;

/// <summary>
/// `replayer worker` processes sharing a real PostgreSQL store, and `replayer batch` on it: the
/// fleet's report equals one process's replay whatever the workers went through (a SIGKILL, a
/// server restart), and a store that cannot be written gives a clear error and no report.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetWorkerTests(PostgresServer server) : IDisposable, INeedsPostgres
{
    private const string Trace = "fleet";
    private static readonly ReplaySettings Settings = new() { SnapshotEvery = 500 };

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The fleet in a new PostgreSQL database (its URI), and the report one process's replay of the same events gives.</summary>
    private Task<(string Uri, string Expected)> FleetAsync(int hosts, int commands) => FleetAsync(FleetTrace.Events(hosts, commands), Settings);

    private async Task<(string Uri, string Expected)> FleetAsync(IReadOnlyList<PidEvent> events, ReplaySettings settings)
    {
        var uri = await server.CreateDatabaseAsync();
        await using (var pg = await PostgresEventStore.OpenAsync(uri))
        {
            await FleetTrace.IngestAsync(pg, _dir.File("fleet-pg.jsonl"), Trace, events);
            await PostgresLeases.OpenAsync(pg);
        }
        await using var sqlite = await SqliteEventStore.OpenAsync(_dir.File($"reference-{Guid.NewGuid():N}.db"));
        await FleetTrace.IngestAsync(sqlite, _dir.File("fleet-sqlite.jsonl"), Trace, events);
        var reference = await TraceReplay.RunAsync(new ReplayJob { Store = sqlite, Trace = Trace, Settings = settings });
        return (uri, Encoding.UTF8.GetString(reference.Report.ToJson()));
    }

    private static ReplayerProcess.Running Worker(string uri, ReplaySettings settings) =>
        ReplayerProcess.Start(uri, "worker", "--exit-when-idle", "--lease-seconds", "3", "--snapshot-every", "500", "--pid-max", $"{settings.PidMax}");

    private static async Task<string> StoredJsonAsync(string uri, ReplaySettings settings)
    {
        await using var store = await PostgresEventStore.OpenAsync(uri);
        var hosts = await FleetScan.ScanAsync(store, settings, null, default);
        return Encoding.UTF8.GetString((await StoredReport.BuildAsync(store, Trace, hosts, default)).ToJson());
    }

    private static async Task<T?> ScalarAsync<T>(string uri, string sql, params (string, object)[] args)
    {
        var b = PostgresConnectionSpec.Parse(uri);
        b.Pooling = false;
        await using var c = new NpgsqlConnection(b.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return await cmd.ExecuteScalarAsync() is T t ? t : default;
    }

    private const int SIGCONT = 18, SIGSTOP = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int sig);

    private static void Signal(int pid, int sig)
    {
        if (Kill(pid, sig) != 0) throw new InvalidOperationException($"kill({pid}, {sig}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [StoreFact]
    public async Task Three_workers_one_killed_mid_replay_give_the_report_of_one_process_and_a_second_batch_does_nothing()
    {
        // Twenty hosts in a ring of migrations: each checkpoints its VPS and the next restores it.
        var events = FleetTrace.Events(20, 1500);
        var (uri, expected) = await FleetAsync(events, Settings);
        var workers = Enumerable.Range(0, 3).Select(_ => Worker(uri, Settings)).ToList();
        try
        {
            var victim = workers[0];
            string owner = $"{Environment.MachineName}:{victim.Process.Id}";
            // Killed once it is inside a host's replay: holding the lease, a snapshot saved, the end not reached.
            // The victim is stopped while that is read, so it cannot finish the host between the reads and the kill
            // (which would leave no work for the others); what it sent before stopping is given time to land.
            string? killedIn = null;
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (killedIn is null && DateTime.UtcNow < deadline && !victim.Process.HasExited)
            {
                var stream = await ScalarAsync<string>(uri, "SELECT stream FROM replay_leases WHERE owner = @o", ("o", owner));
                if (stream is null)
                {
                    await Task.Delay(10);
                    continue;
                }
                Signal(victim.Process.Id, SIGSTOP);
                await Task.Delay(200);
                stream = await ScalarAsync<string>(uri, "SELECT stream FROM replay_leases WHERE owner = @o", ("o", owner));
                if (stream is not null
                    && await ScalarAsync<long?>(uri, "SELECT max(revision) FROM snapshots WHERE stream = @s", ("s", $"{stream}#replay/{Settings.Key}")) is long at
                    && await ScalarAsync<long?>(uri, "SELECT last FROM streams WHERE name = @s", ("s", stream)) is long last && at < last)
                {
                    victim.Process.Kill();
                    killedIn = stream;
                }
                else
                {
                    Signal(victim.Process.Id, SIGCONT);
                    await Task.Delay(10);
                }
            }
            Assert.NotNull(killedIn);
            for (int i = 1; i < 3; i++) Assert.Equal(0, await workers[i].ExitAsync(TimeSpan.FromMinutes(3)));
            // Whether a worker had to stop before a restore and let its host go depends on which
            // hosts the workers happened to take first; FleetBatchTests pins that rule in process.
            // The killed worker's host was taken up by another worker where its snapshot left it, after its lease expired.
            string host = killedIn[(killedIn.LastIndexOf('/') + 1)..];
            long hostEvents = events.Count(e => e.Host == host);
            var lines = workers.Skip(1).SelectMany(w => w.Stderr.Split('\n')).ToList();
            Assert.True(lines.Any(line => line.Contains($"{Trace}/{host}: replayed ") && line.Contains("to the end") && !line.Contains($"replayed {hostEvents:N0} events")),
                $"killed in {killedIn} ({hostEvents:N0} events); the other workers said:\n{string.Join('\n', lines)}\nthe victim said:\n{victim.Stderr}");
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
        Assert.Equal(expected, await StoredJsonAsync(uri, Settings));

        var output = _dir.File("reports");
        var first = ReplayerProcess.Run(uri, "batch", "--out", output);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("20 of 20 host stream(s) had new events; replayed 0 events", first.Stdout);
        var folder = Assert.Single(Directory.GetDirectories(output));
        Assert.Equal(expected, await File.ReadAllTextAsync(Path.Combine(folder, Trace, "report.json")));
        Assert.True(File.Exists(Path.Combine(folder, FleetSummary.Markdown)));

        var second = ReplayerProcess.Run(uri, "batch", "--out", output, "--json");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("\"nothing_new\": true", second.Stdout);
        Assert.Contains("\"replayed\": 0", second.Stdout);
        Assert.Single(Directory.GetDirectories(output));
    }

    [StoreFact]
    public async Task A_batch_and_a_worker_reconnect_after_a_PostgreSQL_restart_and_the_report_is_the_same()
    {
        var (uri, expected) = await FleetAsync(6, 1500);
        var output = _dir.File("reports");
        using var worker = Worker(uri, Settings);
        using var batch = ReplayerProcess.Start(uri, "batch", "--out", output);
        // Restarted once the replay is under way: some snapshot saved.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await ScalarAsync<long?>(uri, "SELECT count(*) FROM snapshots") is not > 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        await server.RestartAsync();
        Assert.True(await batch.ExitAsync(TimeSpan.FromMinutes(3)) == 0, batch.Stderr);
        Assert.True(await worker.ExitAsync(TimeSpan.FromMinutes(3)) == 0, worker.Stderr);
        Assert.True(worker.Stderr.Contains("store unavailable, retrying") || batch.Stderr.Contains("store unavailable, retrying"), worker.Stderr + batch.Stderr);
        Assert.Equal(expected, await StoredJsonAsync(uri, Settings));
        var folder = Assert.Single(Directory.GetDirectories(output));
        Assert.Equal(expected, await File.ReadAllTextAsync(Path.Combine(folder, Trace, "report.json")));
    }

    [StoreFact]
    public async Task A_batch_on_a_read_only_store_fails_with_a_clear_error_and_writes_no_report()
    {
        var (uri, _) = await FleetAsync(2, 50);
        var database = PostgresConnectionSpec.Parse(uri).Database;
        await using (var c = new NpgsqlConnection(server.AdminConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"ALTER DATABASE {database} SET default_transaction_read_only = on", c);
            await cmd.ExecuteNonQueryAsync();
        }
        var output = _dir.File("reports");
        var r = ReplayerProcess.Run(uri, "batch", "--out", output);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("is read-only", r.Stderr);
        Assert.Equal([Replayer.Cli.Commands.BatchCommand.LockFile], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
    }
}
