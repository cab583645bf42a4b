using Replayer.Ingest.Synthetic;

namespace Replayer.Replay.WhatIf;

/// <summary>The workloads `replayer whatif --workload` takes: the built-in container host, the generator's named workloads, or a workload YAML file.</summary>
public static class WhatIfWorkloads
{
    public const string Default = ContainerHostWorkload.Name;

    public static IReadOnlyList<string> Names => [ContainerHostWorkload.Name, .. WorkloadSpec.Names];

    /// <summary>The workload named, or read from the YAML file given; ArgumentException lists the known names.</summary>
    public static IWhatIfWorkload Resolve(string nameOrFile)
    {
        if (nameOrFile == ContainerHostWorkload.Name) return new ContainerHostSource();
        if (WorkloadSpec.Names.Contains(nameOrFile)) return new GeneratedWorkload(WorkloadSpec.Named(nameOrFile));
        if (File.Exists(nameOrFile)) return new GeneratedWorkload(WorkloadSpec.FromYaml(nameOrFile));
        throw new ArgumentException($"--workload: '{nameOrFile}' is neither a workload ({string.Join(", ", Names)}) nor a file");
    }
}
