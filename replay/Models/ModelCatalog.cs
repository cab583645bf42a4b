using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Replay.Models;

/// <summary>What a capture tells every model about the machine it came from.</summary>
public sealed record ModelSettings
{
    /// <summary>The capture was made under strace: every task was ptraced.</summary>
    public bool Ptraced { get; init; }

    /// <summary>The host's pid_max.</summary>
    public int PidMax { get; init; } = NestedPidModel.DefaultPidMax;

    /// <summary>Who kill(-1) reaches under virtual pids: the patch alone, or with OpenVZ's access policy.</summary>
    public KillPolicy Policy { get; init; } = KillPolicy.VpidOnly;

    /// <summary>Where a virtual-pid host puts its checkpoints and finds the images it restores; null for a private one.</summary>
    public VpsMigrations? Migrations { get; init; }
}

/// <summary>The pid models by name, as --model takes them.</summary>
public static class ModelCatalog
{
    private static readonly SortedDictionary<string, Func<ModelSettings, IPidModel>> Factories = new(StringComparer.Ordinal)
    {
        ["nested"] = s => new NestedPidModel(new NestedOptions { Ptraced = s.Ptraced, PidMax = s.PidMax }),
        ["vpid"] = s => new VpidModel(new VpidOptions { PidMax = s.PidMax, Ptraced = s.Ptraced, Policy = s.Policy }, s.Migrations),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>A fresh model; ArgumentException names the known ones when <paramref name="name"/> is not one.</summary>
    public static IPidModel Create(string name, ModelSettings? settings = null) =>
        Factories.TryGetValue(name, out var make)
            ? make(settings ?? new ModelSettings())
            : throw new ArgumentException($"unknown model '{name}' (one of: {string.Join(", ", Factories.Keys)})");
}
