using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Replay.Engine;

/// <summary>What a replay is asked to do. Everything that changes its results is in <see cref="Key"/>.</summary>
public sealed record ReplaySettings
{
    /// <summary>The models, compared left to right; one or two of <see cref="ModelCatalog.Names"/>.</summary>
    public IReadOnlyList<string> Models { get; init; } = ["nested", "vpid"];

    /// <summary>Who kill(-1) reaches under virtual pids.</summary>
    public KillPolicy Policy { get; init; } = KillPolicy.OpenVz;

    /// <summary>The capture was made under strace (every task ptraced).</summary>
    public bool Ptraced { get; init; }

    /// <summary>The hosts' /proc/sys/kernel/pid_max.</summary>
    public int PidMax { get; init; } = Replayer.Replay.Models.Nested.NestedPidModel.DefaultPidMax;

    /// <summary>Keep a snapshot every this many events of a host, to resume from.</summary>
    public long SnapshotEvery { get; init; } = 1_000_000;

    /// <summary>
    /// A container's bookings wait in its host's batch until the batch is full or its first booking
    /// is this many events old: a container gone quiet (its init dead, or idle) sends what it has
    /// instead of holding it, and the events it books, to the end of the replay. Does not change
    /// what is booked, only when.
    /// </summary>
    public long BatchAge { get; init; } = 1 << 18;

    /// <summary>Divergences kept with their details per container and category (all are counted).</summary>
    public int DetailsPerCategory { get; init; } = 10;

    /// <summary>Divergences kept with their details in a report; each container's first is always kept.</summary>
    public int DetailsPerReport { get; init; } = 2000;

    public string PolicyName => Policy == KillPolicy.OpenVz ? "openvz" : "vpid-only";

    /// <summary>
    /// What snapshots and results were made under: a snapshot made with another key is not resumed
    /// from. The version part changes whenever the engine's state layout does.
    /// </summary>
    public string Key => $"{string.Join('+', Models)};{PolicyName};{(Ptraced ? "ptraced" : "plain")};pidmax{PidMax};d{DetailsPerCategory};v2";

    public static KillPolicy ParsePolicy(string name) => name switch
    {
        "openvz" => KillPolicy.OpenVz,
        "vpid-only" => KillPolicy.VpidOnly,
        _ => throw new ArgumentException($"unknown policy '{name}' (one of: openvz, vpid-only)"),
    };

    /// <summary>Checks the model names: known, one or two, no repeats.</summary>
    public void Validate()
    {
        if (Models.Count is < 1 or > 2) throw new ArgumentException("give one or two models to replay");
        foreach (var m in Models)
            if (!ModelCatalog.Names.Contains(m)) throw new ArgumentException($"unknown model '{m}' (one of: {string.Join(", ", ModelCatalog.Names)})");
        if (Models.Count == 2 && Models[0] == Models[1]) throw new ArgumentException($"model '{Models[0]}' named twice");
        if (PidMax < 4096 || PidMax > 4 * 1024 * 1024 || PidMax % 2048 != 0)
            throw new ArgumentException($"pid_max {PidMax}: give a multiple of 2048 from 4096 to 4194304");
        if (SnapshotEvery < 1) throw new ArgumentException("snapshots need an interval of at least one event");
    }
}
