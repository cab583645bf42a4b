using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>
/// Where the two designs share the kernel's rule, the vpid model follows what the trace says
/// happened, so that a divergence means a difference of design, not of replay (MODELS.md,
/// "Divergence": replay is trace-driven).
/// </summary>
public sealed class VpidTraceFollowingTests
{
    private const int SIGTERM = 15, SIGCHLD = 17, WNOHANG = 1;

    private static SignalRecord Sent(int sig, int to, SignalResult result) => new(sig, to, result, 0, true);

    [Fact]
    public void A_snapshot_childs_notice_to_another_thread_of_its_parents_process_is_to_that_thread()
    {
        // A busy capture: python3 thread 14805 of process 6847 vforked pidinfo 14808 just before
        // tracing began; the snapshot's PPid said 6847, the kernel's notice went to 14805.
        var host = new VpidHost().Boot();
        host.Task(300, 100, 100, 100, "pidinfo");
        host.Thread(100, 101);
        var o = host.Apply(new Exit { Tid = 300, Group = true, Code = 0, Signals = [new SignalRecord(17, 101, SignalResult.Delivered, 1, true)] });
        Assert.Contains(o.Signals, x => x.Sig == 17 && x.To == 101);
        Assert.DoesNotContain(o.Signals, x => x.Sig == 17 && x.To == 100);
    }

    [Fact]
    public void A_snapshot_task_whose_tid_has_bit_10_set_is_numbered_where_no_later_fork_can_collide()
    {
        // g-threads: snapshot task 1024 was renumbered into 528 (the next number after last_pid),
        // then the trace forked 528 and it was renumbered too.
        var host = new VpidHost().Boot();
        host.Task(1024, 100, 100, 100);
        host.Task(527, 100, 100, 100);
        Assert.True(host.Model.GlobalPidOf(1024) >= host.Model.Options.PidMax);
        var o = host.Fork(527, 528);
        Assert.Equal(528, o.Ret);
        Assert.Equal(0, o.AllocationFailure);
        Assert.Equal(528, host.Model.GlobalPidOf(528));
    }

    [Fact]
    public void A_group_leader_listed_after_its_member_keeps_the_number_the_member_named()
    {
        var host = new VpidHost().Boot();
        host.Task(520, 100, 1030, 100);
        host.Task(1030, 100, 1030, 100);
        Assert.Equal(1030, host.Model.Resolve(100, 1030, IdKind.Pgid));
        var pgid = host.Get(520, GetIdCall.GetPgid);
        Assert.Equal(1030, pgid.RetTarget);
        Assert.Equal(host.Model.GlobalPidOf(1030), pgid.Ret);
    }

    [Fact]
    public void A_host_caller_passes_the_traces_number_for_a_task_this_design_renumbered()
    {
        // b-jobctl: bash kills -PGID and setpgids children whose real pids have bit 10 set.
        var host = new VpidHost().Boot();
        host.Fork(100, 1100);
        Assert.NotEqual(1100, host.Model.GlobalPidOf(1100));
        Assert.Equal(0, host.Apply(new SetPgid { Tid = 100, Pid = 1100, Pgid = 1100, Ret = 0 }).Ret);
        var kill = host.Apply(new Kill { Tid = 100, Pid = -1100, Sig = SIGTERM, Ret = 0 });
        Assert.Equal(0, kill.Ret);
        Assert.Equal(1100, Assert.Single(kill.Signals).To);
        Assert.Equal(1100, host.Apply(new Kill { Tid = 100, Call = KillCall.Tgkill, Pid = 1100, ThreadArg = 1100, Sig = SIGTERM, Ret = 0 }).RetTarget);
    }

    [Fact]
    public void Setpgid_answers_0_naming_no_task_refuses_an_execd_child_and_moves_as_the_trace_says()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        var o = host.Apply(new SetPgid { Tid = 100, Pid = 200, Pgid = 200, Ret = 0 });
        Assert.Equal(0, o.Ret);
        Assert.Equal(0, o.RetTarget);
        host.Fork(100, 201);
        host.Apply(new Exec { Tid = 201, Filename = "/bin/sleep", Ret = 0 });
        Assert.Equal(-13, host.Apply(new SetPgid { Tid = 100, Pid = 201, Pgid = 200, Ret = -13 }).Ret);
        // A move this design refuses (another session's group) still happens when the trace says so.
        host.Fork(100, 202);
        Assert.Equal(-1, host.Apply(new SetPgid { Tid = 100, Pid = 202, Pgid = 1, Ret = 0 }).Ret);
        Assert.Equal(1, host.Model.Resolve(100, host.Model.NumberOf(100, 202, IdKind.Pgid), IdKind.Pgid));
    }

    [Fact]
    public void A_wait_reaps_the_zombie_the_trace_reaped_among_several()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        host.Fork(100, 201);
        host.Exit(200);
        host.Exit(201);
        var o = host.Apply(new Wait { Tid = 100, Pid = -1, Ret = 201 });
        Assert.Equal(201, o.Ret);
        Assert.Equal(200, host.Apply(new Wait { Tid = 100, Pid = -1, Ret = 200 }).Ret);
    }

    [Fact]
    public void A_wait_inside_a_VPS_reaps_the_zombie_whose_number_the_trace_returned()
    {
        // The trace's kernel showed the init its children as 2 and 3; its wait returned 3 first.
        var host = new VpidHost().Boot();
        host.StartVps(100, 300, "101");
        host.Apply(new Fork { Tid = 300, Child = 301, Ret = 2 });
        host.Apply(new Fork { Tid = 300, Child = 302, Ret = 3 });
        host.Exit(301);
        host.Exit(302);
        int shown = host.Model.NumberOf(300, 302, IdKind.Pid);
        var first = host.Apply(new Wait { Tid = 300, Pid = -1, Ret = 3 });
        Assert.Equal(302, first.RetTarget);
        Assert.Equal(shown, first.Ret);
        var second = host.Apply(new Wait { Tid = 300, Pid = -1, Ret = 2 });
        Assert.Equal(301, second.RetTarget);
        Assert.Equal(-10, host.Apply(new Wait { Tid = 300, Pid = -1, Ret = -10 }).Ret);
    }

    [Fact]
    public void A_WNOHANG_wait_before_exit_notify_finds_no_zombie_and_reaps_nothing()
    {
        // fresh/pool.capture: wait4(pid, WNOHANG) = 0 between a child's exit and its SIGCHLD.
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        host.Exit(200);
        Assert.Equal(0, host.Apply(new Wait { Tid = 100, Pid = 200, Options = WNOHANG, Ret = 0 }).Ret);
        Assert.Equal(200, host.Apply(new Wait { Tid = 100, Pid = 200, Ret = 200 }).Ret);
    }

    [Fact]
    public void Waitid_answers_the_childs_number_like_wait4()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        host.Exit(200);
        var o = host.Apply(new Wait { Tid = 100, Call = WaitCall.Waitid, Pid = -1, Options = 4 });
        Assert.Equal(200, o.Ret);
        Assert.Equal(200, o.RetTarget);
    }

    [Fact]
    public void A_signal_result_follows_the_trace_for_the_same_recipient_but_not_for_a_VPS_init()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        var o = host.Apply(new Kill { Tid = 100, Pid = 200, Sig = SIGTERM, Ret = 0, Signals = [Sent(SIGTERM, 200, SignalResult.AlreadyPending)] });
        Assert.Equal(SignalResult.AlreadyPending, Assert.Single(o.Signals).Result);
        // A namespace init ignores a SIG_DFL SIGTERM from the host; a VPS init takes it (no init protection in the patch).
        host.Apply(new Unshare { Tid = 100, Flags = CloneFlags.NewPid, Ret = 0 });
        host.Fork(100, 300);
        o = host.Apply(new Kill { Tid = 100, Pid = 300, Sig = SIGTERM, Ret = 0, Signals = [Sent(SIGTERM, 300, SignalResult.Ignored)] });
        Assert.Equal(SignalResult.Delivered, Assert.Single(o.Signals).Result);
    }

    [Fact]
    public void An_unknown_disposition_makes_that_signals_result_unknown_not_the_whole_event()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 200);
        host.Fork(100, 201);
        host.Apply(new SigAction { Tid = 200, Sig = SIGTERM, Handler = Handler.Unknown, Ret = 0 });
        var o = host.Apply(new Kill { Tid = 100, Pid = 0, Sig = SIGTERM, Ret = 0 });
        Assert.Equal(Verdict.Predicted, o.Verdict);
        int unknown = Assert.Single(o.UnknownResults);
        Assert.Equal(200, o.Signals[unknown].To);
    }

    [Fact]
    public void An_exits_SIGCHLD_names_the_parent_thread_that_forked_the_child()
    {
        // strace/threads: vfork from a non-leader thread; signal_generate names that thread.
        var host = new VpidHost().Boot();
        host.Thread(100, 101);
        host.Fork(101, 200);
        Assert.Equal(101, Assert.Single(host.Exit(200).Signals).To);
    }

    [Fact]
    public void A_child_of_an_unnamed_setns_reporting_a_number_inside_joins_the_running_VPS()
    {
        var host = new VpidHost().Boot();
        host.Apply(new Unshare { Tid = 100, Flags = CloneFlags.NewPid, Ret = 0 });
        host.Fork(100, 300);
        host.Task(400, 100, 100, 100);
        host.Apply(new SetNs { Tid = 400, NsType = CloneFlags.NewPid, Ret = 0 });
        host.Fork(400, 401);
        Assert.Equal(0, host.Model.ContainerOf(401));
        host.Apply(new GetId { Tid = 401, Call = GetIdCall.GetPid, Ret = 2 });
        int vps = host.Model.ContainerOf(300);
        Assert.NotEqual(0, vps);
        Assert.Equal(vps, host.Model.ContainerOf(401));
        host.Fork(400, 402);
        Assert.Equal(vps, host.Model.ContainerOf(402));
    }

    [Fact]
    public void A_model_snapshot_keeps_what_following_the_trace_learned()
    {
        var host = new VpidHost().Boot();
        host.Fork(100, 1100);
        host.Fork(100, 200);
        host.Exit(200);
        var copy = new VpidModel();
        copy.Restore(host.Model.Snapshot());
        var o = new Outcome();
        copy.Apply(new Kill { Host = "a", Tid = 100, Pid = 1100, Sig = 0, Ret = 0 }, o);
        Assert.Equal(1100, o.RetTarget);
        copy.Apply(new Signal { Host = "a", Tid = 200, Record = new SignalRecord(SIGCHLD, 100, SignalResult.Ignored, 1, true) }, o);
        Assert.Equal(100, Assert.Single(o.Signals).To);
    }

    [Fact]
    public void A_caller_inside_passes_the_number_the_trace_showed_it_and_this_design_reads_it_as_that_task()
    {
        // pair/tracefs: bash inside a namespace setpgids and waits for its children by the numbers
        // fork returned there (2, 3); under the patch fork returned their global pids, which it
        // would have passed instead. A number with no task behind it names nothing.
        var host = new VpidHost().Boot();
        host.Apply(new Unshare { Tid = 100, Flags = CloneFlags.NewPid, Ret = 0 });
        host.Apply(new Fork { Tid = 100, Child = 300, Ret = 300 });
        host.Apply(new Fork { Tid = 300, Child = 301, Ret = 2 });
        host.Apply(new Fork { Tid = 300, Child = 302, Ret = 3 });
        Assert.Equal(0, host.Apply(new SetPgid { Tid = 300, Pid = 2, Pgid = 2, Ret = 0 }).Ret);
        Assert.Equal(301, host.Model.Resolve(100, host.Model.NumberOf(100, 301, IdKind.Pgid), IdKind.Pgid));
        var kill = host.Apply(new Kill { Tid = 300, Pid = 3, Sig = SIGTERM, Ret = 0 });
        Assert.Equal(302, kill.RetTarget);
        host.Exit(301);
        var wait = host.Apply(new Wait { Tid = 300, Pid = 2, Ret = 2 });
        Assert.Equal(301, wait.RetTarget);
        Assert.Equal(-3, host.Apply(new Kill { Tid = 300, Pid = 2, Sig = 0, Ret = -3 }).Ret);
    }
}
