using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>
/// Kuznetsov's example in seed 001: `vzctl exec 202 "sleep 3600 &lt; /dev/null &gt;&amp; /dev/null &amp;"`.
/// On the host, ps axj shows the sleep as pid 6880, ppid 4890, pgid 6879, sid 6879; inside VPS
/// 202 as 7904, 1, 6879, 6879: "pid and ppid look different (virtual ones inside container),
/// but pgid and sid are not".
/// </summary>
public sealed class VpidSeedExampleTests
{
    private const int Init = 4890, Vzctl = 6878, Shell = 6879, Sleep = 6880;

    /// <summary>The events vzctl start and vzctl exec make, in the order a kernel would record them.</summary>
    private static VpidHost Replay()
    {
        var host = new VpidHost().Boot();
        host.Task(4000, 1, 4000, 4000, "vzctl");
        host.StartVps(4000, Init, "202");
        host.Task(Vzctl, 100, Vzctl, 100, "vzctl");
        host.Fork(Vzctl, Shell);
        host.SetSid(Shell);                                         // vzctl's child: a new session on the host
        host.Container(Shell, ContainerAction.Enter, "202", Shell); // then it enters VE 202 and execs sh -c
        host.Fork(Shell, Sleep);                                    // sh starts sleep in the background
        host.Exit(Shell);                                           // and exits: sleep is orphaned
        return host;
    }

    [Fact]
    public void Host_view_of_the_sleep_is_6880_4890_6879_6879()
    {
        var host = Replay();
        var m = host.Model;
        Assert.Equal(Sleep, m.NumberOf(Vzctl, Sleep, IdKind.Pid));
        Assert.Equal(Init, m.NumberOf(Vzctl, Init, IdKind.Pid));
        Assert.Equal(Shell, m.NumberOf(Vzctl, Sleep, IdKind.Pgid));
        Assert.Equal(Shell, m.NumberOf(Vzctl, Sleep, IdKind.Sid));
    }

    [Fact]
    public void Inside_view_of_the_sleep_is_7904_1_6879_6879()
    {
        var host = Replay();
        Assert.Equal(7904, host.Get(Sleep, GetIdCall.GetPid).Ret);
        Assert.Equal(1, host.Get(Sleep, GetIdCall.GetPpid).Ret);
        Assert.Equal(Init, host.Outcome.RetTarget);
        Assert.Equal(6879, host.Get(Sleep, GetIdCall.GetPgid).Ret);
        Assert.Equal(Shell, host.Outcome.RetTarget);
        Assert.Equal(6879, host.Get(Sleep, GetIdCall.GetSid).Ret);
        // ps axj inside reads /proc as a VPS task: the same numbers.
        Assert.Equal(7904, host.Model.NumberOf(Init, Sleep, IdKind.Pid));
        Assert.Equal(6879, host.Model.NumberOf(Init, Sleep, IdKind.Pgid));
    }

    [Fact]
    public void The_orphaned_sleep_goes_to_the_vps_init_and_fork_returned_its_global_pid()
    {
        var host = new VpidHost().Boot();
        host.Task(4000, 1, 4000, 4000, "vzctl");
        host.StartVps(4000, Init, "202");
        host.Task(Vzctl, 100, Vzctl, 100, "vzctl");
        host.Fork(Vzctl, Shell);
        host.SetSid(Shell);
        host.Container(Shell, ContainerAction.Enter, "202", Shell);
        var fork = host.Fork(Shell, Sleep);
        Assert.Equal(Sleep, fork.Ret);       // posted do_fork_pid: the global pid, inside the VPS
        Assert.Equal(Sleep, fork.RetTarget);
        Assert.NotNull(fork.Note);
        var exit = host.Exit(Shell);
        Assert.Contains(new Reparent(Sleep, Init), exit.Reparented);
        Assert.Equal(1, host.Model.ContainerOf(Sleep));
    }
}
