using System.CommandLine;
using System.Diagnostics;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Synthetic;
using Replayer.Ingest.Traces;
using Replayer.Replay.Synthetic;
using Spectre.Console;

namespace Replayer.Cli.Commands;

/// <summary>
/// `replayer generate`: a synthetic workload (docs/workloads.md), recorded the way today's kernel
/// would have (the nested model as its kernel), to a native file or straight into the store.
/// </summary>
public static class GenerateCommand
{
    /// <summary>The provenance format of generated traces.</summary>
    public const string Format = "synthetic";

    public static Command Create()
    {
        var workload = new Option<string>("--workload")
        {
            Description = $"A built-in workload ({string.Join(", ", WorkloadSpec.Names)}) or a YAML file describing one",
            DefaultValueFactory = _ => "mixed",
        };
        var hosts = new Option<int?>("--hosts") { Description = "Hosts (default: the workload's)" };
        var containers = new Option<int?>("--containers") { Description = "Top-level containers per host (default: the workload's)" };
        var tasks = new Option<int?>("--tasks-per-container") { Description = "Tasks a container grows to (default: the workload's)" };
        var events = new Option<long?>("--events") { Description = "Events to write, over all hosts (default: the workload's)" };
        var seed = new Option<int?>("--seed") { Description = "The seed: the same one gives the same trace (default: the workload's)" };
        var output = new Option<string?>("--out") { Description = "Write the native format here ('-' for standard output)" };
        var ingest = new Option<bool>("--ingest") { Description = "Stream the events into the store instead, atomically (needs --trace)" };
        var trace = new Option<string?>("--trace") { Description = "The trace id to ingest as" };
        var cmd = new Command("generate", "Generate a synthetic workload, recorded as today's kernel would have, to a native file or into the store")
        {
            workload, hosts, containers, tasks, events, seed, output, ingest, trace, StoreOptions.Json,
        };
        cmd.Validators.Add(r =>
        {
            bool toFile = r.GetValue(output) is not null, toStore = r.GetValue(ingest);
            if (toFile == toStore) r.AddError("give either --out FILE or --ingest --trace ID");
            if (toStore && r.GetValue(trace) is null) r.AddError("--ingest needs --trace ID");
            if (!toStore && r.GetValue(trace) is not null) r.AddError("--trace goes with --ingest");
            if (r.GetValue(output) == "-" && r.GetValue(StoreOptions.Json)) r.AddError("--json cannot share standard output with the trace");
        });
        cmd.SetAction(async (parse, ct) =>
        {
            var spec = Load(parse.GetValue(workload)!);
            spec = spec with
            {
                Hosts = parse.GetValue(hosts) ?? spec.Hosts,
                Containers = parse.GetValue(containers) ?? spec.Containers,
                TasksPerContainer = parse.GetValue(tasks) ?? spec.TasksPerContainer,
                Events = parse.GetValue(events) ?? spec.Events,
                Seed = parse.GetValue(seed) ?? spec.Seed,
            };
            if (spec.Check() is { } bad) throw new ArgumentException(bad);
            var generated = NestedKernel.Trace(spec);
            var clock = Stopwatch.StartNew();
            bool json = parse.GetValue(StoreOptions.Json);
            if (parse.GetValue(output) is { } path)
            {
                long written = Write(path, generated, ct);
                Report(json, spec, written, clock.Elapsed, path == "-" ? "standard output" : path);
                return ExitCodes.Ok;
            }
            await using var store = await StoreOptions.OpenAsync(parse, ct);
            var id = parse.GetValue(trace)!;
            var source = $"replayer generate --workload {spec.Workload} --seed {spec.Seed}";
            var run = new TraceIngest(store, CaptureFormats.All);
            IngestResult result;
            if (Terminal.ShowsProgress)
            {
                result = await Terminal.Err.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask(Markup.Escape(spec.Workload), maxValue: Math.Max(1, spec.Events));
                        var progress = new Progress<IngestProgress>(p => task.Value = p.Events);
                        return await run.RunAsync(id, source, Format, generated, progress, ct);
                    });
            }
            else
            {
                result = await run.RunAsync(id, source, Format, generated, null, ct);
            }
            Report(json, spec, result.Added + result.AlreadyPresent, clock.Elapsed, $"trace {id} in {store.Description}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A YAML file when the name is one (or looks like one), else a built-in workload.</summary>
    private static WorkloadSpec Load(string workload) =>
        File.Exists(workload) || workload.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || workload.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            ? WorkloadSpec.FromYaml(workload)
            : WorkloadSpec.Named(workload);

    private static long Write(string path, IEnumerable<PidEvent> events, CancellationToken ct)
    {
        using var stream = path == "-" ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var buffered = new BufferedStream(stream, 1 << 16);
        using var writer = new NativeWriter(buffered);
        long count = 0;
        foreach (var ev in events)
        {
            writer.Write(ev);
            if ((++count & 0xffff) == 0) ct.ThrowIfCancellationRequested();
        }
        return count;
    }

    private static void Report(bool json, WorkloadSpec spec, long events, TimeSpan elapsed, string where)
    {
        double rate = elapsed.TotalSeconds > 0 ? events / elapsed.TotalSeconds : 0;
        if (json)
        {
            Terminal.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("workload", spec.Workload);
                w.WriteNumber("hosts", spec.Hosts);
                w.WriteNumber("containers", spec.Containers);
                w.WriteNumber("tasks_per_container", spec.TasksPerContainer);
                w.WriteNumber("seed", spec.Seed);
                w.WriteNumber("events", events);
                w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
                w.WriteString("to", where);
                w.WriteEndObject();
            });
            return;
        }
        // Standard output may be the trace itself: the summary goes to standard error then.
        var line = $"{spec.Workload}: {events:N0} events from {spec.Hosts} hosts x {spec.Containers} containers x {spec.TasksPerContainer} tasks "
            + $"(seed {spec.Seed}) to {where} in {elapsed.TotalSeconds:F2} s ({rate:N0} events/s)";
        if (where == "standard output") Console.Error.WriteLine(line);
        else Console.WriteLine(line);
    }
}
