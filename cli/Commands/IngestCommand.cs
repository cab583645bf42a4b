using System.CommandLine;
using System.Diagnostics;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Traces;
using Spectre.Console;

namespace Replayer.Cli.Commands;

/// <summary>`replayer ingest FILE...`: captures into the store, atomically.</summary>
public static class IngestCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "Capture files to ingest ('-' reads standard input); gzip is recognised. "
                + "strace -ff files (PREFIX.PID) given together are one capture, named after PREFIX",
            Arity = ArgumentArity.OneOrMore,
        };
        var format = new Option<string>("--format")
        {
            Description = $"The capture format: auto, {string.Join(", ", CaptureFormats.Names)}",
            DefaultValueFactory = _ => "auto",
        };
        format.AcceptOnlyFromAmong(["auto", .. CaptureFormats.Names]);
        var trace = new Option<string?>("--trace") { Description = "The trace id (default: the native header's, else the file's name)" };
        var host = new Option<string?>("--host") { Description = $"The host of events whose capture names none (default: {TraceIngest.DefaultHost})" };
        var lenient = new Option<bool>("--lenient") { Description = "Skip bad lines, count them and show the first few, instead of stopping" };
        var cmd = new Command("ingest", "Read captures into the event store; all or nothing")
        {
            files, format, trace, host, lenient, StoreOptions.Json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreOptions.OpenAsync(parse, ct);
            var request = new IngestRequest(parse.GetValue(files)!, parse.GetValue(format)!, parse.GetValue(trace),
                parse.GetValue(host), parse.GetValue(lenient));
            var ingest = new TraceIngest(store, CaptureFormats.All);
            var clock = Stopwatch.StartNew();
            IngestResult result;
            if (Terminal.ShowsProgress)
            {
                result = await Terminal.Err.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>();
                        var progress = new Progress<IngestProgress>(p =>
                        {
                            if (!tasks.TryGetValue(p.File, out var t))
                                tasks[p.File] = t = ctx.AddTask(Markup.Escape(Path.GetFileName(p.File)), maxValue: p.TotalBytes ?? 1);
                            t.Value = p.TotalBytes is null ? 0 : p.Bytes;
                            t.Description = $"{Markup.Escape(Path.GetFileName(p.File))} {p.Events:N0} events";
                        });
                        return await ingest.RunAsync(request, progress, ct);
                    });
            }
            else
            {
                result = await ingest.RunAsync(request, null, ct);
            }
            Print(result, clock.Elapsed, parse.GetValue(StoreOptions.Json), store.Description);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>One ingested file's fields, as `ingest --json` and `capture --ingest --json` print them.</summary>
    internal static void WriteSource(System.Text.Json.Utf8JsonWriter w, IngestedSource s)
    {
        w.WriteString("file", s.File);
        w.WriteString("format", s.Format);
        w.WriteString("trace", s.Trace);
        w.WriteStartArray("hosts");
        foreach (var h in s.Hosts) w.WriteStringValue(h);
        w.WriteEndArray();
        w.WriteNumber("lines", s.Lines);
        w.WriteNumber("events", s.Events);
        w.WriteNumber("skipped", s.Skipped);
        w.WriteStartArray("first_errors");
        foreach (var e in s.FirstErrors) w.WriteStringValue(e);
        w.WriteEndArray();
    }

    private static void Print(IngestResult r, TimeSpan elapsed, bool json, string store)
    {
        if (json)
        {
            Terminal.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("store", store);
                w.WriteNumber("added", r.Added);
                w.WriteNumber("already_present", r.AlreadyPresent);
                w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
                w.WriteStartArray("sources");
                foreach (var s in r.Sources)
                {
                    w.WriteStartObject();
                    WriteSource(w, s);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        foreach (var s in r.Sources)
        {
            Console.WriteLine($"{s.File}: {s.Format}, {s.Lines:N0} lines, {s.Events:N0} events -> trace {s.Trace} (hosts: {string.Join(", ", s.Hosts)})");
            if (s.Skipped > 0)
            {
                Console.WriteLine($"  skipped {s.Skipped:N0} bad lines (--lenient); the first:");
                foreach (var e in s.FirstErrors) Console.WriteLine($"    {e}");
            }
        }
        double rate = elapsed.TotalSeconds > 0 ? (r.Added + r.AlreadyPresent) / elapsed.TotalSeconds : 0;
        if (r.Added == 0 && r.AlreadyPresent > 0)
            Console.WriteLine($"added 0 events: all {r.AlreadyPresent:N0} were already in the store ({elapsed.TotalSeconds:F2} s)");
        else if (r.AlreadyPresent > 0)
            Console.WriteLine($"added {r.Added:N0} events; {r.AlreadyPresent:N0} were already in the store ({elapsed.TotalSeconds:F2} s)");
        else
            Console.WriteLine($"added {r.Added:N0} events in {elapsed.TotalSeconds:F2} s ({rate:N0} events/s)");
    }
}
