using Replayer.Ingest.Events;
using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>
/// A VPS's own walks (kill(-1) fenced to it, its stop, its checkpoint) go over its members, which
/// must be the tasks the host walk (for_each_process, then each process's threads) would reach,
/// in that order, however they joined, and after a restore from a snapshot.
/// </summary>
public sealed class VpidMembershipTests
{
    private const int Shell = 100, Vzctl = 400, Early = 450, Init = 500, A = 501, B = 502, Thread = 503, Other = 600, C = 601, D = 602;

    /// <summary>
    /// Host task 450 forked before any VPS; VPS "101" (500, 501, 502, thread 503 of 501) and "102"
    /// (600, 601, 602) forked in turns; then 450 enters "101", which it joins last but is walked first.
    /// </summary>
    private static VpidHost TwoVpss()
    {
        var host = new VpidHost(new VpidOptions { Policy = KillPolicy.OpenVz }).Boot(Shell);
        host.Task(Vzctl, Shell, Vzctl, Shell, "vzctl");
        host.Fork(Shell, Early);
        host.StartVps(Vzctl, Init, "101");
        host.StartVps(Vzctl, Other, "102");
        host.Fork(Init, A);
        host.Fork(Other, C);
        host.Fork(Init, B);
        host.Thread(A, Thread);
        host.Fork(Other, D);
        host.Container(Vzctl, ContainerAction.Enter, "101", Early);
        return host;
    }

    private static VpidHost Restored(VpidHost host)
    {
        var copy = new VpidHost(host.Model.Options);
        copy.Model.Restore(host.Model.Snapshot());
        return copy;
    }

    private static int[] Signalled(VpidHost host, int caller) =>
        host.Kill(caller, -1).Signals.ToArray().Select(s => s.To).ToArray();

    [Fact]
    public void Kill_minus_one_inside_a_vps_reaches_its_processes_in_creation_order_however_they_joined()
    {
        var host = TwoVpss();
        // Not its init (virtual pid 1), not the caller, not a thread, nothing of 102.
        Assert.Equal([Early, A], Signalled(host, B));
        Assert.Equal([Early, A], Signalled(Restored(host), B));
    }

    [Fact]
    public void Vps_membership_survives_snapshot_and_restore()
    {
        var host = TwoVpss();
        var copy = Restored(host);
        foreach (var h in new[] { host, copy })
        {
            Assert.Equal([Early, Init, A, Thread, B], h.Model.TasksOf(h.Model.FindVps("101")!));
            Assert.Equal([Other, C, D], h.Model.TasksOf(h.Model.FindVps("102")!));
        }
        Assert.Equal(host.Model.Snapshot(), copy.Model.Snapshot());
    }

    [Fact]
    public void Stopping_a_restored_vps_kills_and_releases_exactly_its_tasks()
    {
        var host = TwoVpss();
        var copy = Restored(host);
        foreach (var h in new[] { host, copy })
        {
            int before = h.Model.TaskCount;
            var stop = h.Container(Vzctl, ContainerAction.Stop, "101");
            Assert.Equal(0, stop.Ret);
            Assert.Equal([Early, Init, A, B], stop.Killed.ToArray()); // ascending global pid
            Assert.Equal(before - 5, h.Model.TaskCount); // the thread goes with its process
            Assert.Null(h.Model.FindVps("101"));
            Assert.Equal([Other, C, D], h.Model.TasksOf(h.Model.FindVps("102")!));
            Assert.Equal([C], Signalled(h, D));
        }
        Assert.Equal(host.Model.Snapshot(), copy.Model.Snapshot());
    }

    [Fact]
    public void A_process_released_before_its_thread_leaves_the_thread_off_its_vps()
    {
        var host = TwoVpss();
        // The trace reuses 501 without showing its exit: the stale process goes, its thread 503
        // with it from every walk, and the new 501 is the newest task of the VPS.
        host.Fork(B, A);
        Assert.Equal([Early, Init, B, A], host.Model.TasksOf(host.Model.FindVps("101")!));
        Assert.Equal([Early, A], Signalled(host, B));
        var stop = host.Container(Vzctl, ContainerAction.Stop, "101");
        Assert.Equal([Early, Init, B, A], stop.Killed.ToArray()); // the new 501 has the next global pid, 603
    }
}
