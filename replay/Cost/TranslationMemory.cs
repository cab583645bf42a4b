using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Replay.Cost;

/// <summary>Bytes of translation state each live container costs under one design.</summary>
/// <param name="Containers">Live containers counted.</param>
/// <param name="MeanBytes">Mean over them.</param>
/// <param name="MaxBytes">The costliest one.</param>
public readonly record struct ContainerMemory(int Containers, double MeanBytes, long MaxBytes);

/// <summary>
/// What a design keeps only because tasks live in containers, on a 64-bit kernel, counted from the
/// model's state: the structures are the kernels' own, their sizes from the sources cited.
/// </summary>
public static class TranslationMemory
{
    /// <summary>
    /// The patch adds int vnr to struct pid after pid_chain (seed 001, include/linux/pid.h): 40 bytes
    /// become 48 with alignment, in each of the task's four pids (PIDTYPE_PID, TGID, PGID, SID).
    /// </summary>
    public const int VpidPerTask = 4 * 8;

    /// <summary>struct vpid_mapping { int pid, vpid, vpsid; struct hlist_node link; }: 12 bytes, padding, 16 of links.</summary>
    public const int VpidMapping = 32;

    /// <summary>Today's struct upid { int nr; struct pid_namespace *ns; }: each level adds one to a struct pid.</summary>
    public const int UpidModern = 16;

    /// <summary>2.6.24's struct upid also carries its pid_hash chain link: { int nr; *ns; struct hlist_node pid_chain; }.</summary>
    public const int Upid2624 = 32;

    /// <summary>struct xa_node on 64-bit: 64 slots and the tags (include/linux/xarray.h).</summary>
    public const int XaNode = 576;

    /// <summary>2.6.24's create_pid_namespace allocates the first pidmap page at once (kernel/pid_namespace.c).</summary>
    public const int PidmapPage = 4096;

    public static ContainerMemory Of(NestedPidModel model)
    {
        var bytes = new Dictionary<int, long>();
        bool modern = model.Kernel == KernelEra.Modern;
        foreach (var t in model.NamespaceTables())
        {
            long b = modern
                ? (long)t.Numbers * UpidModern + (long)t.IdrNodes * XaNode
                : (long)t.Numbers * Upid2624 + PidmapPage;
            bytes[t.Container] = bytes.GetValueOrDefault(t.Container) + b;
        }
        return Summarise(bytes.Values);
    }

    public static ContainerMemory Of(VpidModel model)
    {
        var bytes = new List<long>();
        foreach (var vps in model.Containers)
            if (!vps.Stopped && vps.Tasks > 0)
                bytes.Add((long)vps.Tasks * VpidPerTask + (long)vps.Mappings * VpidMapping);
        return Summarise(bytes);
    }

    private static ContainerMemory Summarise(ICollection<long> perContainer) =>
        perContainer.Count == 0
            ? new ContainerMemory(0, 0, 0)
            : new ContainerMemory(perContainer.Count, perContainer.Average(), perContainer.Max());
}
