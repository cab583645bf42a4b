using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Replayer.Actors.Diagnostics;
using Replayer.Replay.WhatIf;

namespace Replayer.Cli.Commands;

/// <summary>
/// `replayer whatif`: what each design would cost on a host with 1, 10, 100, 1000... containers.
/// Each sweep point runs in a child replayer process whose runtime counters are sampled over
/// EventPipe; the child hands its point back as JSON. The report, CSV and JSON go to --out.
/// </summary>
public static class WhatIfCommand
{
    /// <summary>Seconds between two counter samples of a child.</summary>
    private const double SampleInterval = 0.25;

    public static Command Create()
    {
        var containers = new Option<string>("--containers") { Description = "Container counts to sweep, comma-separated", DefaultValueFactory = _ => "1,10,100,1000" };
        var tasks = new Option<int>("--tasks-per-container") { Description = "Tasks each container keeps alive, its init included", DefaultValueFactory = _ => 50 };
        var events = new Option<int>("--events") { Description = "Events per point (each design's stream)", DefaultValueFactory = _ => 1_000_000 };
        var workload = new Option<string>("--workload") { Description = $"A workload name ({string.Join(", ", WhatIfWorkloads.Names)}) or a workload YAML file", DefaultValueFactory = _ => WhatIfWorkloads.Default };
        var pidMax = new Option<int>("--pid-max") { Description = "pid_max of the modelled host; capacity is also given at 32768 and 4194304", DefaultValueFactory = _ => 4 * 1024 * 1024 };
        var kernel = new Option<string>("--kernel") { Description = "Cost the nested design's lookups in 2.6.24's pid hash or today's idr (default: both)" };
        kernel.AcceptOnlyFromAmong("2.6.24", "modern");
        var buckets = new Option<int>("--hash-buckets") { Description = "Buckets of the pid hash (2.6.24) and the vpid hash: pidhash_size, 16 to 4096", DefaultValueFactory = _ => 4096 };
        var migration = new Option<double>("--migration-rate") { Description = "Fraction of the containers that arrive by migration", DefaultValueFactory = _ => 0.01 };
        var seed = new Option<int>("--seed") { Description = "Seed of the workload", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Folder for report.html, whatif.json and whatif.csv", DefaultValueFactory = _ => "whatif" };
        var inProcess = new Option<bool>("--in-process") { Description = "Run every point in this process, without sampling runtime counters" };
        var pointOut = new Option<string?>("--point-out") { Description = "Run the single point given by --containers and write it as JSON here (what the sampled child does)", Hidden = true };
        var cmd = new Command("whatif", "Sweep container counts and report what each pid design would cost: translations, probes, memory, capacity, sparse-switch spikes, divergences, and the replay's own runtime")
        {
            containers, tasks, events, workload, pidMax, kernel, buckets, migration, seed, output, inProcess, pointOut,
        };
        cmd.SetAction(parse =>
        {
            var options = new WhatIfOptions
            {
                Containers = ParseCounts(parse.GetValue(containers)!),
                TasksPerContainer = parse.GetValue(tasks),
                Events = parse.GetValue(events),
                PidMax = parse.GetValue(pidMax),
                Kernel = parse.GetValue(kernel) switch { "2.6.24" => KernelChoice.Linux2_6_24, "modern" => KernelChoice.Modern, _ => KernelChoice.Both },
                HashBuckets = parse.GetValue(buckets),
                MigrationRate = parse.GetValue(migration),
                Seed = parse.GetValue(seed),
            };
            options.Validate();
            var source = WhatIfWorkloads.Resolve(parse.GetValue(workload)!);
            var sweep = new WhatIfSweep(options, source);

            if (parse.GetValue(pointOut) is { } pointFile)
            {
                if (options.Containers.Count != 1) throw new ArgumentException("--point-out runs one point: give one --containers count");
                File.WriteAllText(pointFile, WhatIfData.ToJson(sweep.RunPoint(options.Containers[0])));
                return ExitCodes.Ok;
            }

            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            bool sampled = !parse.GetValue(inProcess);
            var clock = Stopwatch.StartNew();
            var points = new List<PointResult>();
            foreach (int count in options.Containers)
            {
                var started = clock.Elapsed;
                var point = sampled ? RunSampled(options, parse.GetValue(workload)!, count, dir) : sweep.RunPoint(count);
                points.Add(point);
                Console.Error.WriteLine($"{count:N0} containers: {(clock.Elapsed - started).TotalSeconds:F1} s");
            }
            var result = new WhatIfResult
            {
                Options = options,
                Workload = source.Name,
                Points = points,
                Capacity = WhatIfResult.CapacityFor(options.PidMax, options.TasksPerContainer),
                Machine = Machine,
                WallSeconds = clock.Elapsed.TotalSeconds,
                Sampled = sampled,
            };
            File.WriteAllText(Path.Combine(dir, "whatif.json"), WhatIfData.ToJson(result));
            File.WriteAllText(Path.Combine(dir, "whatif.csv"), WhatIfData.ToCsv(result));
            var report = Path.Combine(dir, "report.html");
            File.WriteAllText(report, WhatIfReport.Render(result));
            Summarise(result);
            Console.WriteLine($"report: {report} ({result.WallSeconds:F1} s)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Runs one point in a child replayer with the same options, sampled over EventPipe, and reads back its JSON.</summary>
    private static PointResult RunSampled(WhatIfOptions options, string workload, int containers, string dir)
    {
        var pointFile = Path.Combine(dir, $".point-{containers}.json");
        var start = SelfStart();
        foreach (var a in ChildArgs(options, workload, containers, pointFile)) start.ArgumentList.Add(a);
        var run = RuntimeCounterSampler.Run(start, SampleInterval, TimeSpan.FromMinutes(30));
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"the replay of {containers} containers failed (exit {run.ExitCode}): {run.Stderr.Trim()}");
        var point = WhatIfData.FromJson<PointResult>(File.ReadAllText(pointFile));
        File.Delete(pointFile);
        return point with { Runtime = Summary(run) };
    }

    private static RuntimeSummary Summary(SampledRun run)
    {
        static double Mean(IEnumerable<double> v) => v.DefaultIfEmpty(0).Average();
        static double Max(IEnumerable<double> v) => v.DefaultIfEmpty(0).Max();
        return new RuntimeSummary(
            run.Values("cpu-usage").Count(),
            Mean(run.Values("cpu-usage")), Max(run.Values("cpu-usage")),
            Max(run.Values("gc-heap-size")),
            Mean(run.Values("alloc-rate")) / 1e6,
            Max(run.Values("working-set")),
            run.WallSeconds);
    }

    /// <summary>This program again: the apphost, or `dotnet replayer.dll` when run that way.</summary>
    private static ProcessStartInfo SelfStart()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            start.ArgumentList.Add(typeof(WhatIfCommand).Assembly.Location);
        return start;
    }

    /// <summary>The child's command line: this run's options, for one point.</summary>
    private static IEnumerable<string> ChildArgs(WhatIfOptions o, string workload, int containers, string pointFile)
    {
        string I(double v) => v.ToString(CultureInfo.InvariantCulture);
        string[] args =
        [
            "whatif", "--containers", I(containers), "--tasks-per-container", I(o.TasksPerContainer), "--events", I(o.Events),
            "--workload", workload, "--pid-max", I(o.PidMax), "--hash-buckets", I(o.HashBuckets),
            "--migration-rate", I(o.MigrationRate), "--seed", I(o.Seed), "--point-out", pointFile,
        ];
        return o.Kernel switch
        {
            KernelChoice.Modern => [.. args, "--kernel", "modern"],
            KernelChoice.Linux2_6_24 => [.. args, "--kernel", "2.6.24"],
            _ => args,
        };
    }

    private static IReadOnlyList<int> ParseCounts(string text)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new ArgumentException($"--containers: '{part}' is not a container count (give positive integers, comma-separated)");
            counts.Add(n);
        }
        if (counts.Count == 0) throw new ArgumentException("--containers: give one or more counts, e.g. 1,10,100,1000");
        return counts.Distinct().Order().ToList();
    }

    private static void Summarise(WhatIfResult r)
    {
        Console.WriteLine($"{"containers",10}  {"design",-34} {"probes/event",12} {"probes/translation (container, sparse)",40} {"bytes/container",16} {"ns/event",9}");
        foreach (var p in r.Points)
            foreach (var v in p.Variants)
                Console.WriteLine($"{p.Containers,10:N0}  {v.Variant,-34} {v.ProbesPerEvent,12:F2} "
                    + $"{$"{v.Container.ProbesPerTranslation:F2}, {v.SparseContainer.ProbesPerTranslation:F2}",40} {v.Memory.MeanBytes,16:N0} {v.NanosecondsPerEvent,9:F0}");
        foreach (var c in r.Capacity)
            Console.WriteLine($"capacity at pid_max {c.PidMax:N0}: nested {c.Computed.NestedContainers:N0}, vpid {c.Computed.VpidContainers:N0} containers of {c.Computed.TasksPerContainer}");
    }

    private static string Machine =>
        $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {Environment.OSVersion.VersionString}, .NET {Environment.Version}";
}
