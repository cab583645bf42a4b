using System.CommandLine;
using System.Diagnostics;
using Replayer.Actors.Replay;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Replay.Engine;
using Spectre.Console;

namespace Replayer.Cli.Commands;

/// <summary>
/// `replayer replay --trace ID [--models nested,vpid] [--policy openvz|vpid-only] [--json]`: every
/// host of a stored trace through the models, one actor per host and per container; prints where
/// the designs diverge. Resumes from the latest snapshot unless told otherwise.
/// </summary>
public static class ReplayCommand
{
    public static readonly Option<string> Trace = new("--trace") { Description = "The trace in the store to replay", Required = true };

    public static readonly Option<string> Models = new("--models")
    {
        Description = "The models to compare, left then right (one or two of: nested, vpid)",
        DefaultValueFactory = _ => "nested,vpid",
    };

    public static readonly Option<string> Policy = new("--policy")
    {
        Description = "Who kill(-1) reaches under virtual pids: openvz (OpenVZ's access policy) or vpid-only (the patch alone)",
        DefaultValueFactory = _ => "openvz",
    };

    public static readonly Option<long> SnapshotEvery = new("--snapshot-every")
    {
        Description = "Keep a snapshot to resume from every N events of a host",
        DefaultValueFactory = _ => 1_000_000,
    };

    public static readonly Option<int> PidMax = new("--pid-max")
    {
        Description = "The hosts' pid_max (/proc/sys/kernel/pid_max where the trace was recorded)",
        DefaultValueFactory = _ => Replayer.Replay.Models.Nested.NestedPidModel.DefaultPidMax,
    };

    public static readonly Option<bool> FromStart = new("--from-start") { Description = "Ignore snapshots and replay every host from its first event" };

    public static readonly Option<long?> StopAfter = new("--stop-after")
    {
        Description = "Stop each host after N of its events, keeping a snapshot there; the same command without it resumes",
    };

    public static Command Create()
    {
        var cmd = new Command("replay", "Replay a stored trace through both designs, one actor per host and per container, and summarise where they diverge; exit 1 when they do")
        {
            Trace, Models, Policy, PidMax, SnapshotEvery, FromStart, StopAfter, StoreOptions.Json,
        };
        Policy.AcceptOnlyFromAmong("openvz", "vpid-only");
        cmd.SetAction(async (parse, ct) =>
        {
            var (result, elapsed) = await RunAsync(parse, ct);
            if (parse.GetValue(StoreOptions.Json))
                Terminal.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("complete", result.Complete);
                    w.WriteNumber("replayed", result.Replayed);
                    w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
                    w.WritePropertyName("report");
                    result.Report.WriteJson(w);
                    w.WriteEndObject();
                });
            else Print(result, elapsed);
            return result.Report.DivergentEvents > 0 ? ExitCodes.Found : ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Runs the replay the options describe, with progress on a terminal.</summary>
    public static async Task<(ReplayResult Result, TimeSpan Elapsed)> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var settings = new ReplaySettings
        {
            Models = parse.GetValue(Models)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            Policy = ReplaySettings.ParsePolicy(parse.GetValue(Policy)!),
            SnapshotEvery = parse.GetValue(SnapshotEvery),
            PidMax = parse.GetValue(PidMax),
        };
        settings.Validate();
        var id = parse.GetValue(Trace)!;
        await using var store = await StoreOptions.OpenAsync(parse, ct);
        var catalog = new TraceCatalog(store);
        var hosts = await catalog.HostStreamsAsync(id, ct);
        if (hosts.Count == 0) throw new KeyNotFoundException($"no trace '{id}' in {store.Description}");
        var sources = await catalog.SourcesAsync(id, ct);
        settings = settings with { Ptraced = sources.Count > 0 && sources.All(s => s.Format == "strace") };
        var job = new ReplayJob
        {
            Store = store, Trace = id, Settings = settings, Cancel = ct,
            FromStart = parse.GetValue(FromStart), StopAfter = parse.GetValue(StopAfter),
        };
        long total = hosts.Sum(h => h.Count);
        var clock = Stopwatch.StartNew();
        var run = TraceReplay.RunAsync(job);
        if (Terminal.ShowsProgress)
        {
            await Terminal.Err.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask($"replay {Markup.Escape(id)}", maxValue: Math.Max(1, total));
                    while (!run.IsCompleted)
                    {
                        await Task.WhenAny(run, Task.Delay(200, CancellationToken.None));
                        long done = Interlocked.Read(ref job.Progress);
                        task.Value = done;
                        task.Description = $"replay {Markup.Escape(id)} {done:N0} of {total:N0} events";
                    }
                    task.Value = task.MaxValue;
                });
        }
        var result = await run;
        return (result, clock.Elapsed);
    }

    private static void Print(ReplayResult result, TimeSpan elapsed)
    {
        var r = result.Report;
        double rate = elapsed.TotalSeconds > 0 ? result.Replayed / elapsed.TotalSeconds : 0;
        Console.WriteLine($"trace {r.Trace}: {string.Join(" vs ", r.Models)}, policy {r.Policy}: {r.Events:N0} events on {r.Hosts.Count} host(s), " +
            $"{r.Containers.Count(c => c.Id != "host"):N0} container(s)");
        Console.WriteLine(result.Replayed == 0
            ? "nothing new to replay: every host's snapshot is at the end of its stream"
            : $"replayed {result.Replayed:N0} events in {elapsed.TotalSeconds:F2} s ({rate:N0} events/s)" + (result.Complete ? "" : ", stopped where asked: run again without --stop-after to resume"));
        Console.WriteLine($"divergent events: {r.DivergentEvents:N0}; by category: " +
            string.Join(", ", CategoryNames.All.Select((name, i) => $"{name} {r.Divergences[(Replayer.Replay.Divergence.DivergenceCategory)i]:N0}")));
        if (r.Quarantined.Count > 0) Console.WriteLine($"quarantined events: {r.Quarantined.Count:N0} (their replay failed; see the report)");
        var table = new Table().AddColumns("host", "container", "name", "events", "divergent", "first divergence");
        foreach (var c in r.Containers.OrderByDescending(c => c.DivergentEvents).ThenBy(c => c.Host, StringComparer.Ordinal).Take(15))
        {
            var first = c.FirstDivergence is int f ? r.Details[f] : null;
            table.AddRow(Markup.Escape(c.Host), c.Id, Markup.Escape(c.Name), c.Events.ToString("N0"), c.DivergentEvents.ToString("N0"),
                first is null ? "" : Markup.Escape($"#{first.Event.Position} {CategoryNames.Name(first.Category)}: {first.Event.Text}: {first.Left} vs {first.Right}"));
        }
        Terminal.Out.Write(table);
        foreach (var o in r.Hosts.SelectMany(h => h.Oracle.Select(o => (h.Host, o))).Where(x => x.o.Disagreed > 0))
            Console.WriteLine($"host {o.Host}: model {o.o.Model} disagrees with {o.o.Disagreed:N0} recorded kernel answers");
    }
}
