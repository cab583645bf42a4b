using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Npgsql;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Xunit;
using TraceSource = Replayer.Ingest.Formats.TraceSource;

namespace Replayer.Tests.Store;

/// <summary>
/// An ingest is all or nothing even when its process dies by SIGKILL, which no handler sees: the
/// built replayer CLI ingests a native file of two hosts, is killed while its one session is under
/// way, and the store must then hold the whole trace or none of it, and take a fresh ingest.
/// </summary>
public abstract class KillNineAtomicityContract : IAsyncLifetime
{
    private const string Trace = "killed";
    /// <summary>
    /// Enough that the ingest runs for a second or more: with the binary store form an ingest of
    /// 300,000 events was sometimes over before the test saw it a third of the way through.
    /// </summary>
    private const int Events = 1_000_000;

    /// <summary>The folder of the generated capture (and of the SQLite store).</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("replayer-kill-").FullName;
    private string Capture => Path.Combine(Dir, "big.jsonl");

    /// <summary>The --store value of a new, empty store.</summary>
    protected abstract Task<string> CreateStoreAsync();

    /// <summary>Whether the store shows, from outside, a write transaction open in another process.</summary>
    protected abstract Task<bool> WriterUnderWayAsync(string store);

    public Task InitializeAsync()
    {
        using var file = File.Create(Capture);
        using var w = new NativeWriter(file);
        w.WriteHeader(new TraceHeader(Trace, [new TraceSource("generated", "native", "h1", Events / 2, Events / 2, 0),
            new TraceSource("generated", "native", "h2", Events / 2, Events / 2, 0)]));
        for (int i = 0; i < Events; i++) w.Write(Generated(i));
        return Task.CompletedTask;
    }

    /// <summary>Fork, exec and exit of a child of tid 1000, in turn, on two hosts.</summary>
    private static PidEvent Generated(int i)
    {
        string host = i % 2 == 0 ? "h1" : "h2";
        int child = 2000 + i / 6;
        return (i / 2 % 3) switch
        {
            0 => new Fork { Host = host, Seq = i / 2, Time = i * 1000L, Tid = 1000, Comm = "sh", Child = child, Ret = child },
            1 => new Exec { Host = host, Seq = i / 2, Time = i * 1000L, Tid = child, Comm = "true", Filename = "/bin/true", Ret = 0 },
            _ => new Exit { Host = host, Seq = i / 2, Time = i * 1000L, Tid = child, Comm = "true", Code = 0, Group = true },
        };
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
        return Task.CompletedTask;
    }

    [StoreFact]
    public async Task An_ingest_killed_mid_session_leaves_all_or_none_and_a_fresh_ingest_then_succeeds()
    {
        var store = await CreateStoreAsync();
        using (var ingest = StartIngest(store))
        {
            try
            {
                await WaitUntilMidSessionAsync(ingest, store);
            }
            finally
            {
                // Killed here whatever happened, so that no ingest outlives a failed test.
                ingest.Kill();
                await ingest.WaitForExitAsync();
            }
            Assert.Equal(128 + 9, ingest.ExitCode);
        }

        await using (var s = await StoreLocator.OpenAsync(store))
        {
            var listed = (await new TraceCatalog(s).ListAsync()).SingleOrDefault(t => t.Trace == Trace);
            long kept = listed?.Events ?? 0;
            Assert.True(kept is 0 or Events, $"{kept} of {Events} events survived the kill: not all or none");
        }

        using (var again = StartIngest(store))
        {
            var stderr = again.StandardError.ReadToEndAsync();
            var stdout = again.StandardOutput.ReadToEndAsync();
            await again.WaitForExitAsync();
            Assert.True(again.ExitCode == 0, $"the ingest after the kill failed ({again.ExitCode}): {await stderr}{await stdout}");
        }
        await using (var s = await StoreLocator.OpenAsync(store))
        {
            var listed = Assert.Single(await new TraceCatalog(s).ListAsync(), t => t.Trace == Trace);
            Assert.Equal(Events, listed.Events);
            Assert.Equal(["h1", "h2"], listed.Hosts);
            var h2 = await new TraceCatalog(s).ReadHostAsync(Trace, "h2").ToListAsync();
            Assert.Equal(Enumerable.Range(0, Events / 2).Select(i => (long)i), h2.Select(e => e.Seq));
        }
    }

    private Process StartIngest(string store)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "replayer.dll"), "ingest", Capture, "--store", store })
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>
    /// Waits until the CLI has read a third of the capture (the session opens before the first
    /// line is read, and commits after the last) and the store shows its transaction.
    /// </summary>
    private async Task WaitUntilMidSessionAsync(Process ingest, string store)
    {
        long size = new FileInfo(Capture).Length;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (ingest.HasExited)
                Assert.Fail($"the ingest ended ({ingest.ExitCode}) before it could be killed mid-session: {await ingest.StandardError.ReadToEndAsync()}");
            if (deadline.Elapsed > TimeSpan.FromMinutes(2)) Assert.Fail("the ingest never got a third of the way through its capture");
            if (BytesRead(ingest.Id) > size / 3 && await WriterUnderWayAsync(store)) return;
            await Task.Delay(2);
        }
    }

    /// <summary>
    /// How many bytes the process has read (/proc/PID/io rchar). The descriptor's offset would not
    /// tell: .NET reads files by pread at offsets of its own. Assemblies are mapped, not read, so
    /// nearly all of this is the capture.
    /// </summary>
    private static long BytesRead(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/io").First(l => l.StartsWith("rchar:", StringComparison.Ordinal));
            return long.Parse(line["rchar:".Length..].Trim());
        }
        catch (IOException)
        {
            // The process ended between the check and the read.
            return 0;
        }
    }
}

public sealed class SqliteKillNineAtomicity : KillNineAtomicityContract
{
    private string File => Path.Combine(Dir, "store.db");

    protected override Task<string> CreateStoreAsync() => Task.FromResult(File);

    /// <summary>
    /// A writer holds SQLite's write lock: BEGIN IMMEDIATE finds the database busy. Through the raw
    /// API, which has no busy handler, since Microsoft.Data.Sqlite would retry for a second or more.
    /// </summary>
    protected override Task<bool> WriterUnderWayAsync(string store)
    {
        if (!System.IO.File.Exists(store)) return Task.FromResult(false);
        Batteries_V2.Init();
        if (raw.sqlite3_open_v2(store, out var db, raw.SQLITE_OPEN_READWRITE, null) != raw.SQLITE_OK) return Task.FromResult(false);
        using (db)
        {
            int rc = raw.sqlite3_exec(db, "BEGIN IMMEDIATE");
            if (rc == raw.SQLITE_OK) raw.sqlite3_exec(db, "ROLLBACK");
            return Task.FromResult(rc == raw.SQLITE_BUSY);
        }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresKillNineAtomicity(PostgresServer server) : KillNineAtomicityContract, INeedsPostgres
{
    protected override Task<string> CreateStoreAsync() => server.CreateDatabaseAsync();

    /// <summary>The server shows a COPY into the events table of this database with rows already sent.</summary>
    protected override async Task<bool> WriterUnderWayAsync(string store)
    {
        await using var c = new NpgsqlConnection(PostgresConnectionSpec.Parse(store).ConnectionString + ";Pooling=false");
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT coalesce(max(p.tuples_processed), 0) FROM pg_stat_progress_copy p
            WHERE p.datname = current_database() AND p.relid = to_regclass('events')
            """, c);
        return (long)(await cmd.ExecuteScalarAsync())! > 0;
    }
}
