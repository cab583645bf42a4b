namespace Replayer.Replay.Models.Vpid;

/// <summary>Who kill(-1) reaches (MODELS.md, "Flat virtual pids").</summary>
public enum KillPolicy : byte
{
    /// <summary>The patch alone: every process on the host whose virtual pid is above 1 ("virtual pids are not used to limit access").</summary>
    VpidOnly,
    /// <summary>OpenVZ access policy on top: a VPS task reaches only tasks of its own VPS.</summary>
    OpenVz,
}

/// <summary>Where the orphans of a VPS task go.</summary>
public enum OrphanReaper : byte
{
    /// <summary>The VPS init ("the first task becomes child reaper": Kuznetsov, seed 001).</summary>
    VpsInit,
    /// <summary>The host init: "nothing will break if a container process is reparented to normal init".</summary>
    HostInit,
}

/// <summary>When a VPS ends.</summary>
public enum StopPolicy : byte
{
    /// <summary>The patch: vps_task_del stops the VPS when its last task is released.</summary>
    LastTask,
    /// <summary>OpenVZ: the VPS init's exit kills every other task of the VPS.</summary>
    InitExit,
}

/// <summary>Which tasks switch_to_sparse_mapping walks.</summary>
public enum SparseWalk : byte
{
    /// <summary>As posted: do_each_thread and for_each_process over the whole host, no VPS filter.</summary>
    HostWide,
    /// <summary>What a per-VE iteration would do: only the switching VPS's own tasks.</summary>
    VpsLocal,
}

/// <summary>The what-if parameters of the virtual-pid model. Immutable; one per replay.</summary>
public sealed record VpidOptions
{
    public KillPolicy Policy { get; init; } = KillPolicy.VpidOnly;

    /// <summary>fork() inside a VPS returns the child's virtual pid instead of the posted global one.</summary>
    public bool ForkReturnsVirtual { get; init; }

    public OrphanReaper Reaper { get; init; } = OrphanReaper.VpsInit;

    public StopPolicy Stop { get; init; } = StopPolicy.LastTask;

    public SparseWalk Walk { get; init; } = SparseWalk.HostWide;

    /// <summary>vpid_hash buckets: the pid hash size, 16 slots up to 4096 at a gigabyte or more (kernel/pid.c, pidhash_init).</summary>
    public int Buckets { get; init; } = 4096;

    /// <summary>Every task was ptraced (a strace capture): a signal other than SIGKILL is never ignored at generation, in either design.</summary>
    public bool Ptraced { get; init; }

    /// <summary>/proc/sys/kernel/pid_max of the modelled host (a multiple of 2 x VPID_DIV).</summary>
    public int PidMax { get; init; } = 32768;

    public static readonly VpidOptions Default = new();

    internal void Validate()
    {
        if (Buckets < 16 || Buckets > 4096 || (Buckets & (Buckets - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(Buckets), Buckets, "vpid hash buckets must be a power of two from 16 to 4096");
        if (PidMax < 4 * VpidModel.VpidDiv || PidMax > 4 * 1024 * 1024 || PidMax % (2 * VpidModel.VpidDiv) != 0)
            throw new ArgumentOutOfRangeException(nameof(PidMax), PidMax, "pid_max must be a multiple of 2048 from 4096 to 4194304");
    }
}
