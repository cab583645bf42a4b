using System.CommandLine;
using System.Diagnostics;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;
using Replayer.Ingest.Synthetic;
using Replayer.Ingest.Traces;
using Replayer.Replay.Bench;
using Replayer.Replay.Models;
using Replayer.Replay.Synthetic;

namespace Replayer.Cli.Commands;

/// <summary>
/// `replayer bench ingest|model`: replayer's own speed and memory, measured the way a user meets
/// them, printed with the machine they ran on.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measure replayer's own speed and memory on this machine");
        cmd.Subcommands.Add(Read());
        cmd.Subcommands.Add(Ingest());
        cmd.Subcommands.Add(Model());
        cmd.Subcommands.Add(Replay());
        return cmd;
    }

    private static Command Read()
    {
        var file = new Argument<string>("FILE") { Description = "A capture to read (make a big one from a real capture with traces/workloads/repeat-trace.py)" };
        var format = new Option<string>("--format") { Description = $"The reader: {string.Join(", ", CaptureFormats.Names)}", Required = true };
        format.AcceptOnlyFromAmong([.. CaptureFormats.Names]);
        var runs = new Option<int>("--runs") { Description = "How many times to read it (the first pass is the one an ingest sees)", DefaultValueFactory = _ => 3 };
        var cmd = new Command("read", "Read a capture with one reader, storing nothing; print lines/s of each pass (pin with taskset for one core)")
        {
            file, format, runs,
        };
        cmd.SetAction(parse =>
        {
            var reader = CaptureFormats.All.Single(r => r.Format == parse.GetValue(format));
            var path = parse.GetValue(file)!;
            for (int run = 1; run <= Math.Max(1, parse.GetValue(runs)); run++)
            {
                var input = InputFile.Open(path);
                var context = new ReadContext(lenient: false);
                long events = 0;
                using var self = Process.GetCurrentProcess();
                var cpu = self.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                using (input.Stream)
                {
                    foreach (var _ in reader.Read(input, context)) events++;
                }
                clock.Stop();
                self.Refresh();
                // CPU time too: on a shared machine the wall clock counts other processes' turns.
                double cpuSeconds = (self.TotalProcessorTime - cpu).TotalSeconds;
                Console.WriteLine($"pass {run}: {context.Lines:N0} lines, {events:N0} events in {clock.Elapsed.TotalSeconds:F3} s ({cpuSeconds:F3} s CPU): "
                    + $"{context.Lines / clock.Elapsed.TotalSeconds:N0} lines/s");
            }
            Console.WriteLine($"machine: {Machine}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Model()
    {
        var model = new Option<string>("--model") { Description = $"The model: {string.Join(", ", ModelCatalog.Names)}", DefaultValueFactory = _ => "nested" };
        var events = new Option<int>("--events") { Description = "Events in the synthetic trace", DefaultValueFactory = _ => 2_000_000 };
        var seed = new Option<int>("--seed") { Description = "The synthetic workload's seed", DefaultValueFactory = _ => 1 };
        var rounds = new Option<int>("--rounds") { Description = "Timed replays (the best is reported, after one warm-up)", DefaultValueFactory = _ => 5 };
        var containers = new Option<int?>("--containers") { Description = "Top-level containers on the host (default: the workload's, 4): more of them, more state the model reaches over" };
        var tasks = new Option<int?>("--tasks-per-container") { Description = "Tasks a container grows to (default: the workload's, 20)" };
        var cmd = new Command("model", "Replay one host of the mixed synthetic workload (replayer generate) through a model on one thread; print events/s")
        {
            model, events, seed, rounds, containers, tasks,
        };
        cmd.SetAction(parse =>
        {
            var name = parse.GetValue(model)!;
            int n = parse.GetValue(events);
            if (n < 100) throw new ArgumentException("--events must be at least 100");
            // One host: the bench replays the whole trace through one model.
            var spec = WorkloadSpec.Named("mixed") with { Hosts = 1, Events = n, Seed = parse.GetValue(seed) };
            spec = spec with
            {
                Containers = parse.GetValue(containers) ?? spec.Containers,
                TasksPerContainer = parse.GetValue(tasks) ?? spec.TasksPerContainer,
            };
            if (spec.Check() is { } bad) throw new ArgumentException(bad);
            var trace = NestedKernel.Trace(spec).ToList();
            var settings = NestedKernel.SettingsFor(spec);
            ModelBench.Run(ModelCatalog.Create(name, settings), trace);
            double best = 0;
            for (int i = 0; i < Math.Max(1, parse.GetValue(rounds)); i++)
                best = Math.Max(best, ModelBench.Run(ModelCatalog.Create(name, settings), trace));
            long allocated = ModelBench.AllocatedBytes(ModelCatalog.Create(name, settings), trace);
            Console.WriteLine($"{name}: {trace.Count:N0} events, {spec.Containers:N0} containers of {spec.TasksPerContainer:N0} tasks, best {best:N0} events/s on one thread, "
                + $"{allocated:N0} bytes allocated in one replay ({(double)allocated / trace.Count:F2} per event)");
            Console.WriteLine($"machine: {Machine}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// The process's peak memory: its peak resident set, plus the huge pages it holds. Memory
    /// in huge pages (the runtime's large pages: DOTNET_GCLargePages) is not in the resident set
    /// the kernel reports; the runtime never gives those pages back, so what it holds at the end
    /// is the most it held. The sum is an upper bound when the two peaks came at different times.
    /// </summary>
    private static (long Peak, long HugePages) PeakMemory(Process self)
    {
        long huge = HugePagesHeld();
        return (self.PeakWorkingSet64 + huge, huge);
    }

    /// <summary>Bytes of huge pages the process holds (HugetlbPages in /proc/self/status); 0 where there is no such line.</summary>
    internal static long HugePagesHeld(string status = "/proc/self/status")
    {
        try
        {
            foreach (var line in File.ReadLines(status))
            {
                if (!line.StartsWith("HugetlbPages:", StringComparison.Ordinal)) continue;
                var parts = line["HugetlbPages:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], out long kb) ? kb * 1024 : 0;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    /// <summary>How the peak reads: with the share in huge pages when there is one.</summary>
    private static string PeakText(long peak, long huge) =>
        huge > 0 ? $"peak memory {peak / 1e6:F0} MB ({huge / 1e6:F0} MB of it in huge pages)" : $"peak memory {peak / 1e6:F0} MB";

    private static string Machine => $"{Environment.ProcessorCount} cores, {Environment.OSVersion.VersionString}, .NET {Environment.Version}";

    private static Command Ingest()
    {
        var events = new Option<int>("--events") { Description = "How many events the native file holds", DefaultValueFactory = _ => 1_000_000 };
        var keep = new Option<string?>("--file") { Description = "Write the native file here and keep it (default: a temporary file)" };
        var cmd = new Command("ingest", "Ingest a native file of N synthetic events into a fresh store; print events/s and peak memory")
        {
            events, keep, StoreOptions.Json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            int n = parse.GetValue(events);
            if (n <= 0) throw new ArgumentException("--events must be positive");
            var tmp = Directory.CreateTempSubdirectory("replayer-bench-");
            try
            {
                var file = parse.GetValue(keep) ?? Path.Combine(tmp.FullName, "bench.jsonl");
                WriteWorkload(file, n);
                var spec = parse.GetValue(StoreOptions.Store) ?? Path.Combine(tmp.FullName, "bench.db");
                var trace = "bench-" + Guid.NewGuid().ToString("N")[..8];
                await using var store = await StoreLocator.OpenAsync(spec, ct);
                var clock = Stopwatch.StartNew();
                var result = await new TraceIngest(store, CaptureFormats.All).RunAsync(new IngestRequest([file], "native", trace), null, ct);
                var seconds = clock.Elapsed.TotalSeconds;
                using var self = Process.GetCurrentProcess();
                var (peak, huge) = PeakMemory(self);
                await new TraceCatalog(store).DeleteAsync(trace, ct);
                Report(parse.GetValue(StoreOptions.Json), store.Description, result.Added, seconds, peak, huge, new FileInfo(file).Length);
                return ExitCodes.Ok;
            }
            finally
            {
                tmp.Delete(recursive: true);
            }
        });
        return cmd;
    }

    /// <summary>
    /// The actor replay of a stored trace from its first event (snapshots ignored, none kept but
    /// the last): events/s and the peak memory of the whole process, which does nothing else.
    /// </summary>
    private static Command Replay()
    {
        var cmd = new Command("replay", "Replay a stored trace through both models from its first event, as `replayer replay` does; print events/s and peak memory")
        {
            ReplayCommand.Trace, ReplayCommand.Models, ReplayCommand.Policy, ReplayCommand.PidMax, StoreOptions.Json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var (result, elapsed) = await ReplayCommand.RunAsync(parse, ct, fromStart: true, snapshotEvery: long.MaxValue);
            using var self = Process.GetCurrentProcess();
            var (peak, huge) = PeakMemory(self);
            var cpu = self.TotalProcessorTime;
            long allocated = GC.GetTotalAllocatedBytes();
            var pause = GC.GetTotalPauseDuration();
            double seconds = elapsed.TotalSeconds;
            var r = result.Report;
            if (parse.GetValue(StoreOptions.Json))
                Terminal.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("trace", r.Trace);
                    w.WriteNumber("events", result.Replayed);
                    w.WriteNumber("hosts", r.Hosts.Count);
                    w.WriteNumber("containers", r.Containers.Count(c => c.Id != "host"));
                    w.WriteNumber("seconds", Math.Round(seconds, 3));
                    w.WriteNumber("events_per_second", Math.Round(result.Replayed / seconds));
                    w.WriteNumber("peak_memory_bytes", peak);
                    w.WriteNumber("huge_pages_bytes", huge);
                    w.WriteNumber("resident_peak_bytes", peak - huge);
                    w.WriteNumber("cpu_seconds", Math.Round(cpu.TotalSeconds, 3));
                    w.WriteNumber("allocated_bytes", allocated);
                    w.WriteNumber("gc_pause_seconds", Math.Round(pause.TotalSeconds, 3));
                    w.WriteNumber("gen0_collections", GC.CollectionCount(0));
                    w.WriteNumber("gen1_collections", GC.CollectionCount(1));
                    w.WriteNumber("gen2_collections", GC.CollectionCount(2));
                    w.WriteString("machine", Machine);
                    w.WriteEndObject();
                });
            else
            {
                Console.WriteLine($"replay of {r.Trace} ({string.Join(" vs ", r.Models)}): {result.Replayed:N0} events, {r.Hosts.Count} host(s), " +
                    $"{r.Containers.Count(c => c.Id != "host"):N0} containers in {seconds:F2} s: {result.Replayed / seconds:N0} events/s, {PeakText(peak, huge)}");
                Console.WriteLine($"process: {cpu.TotalSeconds:F2} s CPU, {allocated / 1e9:F2} GB allocated, collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} (gen0/1/2), " +
                    $"{pause.TotalSeconds:F2} s paused, heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1e6:F0} MB after the last");
                Console.WriteLine($"machine: {Machine}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Report(bool json, string store, long added, double seconds, long peak, long huge, long bytes)
    {
        var machine = Machine;
        if (json)
        {
            Terminal.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("store", store);
                w.WriteNumber("events", added);
                w.WriteNumber("seconds", Math.Round(seconds, 3));
                w.WriteNumber("events_per_second", Math.Round(added / seconds));
                w.WriteNumber("peak_memory_bytes", peak);
                w.WriteNumber("huge_pages_bytes", huge);
                w.WriteNumber("resident_peak_bytes", peak - huge);
                w.WriteNumber("file_bytes", bytes);
                w.WriteString("machine", machine);
                w.WriteEndObject();
            });
            return;
        }
        Console.WriteLine($"ingest into {store}: {added:N0} events ({bytes / 1e6:F0} MB native) in {seconds:F2} s: {added / seconds:N0} events/s, {PeakText(peak, huge)}");
        Console.WriteLine($"machine: {machine}");
    }

    /// <summary>
    /// A process tree at work on one host: forks, exits with their SIGCHLD, kills, waits and id
    /// queries, in the proportions of the shell-heavy real captures. Deterministic.
    /// </summary>
    private static void WriteWorkload(string path, int count)
    {
        var rng = new Random(42);
        var live = new List<int>();
        int next = 1000;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var w = new NativeWriter(file);
        for (int i = 0; i < count; i++)
        {
            long t = 1_000_000L * i;
            double r = rng.NextDouble();
            PidEvent ev;
            if (r < 0.3 || live.Count < 2)
            {
                int parent = live.Count > 0 ? live[rng.Next(live.Count)] : 1;
                int child = next++;
                live.Add(child);
                ev = new Fork { Tid = parent, Comm = "sh", Child = child, Flags = 17, Ret = child };
            }
            else if (r < 0.55)
            {
                int at = rng.Next(live.Count);
                int tid = live[at];
                live[at] = live[^1];
                live.RemoveAt(live.Count - 1);
                ev = new Exit { Tid = tid, Comm = "sh", Code = 0, Group = true, Signals = [new SignalRecord(17, 1, SignalResult.Delivered, 1, true)] };
            }
            else if (r < 0.75)
            {
                ev = new GetId { Tid = live[rng.Next(live.Count)], Comm = "sh", Call = GetIdCall.GetPpid, Ret = 1 };
            }
            else if (r < 0.9)
            {
                int target = live[rng.Next(live.Count)];
                ev = new Kill { Tid = live[rng.Next(live.Count)], Comm = "kill", Pid = target, Sig = 15, Ret = 0,
                    Signals = [new SignalRecord(15, target, SignalResult.Delivered, 0, true)] };
            }
            else
            {
                ev = new Wait { Tid = live[rng.Next(live.Count)], Comm = "sh", Pid = -1, Ret = -10 };
            }
            w.Write(ev with { Time = t, Host = "bench" });
        }
    }
}
