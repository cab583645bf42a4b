using System.IO.Compression;
using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Tests.Support;

namespace Replayer.Tests.Ingest;

public sealed class TraceIngestTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteNative(string name, IEnumerable<PidEvent> events, TraceHeader? header = null)
    {
        var path = _dir.File(name);
        using var file = File.Create(path);
        using var w = new NativeWriter(file);
        if (header is not null) w.WriteHeader(header);
        foreach (var e in events) w.Write(e);
        return path;
    }

    private static IEnumerable<PidEvent> Forks(int n, string host = "h1") =>
        Enumerable.Range(0, n).Select(i => (PidEvent)new Fork { Host = host, Tid = 100, Comm = "sh", Child = 1000 + i, Flags = 17, Ret = 1000 + i, Time = i });

    private async Task<(SqliteEventStore Store, TraceIngest Ingest)> OpenAsync(string name = "store.db")
    {
        var store = await SqliteEventStore.OpenAsync(_dir.File(name));
        return (store, new TraceIngest(store, CaptureFormats.All));
    }

    [Fact]
    public async Task Ingesting_the_same_capture_twice_adds_nothing_the_second_time()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        var file = WriteNative("cap.jsonl", Forks(100));
        var first = await ingest.RunAsync(new IngestRequest([file]));
        var second = await ingest.RunAsync(new IngestRequest([file]));
        Assert.Equal((100L, 0L), (first.Added, first.AlreadyPresent));
        Assert.Equal((0L, 100L), (second.Added, second.AlreadyPresent));
        Assert.Single(await new TraceCatalog(store).SourcesAsync("cap"));
    }

    [Theory]
    [InlineData("traces/captures/f-nsenter.txt")]
    [InlineData("traces/captures/i-hostile-comm.txt")]
    [InlineData("traces/captures/g-threads.perf.txt")]
    public async Task A_store_of_schema_1_goes_on_keeping_native_JSON_and_both_forms_read_and_export_the_same_events(string capture)
    {
        var file = Repo.PathOf(capture);
        var (binary, binaryIngest) = await OpenAsync("binary.db");
        await using var _ = binary;
        var older = _dir.File("json.db");
        await SqliteStoreFile.CreateOneRowAnEventAsync(older, "1");
        var (json, jsonIngest) = await OpenAsync("json.db");
        await using var __ = json;
        Assert.Equal(EventEncoding.Json, json.Encoding);

        var trace = Assert.Single((await binaryIngest.RunAsync(new IngestRequest([file]))).Traces);
        Assert.Equal(trace, Assert.Single((await jsonIngest.RunAsync(new IngestRequest([file]))).Traces));
        var stream = TraceStreams.HostStream(trace, Assert.Single((await new TraceCatalog(binary).ShowAsync(trace))!.Hosts).Host);
        Assert.All(await binary.ReadStreamAsync(stream, StreamRevision.Start).ToListAsync(), e => Assert.Equal(NativeJson.BinaryTag, e.Data.Span[0]));
        Assert.All(await json.ReadStreamAsync(stream, StreamRevision.Start).ToListAsync(), e => Assert.Equal((byte)'{', e.Data.Span[0]));

        // The same events, line for line, and the same native file out of either store.
        Assert.Equal(await Lines(json, trace), await Lines(binary, trace));
        Assert.Equal(await Export(json, trace), await Export(binary, trace));
        // The older store still recognises the capture as already there: its events keep their bytes.
        var again = await jsonIngest.RunAsync(new IngestRequest([file]));
        Assert.Equal(0, again.Added);
    }

    private static async Task<List<string>> Lines(IEventStore store, string trace)
    {
        var catalog = new TraceCatalog(store);
        var lines = new List<string>();
        foreach (var h in (await catalog.ShowAsync(trace))!.Hosts)
            await foreach (var e in catalog.ReadHostAsync(trace, h.Host))
            {
                using var ms = new MemoryStream();
                using (var w = new NativeWriter(ms)) w.Write(e);
                lines.Add(Encoding.UTF8.GetString(ms.ToArray()));
            }
        return lines;
    }

    private static async Task<string> Export(IEventStore store, string trace)
    {
        using var ms = new MemoryStream();
        await new TraceCatalog(store).ExportAsync(trace, ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public async Task Events_made_in_process_go_in_atomically_and_a_failure_midway_leaves_the_store_as_it_was()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        var added = await ingest.RunAsync("gen", "replayer generate", "synthetic", Forks(1_000, "host-000"));
        Assert.Equal(1_000, added.Added);
        Assert.Equal("synthetic", Assert.Single(await new TraceCatalog(store).SourcesAsync("gen")).Format);

        static IEnumerable<PidEvent> Broken()
        {
            foreach (var e in Forks(2_000, "host-001")) yield return e;
            throw new InvalidOperationException("the generator failed");
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() => ingest.RunAsync("broken", "replayer generate", "synthetic", Broken()));
        var traces = await new TraceCatalog(store).ListAsync();
        Assert.Equal(["gen"], traces.Select(t => t.Trace));
    }

    [Fact]
    public async Task A_different_capture_under_a_used_trace_id_is_a_conflict_not_a_duplicate()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        await ingest.RunAsync(new IngestRequest([WriteNative("a.jsonl", Forks(10))], Trace: "t"));
        var other = WriteNative("b.jsonl", Forks(10).Select(e => e with { Time = e.Time + 1 }));
        var e = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => ingest.RunAsync(new IngestRequest([other], Trace: "t")));
        Assert.Contains("trace/t/h1", e.Message);
    }

    [Fact]
    public async Task A_bad_line_leaves_the_store_exactly_as_it_was()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        await ingest.RunAsync(new IngestRequest([WriteNative("keep.jsonl", Forks(5))]));
        var before = await store.LastPositionAsync();
        var good = WriteNative("good.jsonl", Forks(50, "h2"));
        var bad = WriteNative("bad.jsonl", Forks(50, "h3"));
        File.AppendAllText(bad, "{\"t\":1,\"tid\":5,\"kind\":\"fork\"}\n");
        var e = await Assert.ThrowsAsync<TraceFormatException>(() => ingest.RunAsync(new IngestRequest([good, bad])));
        Assert.Equal(51, e.Line);
        Assert.EndsWith("bad.jsonl", e.File);
        Assert.Equal(before, await store.LastPositionAsync());
        Assert.Equal(["keep"], (await new TraceCatalog(store).ListAsync()).Select(t => t.Trace));
    }

    [Fact]
    public async Task Lenient_ingest_skips_bad_lines_counts_them_and_keeps_the_first_few()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        var file = WriteNative("mixed.jsonl", Forks(3));
        File.AppendAllText(file, string.Concat(Enumerable.Range(0, 8).Select(i => $"garbage {i}\n")));
        var result = await ingest.RunAsync(new IngestRequest([file], Lenient: true));
        var src = Assert.Single(result.Sources);
        Assert.Equal((3L, 8L, 11L), (src.Events, src.Skipped, src.Lines));
        Assert.Equal(ReadContext.KeptErrors, src.FirstErrors.Count);
        Assert.StartsWith($"{file}:4:", src.FirstErrors[0]);
        Assert.Equal(3, result.Added);
    }

    [Fact]
    public async Task Export_then_ingest_into_a_fresh_store_gives_the_same_summary()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        var events = Forks(20, "a").Concat(SampleEvents.OfEveryKind("b")).Concat(Forks(5, "a").Select(e => e with { Time = e.Time + 100 }));
        await ingest.RunAsync(new IngestRequest([WriteNative("multi.jsonl", events)]));
        var catalog = new TraceCatalog(store);
        var export = _dir.File("export.jsonl.gz");
        await using (var f = File.Create(export))
        await using (var gz = new GZipStream(f, CompressionLevel.Fastest))
            await catalog.ExportAsync("multi", gz);

        var (fresh, freshIngest) = await OpenAsync("fresh.db");
        await using var __ = fresh;
        var again = await freshIngest.RunAsync(new IngestRequest([export]));
        Assert.Equal("multi", Assert.Single(again.Traces));
        var a = await catalog.ShowAsync("multi");
        var b = await new TraceCatalog(fresh).ShowAsync("multi");
        Assert.Equal(Json(a!), Json(b!));
        Assert.Equal(42, b!.Events);
        Assert.Equal(["a", "b"], b.Hosts.Select(h => h.Host));
    }

    private static string Json(TraceSummary s)
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms)) Replayer.Cli.Commands.TracesCommand.WriteSummary(w, s);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public async Task Out_of_order_sequence_numbers_are_refused()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        var file = _dir.File("seq.jsonl");
        File.WriteAllText(file, """
            {"seq":0,"t":1,"tid":5,"kind":"setsid"}
            {"seq":2,"t":2,"tid":5,"kind":"setsid"}
            {"seq":1,"t":3,"tid":5,"kind":"setsid"}
            """);
        var e = await Assert.ThrowsAsync<TraceFormatException>(() => ingest.RunAsync(new IngestRequest([file])));
        Assert.Equal(3, e.Line);
        Assert.Null((await new TraceCatalog(store).ShowAsync("seq")));
    }

    [Fact]
    public async Task A_stored_event_reads_back_as_it_was_ingested()
    {
        var (store, ingest) = await OpenAsync();
        await using var _ = store;
        await ingest.RunAsync(new IngestRequest([WriteNative("kinds.jsonl", SampleEvents.OfEveryKind())], Host: "ignored-when-named"));
        var back = new List<PidEvent>();
        await foreach (var e in new TraceCatalog(store).ReadHostAsync("kinds", "h1")) back.Add(e);
        Assert.Equal(SampleEvents.OfEveryKind().Select(e => e.Kind), back.Select(e => e.Kind));
        Assert.Equal(Enumerable.Range(0, back.Count).Select(i => (long)i), back.Select(e => e.Seq));
    }
}
