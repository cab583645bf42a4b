using System.Collections.Concurrent;
using System.Text;
using Replayer.Ingest.Store;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Store;

/// <summary>
/// What every backend of <see cref="IEventStore"/> must do, written once: EventStoreDB's semantics
/// as EVENTS.md states them. Each test gets a fresh, empty store.
/// </summary>
public abstract class EventStoreContract : IAsyncLifetime
{
    /// <summary>The store under test, opened afresh for each test.</summary>
    protected IEventStore Store { get; private set; } = null!;

    /// <summary>Creates a new, empty store and opens it.</summary>
    protected abstract Task<IEventStore> CreateAsync();

    /// <summary>Opens the store of this test a second time, as another process would: its own connections.</summary>
    protected abstract Task<IEventStore> ReopenAsync();

    /// <summary>Records another schema version in this test's store, as a newer replayer would have made it.</summary>
    protected abstract Task SetSchemaVersionAsync(string version);

    /// <summary>Opens an empty store of an older schema version, laid out as a replayer of that version made it.</summary>
    protected abstract Task<IEventStore> OpenOlderAsync(string version);

    public async Task InitializeAsync() => Store = await CreateAsync();

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private static EventData Ev(string body = "{}") => new(Guid.NewGuid(), "Tested", Encoding.UTF8.GetBytes(body));

    protected static EventData[] Evs(int n) => Enumerable.Range(0, n).Select(i => Ev($"{{\"n\":{i}}}")).ToArray();

    private async Task<List<RecordedEvent>> ReadStream(string stream, long from = 0) =>
        await Store.ReadStreamAsync(stream, new StreamRevision(from)).ToListAsync();

    private async Task<List<RecordedEvent>> ReadAll(long after = 0) => await Store.ReadAllAsync(new Position(after)).ToListAsync();

    [StoreFact]
    public async Task Appended_events_read_back_in_order_with_their_ids_types_data_and_revisions()
    {
        var evs = Evs(5);
        var r = await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs);
        Assert.Equal(new StreamAppend(5, 0, new StreamRevision(4)), r);

        var read = await ReadStream("a");
        Assert.Equal(evs.Select(e => e.Id), read.Select(e => e.Id));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (long)i), read.Select(e => e.Revision.Value));
        Assert.All(read, e => Assert.Equal("Tested", e.Type));
        Assert.Equal(evs.Select(e => Encoding.UTF8.GetString(e.Data.Span)), read.Select(e => Encoding.UTF8.GetString(e.Data.Span)));
        Assert.Equal(read.Select(e => e.Position).Order(), read.Select(e => e.Position));
        Assert.All(read, e => Assert.InRange(e.Created, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Equal([3L, 4L], (await ReadStream("a", 3)).Select(e => e.Revision.Value));
        Assert.Equal(2, await Store.ReadStreamAsync("a", StreamRevision.Start, maxCount: 2).CountAsync());
        Assert.Empty(await ReadStream("never-written"));
    }

    [StoreFact]
    public async Task A_replay_read_gives_the_revisions_and_data_of_a_stream_into_one_reused_chunk()
    {
        var evs = Evs(40);
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs);
        await Store.AppendToStreamAsync("b", ExpectedRevision.NoStream, Evs(3));
        // A chunk smaller than the run it is given: its buffers grow.
        var chunk = new EventChunk(capacity: 4, bytesPerEvent: 16);

        Assert.Equal(25, await Store.ReadStreamDataAsync("a", new StreamRevision(10), 25, chunk));
        Assert.Equal("a", chunk.Stream);
        Assert.Equal(Enumerable.Range(10, 25).Select(i => (long)i), Enumerable.Range(0, chunk.Count).Select(chunk.Revision));
        Assert.Equal(evs.Skip(10).Take(25).Select(e => Encoding.UTF8.GetString(e.Data.Span)),
            Enumerable.Range(0, chunk.Count).Select(i => Encoding.UTF8.GetString(chunk.Data(i))));

        Assert.Equal(5, await Store.ReadStreamDataAsync("a", new StreamRevision(35), 100, chunk));
        Assert.Equal(39L, chunk.Revision(4));
        Assert.Equal(Encoding.UTF8.GetString(evs[39].Data.Span), Encoding.UTF8.GetString(chunk.Data(4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => chunk.Data(5).Length);
        Assert.Equal(0, await Store.ReadStreamDataAsync("a", new StreamRevision(40), 10, chunk));
        Assert.Equal(0, await Store.ReadStreamDataAsync("never-written", StreamRevision.Start, 10, chunk));
        Assert.Equal(0, chunk.Count);
    }

    [StoreFact]
    public async Task A_replay_read_from_any_revision_in_chunks_of_any_size_gives_what_a_read_of_whole_events_gives()
    {
        // Runs longer and shorter than a block of the SQLite store (64 events, 8 KiB), one event
        // longer than a block, and another stream's events in the same session between a's.
        var a = Evs(200);
        a[100] = new EventData(Guid.NewGuid(), "Tested", Encoding.UTF8.GetBytes(new string('x', 10_000)));
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, a[..70]);
        await Store.AppendToStreamAsync("a", ExpectedRevision.Any, a[70..71]);
        await using (var session = await Store.BeginAppendAsync())
        {
            for (int i = 71; i < 200; i++)
            {
                await session.AppendAsync("a", ExpectedRevision.Any, a[i]);
                if (i % 50 == 0) await session.AppendAsync("b", ExpectedRevision.Any, Evs(1)[0]);
            }
            await session.CommitAsync();
        }
        var whole = await ReadStream("a");
        Assert.Equal(a.Select(e => e.Id), whole.Select(e => e.Id));
        Assert.Equal(a.Select(e => Encoding.UTF8.GetString(e.Data.Span)), whole.Select(e => Encoding.UTF8.GetString(e.Data.Span)));
        Assert.Equal(a.Select(e => e.Id), (await ReadAll()).Where(e => e.Stream == "a").Select(e => e.Id));

        var chunk = new EventChunk(capacity: 8);
        foreach (int from in new[] { 0, 1, 63, 64, 65, 69, 70, 71, 100, 127, 128, 199, 200 })
            foreach (int count in new[] { 1, 7, 64, 65, 1000 })
            {
                int expected = Math.Max(0, Math.Min(count, 200 - from));
                Assert.Equal(expected, await Store.ReadStreamDataAsync("a", new StreamRevision(from), count, chunk));
                for (int i = 0; i < expected; i++)
                {
                    Assert.Equal(from + i, chunk.Revision(i));
                    Assert.True(a[from + i].Data.Span.SequenceEqual(chunk.Data(i)), $"revision {from + i}, read from {from} for {count}");
                }
            }
    }

    [StoreFact]
    public async Task A_replay_read_across_appends_interleaved_with_other_streams_gives_every_revision_in_order()
    {
        // a: 0-4, b, a: 5-9, c, a: 10-10, b, a: 11-13: runs of a's positions broken by others'.
        var a = Evs(14);
        var runs = new[] { (0, 5), (5, 5), (10, 1), (11, 3) };
        var others = new[] { "b", "c", "b", null };
        for (int r = 0; r < runs.Length; r++)
        {
            var (start, n) = runs[r];
            await Store.AppendToStreamAsync("a", ExpectedRevision.Any, a.Skip(start).Take(n));
            if (others[r] is { } other) await Store.AppendToStreamAsync(other, ExpectedRevision.Any, Evs(2));
        }
        var chunk = new EventChunk(capacity: 2, bytesPerEvent: 8);
        for (int from = 0; from < 14; from++)
            for (int count = 1; count <= 15 - from; count++)
            {
                int expected = Math.Min(count, 14 - from);
                Assert.Equal(expected, await Store.ReadStreamDataAsync("a", new StreamRevision(from), count, chunk));
                Assert.Equal(Enumerable.Range(from, expected).Select(i => (long)i), Enumerable.Range(0, chunk.Count).Select(chunk.Revision));
                Assert.Equal(a.Skip(from).Take(expected).Select(e => Encoding.UTF8.GetString(e.Data.Span)),
                    Enumerable.Range(0, chunk.Count).Select(i => Encoding.UTF8.GetString(chunk.Data(i))));
            }
        Assert.Equal(4, await Store.ReadStreamDataAsync("b", StreamRevision.Start, 10, chunk));
        Assert.Equal([0L, 1L, 2L, 3L], Enumerable.Range(0, chunk.Count).Select(chunk.Revision));
    }

    [StoreFact]
    public async Task A_snapshot_saved_from_a_stream_reads_back_whole_from_where_the_stream_stood()
    {
        var state = new byte[3_000_000];
        new Random(5).NextBytes(state);
        using var source = new MemoryStream(state);
        source.Position = 1_000;
        await Store.SaveSnapshotAsync("a", new StreamRevision(7), "V1", source);
        var s = await Store.LoadSnapshotAsync("a");
        Assert.Equal(new StreamRevision(7), s!.Revision);
        Assert.True(s.State.Span.SequenceEqual(state.AsSpan(1_000)));
    }

    [StoreFact]
    public async Task Read_all_gives_every_stream_by_global_position_after_the_one_given()
    {
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(2));
        await Store.AppendToStreamAsync("b", ExpectedRevision.NoStream, Evs(1));
        await Store.AppendToStreamAsync("a", ExpectedRevision.Exact(new StreamRevision(1)), Evs(1));

        var all = await ReadAll();
        Assert.Equal(["a", "a", "b", "a"], all.Select(e => e.Stream));
        Assert.Equal([0L, 1L, 0L, 2L], all.Select(e => e.Revision.Value));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Position.Value < p.Second.Position.Value));
        Assert.Equal(all[^1].Position, await Store.LastPositionAsync());
        Assert.Equal(all.Skip(2).Select(e => e.Id), (await ReadAll(all[1].Position.Value)).Select(e => e.Id));
        Assert.Equal(2, await Store.ReadAllAsync(Position.Start, maxCount: 2).CountAsync());
    }

    [StoreFact]
    public async Task An_empty_store_is_at_the_start_position()
    {
        Assert.Equal(Position.Start, await Store.LastPositionAsync());
        Assert.Empty(await ReadAll());
    }

    [StoreFact]
    public async Task NoStream_fails_once_the_stream_exists()
    {
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(1));
        var e = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(1)));
        Assert.Equal(StreamRevision.Start, e.Actual);
        Assert.Single(await ReadStream("a"));
    }

    [StoreFact]
    public async Task Exact_holds_only_at_the_stream_last_revision()
    {
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(3));
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.Exact(new StreamRevision(5)), Evs(1)));
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.Exact(new StreamRevision(1)), Evs(1)));
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("missing", ExpectedRevision.Exact(StreamRevision.Start), Evs(1)));
        var r = await Store.AppendToStreamAsync("a", ExpectedRevision.Exact(new StreamRevision(2)), Evs(2));
        Assert.Equal(new StreamRevision(4), r.Last);
        Assert.Equal(5, (await ReadStream("a")).Count);
    }

    [StoreFact]
    public async Task StreamExists_fails_on_a_stream_that_does_not_exist()
    {
        var e = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.StreamExists, Evs(1)));
        Assert.Equal(StreamRevision.None, e.Actual);
        Assert.Empty(await Store.ListStreamsAsync(""));
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(1));
        Assert.Equal(new StreamRevision(1), (await Store.AppendToStreamAsync("a", ExpectedRevision.StreamExists, Evs(1))).Last);
    }

    [StoreFact]
    public async Task Any_appends_at_the_end_whether_or_not_the_stream_exists()
    {
        Assert.Equal(new StreamRevision(1), (await Store.AppendToStreamAsync("a", ExpectedRevision.Any, Evs(2))).Last);
        Assert.Equal(new StreamRevision(3), (await Store.AppendToStreamAsync("a", ExpectedRevision.Any, Evs(2))).Last);
    }

    [StoreFact]
    public async Task Two_concurrent_appends_with_the_same_expected_revision_let_exactly_one_win()
    {
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(1));
        await using var other = await ReopenAsync();
        for (int round = 0; round < 5; round++)
        {
            var expected = ExpectedRevision.Exact((await Store.ListStreamsAsync("a")).Single().Last);
            var batches = new[] { Evs(200), Evs(200) };
            using var start = new Barrier(2);
            var writers = new[] { Store, other }.Select((store, i) => Task.Run(async () =>
            {
                start.SignalAndWait();
                try
                {
                    await store.AppendToStreamAsync("a", expected, batches[i]);
                    return (Exception?)null;
                }
                catch (Exception e)
                {
                    return e;
                }
            })).ToArray();
            var outcomes = await Task.WhenAll(writers);

            Assert.Single(outcomes, o => o is null);
            Assert.IsType<WrongExpectedVersionException>(Assert.Single(outcomes, o => o is not null));
            var winner = batches[Array.IndexOf(outcomes, null)];
            Assert.Equal(winner.Select(e => e.Id), (await ReadStream("a")).TakeLast(200).Select(e => e.Id));
        }
        Assert.Equal(1 + 5 * 200, (await ReadStream("a")).Count);
    }

    [StoreFact]
    public async Task Concurrent_writers_never_let_a_catch_up_reader_skip_an_event()
    {
        const int Writers = 3, Sessions = 30, PerSession = 20;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var seen = new List<Position>();
        var reader = Task.Run(async () =>
        {
            await foreach (var e in Store.SubscribeToAllAsync(Position.Start, TimeSpan.FromMilliseconds(1), stop.Token))
            {
                seen.Add(e.Position);
                if (seen.Count == Writers * Sessions * PerSession) break;
            }
        });
        var stores = new List<IEventStore>();
        for (int i = 0; i < Writers; i++) stores.Add(await ReopenAsync());
        await Task.WhenAll(stores.Select((s, i) => Task.Run(async () =>
        {
            for (int k = 0; k < Sessions; k++)
            {
                await using var session = await s.BeginAppendAsync();
                foreach (var e in Evs(PerSession)) await session.AppendAsync($"w{i}", ExpectedRevision.Any, e);
                // Holds its positions a while before committing: were writers not serialised,
                // another would commit later positions meanwhile, and the reader would pass these.
                await Task.Delay(Random.Shared.Next(3));
                await session.CommitAsync();
            }
        })));
        // Every event is committed: a reader that has skipped none ends at once; one that has
        // skipped some waits for them in vain until this, and the comparison below shows which.
        stop.CancelAfter(TimeSpan.FromSeconds(10));
        try { await reader; }
        catch (OperationCanceledException) { }
        foreach (var s in stores) await s.DisposeAsync();

        Assert.Equal((await ReadAll()).Select(e => e.Position), seen);
    }

    [StoreFact]
    public async Task Reappending_the_same_event_ids_adds_nothing()
    {
        var evs = Evs(4);
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs);
        var again = await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs);
        Assert.Equal(new StreamAppend(0, 4, new StreamRevision(3)), again);
        var tail = await Store.AppendToStreamAsync("a", ExpectedRevision.Exact(new StreamRevision(1)), evs[2..]);
        Assert.Equal(new StreamAppend(0, 2, new StreamRevision(3)), tail);
        Assert.Equal(evs.Select(e => e.Id), (await ReadAll()).Select(e => e.Id));
    }

    [StoreFact]
    public async Task Reappending_long_interleaved_streams_adds_nothing_and_finds_a_change_at_the_end()
    {
        const int N = 20_000;
        var a = Evs(N);
        var b = Evs(N);
        async Task<AppendSummary> AppendBoth(EventData[] first, EventData[] second)
        {
            await using var s = await Store.BeginAppendAsync();
            for (int i = 0; i < N; i++)
            {
                await s.AppendAsync("a", ExpectedRevision.NoStream, first[i]);
                await s.AppendAsync("b", ExpectedRevision.NoStream, second[i]);
            }
            return await s.CommitAsync();
        }
        Assert.Equal(2 * N, (await AppendBoth(a, b)).Added);
        var again = await AppendBoth(a, b);
        Assert.Equal((0L, 2L * N), (again.Added, again.AlreadyPresent));

        var changed = b.ToArray();
        changed[N - 1] = Ev();
        var e = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => AppendBoth(a, changed));
        Assert.Contains($"the first {N - 1} events were there already", e.Message);
        Assert.Equal(2 * N, (await ReadAll()).Count);
    }

    [StoreFact]
    public async Task The_same_id_with_other_data_or_type_is_a_conflict_not_a_duplicate()
    {
        var ev = Ev("{\"n\":1}");
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, [ev]);
        var otherData = ev with { Data = Encoding.UTF8.GetBytes("{\"n\":2}") };
        var e = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, [otherData]));
        Assert.Contains("it holds other events", e.Message);
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, [ev with { Type = "Other" }]));
        Assert.Equal(new StreamAppend(0, 1, StreamRevision.Start), await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, [ev]));
    }

    [StoreFact]
    public async Task A_mix_of_stored_and_new_event_ids_is_a_conflict_and_adds_nothing()
    {
        var evs = Evs(2);
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs);
        var last = await Store.LastPositionAsync();
        var longer = await Assert.ThrowsAsync<WrongExpectedVersionException>(
            () => Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, [.. evs, Ev()]));
        Assert.Contains("the first 2 events were there already", longer.Message);
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, [evs[0], Ev()]));
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, [Ev(), evs[1]]));
        Assert.Equal(evs.Select(e => e.Id), (await ReadStream("a")).Select(e => e.Id));
        Assert.Equal(last, await Store.LastPositionAsync());
    }

    [StoreFact]
    public async Task A_session_over_several_streams_lands_whole_or_not_at_all()
    {
        await using (var s = await Store.BeginAppendAsync())
        {
            await s.AppendAsync("a", ExpectedRevision.NoStream, Ev());
            await s.AppendAsync("b", ExpectedRevision.NoStream, Ev());
            await s.AppendAsync("a", ExpectedRevision.NoStream, Ev());
            Assert.Equal(new StreamAppend(2, 0, new StreamRevision(1)), s.Appended("a"));
        }
        Assert.Empty(await Store.ListStreamsAsync(""));
        Assert.Empty(await ReadAll());

        AppendSummary summary;
        await using (var s = await Store.BeginAppendAsync())
        {
            foreach (var e in Evs(3)) await s.AppendAsync("a", ExpectedRevision.NoStream, e);
            await s.AppendAsync("b", ExpectedRevision.NoStream, Ev());
            summary = await s.CommitAsync();
        }
        Assert.Equal(4, summary.Added);
        Assert.Equal(["a", "b"], (await Store.ListStreamsAsync("")).Select(i => i.Name));
        Assert.Equal([3L, 1L], (await Store.ListStreamsAsync("")).Select(i => i.Count));

        await using (var s = await Store.BeginAppendAsync())
        {
            await s.AppendAsync("c", ExpectedRevision.NoStream, Ev());
            await Assert.ThrowsAsync<WrongExpectedVersionException>(async () => await s.AppendAsync("b", ExpectedRevision.NoStream, Ev()));
        }
        Assert.Empty(await ReadStream("c"));
        Assert.Equal(4, (await ReadAll()).Count);
    }

    [StoreFact]
    public async Task A_catch_up_subscription_sees_events_appended_after_it_started()
    {
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(2));
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var got = new ConcurrentQueue<RecordedEvent>();
        var caughtUp = new TaskCompletionSource();
        var sub = Task.Run(async () =>
        {
            await foreach (var e in Store.SubscribeToAllAsync(Position.Start, TimeSpan.FromMilliseconds(5), cts.Token))
            {
                got.Enqueue(e);
                if (got.Count == 2) caughtUp.SetResult();
                if (got.Count == 5) break;
            }
        });
        await caughtUp.Task.WaitAsync(cts.Token);
        var later = Evs(3);
        await Store.AppendToStreamAsync("b", ExpectedRevision.NoStream, later[..1]);
        await Store.AppendToStreamAsync("a", ExpectedRevision.Exact(new StreamRevision(1)), later[1..]);
        await sub;
        Assert.Equal(later.Select(e => e.Id), got.Skip(2).Select(e => e.Id));
    }

    [StoreFact]
    public async Task A_checkpoint_reads_back_the_last_position_set()
    {
        Assert.Null(await Store.GetCheckpointAsync("replay"));
        await Store.SetCheckpointAsync("replay", new Position(7));
        await Store.SetCheckpointAsync("replay", new Position(42));
        await Store.SetCheckpointAsync("other", new Position(1));
        Assert.Equal(new Position(42), await Store.GetCheckpointAsync("replay"));
        await using var again = await ReopenAsync();
        Assert.Equal(new Position(1), await again.GetCheckpointAsync("other"));
    }

    [StoreFact]
    public async Task The_snapshot_saved_last_replaces_the_streams_others()
    {
        Assert.Null(await Store.LoadSnapshotAsync("a"));
        await Store.SaveSnapshotAsync("a", new StreamRevision(10), "V1", "ten"u8.ToArray());
        await Store.SaveSnapshotAsync("a", new StreamRevision(30), "V1", "thirty"u8.ToArray());
        await Store.SaveSnapshotAsync("b", new StreamRevision(99), "V1", "b"u8.ToArray());
        var s = await Store.LoadSnapshotAsync("a");
        Assert.NotNull(s);
        Assert.Equal(new StreamRevision(30), s.Revision);
        Assert.Equal("thirty", Encoding.UTF8.GetString(s.State.Span));
        // A replay started again from the beginning: its first snapshot is the one to resume from.
        await Store.SaveSnapshotAsync("a", new StreamRevision(20), "V1", "twenty"u8.ToArray());
        s = await Store.LoadSnapshotAsync("a");
        Assert.Equal((new StreamRevision(20), "twenty"), (s!.Revision, Encoding.UTF8.GetString(s.State.Span)));
        await Store.SaveSnapshotAsync("a", new StreamRevision(20), "V2", "again"u8.ToArray());
        s = await Store.LoadSnapshotAsync("a");
        Assert.Equal(("V2", "again"), (s!.Type, Encoding.UTF8.GetString(s.State.Span)));
        Assert.Equal("b", Encoding.UTF8.GetString((await Store.LoadSnapshotAsync("b"))!.State.Span));
    }

    [StoreFact]
    public async Task Deleting_streams_removes_their_events_and_snapshots_and_never_reuses_positions()
    {
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(2));
        await Store.AppendToStreamAsync("b", ExpectedRevision.NoStream, Evs(3));
        await Store.SaveSnapshotAsync("b", new StreamRevision(2), "V1", "b"u8.ToArray());
        await Store.SaveSnapshotAsync("b#replay/x", new StreamRevision(2), "V1", "derived"u8.ToArray());
        await Store.SaveSnapshotAsync("bb#replay/x", new StreamRevision(2), "V1", "other"u8.ToArray());
        await Store.SaveSnapshotAsync("a#replay/x", new StreamRevision(1), "V1", "kept"u8.ToArray());
        var highest = await Store.LastPositionAsync();

        await Store.DeleteStreamsAsync(["b", "not-there"]);
        Assert.Null(await Store.LoadSnapshotAsync("b#replay/x"));
        Assert.NotNull(await Store.LoadSnapshotAsync("bb#replay/x"));
        Assert.NotNull(await Store.LoadSnapshotAsync("a#replay/x"));
        Assert.Equal(["a"], (await Store.ListStreamsAsync("")).Select(s => s.Name));
        Assert.Empty(await ReadStream("b"));
        Assert.Null(await Store.LoadSnapshotAsync("b"));
        Assert.All(await ReadAll(), e => Assert.Equal("a", e.Stream));

        await Store.AppendToStreamAsync("b", ExpectedRevision.NoStream, Evs(1));
        var reborn = Assert.Single(await ReadStream("b"));
        Assert.Equal(StreamRevision.Start, reborn.Revision);
        Assert.True(reborn.Position.Value > highest.Value, $"position {reborn.Position} reused (highest before the deletion: {highest})");
    }

    [StoreFact]
    public async Task A_new_store_keeps_trace_events_in_the_binary_form_and_says_so_when_reopened()
    {
        Assert.Equal(EventEncoding.Binary, Store.Encoding);
        await using var again = await ReopenAsync();
        Assert.Equal(EventEncoding.Binary, again.Encoding);
    }

    [StoreFact]
    public async Task A_store_of_schema_version_1_keeps_native_JSON_and_one_of_an_unknown_version_is_refused_by_name()
    {
        await using (var old = await OpenOlderAsync("1"))
        {
            Assert.Equal(EventEncoding.Json, old.Encoding);
            await old.AppendToStreamAsync("a", ExpectedRevision.NoStream, Evs(2));
            Assert.Equal(2, (await old.ReadStreamAsync("a", StreamRevision.Start).ToListAsync()).Count);
        }
        await Store.AppendToStreamAsync("b", ExpectedRevision.NoStream, Evs(2));
        await SetSchemaVersionAsync("9");
        var e = await Assert.ThrowsAsync<StoreException>(ReopenAsync);
        Assert.Contains("schema version 9", e.Message);
        Assert.Contains(Store.Description, e.Message);
    }

    [StoreFact]
    public async Task Listing_by_prefix_takes_percent_and_underscore_literally_and_sorts_by_bytes()
    {
        foreach (var name in new[] { "trace/x_1/b", "trace/x_1/a", "trace/xa1/a", "trace/x%/a", "trace/x_1/B" })
            await Store.AppendToStreamAsync(name, ExpectedRevision.NoStream, Evs(1));
        Assert.Equal(["trace/x_1/B", "trace/x_1/a", "trace/x_1/b"], (await Store.ListStreamsAsync("trace/x_1/")).Select(s => s.Name));
        Assert.Equal(["trace/x%/a"], (await Store.ListStreamsAsync("trace/x%")).Select(s => s.Name));
    }
}

/// <summary>The contract on an SQLite store in a file of its own, in a folder removed after the test.</summary>
public abstract class SqliteFileStoreContract : EventStoreContract
{
    /// <summary>The folder of this test's store file.</summary>
    private readonly string _dir = Directory.CreateTempSubdirectory("replayer-store-").FullName;
    protected string File => Path.Combine(_dir, "store.db");

    protected override async Task<IEventStore> ReopenAsync() => await SqliteEventStore.OpenAsync(File);

    protected override Task SetSchemaVersionAsync(string version) => SqliteStoreFile.SetSchemaVersionAsync(File, version);

    protected override async Task<IEventStore> OpenOlderAsync(string version)
    {
        var older = Path.Combine(_dir, $"older-{version}.db");
        await SqliteStoreFile.CreateOneRowAnEventAsync(older, version);
        return await SqliteEventStore.OpenAsync(older);
    }

    /// <summary>A connection of the test's own to the store file, behind the store's back.</summary>
    protected async Task<Microsoft.Data.Sqlite.SqliteConnection> ConnectAsync(string mode = "ReadWrite")
    {
        var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={File};Mode={mode};Pooling=False");
        await c.OpenAsync();
        return c;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class SqliteEventStoreContract : SqliteFileStoreContract
{
    protected override async Task<IEventStore> CreateAsync() => await SqliteEventStore.OpenAsync(File);

    private async Task<long> ScalarAsync(string sql)
    {
        await using var c = await ConnectAsync();
        using var q = c.CreateCommand();
        q.CommandText = sql;
        return (long)(await q.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_new_store_keeps_a_streams_events_in_blocks_of_at_most_64_events_and_8_KiB_unless_one_event_is_longer()
    {
        var evs = Evs(300);
        evs[150] = new EventData(Guid.NewGuid(), "Tested", new byte[20_000]);
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs);
        Assert.Equal(300, await ScalarAsync("SELECT sum(count) FROM blocks"));
        Assert.Equal(64, await ScalarAsync("SELECT max(count) FROM blocks"));
        Assert.Equal(1, await ScalarAsync("SELECT count FROM blocks WHERE first = 150"));
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM blocks WHERE count > 1 AND length(data) > 8192"));
        // Every event's row names the block that holds its revision.
        Assert.Equal(0, await ScalarAsync("""
            SELECT count(*) FROM events e JOIN blocks b ON b.id = e.block
            WHERE e.revision < b.first OR e.revision >= b.first + b.count OR e.stream <> b.stream
            """));
        await Store.DeleteStreamsAsync(["a"]);
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM blocks"));
    }

    [Fact]
    public async Task A_damaged_block_is_reported_as_damage_of_the_store_by_every_read()
    {
        var evs = Evs(10);
        await Store.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs);
        await using (var c = await ConnectAsync())
        {
            using var q = c.CreateCommand();
            q.CommandText = "UPDATE blocks SET data = substr(data, 1, length(data) - 3)";
            Assert.Equal(1, await q.ExecuteNonQueryAsync());
        }
        await using var again = await ReopenAsync();
        var replay = await Assert.ThrowsAsync<StoreException>(() => again.ReadStreamDataAsync("a", StreamRevision.Start, 10, new EventChunk()));
        var events = await Assert.ThrowsAsync<StoreException>(async () => await again.ReadStreamAsync("a", StreamRevision.Start).ToListAsync());
        var all = await Assert.ThrowsAsync<StoreException>(async () => await again.ReadAllAsync(Position.Start).ToListAsync());
        Assert.All(new[] { replay, events, all }, e => Assert.Contains($"{again.Description} is damaged", e.Message));
        // Appending the first event again compares it with the stored one, whose block is damaged.
        var append = await Assert.ThrowsAsync<StoreException>(() => again.AppendToStreamAsync("a", ExpectedRevision.NoStream, evs[..1]));
        Assert.Contains("damaged", append.Message);
    }

    [Fact]
    public async Task A_new_store_file_has_16_KiB_pages()
    {
        await Store.AppendToStreamAsync("trace/t/h", ExpectedRevision.NoStream, Evs(3));
        await using var c = await ConnectAsync("ReadOnly");
        using var q = c.CreateCommand();
        q.CommandText = "PRAGMA page_size";
        Assert.Equal(16384L, (long)(await q.ExecuteScalarAsync())!);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresEventStoreContract(PostgresServer server) : EventStoreContract, INeedsPostgres
{
    /// <summary>This test's own database on the shared server.</summary>
    private string _uri = "";

    protected override async Task<IEventStore> CreateAsync()
    {
        _uri = await server.CreateDatabaseAsync();
        return await PostgresEventStore.OpenAsync(_uri);
    }

    protected override async Task<IEventStore> ReopenAsync() => await PostgresEventStore.OpenAsync(_uri);

    /// <summary>The PostgreSQL layout is the same at every version: the version recorded is what differs.</summary>
    protected override async Task<IEventStore> OpenOlderAsync(string version)
    {
        await SetSchemaVersionAsync(version);
        return await ReopenAsync();
    }

    protected override async Task SetSchemaVersionAsync(string version)
    {
        await using var c = new Npgsql.NpgsqlConnection(PostgresConnectionSpec.Parse(_uri).ConnectionString);
        await c.OpenAsync();
        await using var q = new Npgsql.NpgsqlCommand("UPDATE store_info SET value = @v WHERE key = 'schema'", c);
        q.Parameters.AddWithValue("v", version);
        Assert.Equal(1, await q.ExecuteNonQueryAsync());
    }
}

/// <summary>The whole contract again on an SQLite store made before schema version 3: one row an event, with its data.</summary>
public sealed class SqliteOneRowAnEventStoreContract : SqliteFileStoreContract
{
    protected override async Task<IEventStore> CreateAsync()
    {
        await SqliteStoreFile.CreateOneRowAnEventAsync(File, "2");
        return await SqliteEventStore.OpenAsync(File);
    }
}
