using System.Diagnostics;
using Replayer.Ingest.Events;
using Replayer.Replay.Cost;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Replay.WhatIf;

/// <summary>Which kernel era's lookups the nested design is costed in.</summary>
public enum KernelChoice : byte { Both, Modern, Linux2_6_24 }

/// <summary>What one what-if run sweeps and holds fixed.</summary>
public sealed record WhatIfOptions
{
    /// <summary>Container counts, one sweep point each, ascending.</summary>
    public IReadOnlyList<int> Containers { get; init; } = [1, 10, 100, 1000];
    public int TasksPerContainer { get; init; } = 50;
    /// <summary>Events per point and per design's stream.</summary>
    public int Events { get; init; } = 1_000_000;
    /// <summary>pid_max of the modelled host (and of every namespace it makes).</summary>
    public int PidMax { get; init; } = 4 * 1024 * 1024;
    public KernelChoice Kernel { get; init; } = KernelChoice.Both;
    /// <summary>Buckets of 2.6.24's pid hash and of the patch's vpid hash (pidhash_size: 4096 with a gigabyte).</summary>
    public int HashBuckets { get; init; } = 4096;
    /// <summary>Fraction of the containers that arrive by migration.</summary>
    public double MigrationRate { get; init; } = 0.01;
    public int Seed { get; init; } = 1;

    public void Validate()
    {
        if (Containers.Count == 0 || Containers.Any(c => c < 1))
            throw new ArgumentException("--containers needs one or more counts, each at least 1");
        if (TasksPerContainer < 2) throw new ArgumentException("--tasks-per-container must be at least 2 (an init and one task)");
        if (Events < 100) throw new ArgumentException("--events must be at least 100");
        if (PidMax < 4096 || PidMax > 4 * 1024 * 1024 || PidMax % 2048 != 0)
            throw new ArgumentException("--pid-max must be a multiple of 2048 from 4096 to 4194304");
        if (HashBuckets < 16 || HashBuckets > 4096 || (HashBuckets & (HashBuckets - 1)) != 0)
            throw new ArgumentException("--hash-buckets must be a power of two from 16 to 4096");
        if (MigrationRate < 0 || MigrationRate > 1) throw new ArgumentException("--migration-rate must be from 0 to 1");
    }
}

/// <summary>A workload's events, and where its steady state begins (after the containers are set up): costs are counted from there.</summary>
public sealed record WorkloadRun(List<PidEvent> Events, int SteadyFrom);

/// <summary>A workload the sweep can size: events of a host with so many containers, recorded by the kernel it is given per host.</summary>
public interface IWhatIfWorkload
{
    string Name { get; }

    /// <summary>
    /// Whether a virtual-pid kernel can record it. A workload that follows a nested kernel's
    /// teardowns cannot; the virtual-pid variants then replay the nested kernel's trace.
    /// </summary>
    bool AnyKernel { get; }

    WorkloadRun Generate(int containers, WhatIfOptions options, Func<string, IPidModel> kernelForHost);
}

/// <summary>The built-in workload: <see cref="ContainerHostWorkload"/>, one host.</summary>
public sealed class ContainerHostSource : IWhatIfWorkload
{
    public string Name => ContainerHostWorkload.Name;

    public bool AnyKernel => true;

    public WorkloadRun Generate(int containers, WhatIfOptions options, Func<string, IPidModel> kernelForHost) =>
        ContainerHostWorkload.Generate(
            new HostShape(containers, options.TasksPerContainer, options.Events, options.Seed, options.MigrationRate, options.PidMax),
            kernelForHost("whatif"));
}

/// <summary>One sparse switch, where it happened.</summary>
public readonly record struct Spike(long Position, SparseSwitch Switch);

/// <summary>One design variant's costs at one sweep point.</summary>
public sealed record VariantResult
{
    /// <summary>"nested, today's idr", "vpid as posted"...</summary>
    public required string Variant { get; init; }
    /// <summary>"nested" or "vpid".</summary>
    public required string Design { get; init; }
    public long Events { get; init; }
    public PlaceCost Host { get; init; }
    public PlaceCost Container { get; init; }
    public PlaceCost SparseContainer { get; init; }
    /// <summary>Probes per event outside the sparse switches.</summary>
    public double ProbesPerEvent { get; init; }
    public int MaxProbes { get; init; }
    /// <summary>Probes of the event at the 99th percentile, to the power-of-two range holding it (2^k - 1).</summary>
    public int P99Probes { get; init; }
    public long SpikeProbes { get; init; }
    public List<Spike> Spikes { get; init; } = [];
    public ContainerMemory Memory { get; init; }
    /// <summary>2.6.24's pid hash entries (nested) or vpid hash mappings (vpid) at the end.</summary>
    public long HashEntries { get; init; }
    /// <summary>The replayer's own wall time per event for this design, cost accounting included.</summary>
    public double NanosecondsPerEvent { get; init; }
    /// <summary>Events, setup included, where this design would have failed an allocation; and the first one's position (-1: none).</summary>
    public long AllocationFailures { get; init; }
    public long FirstAllocationFailure { get; init; }
    public long Unsupported { get; init; }
}

/// <summary>The replay process's runtime counters while it ran one point (sampled out of process over EventPipe).</summary>
/// <param name="Samples">Samples taken.</param>
/// <param name="CpuPercentMean">cpu-usage: percent of the whole machine, mean.</param>
/// <param name="CpuPercentMax">cpu-usage, highest sample.</param>
/// <param name="GcHeapMbMax">gc-heap-size, highest sample, MB.</param>
/// <param name="AllocMbPerSecondMean">alloc-rate, mean, MB/s.</param>
/// <param name="WorkingSetMbMax">working-set, highest sample, MB.</param>
/// <param name="WallSeconds">The child's wall time from start to exit.</param>
public sealed record RuntimeSummary(int Samples, double CpuPercentMean, double CpuPercentMax, double GcHeapMbMax,
    double AllocMbPerSecondMean, double WorkingSetMbMax, double WallSeconds);

/// <summary>Everything measured at one container count.</summary>
public sealed record PointResult
{
    public int Containers { get; init; }
    public int TasksPerContainer { get; init; }
    /// <summary>Events in the stream the nested kernel recorded, and in the one the virtual-pid kernel recorded.</summary>
    public long NestedStreamEvents { get; init; }
    public long VpidStreamEvents { get; init; }
    public List<VariantResult> Variants { get; init; } = [];
    /// <summary>The nested kernel's trace replayed through the patch as posted: divergences by category.</summary>
    public Dictionary<string, long> Divergences { get; init; } = [];
    /// <summary>Wall seconds of each stage: recording each stream, replaying each variant, comparing.</summary>
    public Dictionary<string, double> StageSeconds { get; init; } = [];
    /// <summary>Filled by the process that sampled the replay; null when it ran in process.</summary>
    public RuntimeSummary? Runtime { get; init; }
}

/// <summary>
/// The what-if sweep (MODELS.md, "Translation cost"): for each container count, the workload is
/// recorded once by a nested kernel and once by a virtual-pid kernel, so each design answers in
/// its own world (the numbers a caller passes are the ones its design handed out; a workload that
/// only a nested kernel can record is replayed as recorded by it through both designs); each stream
/// is replayed through its design's variants, timed, counting translations and probes per event;
/// and the nested kernel's trace is replayed through the patch as posted to count divergences.
/// </summary>
public sealed class WhatIfSweep(WhatIfOptions options, IWhatIfWorkload workload)
{
    public WhatIfOptions Options => options;

    public IWhatIfWorkload Workload => workload;

    /// <summary>The nested variants this run costs.</summary>
    public IEnumerable<KernelEra> Eras => options.Kernel switch
    {
        KernelChoice.Modern => [KernelEra.Modern],
        KernelChoice.Linux2_6_24 => [KernelEra.Linux2_6_24],
        _ => [KernelEra.Modern, KernelEra.Linux2_6_24],
    };

    public static string VariantName(KernelEra era) => era == KernelEra.Modern ? "nested, idr (today)" : "nested, pid hash (2.6.24)";

    public static string VariantName(SparseWalk walk) => walk == SparseWalk.HostWide ? "vpid as posted (host-wide switch)" : "vpid, VPS-local switch";

    public PointResult RunPoint(int containers)
    {
        var nestedOptions = (KernelEra era) => new NestedOptions { PidMax = options.PidMax, Kernel = era, PidHashBuckets = options.HashBuckets };
        var vpidOptions = (SparseWalk walk) => new VpidOptions { PidMax = options.PidMax, Walk = walk, Buckets = options.HashBuckets };

        var variants = new List<VariantResult>();
        var stages = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        T Stage<T>(string name, Func<T> run)
        {
            var start = clock.Elapsed;
            var result = run();
            stages[name] = (clock.Elapsed - start).TotalSeconds;
            return result;
        }
        var nestedStream = Stage("record nested", () => workload.Generate(containers, options, _ => new NestedPidModel(nestedOptions(KernelEra.Modern))));
        foreach (var era in Eras)
            variants.Add(Stage(VariantName(era), () => Replay(VariantName(era), "nested", nestedStream, _ => new NestedPidModel(nestedOptions(era)))));
        var divergences = Stage("compare nested and vpid", () => Diverge(nestedStream.Events, () => new NestedPidModel(nestedOptions(KernelEra.Modern)),
            migrations => new VpidModel(vpidOptions(SparseWalk.HostWide), migrations)));
        long nestedEvents = nestedStream.Events.Count;

        var kernelMigrations = new VpsMigrations();
        var vpidStream = !workload.AnyKernel ? nestedStream
            : Stage("record vpid", () => workload.Generate(containers, options, _ => new VpidModel(vpidOptions(SparseWalk.HostWide), kernelMigrations)));
        nestedStream = null;
        foreach (var walk in new[] { SparseWalk.HostWide, SparseWalk.VpsLocal })
        {
            var migrations = new VpsMigrations();
            variants.Add(Stage(VariantName(walk), () => Replay(VariantName(walk), "vpid", vpidStream, _ => new VpidModel(vpidOptions(walk), migrations))));
        }
        return new PointResult
        {
            Containers = containers,
            TasksPerContainer = options.TasksPerContainer,
            NestedStreamEvents = nestedEvents,
            VpidStreamEvents = vpidStream.Events.Count,
            Variants = variants,
            Divergences = divergences,
            StageSeconds = stages,
        };
    }

    /// <summary>Replays a stream through one variant (a model per host), timed, with the cost of every steady-state event (and every spike) counted.</summary>
    private static VariantResult Replay(string name, string design, WorkloadRun run, Func<string, IPidModel> modelForHost)
    {
        var events = run.Events;
        var hosts = new Hosts(modelForHost);
        var meter = new CostMeter();
        var spikes = new List<Spike>();
        var o = new Outcome();
        // Models are made before the clock starts: a 4M pid_max table is not a cost of any event.
        foreach (var host in events.Select(e => e.Host).Distinct()) hosts.For(host);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < events.Count; i++)
        {
            var ev = events[i];
            var model = hosts.For(ev.Host);
            var place = PlaceOf(model, ev.Tid);
            int switches = model is VpidModel before ? before.SparseSwitches : 0;
            model.Apply(ev, o);
            bool spike = model is VpidModel after && after.SparseSwitches != switches;
            if (spike) spikes.Add(new Spike(ev.Seq, ((VpidModel)model).LastSparseSwitch!.Value));
            if (i >= run.SteadyFrom || spike) meter.Count(ev.Seq, place, o, spike);
            else meter.CountSetup(ev.Seq, o);
        }
        clock.Stop();
        var memory = hosts.All.Select(m => m switch
        {
            NestedPidModel n => TranslationMemory.Of(n),
            VpidModel v => TranslationMemory.Of(v),
            _ => default,
        }).Aggregate(Merge);
        long entries = hosts.All.Sum(m => m switch { NestedPidModel n => (long)n.PidEntries, VpidModel v => v.HashMappings, _ => 0 });
        return new VariantResult
        {
            Variant = name,
            Design = design,
            Events = meter.Events,
            Host = meter[CallerPlace.Host],
            Container = meter[CallerPlace.Container],
            SparseContainer = meter[CallerPlace.SparseContainer],
            ProbesPerEvent = meter.Events == meter.SpikeEvents ? 0 : (double)meter.Total.Probes / (meter.Events - meter.SpikeEvents),
            MaxProbes = meter.MaxProbes,
            P99Probes = meter.ProbesAtQuantile(0.99),
            SpikeProbes = meter.SpikeProbes,
            Spikes = spikes,
            Memory = memory,
            HashEntries = entries,
            NanosecondsPerEvent = events.Count == 0 ? 0 : clock.Elapsed.TotalNanoseconds / events.Count,
            AllocationFailures = meter.AllocationFailures,
            FirstAllocationFailure = meter.FirstAllocationFailure,
            Unsupported = meter.Unsupported,
        };
    }

    /// <summary>Where the caller of an event lives, in this model's state before the event.</summary>
    private static CallerPlace PlaceOf(IPidModel model, int tid)
    {
        int container = model.ContainerOf(tid);
        if (container == 0) return CallerPlace.Host;
        return model is VpidModel v && v.Containers[container - 1].Sparse ? CallerPlace.SparseContainer : CallerPlace.Container;
    }

    private static ContainerMemory Merge(ContainerMemory a, ContainerMemory b)
    {
        int n = a.Containers + b.Containers;
        return n == 0 ? a : new ContainerMemory(n, (a.MeanBytes * a.Containers + b.MeanBytes * b.Containers) / n, Math.Max(a.MaxBytes, b.MaxBytes));
    }

    /// <summary>The nested kernel's trace through the nested model and the patch as posted, side by side: differences by category.</summary>
    private static Dictionary<string, long> Diverge(List<PidEvent> events, Func<IPidModel> nested, Func<VpsMigrations, IPidModel> vpid)
    {
        var migrations = new VpsMigrations();
        var left = new Hosts(_ => nested());
        var right = new Hosts(_ => vpid(migrations));
        var a = new Outcome();
        var b = new Outcome();
        var differences = new List<Difference>();
        var categories = Enum.GetValues<DivergenceCategory>();
        var counts = new long[categories.Length];
        foreach (var ev in events)
        {
            left.For(ev.Host).Apply(ev, a);
            right.For(ev.Host).Apply(ev, b);
            differences.Clear();
            DivergenceClassifier.Compare(a, b, differences);
            foreach (var d in differences) counts[(int)d.Category]++;
        }
        return categories.ToDictionary(c => c.ToString(), c => counts[(int)c]);
    }

    /// <summary>One model per host, the last one used kept at hand.</summary>
    private sealed class Hosts(Func<string, IPidModel> make)
    {
        private readonly Dictionary<string, IPidModel> _byHost = new(StringComparer.Ordinal);
        private string? _lastHost;
        private IPidModel? _last;

        public IEnumerable<IPidModel> All => _byHost.Values;

        public IPidModel For(string host)
        {
            if (ReferenceEquals(host, _lastHost)) return _last!;
            if (!_byHost.TryGetValue(host, out var model)) _byHost[host] = model = make(host);
            _lastHost = host;
            return _last = model;
        }
    }
}
