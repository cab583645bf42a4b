using Replayer.Cli.Commands;
using Replayer.Ingest.Store;
using Replayer.Tests.Actors.Fleet;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Cli;

/// <summary>`replayer batch` as a scheduler runs it: a config file, dated reports, nothing done twice, one batch at a time.</summary>
public sealed class BatchCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<string> StoreAsync()
    {
        var path = _dir.File("store.db");
        await using var store = await SqliteEventStore.OpenAsync(path);
        await FleetTrace.IngestAsync(store, _dir.File("fleet.jsonl"), "fleet", FleetTrace.Events(3, 40));
        return path;
    }

    [Fact]
    public async Task A_batch_from_a_config_file_writes_a_dated_report_and_the_next_one_says_there_is_nothing_new()
    {
        var store = await StoreAsync();
        var config = _dir.File("batch.yaml");
        await File.WriteAllTextAsync(config, $"store: {store}\nout: {_dir.File("reports")}\ntraces: [fleet]\nmodels: [nested, vpid]\n");
        var first = ReplayerProcess.Run("/nonexistent/unused.db", "batch", "--config", config);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("3 of 3 host stream(s) had new events; replayed", first.Stdout);
        var folder = Assert.Single(Directory.GetDirectories(_dir.File("reports")));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d{6}Z$", Path.GetFileName(folder));
        foreach (var f in new[] { "fleet.md", "fleet.json", "fleet/report.html", "fleet/report.json", "fleet/divergences.csv", "fleet/summary.md" })
            Assert.True(File.Exists(Path.Combine(folder, f)), f);

        var second = ReplayerProcess.Run("/nonexistent/unused.db", "batch", "--config", config);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("nothing new since the last batch", second.Stdout);
        Assert.Contains("no replay work", second.Stdout);
        Assert.Single(Directory.GetDirectories(_dir.File("reports")));
    }

    [Fact]
    public async Task A_batch_while_another_holds_the_folder_exits_75()
    {
        var store = await StoreAsync();
        var output = _dir.File("reports");
        Directory.CreateDirectory(output);
        using var held = new FileStream(Path.Combine(output, BatchCommand.LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var r = ReplayerProcess.Run(store, "batch", "--out", output);
        Assert.Equal(75, r.ExitCode);
        Assert.Contains("another batch is writing into", r.Stderr);
        Assert.Empty(Directory.GetDirectories(output));
    }

    [Fact]
    public void A_config_file_with_an_unknown_key_names_the_file_and_line()
    {
        var config = _dir.File("batch.yaml");
        File.WriteAllText(config, "out: /tmp/x\nmodel: nested\n");
        var r = ReplayerProcess.Run(_dir.File("store.db"), "batch", "--config", config);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{config}:2: unknown key 'model'", r.Stderr);
    }

    [Fact]
    public void A_worker_on_an_SQLite_store_is_told_to_use_PostgreSQL()
    {
        var r = ReplayerProcess.Run(_dir.File("store.db"), "worker");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("share work through a PostgreSQL store", r.Stderr);
    }
}
