using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Replay.Cost;

/// <summary>How many containers of a given size a host holds before a design runs out of pids.</summary>
/// <param name="PidMax">The host's pid_max.</param>
/// <param name="TasksPerContainer">Tasks (threads included) in each container.</param>
/// <param name="NestedPids">Host-level numbers the nested design can hand to container tasks.</param>
/// <param name="VpidPids">Global numbers the virtual-pid design can hand out (bit 10 clear).</param>
public readonly record struct Capacity(int PidMax, int TasksPerContainer, int NestedPids, int VpidPids)
{
    public int NestedContainers => NestedPids / TasksPerContainer;
    public int VpidContainers => VpidPids / TasksPerContainer;
}

/// <summary>
/// Pid-space capacity of each design. Every container task needs a host-level number in both:
/// nested namespaces give each level its own space, so level 0 binds; virtual pids take their
/// global numbers from a space with bit 10 reserved for virtual ones, half as large. Both
/// allocators wrap to RESERVED_PIDS, so on a host that has run a while the numbers below 300 are
/// the boot daemons' and never handed out again. <see cref="Fill"/> measures by driving the models.
/// </summary>
public static class PidCapacity
{
    private const int ReservedPids = NestedPidModel.ReservedPids;

    public static Capacity Compute(int pidMax, int tasksPerContainer)
    {
        if (tasksPerContainer < 1) throw new ArgumentOutOfRangeException(nameof(tasksPerContainer));
        int nested = pidMax - ReservedPids;
        // Numbers in [RESERVED_PIDS, pid_max) with bit 10 clear: half of the space, less the low ones (all below 1024, so all clear).
        int vpid = pidMax / 2 - ReservedPids;
        return new Capacity(pidMax, tasksPerContainer, nested, vpid);
    }

    /// <summary>What driving each model until its first allocation failure gave.</summary>
    /// <param name="NestedPids">Tasks one namespace took before alloc_pid said EAGAIN, less the numbers below RESERVED_PIDS a wrapped host no longer hands out.</param>
    /// <param name="VpidContainers">Containers of the given size the virtual-pid model made whole before its first allocation failure.</param>
    /// <param name="VpidPids">Global pids it handed out before that failure.</param>
    public readonly record struct Measured(int NestedPids, int VpidContainers, int VpidPids);

    /// <summary>
    /// Fills a nested namespace with forks until alloc_pid fails (idr_alloc_cyclic is the same
    /// allocator at every level), and a virtual-pid host with containers until the halved global
    /// space fails. Costs a few hundred milliseconds at pid_max 32768; grows with pid_max.
    /// </summary>
    public static Measured Fill(int pidMax, int tasksPerContainer)
    {
        var o = new Outcome();
        long seq = 0;

        var nested = new NestedPidModel(new NestedOptions { PidMax = pidMax });
        nested.Apply(Root(1, seq++), o);
        int tid = pidMax; // host numbers the trace gives; the nested model takes them as recorded
        nested.Apply(new Fork { Host = "fill", Seq = seq++, Tid = 1, Child = ++tid, Flags = CloneFlags.NewPid, Ret = tid }, o);
        int init = tid, inNamespace = 1;
        while (true)
        {
            nested.Apply(new Fork { Host = "fill", Seq = seq++, Tid = init, Child = ++tid }, o);
            if (o.Ret < 0) break;
            inNamespace++;
        }
        int nestedPids = inNamespace - (ReservedPids - 1);

        var vpid = new VpidModel(new VpidOptions { PidMax = pidMax });
        vpid.Apply(Root(1, seq++), o);
        int next = ReservedPids, containers = 0, pids = 0;
        while (true)
        {
            bool failed = false;
            int vpsInit = next++;
            vpid.Apply(new Fork { Host = "fill", Seq = seq++, Tid = 1, Child = vpsInit, Flags = CloneFlags.NewPid }, o);
            failed |= o.AllocationFailure != 0;
            for (int i = 1; i < tasksPerContainer && !failed; i++)
            {
                vpid.Apply(new Fork { Host = "fill", Seq = seq++, Tid = vpsInit, Child = next++ }, o);
                failed |= o.AllocationFailure != 0;
            }
            if (failed) break;
            containers++;
            pids += tasksPerContainer;
        }
        return new Measured(nestedPids, containers, pids);
    }

    private static TaskSnapshot Root(int tid, long seq) => new()
    {
        Host = "fill", Seq = seq, Tid = tid, Tgid = tid, PPid = 0, Pgid = tid, Sid = tid,
        NsPid = [tid], NsPgid = [tid], NsSid = [tid], PidNs = 1, Comm = "init",
    };
}
