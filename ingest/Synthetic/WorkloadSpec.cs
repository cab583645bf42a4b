namespace Replayer.Ingest.Synthetic;

/// <summary>
/// How often each kind of activity is picked, relative to the others (weights, not shares: only
/// their ratios matter; 0 turns an activity off). docs/workloads.md says what each one records.
/// </summary>
public sealed record WorkloadMix
{
    /// <summary>Daemons started and stopped by a container's init (double fork, setsid); new containers booted where a host has fewer than asked.</summary>
    public double Boot { get; init; }

    /// <summary>Interactive shells with job control: logins, pipelines in their own groups, Ctrl-C, logouts that hang up their jobs.</summary>
    public double Shell { get; init; }

    /// <summary>Build storms: make started from a shell, forking, exec'ing and reaping compilers by the thousand.</summary>
    public double Build { get; init; }

    /// <summary>Threaded services: threads made and ended, tgkill to one thread, restarts with exit_group.</summary>
    public double Threads { get; init; }

    /// <summary>vzctl exec and nsenter from the host: setns, a fork into the container, the command's id queries.</summary>
    public double Exec { get; init; }

    /// <summary>kill of a process group, from inside and from the host, and kill -1 from inside a container.</summary>
    public double Kill { get; init; }

    /// <summary>Parents that exit before their children: orphans adopted by the init or a child subreaper.</summary>
    public double Orphan { get; init; }

    /// <summary>A container's init exits: the kernel kills the rest of its namespace; the container is stopped.</summary>
    public double InitExit { get; init; }

    /// <summary>Nested containers: a pid namespace made inside a container, up to <see cref="WorkloadSpec.Nesting"/> levels.</summary>
    public double Nested { get; init; }

    /// <summary>Plain id queries (getpid, getppid, getpgid, getsid) between the other activities.</summary>
    public double Query { get; init; }

    /// <summary>The weights in the order the generator draws them.</summary>
    internal double[] Weights() => [Boot, Shell, Build, Threads, Exec, Kill, Orphan, InitExit, Nested, Query];

    /// <summary>The YAML keys of the weights, in the same order.</summary>
    internal static readonly string[] Keys = ["boot", "shell", "build", "threads", "exec", "kill", "orphan", "init_exit", "nested", "query"];

    internal static WorkloadMix FromWeights(double[] w) => new()
    {
        Boot = w[0], Shell = w[1], Build = w[2], Threads = w[3], Exec = w[4],
        Kill = w[5], Orphan = w[6], InitExit = w[7], Nested = w[8], Query = w[9],
    };
}

/// <summary>
/// A synthetic workload: hosts x containers x tasks, the mix of activities, and the seed that makes
/// it deterministic. <see cref="Named"/> gives the built-in ones, <see cref="FromYaml"/> reads one
/// from a file (docs/workloads.md).
/// </summary>
public sealed record WorkloadSpec
{
    /// <summary>The pid_max of 64-bit hosts with many tasks (what systemd sets): room for a thousand containers of fifty tasks.</summary>
    public const int DefaultPidMax = 4_194_304;

    /// <summary>The workload's name, as `--workload` takes it, or the YAML file's.</summary>
    public string Workload { get; init; } = "mixed";

    public int Hosts { get; init; } = 1;

    /// <summary>Top-level containers booted on each host at the start, and kept up to by booting new ones.</summary>
    public int Containers { get; init; } = 4;

    /// <summary>Tasks (processes and threads) a container grows to and stays around.</summary>
    public int TasksPerContainer { get; init; } = 20;

    /// <summary>Events written, over all hosts.</summary>
    public long Events { get; init; } = 100_000;

    public int Seed { get; init; } = 1;

    public WorkloadMix Mix { get; init; } = MixedMix;

    /// <summary>Chance per step that a container is checkpointed on its host and restored on another (needs two hosts or more).</summary>
    public double MigrationRate { get; init; }

    /// <summary>How many pid namespace levels may nest below a top-level container (0: none; at most 31).</summary>
    public int Nesting { get; init; } = 1;

    /// <summary>The hosts' pid_max: global numbers and every namespace's numbers stay below it.</summary>
    public int PidMax { get; init; } = DefaultPidMax;

    private static readonly WorkloadMix MixedMix = new()
    {
        Boot = 1, Shell = 3, Build = 2, Threads = 2, Exec = 0.5, Kill = 1, Orphan = 1, InitExit = 0.1, Nested = 0.3, Query = 2,
    };

    /// <summary>The built-in workloads, by name: what `--workload NAME` accepts.</summary>
    public static IReadOnlyList<string> Names => [.. Builtins.Keys];

    private static readonly SortedDictionary<string, WorkloadSpec> Builtins = new(StringComparer.Ordinal)
    {
        ["mixed"] = new WorkloadSpec { Hosts = 2, MigrationRate = 0.0005 },
        ["boot"] = Only("boot", new WorkloadMix { Boot = 4, InitExit = 1, Query = 1 }),
        ["shells"] = Only("shells", new WorkloadMix { Shell = 6, Query = 1 }),
        ["build-storm"] = Only("build-storm", new WorkloadMix { Build = 10, Shell = 0.2 }) with { TasksPerContainer = 30 },
        ["services"] = Only("services", new WorkloadMix { Threads = 6, Boot = 1, Query = 1 }),
        ["exec"] = Only("exec", new WorkloadMix { Exec = 4, Shell = 1, Query = 1 }),
        ["kills"] = Only("kills", new WorkloadMix { Kill = 4, Shell = 3, Boot = 1, Build = 1 }),
        ["orphans"] = Only("orphans", new WorkloadMix { Orphan = 6, Shell = 1, Boot = 1 }),
        ["init-exits"] = Only("init-exits", new WorkloadMix { InitExit = 2, Boot = 2, Shell = 2, Threads = 1, Nested = 1 }),
        ["nested"] = Only("nested", new WorkloadMix { Nested = 4, Shell = 2, Orphan = 1, Kill = 1, InitExit = 0.3 }) with { Nesting = 3 },
        ["migration"] = Only("migration", new WorkloadMix { Shell = 3, Threads = 2, Orphan = 2, Boot = 1, Query = 1 })
            with { Hosts = 3, MigrationRate = 0.02 },
    };

    private static WorkloadSpec Only(string name, WorkloadMix mix) => new() { Workload = name, Mix = mix, Nesting = mix.Nested > 0 ? 1 : 0 };

    /// <summary>A built-in workload; ArgumentException names the known ones when <paramref name="name"/> is not one.</summary>
    public static WorkloadSpec Named(string name) =>
        Builtins.TryGetValue(name, out var spec)
            ? spec
            : throw new ArgumentException($"unknown workload '{name}' (one of: {string.Join(", ", Builtins.Keys)}; or a YAML file)");

    /// <summary>A workload described in YAML (docs/workloads.md); a bad key or value is a TraceFormatException naming file:line.</summary>
    public static WorkloadSpec FromYaml(string path) => WorkloadYaml.Read(path);

    /// <summary>What is wrong with the spec, or null: the generator refuses a spec it cannot honour.</summary>
    public string? Check()
    {
        if (Hosts is < 1 or > 999) return "hosts must be between 1 and 999";
        if (Containers is < 1 or > 100_000) return "containers must be between 1 and 100000";
        if (TasksPerContainer is < 8 or > 30_000) return "tasks per container must be between 8 and 30000";
        if (Events < 0) return "events must not be negative";
        if (Nesting is < 0 or > 31) return "nesting must be between 0 and 31";
        if (MigrationRate is < 0 or > 1 || double.IsNaN(MigrationRate)) return "migration rate must be between 0 and 1";
        if (PidMax is < 1024 or > DefaultPidMax) return $"pid_max must be between 1024 and {DefaultPidMax}";
        var w = Mix.Weights();
        if (w.Any(x => x < 0 || double.IsNaN(x) || double.IsInfinity(x))) return "mix weights must be finite and not negative";
        if (w.Sum() <= 0) return "at least one mix weight must be above 0";
        // Every container's tasks and the hosts' own must fit below pid_max, with room for churn.
        long perHost = (long)Containers * TasksPerContainer * (Nesting + 1) * 2 + 1000;
        if (perHost >= PidMax) return $"{Containers} containers of {TasksPerContainer} tasks do not fit below pid_max {PidMax}";
        return null;
    }
}
