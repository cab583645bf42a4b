using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>
/// What the model lets go of: a task this design would have reaped, a notice the trace can no
/// longer show, the numbers of a VPS no caller is left in. Whatever it keeps beyond that grows
/// with the run and, kept as a zombie, holds a global pid the trace's kernel hands out again.
/// </summary>
public sealed class VpidReleaseTests
{
    private const int SIGCHLD = 17, CLD_EXITED = 1;

    [Fact]
    public void Stopping_a_VPS_reaps_the_zombies_its_dead_init_left_to_the_host_init()
    {
        // init-exits: the VPS init dies first; as posted nothing is killed, its orphans go to the
        // host init and later exit there. The trace's kernel never made them init's children, so
        // no wait of the trace reaps them; vzctl stop returns once the VE has no task left.
        var host = new VpidHost().Boot();
        host.StartVps(100, 200, "101");
        host.Fork(200, 201);
        host.Fork(200, 202);
        host.Exit(200);
        host.Exit(201);
        host.Exit(202);
        Assert.Equal(200, host.Apply(new Wait { Tid = 100, Pid = 200, Ret = 200 }).RetTarget);
        int before = host.Model.TaskCount;
        host.Container(100, ContainerAction.Stop, "101");
        Assert.Equal(before - 2, host.Model.TaskCount);
        Assert.Equal(0, host.Model.GlobalPidOf(201));
        // The trace's kernel gives 201 again: this design has it free too, so nothing is renumbered.
        var fork = host.Fork(100, 201);
        Assert.Equal(201, fork.Ret);
        Assert.Null(fork.Note);
    }

    [Fact]
    public void Stopping_a_VPS_leaves_a_zombie_to_the_host_task_whose_wait_the_trace_shows()
    {
        var host = new VpidHost().Boot();
        host.StartVps(100, 200, "101");
        host.Exit(200);
        host.Container(100, ContainerAction.Stop, "101");
        var wait = host.Apply(new Wait { Tid = 100, Pid = 200, Ret = 200 });
        Assert.Equal(200, wait.Ret);
        Assert.Equal(200, wait.RetTarget);
    }

    [Fact]
    public void A_caller_in_a_namespace_nested_in_its_VPS_waits_by_the_number_fork_returned_there()
    {
        // mixed: a shell in a pid namespace inside a container forks 22707 (21 there) and waits
        // for 21. The nested namespace has no representation here, but under this design fork
        // returned the shell a number of its own for that child and it would have waited on it:
        // the child is reaped, not left a zombie for ever behind an ECHILD.
        var host = new VpidHost().Boot();
        host.StartVps(100, 200, "101");
        host.Apply(new Fork { Tid = 200, Child = 300, Flags = CloneFlags.NewPid, Ret = 2 });
        host.Apply(new Fork { Tid = 300, Child = 301, Ret = 21 });
        host.Exit(301);
        int before = host.Model.TaskCount;
        var wait = host.Apply(new Wait { Tid = 300, Pid = 21, Ret = 21 });
        Assert.Equal(301, wait.RetTarget);
        Assert.Equal(301 + VpidModel.VpidDiv, wait.Ret); // its virtual number, as the patch reports it inside
        Assert.Equal(before - 1, host.Model.TaskCount);
    }

    [Fact]
    public void A_notice_goes_when_its_process_is_reaped()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        host.Exit(200);
        Assert.Equal(1, host.Model.PendingNotices);
        host.Apply(new Wait { Tid = 100, Pid = 200, Ret = 200 });
        Assert.Equal(0, host.Model.PendingNotices);
    }

    [Fact]
    public void A_notice_kept_for_a_late_line_is_still_shown_and_goes_when_its_tid_is_given_again()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        host.Thread(200, 201);
        host.Exit(200, group: false);
        host.Exit(201, group: false); // the last thread: it sends the notice, and is released
        Assert.Equal(1, host.Model.PendingNotices);
        var late = host.Apply(new Signal { Tid = 201, Record = new SignalRecord(SIGCHLD, 100, SignalResult.Delivered, CLD_EXITED, true) });
        Assert.Equal(100, Assert.Single(late.Signals).To);
        Assert.Equal(0, host.Model.PendingNotices);

        host.Fork(100, 300);
        host.Thread(300, 301);
        host.Exit(300, group: false);
        host.Exit(301, group: false);
        Assert.Equal(1, host.Model.PendingNotices);
        host.Fork(100, 301); // the trace's kernel freed 301: no line can come from it any more
        Assert.Equal(0, host.Model.PendingNotices);
        Assert.Equal(300, host.Apply(new Wait { Tid = 100, Pid = 300, Ret = 300 }).RetTarget);
    }

    [Fact]
    public void A_VPS_whose_last_task_is_released_forgets_the_numbers_shown_inside_it()
    {
        var host = new VpidHost().Boot();
        host.StartVps(100, 200, "101");
        host.Apply(new Fork { Tid = 200, Child = 201, Ret = 2 });
        host.Apply(new Fork { Tid = 200, Child = 202, Ret = 3 });
        Assert.Equal(2, host.Model.InsideNumbers);
        host.Exit(200);
        host.Container(100, ContainerAction.Stop, "101");
        Assert.Equal(2, host.Model.InsideNumbers); // the init is a zombie of vzctl's: it is still inside
        host.Apply(new Wait { Tid = 100, Pid = 200, Ret = 200 });
        Assert.Equal(0, host.Model.InsideNumbers);
    }
}
