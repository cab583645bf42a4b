using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;

namespace Replayer.Ingest.Traces;

public sealed record TraceListing(string Trace, IReadOnlyList<string> Hosts, long Events);

public sealed record HostSummary(string Host, long Events, long FirstTime, long LastTime);

/// <summary>What `traces show` tells of a trace, computed from its events (never from a cache that could drift).</summary>
public sealed record TraceSummary(
    string Trace,
    IReadOnlyList<HostSummary> Hosts,
    long Events,
    SortedDictionary<string, long> EventsByKind,
    SortedDictionary<string, long> AnswersByKind,
    long FirstTime,
    long LastTime,
    IReadOnlyList<TraceSource> Sources);

/// <summary>The traces in a store: list, summarise, read back, export and delete them.</summary>
public sealed class TraceCatalog(IEventStore store)
{
    public async Task<IReadOnlyList<TraceListing>> ListAsync(CancellationToken ct = default)
    {
        var byTrace = new SortedDictionary<string, (List<string> Hosts, long Events)>(StringComparer.Ordinal);
        foreach (var s in await store.ListStreamsAsync(TraceStreams.Prefix, ct))
        {
            if (!TraceStreams.TryParse(s.Name, out var trace, out var host)) continue;
            if (!byTrace.TryGetValue(trace, out var entry)) byTrace[trace] = entry = ([], 0);
            if (s.Name.EndsWith(TraceStreams.MetaSuffix, StringComparison.Ordinal)) continue;
            entry.Hosts.Add(host);
            byTrace[trace] = (entry.Hosts, entry.Events + s.Count);
        }
        return byTrace.Where(kv => kv.Value.Hosts.Count > 0)
            .Select(kv => new TraceListing(kv.Key, kv.Value.Hosts, kv.Value.Events)).ToList();
    }

    /// <summary>The host streams of a trace, by host name; empty when the trace does not exist.</summary>
    public async Task<IReadOnlyList<StreamInfo>> HostStreamsAsync(string trace, CancellationToken ct = default) =>
        (await store.ListStreamsAsync(TraceStreams.TracePrefix(trace), ct))
            .Where(s => !s.Name.EndsWith(TraceStreams.MetaSuffix, StringComparison.Ordinal))
            .ToList();

    public async Task<IReadOnlyList<TraceSource>> SourcesAsync(string trace, CancellationToken ct = default)
    {
        var list = new List<TraceSource>();
        await foreach (var e in store.ReadStreamAsync(TraceStreams.MetaStream(trace), StreamRevision.Start, ct: ct))
            list.AddRange(TraceIngest.ParseMeta(e.Data.Span));
        return list;
    }

    public async Task<TraceSummary?> ShowAsync(string trace, CancellationToken ct = default)
    {
        var streams = await HostStreamsAsync(trace, ct);
        if (streams.Count == 0) return null;
        var byKind = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var answers = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var hosts = new List<HostSummary>();
        long total = 0, first = long.MaxValue, last = long.MinValue;
        foreach (var s in streams)
        {
            TraceStreams.TryParse(s.Name, out _, out var host);
            long n = 0, hFirst = long.MaxValue, hLast = long.MinValue;
            await foreach (var ev in ReadHostAsync(trace, host, ct))
            {
                n++;
                var kind = NativeJson.KindName(ev.Kind);
                byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
                int a = ev.RecordedAnswers;
                if (a > 0) answers[kind] = answers.GetValueOrDefault(kind) + a;
                hFirst = Math.Min(hFirst, ev.Time);
                hLast = Math.Max(hLast, ev.Time);
            }
            hosts.Add(new HostSummary(host, n, n > 0 ? hFirst : 0, n > 0 ? hLast : 0));
            total += n;
            if (n > 0)
            {
                first = Math.Min(first, hFirst);
                last = Math.Max(last, hLast);
            }
        }
        return new TraceSummary(trace, hosts, total, byKind, answers, total > 0 ? first : 0, total > 0 ? last : 0,
            await SourcesAsync(trace, ct));
    }

    /// <summary>One host's events in order, decoded.</summary>
    public async IAsyncEnumerable<PidEvent> ReadHostAsync(string trace, string host,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var stream = TraceStreams.HostStream(trace, host);
        await foreach (var e in store.ReadStreamAsync(stream, StreamRevision.Start, ct: ct))
            yield return Decode(e);
    }

    /// <summary>A stored event, in either form a store keeps (native JSON, or the binary form).</summary>
    public static PidEvent Decode(RecordedEvent e) =>
        NativeJson.ParseStored(e.Data.Span, Where(e.Stream), e.Revision.Value + 1);

    /// <summary>Decodes a chunk of a stream read with <see cref="IEventStore.ReadStreamDataAsync"/>.</summary>
    public static PidEvent[] Decode(EventChunk chunk)
    {
        var where = Where(chunk.Stream);
        var events = new PidEvent[chunk.Count];
        for (int i = 0; i < events.Length; i++) events[i] = NativeJson.ParseStored(chunk.Data(i), where, chunk.Revision(i) + 1);
        return events;
    }

    /// <summary>How an error names a stored event: "store:STREAM" and its revision + 1 as the line.</summary>
    private static string Where(string stream) => $"store:{stream}";

    /// <summary>
    /// Writes the trace as a native file: its header, then every host's events in the order they
    /// were committed (global position), which is the order of the files they came from.
    /// </summary>
    public async Task<long> ExportAsync(string trace, Stream output, CancellationToken ct = default)
    {
        var streams = await HostStreamsAsync(trace, ct);
        if (streams.Count == 0) throw new KeyNotFoundException($"no trace '{trace}' in {store.Description}");
        using var writer = new NativeWriter(output);
        writer.WriteHeader(new TraceHeader(trace, await SourcesAsync(trace, ct)));
        var cursors = new List<IAsyncEnumerator<RecordedEvent>>();
        try
        {
            foreach (var s in streams)
            {
                var c = store.ReadStreamAsync(s.Name, StreamRevision.Start, ct: ct).GetAsyncEnumerator(ct);
                if (await c.MoveNextAsync()) cursors.Add(c);
                else await c.DisposeAsync();
            }
            long n = 0;
            while (cursors.Count > 0)
            {
                int min = 0;
                for (int i = 1; i < cursors.Count; i++)
                    if (cursors[i].Current.Position.Value < cursors[min].Current.Position.Value) min = i;
                var c = cursors[min];
                // Native JSON as stored (a store of schema 1); the binary form is written as the line it stands for.
                if (c.Current.Data.Span is [(byte)'{', ..])
                {
                    output.Write(c.Current.Data.Span);
                    output.WriteByte((byte)'\n');
                }
                else writer.Write(Decode(c.Current));
                n++;
                if (!await c.MoveNextAsync())
                {
                    await c.DisposeAsync();
                    cursors.RemoveAt(min);
                }
            }
            await output.FlushAsync(ct);
            return n;
        }
        finally
        {
            foreach (var c in cursors) await c.DisposeAsync();
        }
    }

    /// <summary>Deletes a trace's streams; false when there was no such trace.</summary>
    public async Task<bool> DeleteAsync(string trace, CancellationToken ct = default)
    {
        var streams = await store.ListStreamsAsync(TraceStreams.TracePrefix(trace), ct);
        if (streams.Count == 0) return false;
        await store.DeleteStreamsAsync(streams.Select(s => s.Name).ToList(), ct);
        return true;
    }
}
