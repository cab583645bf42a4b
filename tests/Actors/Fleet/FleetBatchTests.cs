using System.Text;
using Replayer.Actors.Fleet;
using Replayer.Actors.Replay;
using Replayer.Ingest.Store;
using Replayer.Replay.Engine;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Actors.Fleet;

/// <summary>Batches and single-host replays on one SQLite store, in process: reports from snapshots, idempotence, restores that wait.</summary>
public sealed class FleetBatchTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ReplaySettings Settings = new() { SnapshotEvery = 200 };

    private async Task<IEventStore> FleetStoreAsync(int hosts, int commands)
    {
        var store = await SqliteEventStore.OpenAsync(_dir.File($"store-{Guid.NewGuid():N}.db"));
        await FleetTrace.IngestAsync(store, _dir.File($"fleet-{Guid.NewGuid():N}.jsonl"), "fleet", FleetTrace.Events(hosts, commands));
        return store;
    }

    private static string Json(ReplayReport r) => Encoding.UTF8.GetString(r.ToJson());

    private static Task<ReplayResult> ReplayAsync(IEventStore store, params string[] hosts) =>
        TraceReplay.RunAsync(new ReplayJob { Store = store, Trace = "fleet", Settings = Settings, Hosts = hosts.Length == 0 ? null : hosts.ToHashSet() });

    [Fact]
    public async Task A_batch_writes_dated_reports_equal_to_the_replay_and_a_second_batch_does_no_work()
    {
        await using var reference = await FleetStoreAsync(4, 150);
        var expected = (await ReplayAsync(reference)).Report;
        Assert.Equal(4, expected.Hosts.Count);

        await using var store = await FleetStoreAsync(4, 150);
        var output = _dir.File("reports");
        var first = await FleetBatch.RunAsync(store, null, new BatchRequest { Out = output, Settings = Settings, Stamp = new DateTime(2026, 11, 22, 6, 0, 0, DateTimeKind.Utc) }, null, default);
        Assert.False(first.NothingNew);
        Assert.Equal(4, first.NewHosts);
        Assert.Equal(expected.Events, first.Replayed);
        Assert.Equal(Path.Combine(output, "2026-11-22T060000Z"), first.Folder);
        Assert.Equal(Json(expected), await File.ReadAllTextAsync(Path.Combine(first.Folder!, "fleet", "report.json")));
        Assert.Contains("| fleet | h03 |", await File.ReadAllTextAsync(Path.Combine(first.Folder!, FleetSummary.Markdown)));

        var second = await FleetBatch.RunAsync(store, null, new BatchRequest { Out = output, Settings = Settings, Stamp = new DateTime(2026, 11, 22, 6, 0, 1, DateTimeKind.Utc) }, null, default);
        Assert.True(second.NothingNew);
        Assert.Equal(0, second.Replayed);
        Assert.Null(second.Folder);
        Assert.Equal(["2026-11-22T060000Z"], Directory.GetDirectories(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_host_replayed_alone_stops_just_before_a_restore_whose_source_has_not_passed_the_checkpoint()
    {
        await using var reference = await FleetStoreAsync(2, 90);
        var expected = (await ReplayAsync(reference)).Report;

        await using var store = await FleetStoreAsync(2, 90);
        // h00 restores h01's VPS, checkpointed a third of the way through h01: not replayed yet.
        var blocked = await ReplayAsync(store, "h00");
        var h00 = Assert.Single(blocked.Hosts);
        Assert.False(blocked.Complete);
        Assert.Equal(new ImageKey("h01", "h00", "102", 0), h00.WaitingFor);
        long stoppedAt = h00.Result.Replay.Position;
        Assert.Equal(stoppedAt - 1, (await store.LoadSnapshotAsync(ReplayStreams.Snapshot("fleet", "h00", Settings)))!.Revision.Value);

        var h01 = await ReplayAsync(store, "h01");
        Assert.True(h01.Complete);
        var resumed = await ReplayAsync(store, "h00");
        Assert.True(resumed.Complete);
        Assert.Equal(expected.Hosts[0].Events - stoppedAt, resumed.Replayed);

        var hosts = await FleetScan.ScanAsync(store, Settings, null, default);
        Assert.All(hosts, h => Assert.True(h.UpToDate));
        Assert.Equal(Json(expected), Json(await StoredReport.BuildAsync(store, "fleet", hosts, default)));
    }

    [Fact]
    public async Task A_restore_whose_source_finished_without_its_image_in_the_store_gets_none_instead_of_waiting()
    {
        await using var store = await FleetStoreAsync(2, 90);
        Assert.True((await ReplayAsync(store)).Complete);
        // As if h01's replay had ended without the checkpoint: at its end, and no image in the
        // store; h00's replay starts over (its snapshots gone).
        await store.DeleteStreamsAsync([ReplayStreams.Image("fleet", Settings, new ImageKey("h01", "h00", "102", 0)), ReplayStreams.Snapshot("fleet", "h00", Settings)]);
        var alone = await ReplayAsync(store, "h00");
        Assert.True(alone.Complete);
        Assert.Null(alone.Hosts[0].WaitingFor);
        Assert.Equal(alone.Report.Events, alone.Replayed);
    }

    [Fact]
    public async Task A_store_failure_while_the_coordinator_saves_an_image_ends_the_replay_with_the_error_instead_of_hanging()
    {
        await using var store = await FleetStoreAsync(2, 90);
        var failing = new FailingStore(store, stream => stream.Contains("#image/"));
        var replay = TraceReplay.RunAsync(new ReplayJob { Store = failing, Trace = "fleet", Settings = Settings });
        Assert.Same(replay, await Task.WhenAny(replay, Task.Delay(TimeSpan.FromMinutes(1))));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => replay);
        Assert.NotNull(FleetWorker.TransientCause(e));
    }
}
