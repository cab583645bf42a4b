using System.CommandLine;
using System.Text.Json;
using Replayer.Ingest.Traces;
using Spectre.Console;

namespace Replayer.Cli.Commands;

/// <summary>`replayer traces list|show|export|delete`.</summary>
public static class TracesCommand
{
    public static Command Create()
    {
        var cmd = new Command("traces", "List, inspect, export and delete the traces in the store");
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Show());
        cmd.Subcommands.Add(Export());
        cmd.Subcommands.Add(Delete());
        return cmd;
    }

    private static Argument<string> TraceId() => new("ID") { Description = "The trace id" };

    private static Command List()
    {
        var cmd = new Command("list", "The traces in the store, with their hosts and event counts") { StoreOptions.Json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreOptions.OpenAsync(parse, ct);
            var traces = await new TraceCatalog(store).ListAsync(ct);
            if (parse.GetValue(StoreOptions.Json))
            {
                Terminal.Json(w =>
                {
                    w.WriteStartArray();
                    foreach (var t in traces)
                    {
                        w.WriteStartObject();
                        w.WriteString("trace", t.Trace);
                        w.WriteStartArray("hosts");
                        foreach (var h in t.Hosts) w.WriteStringValue(h);
                        w.WriteEndArray();
                        w.WriteNumber("events", t.Events);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
                return ExitCodes.Ok;
            }
            if (traces.Count == 0)
            {
                Console.WriteLine($"no traces in {store.Description}");
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("trace", "hosts", "events");
            foreach (var t in traces)
                table.AddRow(Markup.Escape(t.Trace), Markup.Escape(string.Join(", ", t.Hosts)), t.Events.ToString("N0"));
            Terminal.Out.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Show()
    {
        var id = TraceId();
        var cmd = new Command("show", "A trace's hosts, events and recorded kernel answers by kind, time span and sources") { id, StoreOptions.Json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreOptions.OpenAsync(parse, ct);
            var trace = parse.GetValue(id)!;
            var s = await new TraceCatalog(store).ShowAsync(trace, ct)
                ?? throw new KeyNotFoundException($"no trace '{trace}' in {store.Description}");
            if (parse.GetValue(StoreOptions.Json))
            {
                Terminal.Json(w => WriteSummary(w, s));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"trace {s.Trace}: {s.Events:N0} events, {s.Hosts.Count} host(s), {TimeSpan.FromTicks((s.LastTime - s.FirstTime) / 100).TotalSeconds:F6} s");
            var hosts = new Table().AddColumns("host", "events", "first (ns)", "last (ns)");
            foreach (var h in s.Hosts) hosts.AddRow(Markup.Escape(h.Host), h.Events.ToString("N0"), h.FirstTime.ToString(), h.LastTime.ToString());
            Terminal.Out.Write(hosts);
            var kinds = new Table().AddColumns("kind", "events", "recorded answers");
            foreach (var (k, n) in s.EventsByKind) kinds.AddRow(k, n.ToString("N0"), s.AnswersByKind.GetValueOrDefault(k).ToString("N0"));
            Terminal.Out.Write(kinds);
            if (s.Sources.Count > 0)
            {
                var src = new Table().AddColumns("source", "format", "host", "lines", "events", "skipped");
                foreach (var x in s.Sources)
                    src.AddRow(Markup.Escape(x.File), x.Format, Markup.Escape(x.Host), x.Lines.ToString("N0"), x.Events.ToString("N0"), x.Skipped.ToString("N0"));
                Terminal.Out.Write(src);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    internal static void WriteSummary(Utf8JsonWriter w, TraceSummary s)
    {
        w.WriteStartObject();
        w.WriteString("trace", s.Trace);
        w.WriteNumber("events", s.Events);
        w.WriteStartArray("hosts");
        foreach (var h in s.Hosts)
        {
            w.WriteStartObject();
            w.WriteString("host", h.Host);
            w.WriteNumber("events", h.Events);
            w.WriteNumber("first_time", h.FirstTime);
            w.WriteNumber("last_time", h.LastTime);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("events_by_kind");
        foreach (var (k, n) in s.EventsByKind) w.WriteNumber(k, n);
        w.WriteEndObject();
        w.WriteStartObject("answers_by_kind");
        foreach (var (k, n) in s.AnswersByKind) w.WriteNumber(k, n);
        w.WriteEndObject();
        w.WriteStartObject("time");
        w.WriteNumber("first", s.FirstTime);
        w.WriteNumber("last", s.LastTime);
        w.WriteNumber("span_ns", s.LastTime - s.FirstTime);
        w.WriteEndObject();
        w.WriteStartArray("sources");
        foreach (var x in s.Sources)
        {
            w.WriteStartObject();
            w.WriteString("file", x.File);
            w.WriteString("format", x.Format);
            w.WriteString("host", x.Host);
            w.WriteNumber("lines", x.Lines);
            w.WriteNumber("events", x.Events);
            w.WriteNumber("skipped", x.Skipped);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static Command Export()
    {
        var id = TraceId();
        var output = new Option<string>("--out") { Description = "The native file to write ('-' for standard output)", Required = true };
        var cmd = new Command("export", "Write a trace as a native JSON Lines file") { id, output };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreOptions.OpenAsync(parse, ct);
            var trace = parse.GetValue(id)!;
            var path = parse.GetValue(output)!;
            var catalog = new TraceCatalog(store);
            if ((await catalog.HostStreamsAsync(trace, ct)).Count == 0)
                throw new KeyNotFoundException($"no trace '{trace}' in {store.Description}");
            if (path == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                await catalog.ExportAsync(trace, stdout, ct);
                return ExitCodes.Ok;
            }
            // Written beside the target and renamed into place, so a failed export leaves no half file.
            var tmp = path + ".partial";
            long n;
            try
            {
                await using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    Stream sink = path.EndsWith(".gz", StringComparison.Ordinal)
                        ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)
                        : file;
                    n = await catalog.ExportAsync(trace, sink, ct);
                    if (sink != file) await sink.DisposeAsync();
                }
                File.Move(tmp, path, overwrite: true);
            }
            catch
            {
                File.Delete(tmp);
                throw;
            }
            Console.Error.WriteLine($"wrote {n:N0} events of trace {trace} to {path}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Delete()
    {
        var id = TraceId();
        var cmd = new Command("delete", "Remove a trace and all its events from the store") { id };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreOptions.OpenAsync(parse, ct);
            var trace = parse.GetValue(id)!;
            if (!await new TraceCatalog(store).DeleteAsync(trace, ct))
                throw new KeyNotFoundException($"no trace '{trace}' in {store.Description}");
            Console.WriteLine($"deleted trace {trace}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
