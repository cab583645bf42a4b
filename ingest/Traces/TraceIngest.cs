using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;

namespace Replayer.Ingest.Traces;

public sealed record IngestRequest(IReadOnlyList<string> Files, string Format = "auto", string? Trace = null, string? Host = null, bool Lenient = false);

/// <summary>What one input gave: how many lines and events, and the bad lines skipped when lenient.</summary>
public sealed record IngestedSource(string File, string Format, string Trace, IReadOnlyList<string> Hosts, long Lines, long Events,
    long Skipped, IReadOnlyList<string> FirstErrors);

public sealed record IngestResult(IReadOnlyList<IngestedSource> Sources, long Added, long AlreadyPresent)
{
    public IReadOnlyList<string> Traces => Sources.Select(s => s.Trace).Distinct().ToList();
}

public readonly record struct IngestProgress(string File, long Bytes, long? TotalBytes, long Events);

/// <summary>
/// Turns captures into trace streams, atomically: every input of one call is appended in a single
/// store session, so a bad line anywhere (unless lenient) leaves the store exactly as it was.
/// </summary>
public sealed class TraceIngest(IEventStore store, IReadOnlyList<ICaptureReader> readers)
{
    public const string DefaultHost = "local";
    public const string MetaEventType = "TraceIngested";
    private const int ProgressEvery = 1 << 15;

    public Task<IngestResult> RunAsync(IngestRequest request, IProgress<IngestProgress>? progress = null, CancellationToken ct = default)
    {
        if (request.Trace is { } t && TraceStreams.Validate("trace id", t) is { } badTrace) throw new ArgumentException(badTrace);
        if (request.Host is { } h && TraceStreams.Validate("host", h) is { } badHost) throw new ArgumentException(badHost);
        return IngestAsync((writer, token) => ProduceAsync(writer, request, progress, token), ct);
    }

    /// <summary>
    /// Streams events made in this process (a synthetic workload) into trace <paramref name="trace"/>,
    /// as atomically as a capture: <paramref name="source"/> names them in the provenance, with
    /// <paramref name="format"/>. The events are numbered per host as they come.
    /// </summary>
    public Task<IngestResult> RunAsync(string trace, string source, string format, IEnumerable<PidEvent> events,
        IProgress<IngestProgress>? progress = null, CancellationToken ct = default)
    {
        if (TraceStreams.Validate("trace id", trace) is { } badTrace) throw new ArgumentException(badTrace);
        var request = new IngestRequest([source], format, trace);
        return IngestAsync(async (writer, token) =>
        {
            try
            {
                var outcome = await EncodeAsync(store.Encoding, writer, source, format, events, new ReadContext(lenient: false), null, request, progress, token);
                writer.Complete();
                return [outcome];
            }
            catch (Exception e)
            {
                writer.TryComplete(e);
                throw;
            }
        }, ct);
    }

    private async Task<IngestResult> IngestAsync(Func<ChannelWriter<Pending[]>, CancellationToken, Task<IReadOnlyList<FileOutcome>>> produce,
        CancellationToken ct)
    {
        await using var session = await store.BeginAppendAsync(ct);
        var outcomes = await PipelineAsync(session, produce, ct);
        var sources = new List<IngestedSource>();
        var metaByTrace = new Dictionary<string, List<TraceSource>>(StringComparer.Ordinal);
        var hostsByTrace = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var src in outcomes)
        {
            sources.Add(src.Result);
            if (!metaByTrace.TryGetValue(src.Result.Trace, out var list)) metaByTrace[src.Result.Trace] = list = [];
            list.AddRange(src.Provenance);
            if (!hostsByTrace.TryGetValue(src.Result.Trace, out var hs)) hostsByTrace[src.Result.Trace] = hs = [];
            hs.UnionWith(src.Result.Hosts);
        }
        // Provenance is recorded only where something was added, so that a repeated ingest adds
        // nothing at all; committed with the events, in the same session.
        foreach (var (trace, provenance) in metaByTrace)
        {
            if (!hostsByTrace[trace].Any(h => session.Appended(TraceStreams.HostStream(trace, h)).Added > 0)) continue;
            var data = JsonSerializer.SerializeToUtf8Bytes(provenance, IngestJson.Default.IReadOnlyListTraceSource);
            // A provenance record has no position of its own to name it by: its id is its content's hash.
            var id = TraceStreams.EventId(TraceStreams.HostKey(trace, "$meta"),
                BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(data)));
            await session.AppendAsync(TraceStreams.MetaStream(trace), ExpectedRevision.Any, new EventData(id, MetaEventType, data), ct);
        }
        var summary = await session.CommitAsync(ct);
        long added = 0, present = 0;
        foreach (var (name, s) in summary.Streams)
        {
            if (name.EndsWith(TraceStreams.MetaSuffix, StringComparison.Ordinal)) continue;
            added += s.Added;
            present += s.AlreadyPresent;
        }
        return new IngestResult(sources, added, present);
    }

    /// <summary>Reads the provenance recorded with a trace's meta events.</summary>
    public static IReadOnlyList<TraceSource> ParseMeta(ReadOnlySpan<byte> data) =>
        JsonSerializer.Deserialize(data, IngestJson.Default.IReadOnlyListTraceSource) ?? [];

    private sealed record FileOutcome(IngestedSource Result, IReadOnlyList<TraceSource> Provenance);

    private readonly record struct Pending(string Stream, EventData Event);

    private const int BatchSize = 512;

    /// <summary>
    /// Reading and encoding run on one thread, appending on another, joined by a bounded channel:
    /// on two cores the ingest takes about as long as the slower half rather than the sum. A
    /// failure on either side stops both, and the session, never committed, rolls back.
    /// </summary>
    private static async Task<IReadOnlyList<FileOutcome>> PipelineAsync(IAppendSession session,
        Func<ChannelWriter<Pending[]>, CancellationToken, Task<IReadOnlyList<FileOutcome>>> produce, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<Pending[]>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => produce(channel.Writer, cts.Token), cts.Token);
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(cts.Token))
                foreach (var p in batch)
                    await session.AppendAsync(p.Stream, ExpectedRevision.NoStream, p.Event, cts.Token);
        }
        catch
        {
            await cts.CancelAsync();
            try { await producer; }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException) { }
            throw;
        }
        return await producer;
    }

    private async Task<IReadOnlyList<FileOutcome>> ProduceAsync(ChannelWriter<Pending[]> writer, IngestRequest request,
        IProgress<IngestProgress>? progress, CancellationToken ct)
    {
        try
        {
            var outcomes = new List<FileOutcome>();
            foreach (var input in PerPidCaptures.Group(request.Files))
                outcomes.AddRange(await ProduceInputAsync(writer, input, request, progress, ct));
            writer.Complete();
            return outcomes;
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
            throw;
        }
    }

    // Per-pid files (strace -ff's PREFIX.TID) of a format that reads them together are one capture,
    // named after PREFIX; any other input is read file by file.
    private async Task<IReadOnlyList<FileOutcome>> ProduceInputAsync(ChannelWriter<Pending[]> writer, PerPidCaptures.Input input,
        IngestRequest request, IProgress<IngestProgress>? progress, CancellationToken ct)
    {
        if (!input.IsPerPid) return [await ProduceFileAsync(writer, input.Files[0], request, progress, ct)];
        var first = InputFile.Open(input.Files[0]);
        ICaptureReader reader;
        using (first.Stream) reader = Pick(first, request.Format);
        if (reader is not IPerPidCaptureReader perPid)
        {
            var outcomes = new List<FileOutcome>();
            foreach (var file in input.Files) outcomes.Add(await ProduceFileAsync(writer, file, request, progress, ct));
            return outcomes;
        }
        var context = new ReadContext(request.Lenient);
        return [await EncodeAsync(store.Encoding, writer, input.Name, reader.Format, perPid.ReadPerPid(input.Files, context), context, null, request, progress, ct)];
    }

    private async Task<FileOutcome> ProduceFileAsync(ChannelWriter<Pending[]> writer, string file, IngestRequest request,
        IProgress<IngestProgress>? progress, CancellationToken ct)
    {
        var input = InputFile.Open(file);
        var reader = Pick(input, request.Format);
        var context = new ReadContext(request.Lenient);
        using (input.Stream)
            return await EncodeAsync(store.Encoding, writer, file, reader.Format, reader.Read(input, context), context, input, request, progress, ct);
    }

    /// <summary>
    /// Numbers one capture's events per host, encodes each canonically and hands them to the
    /// appending side in batches. <paramref name="file"/> names the capture (a path, or the prefix
    /// of per-pid files); <paramref name="input"/>, when there is one file, gives progress in bytes.
    /// </summary>
    private static async Task<FileOutcome> EncodeAsync(EventEncoding encoding, ChannelWriter<Pending[]> writer, string file, string format,
        IEnumerable<PidEvent> events, ReadContext context, InputFile? input, IngestRequest request,
        IProgress<IngestProgress>? progress, CancellationToken ct)
    {
        string name = input?.Name ?? file;
        string? trace = null;
        var hosts = new Dictionary<string, HostCursor>(StringComparer.Ordinal);
        var lineBuffer = new ArrayBufferWriter<byte>(512);
        using var json = new Utf8JsonWriter(lineBuffer, new JsonWriterOptions { SkipValidation = true });
        long count = 0;
        var batch = new Pending[BatchSize];
        int filled = 0;
        var chunks = new ChunkWriter();
        foreach (var raw in events)
        {
            ct.ThrowIfCancellationRequested();
            trace ??= TraceIdFor(request, context, file);
            var host = raw.Host.Length > 0 ? raw.Host : request.Host ?? DefaultHost;
            if (!hosts.TryGetValue(host, out var cursor))
            {
                if (TraceStreams.Validate("host", host) is { } bad)
                    throw new TraceFormatException(name, context.Lines, bad);
                hosts[host] = cursor = new HostCursor(TraceStreams.HostStream(trace, host), TraceStreams.HostKey(trace, host));
            }
            if (raw.Seq >= 0)
            {
                if (raw.Seq <= cursor.LastInputSeq)
                {
                    context.Skip(new TraceFormatException(name, context.Lines,
                        $"seq {raw.Seq} of host {host} does not follow seq {cursor.LastInputSeq} (events out of order or repeated)"));
                    continue;
                }
                cursor.LastInputSeq = raw.Seq;
            }
            var ev = raw with { Host = host, Seq = cursor.Next++ };
            lineBuffer.ResetWrittenCount();
            if (encoding == EventEncoding.Binary)
                NativeJson.WriteBinary(lineBuffer, ev);
            else
            {
                json.Reset(lineBuffer);
                NativeJson.WriteEvent(json, ev);
                json.Flush();
            }
            var id = TraceStreams.EventId(cursor.HostKey, ev.Seq);
            batch[filled++] = new Pending(cursor.Stream, new EventData(id, NativeJson.KindName(ev.Kind), chunks.Copy(lineBuffer.WrittenSpan)));
            if (filled == BatchSize)
            {
                await writer.WriteAsync(batch, ct);
                batch = new Pending[BatchSize];
                filled = 0;
            }
            count++;
            if (progress is not null && count % ProgressEvery == 0)
                progress.Report(new IngestProgress(name, input?.Consumed ?? 0, input?.CompressedLength, count));
        }
        if (filled > 0) await writer.WriteAsync(batch[..filled], ct);
        trace ??= TraceIdFor(request, context, file);
        progress?.Report(new IngestProgress(name, input?.CompressedLength ?? input?.Consumed ?? 0, input?.CompressedLength, count));
        var hostNames = hosts.Keys.Order(StringComparer.Ordinal).ToList();
        var provenance = context.Header is { } header && request.Trace is null
            ? header.Sources
            : hostNames.Select(h => new TraceSource(file, format, h, hosts[h].Next, context.Lines, context.Skipped)).ToList();
        var result = new IngestedSource(name, format, trace, hostNames, context.Lines, count, context.Skipped,
            context.FirstErrors.Select(e => e.Message).ToList());
        return new FileOutcome(result, provenance);
    }

    /// <summary>
    /// Copies encoded events into shared 64 KiB arrays, below the large-object heap's threshold:
    /// one allocation per few hundred events instead of one each. A chunk lives as long as a batch
    /// still refers to a slice of it.
    /// </summary>
    private sealed class ChunkWriter
    {
        private const int ChunkSize = 64 * 1024;
        private byte[] _chunk = new byte[ChunkSize];
        private int _used;

        public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > ChunkSize / 4) return bytes.ToArray();
            if (_used + bytes.Length > _chunk.Length)
            {
                _chunk = new byte[ChunkSize];
                _used = 0;
            }
            bytes.CopyTo(_chunk.AsSpan(_used));
            var slice = new ReadOnlyMemory<byte>(_chunk, _used, bytes.Length);
            _used += bytes.Length;
            return slice;
        }
    }

    private sealed class HostCursor(string stream, byte[] hostKey)
    {
        public readonly string Stream = stream;
        public readonly byte[] HostKey = hostKey;
        public long Next;
        public long LastInputSeq = -1;
    }

    private static string TraceIdFor(IngestRequest request, ReadContext context, string file)
    {
        if (request.Trace is not null) return request.Trace;
        if (context.Header is { } h)
        {
            if (TraceStreams.Validate("trace id", h.Trace) is { } bad) throw new TraceFormatException(file, 1, bad);
            return h.Trace;
        }
        if (file == "-") throw new ArgumentException("standard input has no file name to name the trace after: give --trace ID");
        var stem = Path.GetFileName(file);
        foreach (var ext in new[] { ".gz", ".jsonl", ".json", ".txt", ".trace", ".strace", ".perf", ".log" })
            if (stem.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) stem = stem[..^ext.Length];
        var id = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray()).Trim('-', '.');
        if (id.Length == 0 || TraceStreams.Validate("trace id", id) is not null)
            throw new ArgumentException($"cannot name a trace after '{file}': give --trace ID");
        return id;
    }

    private ICaptureReader Pick(InputFile input, string format)
    {
        if (format != "auto")
        {
            return readers.FirstOrDefault(r => r.Format == format)
                ?? throw new ArgumentException($"unknown format '{format}' (one of: auto, {string.Join(", ", readers.Select(r => r.Format))})");
        }
        return readers.FirstOrDefault(r => r.Recognises(input.Head))
            ?? throw new TraceFormatException(input.Name, 1,
                $"not a capture format this replayer knows ({string.Join(", ", readers.Select(r => r.Format))}); give --format if it is one of them");
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<TraceSource>))]
internal sealed partial class IngestJson : System.Text.Json.Serialization.JsonSerializerContext;
