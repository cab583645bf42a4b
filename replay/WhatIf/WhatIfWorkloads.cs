namespace Replayer.Replay.WhatIf;

/// <summary>The workloads `replayer whatif --workload` takes, by name.</summary>
public static class WhatIfWorkloads
{
    public const string Default = ContainerHostWorkload.Name;

    public static IReadOnlyList<string> Names => [ContainerHostWorkload.Name];

    /// <summary>The workload named; ArgumentException lists the known ones.</summary>
    public static IWhatIfWorkload Resolve(string nameOrFile) =>
        nameOrFile == ContainerHostWorkload.Name
            ? new ContainerHostSource()
            : throw new ArgumentException($"--workload: unknown workload '{nameOrFile}' (one of: {string.Join(", ", Names)})");
}
