using System.Text;
using Replayer.Actors.Replay;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Synthetic;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Replay.Engine;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Actors.Replay;

/// <summary>The actor replay of stored traces: the same books as the one-thread reference, resumable, and finishing past failures.</summary>
public sealed class TraceReplayTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<IEventStore> StoreWithAsync(params string[] captures)
    {
        var store = await SqliteEventStore.OpenAsync(_dir.File($"store-{Guid.NewGuid():N}.db"));
        await new TraceIngest(store, CaptureFormats.All).RunAsync(new IngestRequest(captures.Select(Repo.PathOf).ToList(), Trace: "t"));
        return store;
    }

    private static Task<ReplayResult> ReplayAsync(IEventStore store, ReplaySettings? settings = null, long? stopAfter = null,
        bool fromStart = false, ContainerActor.Inspector? inspect = null, Action<string, PidEvent>? beforeStep = null,
        Action<string, PidEvent>? beforeAhead = null, bool ahead = true) =>
        TraceReplay.RunAsync(new ReplayJob
        {
            Store = store, Trace = "t", Settings = settings ?? new ReplaySettings(), StopAfter = stopAfter,
            FromStart = fromStart, Inspect = inspect, BeforeStep = beforeStep, BeforeAhead = beforeAhead, Ahead = ahead,
        });

    private static string Json(ReplayReport r) => Encoding.UTF8.GetString(r.ToJson());

    [Theory]
    [InlineData("traces/captures/d-initdeath.txt")]
    [InlineData("traces/captures/f-nsenter.txt")]
    [InlineData("traces/captures/a-nested.txt")]
    public async Task The_actor_replay_keeps_the_same_books_as_the_one_thread_replay(string capture)
    {
        await using var store = await StoreWithAsync(capture);
        var actors = await ReplayAsync(store);
        var events = new List<PidEvent>();
        await foreach (var ev in new TraceCatalog(store).ReadHostAsync("t", "local")) events.Add(ev);
        var serial = SerialReplay.Run("t", new ReplaySettings(), events);
        Assert.True(actors.Complete);
        Assert.Equal(events.Count, actors.Report.Events);
        Assert.Equal(Json(serial), Json(actors.Report));
    }

    [Fact]
    public async Task Replaying_twice_gives_byte_identical_reports_and_the_second_does_no_work()
    {
        await using var store = await StoreWithAsync("traces/captures/d-initdeath.txt");
        var first = await ReplayAsync(store);
        var second = await ReplayAsync(store);
        var third = await ReplayAsync(store, fromStart: true);
        Assert.True(first.Replayed > 0);
        Assert.Equal(0, second.Replayed);
        Assert.Equal(first.Report.ToJson(), second.Report.ToJson());
        Assert.Equal(first.Report.ToJson(), third.Report.ToJson());
    }

    [Fact]
    public async Task A_snapshot_another_version_wrote_is_not_resumed_from_the_stream_is_replayed_from_its_start()
    {
        // After an upgrade, a snapshot whose models' state has another layout: the replay does
        // not fail on it (the events are the record), it replays the host from the start.
        var store = await StoreWithAsync("traces/captures/f-nsenter.txt");
        var first = await ReplayAsync(store);
        var stream = ReplayStreams.Snapshot("t", "local", new ReplaySettings());
        var saved = await store.LoadSnapshotAsync(stream);
        Assert.NotNull(saved);
        Assert.Equal(ReplayStreams.SnapshotType, saved.Type);
        using (var old = new MemoryStream(saved.State.ToArray()))
            await store.SaveSnapshotAsync(stream, saved.Revision, "replay-host/1", old);

        var again = await ReplayAsync(store);
        Assert.Equal(first.Replayed, again.Replayed);
        Assert.Equal(Json(first.Report), Json(again.Report));
        Assert.Equal(ReplayStreams.SnapshotType, (await store.LoadSnapshotAsync(stream))!.Type);
        Assert.Equal(0, (await ReplayAsync(store)).Replayed);
    }

    [Theory]
    [InlineData(1, 50)]
    [InlineData(17, 100)]
    [InlineData(100, 150)]
    [InlineData(1000, 60)]
    public async Task A_replay_stopped_and_resumed_gives_the_report_of_a_replay_straight_through(int snapshotEvery, long stopAfter)
    {
        await using var whole = await StoreWithAsync("traces/captures/d-initdeath.txt");
        var straight = await ReplayAsync(whole, new ReplaySettings { SnapshotEvery = snapshotEvery });

        await using var store = await StoreWithAsync("traces/captures/d-initdeath.txt");
        var settings = new ReplaySettings { SnapshotEvery = snapshotEvery };
        var stopped = await ReplayAsync(store, settings, stopAfter: stopAfter);
        Assert.False(stopped.Complete);
        Assert.Equal(stopAfter, stopped.Report.Events);
        var resumed = await ReplayAsync(store, settings);
        Assert.True(resumed.Complete);
        Assert.Equal(straight.Report.Events - stopAfter, resumed.Replayed);
        Assert.Equal(Json(straight.Report), Json(resumed.Report));
    }

    [Theory]
    [InlineData(150, 1_000)]
    [InlineData(700, 97)]
    public async Task A_fleet_with_migrations_stopped_and_resumed_gives_the_report_of_a_replay_straight_through(long stopAfter, int snapshotEvery)
    {
        var spec = WorkloadSpec.Named("migration") with { Hosts = 6, Events = 12_000, Seed = 11 };
        var settings = new ReplaySettings { PidMax = spec.PidMax, SnapshotEvery = snapshotEvery };
        await using var store = await SqliteEventStore.OpenAsync(_dir.File($"store-{Guid.NewGuid():N}.db"));
        await new TraceIngest(store, CaptureFormats.All).RunAsync("t", "migration", "synthetic", NestedKernel.Trace(spec));
        var straight = await ReplayAsync(store, settings, fromStart: true);
        Assert.True(straight.Report.Divergences.Total > 0);
        var serial = SerialReplay.Run("t", settings, NestedKernel.Trace(spec));
        Assert.Equal(Json(serial), Json(straight.Report));

        var stopped = await ReplayAsync(store, settings, stopAfter: stopAfter, fromStart: true);
        Assert.False(stopped.Complete);
        var resumed = await ReplayAsync(store, settings);
        Assert.True(resumed.Complete);
        Assert.Equal(Json(straight.Report), Json(resumed.Report));
    }

    [Fact]
    public async Task A_container_actor_that_throws_is_restarted_from_its_snapshot_and_the_event_is_quarantined()
    {
        await using var store = await StoreWithAsync("traces/captures/d-initdeath.txt");
        var clean = await ReplayAsync(store, fromStart: true);
        var c1 = clean.Report.Containers.Single(c => c.Id == "c1");
        // The container's tenth event fails every time it is booked; the snapshots come every 20 events.
        long victim = -1;
        int seen = 0;
        var settings = new ReplaySettings { SnapshotEvery = 20 };
        var faulty = await ReplayAsync(store, settings, fromStart: true, inspect: (string host, string container, in Booking b) =>
        {
            if (container != "c1") return;
            if (victim < 0 && ++seen == 10) victim = b.Position;
            if (b.Position == victim) throw new InvalidOperationException("injected <fault>");
        });
        Assert.True(faulty.Complete);
        var q = Assert.Single(faulty.Report.Quarantined);
        Assert.Equal(victim, q.Event.Position);
        Assert.Equal("c1", q.Container);
        Assert.Contains("injected <fault>", q.Error);
        var f1 = faulty.Report.Containers.Single(c => c.Id == "c1");
        Assert.Equal(c1.Events - 1, f1.Events);
        Assert.Equal(1, f1.Quarantined);
        // Every other container's books are untouched.
        Assert.Equal(clean.Report.Containers.Single(c => c.Id == "host").Events, faulty.Report.Containers.Single(c => c.Id == "host").Events);
    }

    [Fact]
    public async Task A_model_that_throws_on_an_event_is_brought_back_and_the_event_is_quarantined()
    {
        await using var store = await StoreWithAsync("traces/captures/d-initdeath.txt");
        var clean = await ReplayAsync(store, fromStart: true);
        var settings = new ReplaySettings { SnapshotEvery = 40 };
        var faulty = await ReplayAsync(store, settings, fromStart: true, beforeStep: (host, ev) =>
        {
            if (ev.Seq == 101) throw new InvalidDataException("injected model fault");
        });
        Assert.True(faulty.Complete);
        var q = Assert.Single(faulty.Report.Quarantined);
        Assert.Equal(101, q.Event.Position);
        Assert.Contains("injected model fault", q.Error);
        Assert.Equal(clean.Report.Events, faulty.Report.Events);
        Assert.Equal(clean.Report.Containers.Sum(c => c.Events) - 1, faulty.Report.Containers.Sum(c => c.Events));
    }

    [Fact]
    public async Task The_model_run_ahead_on_the_lane_that_throws_is_brought_back_like_the_host_s_own()
    {
        await using var store = await StoreWithAsync("traces/captures/d-initdeath.txt");
        var settings = new ReplaySettings { SnapshotEvery = 40 };
        var onHost = await ReplayAsync(store, settings, fromStart: true, ahead: false, beforeStep: (host, ev) =>
        {
            if (ev.Seq == 101) throw new InvalidDataException("injected model fault");
        });
        var onLane = await ReplayAsync(store, settings, fromStart: true, beforeAhead: (host, ev) =>
        {
            if (ev.Seq == 101) throw new InvalidDataException("injected model fault");
        });
        Assert.True(onLane.Complete);
        Assert.Equal(101, Assert.Single(onLane.Report.Quarantined).Event.Position);
        Assert.Equal(Json(onHost.Report), Json(onLane.Report));
    }

    [Theory]
    [InlineData(997, null, null)]
    [InlineData(1000, 4321L, null)]
    [InlineData(250, null, 12_345L)]
    [InlineData(1000, null, null, 64)]
    [InlineData(997, 4321L, null, 100)]
    public async Task A_long_stream_through_the_lane_keeps_the_books_of_the_one_thread_replay(int snapshotEvery, long? hostFault, long? laneFault, long batchAge = 1 << 18)
    {
        // Many segments, snapshots between them, and a failure of either model in the middle of
        // one; with a small batch age, the containers' batches also go out before they are full.
        var spec = WorkloadSpec.Named("mixed") with { Hosts = 1, Containers = 40, Events = 30_000, Seed = 5 };
        var settings = new ReplaySettings { PidMax = spec.PidMax, SnapshotEvery = snapshotEvery, BatchAge = batchAge };
        await using var store = await SqliteEventStore.OpenAsync(_dir.File($"store-{Guid.NewGuid():N}.db"));
        await new TraceIngest(store, CaptureFormats.All).RunAsync("t", "mixed", "synthetic", NestedKernel.Trace(spec));
        var actors = await ReplayAsync(store, settings, fromStart: true,
            beforeStep: (host, ev) => { if (ev.Seq == hostFault) throw new InvalidDataException("injected model fault"); },
            beforeAhead: (host, ev) => { if (ev.Seq == laneFault) throw new InvalidDataException("injected model fault"); });
        Assert.True(actors.Complete);
        Assert.Equal(spec.Events, actors.Report.Events);
        if ((hostFault ?? laneFault) is { } fault)
        {
            Assert.Equal(fault, Assert.Single(actors.Report.Quarantined).Event.Position);
            // The reference: both models on the host actor's thread, the same event failing there.
            var onHost = await ReplayAsync(store, settings, fromStart: true, ahead: false,
                beforeStep: (host, ev) => { if (ev.Seq == fault) throw new InvalidDataException("injected model fault"); });
            Assert.Equal(Json(onHost.Report), Json(actors.Report));
        }
        else
        {
            Assert.Equal(Json(SerialReplay.Run("t", settings, NestedKernel.Trace(spec))), Json(actors.Report));
        }
    }

    [Fact]
    public async Task An_unknown_trace_is_not_found()
    {
        await using var store = await SqliteEventStore.OpenAsync(_dir.File("empty.db"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => ReplayAsync(store));
    }
}
