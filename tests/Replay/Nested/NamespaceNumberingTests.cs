using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>Allocation and translation of numbers (kernel/pid.c), with facts from the captures' NOTES.</summary>
public sealed class NamespaceNumberingTests
{
    /// <summary>unshare --pid --fork: 200 unshares, its child 201 is the new namespace's init.</summary>
    private static Scenario Unshared()
    {
        var s = new Scenario().WithHost();
        s.Fork(100, 200, ret: 200);
        s.Exec(200);
        s.Unshare(200);
        s.Fork(200, 201, ret: 201);
        s.Exec(201);
        return s;
    }

    [Fact]
    public void Fork_in_the_host_returns_the_child_global_tid()
    {
        var s = new Scenario().WithHost();
        var o = s.Fork(100, 5000, ret: 5000);
        Assert.Equal(Verdict.Predicted, o.Verdict);
        Assert.Equal(5000, o.Ret);
        Assert.Equal(5000, o.RetTarget);
    }

    [Fact]
    public void Child_of_unshare_is_init_with_pid_1_and_getppid_0()
    {
        var s = Unshared();
        Assert.Equal(1, s.Get(201, GetIdCall.GetPid).Ret);
        Assert.Equal(1, s.Get(201, GetIdCall.GetTid).Ret);
        Assert.Equal(0, s.Get(201, GetIdCall.GetPpid).Ret);
        // The unsharing process itself stays where it was.
        Assert.Equal(200, s.Get(200, GetIdCall.GetPid).Ret);
    }

    [Fact]
    public void New_init_keeps_the_creators_group_and_session_which_read_0_inside()
    {
        var s = Unshared();
        Assert.Equal(0, s.Get(201, GetIdCall.GetPgid).Ret);
        Assert.Equal(0, s.Get(201, GetIdCall.GetPgrp).Ret);
        Assert.Equal(0, s.Get(201, GetIdCall.GetSid).Ret);
        Assert.Equal(100, s.Model.NumberOf(100, 201, IdKind.Pgid));
    }

    [Fact]
    public void Children_of_a_namespace_init_are_numbered_2_3_4_in_it()
    {
        var s = Unshared();
        Assert.Equal(2, s.Fork(201, 202).Ret);
        Assert.Equal(3, s.Fork(201, 203).Ret);
        Assert.Equal(4, s.Fork(202, 204).Ret);
        Assert.Equal(2, s.Get(204, GetIdCall.GetPpid).Ret);
        Assert.Equal(204, s.Model.NumberOf(100, 204, IdKind.Pid));
        Assert.Equal(4, s.Model.NumberOf(203, 204, IdKind.Pid));
    }

    [Fact]
    public void Setsid_inside_returns_the_sid_in_the_callers_view()
    {
        var s = Unshared();
        s.Fork(201, 202);
        Assert.Equal(2, s.SetSid(202).Ret);
        Assert.Equal(2, s.Get(202, GetIdCall.GetSid).Ret);
        Assert.Equal(202, s.Model.NumberOf(100, 202, IdKind.Sid));
        Assert.Equal(-1, s.SetSid(202).Ret);
    }

    [Fact]
    public void Setsid_by_a_group_leader_is_EPERM()
    {
        var s = new Scenario().WithHost();
        Assert.Equal(-1, s.SetSid(100).Ret);
        s.Fork(100, 200);
        s.SetPgid(200, 0, 0);
        Assert.Equal(-1, s.SetSid(200).Ret);
    }

    [Fact]
    public void Clone_newpid_puts_the_child_in_a_new_namespace()
    {
        var s = new Scenario().WithHost();
        s.Fork(100, 200, ret: 200);
        var o = s.Fork(200, 201, ret: 201, flags: CloneFlags.NewPid | Scenario.SIGCHLD, call: ForkCall.Clone);
        Assert.Equal(201, o.Ret);
        Assert.Equal(1, s.Get(201, GetIdCall.GetPid).Ret);
        Assert.NotEqual(0, s.Model.ContainerOf(201));
        Assert.Equal(0, s.Model.ContainerOf(200));
    }

    [Fact]
    public void A_second_newpid_after_unshare_is_EINVAL()
    {
        var s = Unshared();
        Assert.Equal(-22, s.Unshare(200, ret: null).Ret);
        Assert.Equal(-22, s.Fork(200, 0, flags: CloneFlags.NewPid, call: ForkCall.Clone).Ret);
    }

    [Fact]
    public void A_thread_cannot_be_made_after_unshare_nor_with_newpid()
    {
        var s = Unshared();
        Assert.Equal(-22, s.Thread(200, 0).Ret);
        var h = new Scenario().WithHost();
        Assert.Equal(-22, h.Fork(100, 0, flags: CloneFlags.Thread | CloneFlags.NewPid, call: ForkCall.Clone).Ret);
    }

    [Fact]
    public void Clone_parent_from_a_namespace_init_is_EINVAL()
    {
        var s = Unshared();
        Assert.Equal(-22, s.Fork(201, 0, flags: CloneFlags.Parent, call: ForkCall.Clone).Ret);
    }

    [Fact]
    public void Every_level_down_to_the_thirty_second_numbers_its_tasks_and_the_thirty_third_nesting_fails_with_ENOSPC()
    {
        var s = new Scenario().WithHost();
        int parent = 100;
        for (int level = 1; level <= NestedPidModel.MaxLevel; level++)
        {
            int child = 1000 + level;
            Assert.Equal(0, s.Unshare(parent).Ret);
            var fork = s.Fork(parent, child);
            // Below the first level the parent is its namespace's init: its first child is 2 there.
            if (level > 1) Assert.Equal(2, fork.Ret);
            Assert.Equal(1, s.Get(child, GetIdCall.GetPid).Ret);
            parent = child;
        }
        Assert.Equal(-28, s.Unshare(parent, ret: null).Ret);
        Assert.Equal(-28, s.Fork(parent, 0, flags: CloneFlags.NewPid, call: ForkCall.Clone).Ret);
    }

    [Fact]
    public void Fork_into_a_namespace_whose_init_died_is_ENOMEM()
    {
        var s = Unshared();
        s.SigAction(200, Scenario.SIGCHLD, Handler.Default);
        s.Exit(201);
        Assert.Equal(-12, s.Fork(200, 0).Ret);
    }

    [Fact]
    public void Cursor_wraps_to_RESERVED_PIDS_and_a_full_space_gives_EAGAIN()
    {
        var s = new Scenario(new NestedOptions { PidMax = 310 }).WithHost();
        s.Unshare(100);
        s.Fork(100, 2001);
        for (int i = 2; i < 310; i++) Assert.Equal(i, s.Fork(2001, 2000 + i).Ret);
        // Free 5 and 305: past pid_max the cursor wraps to 300, not to 1, so 305 is taken and 5 never is.
        s.SigAction(2001, Scenario.SIGCHLD, Handler.Ignore);
        s.Exit(2005);
        s.Exit(2305);
        Assert.Equal(305, s.Fork(2001, 3000).Ret);
        Assert.Equal(-11, s.Fork(2001, 0).Ret);
    }

    [Fact]
    public void Set_tid_of_a_taken_number_is_EEXIST_and_other_than_1_before_an_init_is_EINVAL()
    {
        var s = Unshared();
        s.Fork(201, 202);
        Assert.Equal(-17, s.Fork(201, 0, call: ForkCall.Clone3, setTid: [2]).Ret);
        Assert.Equal(7, s.Fork(201, 207, call: ForkCall.Clone3, setTid: [7]).Ret);
        var h = new Scenario().WithHost();
        h.Unshare(100);
        Assert.Equal(-22, h.Fork(100, 0, call: ForkCall.Clone3, setTid: [5, 600]).Ret);
        Assert.Equal(-22, h.Fork(100, 0, call: ForkCall.Clone3, setTid: [1, 600, 7]).Ret);
    }

    [Fact]
    public void Threads_get_a_tid_at_every_level_and_share_the_tgid()
    {
        var s = Unshared();
        s.Fork(201, 202);
        Assert.Equal(3, s.Thread(202, 203).Ret);
        Assert.Equal(2, s.Get(203, GetIdCall.GetPid).Ret);
        Assert.Equal(3, s.Get(203, GetIdCall.GetTid).Ret);
        Assert.Equal(203, s.Model.NumberOf(100, 203, IdKind.Pid));
        Assert.Equal(202, s.Model.NumberOf(100, 203, IdKind.Tgid));
    }

    [Fact]
    public void After_setns_the_child_reads_0_for_its_outside_group_session_and_parent()
    {
        // f-nsenter: getpgid(0) = getpgrp() = getsid(0) = 0 and getppid() = 0 for the entered shell.
        var s = new Scenario().WithHost();
        s.Host(300, ppid: 100, pgid: 300, sid: 100);
        s.InNs([301, 1], 0xF00, ppid: 300, pgid: 300, sid: 100, nspgid: [300, 0], nssid: [100, 0]);
        s.Fork(100, 400, ret: 400);
        Assert.Equal(0, s.SetNs(400, 0xF00).Ret);
        Assert.Equal(401, s.Fork(400, 401, ret: 401).Ret);
        Assert.Equal(0, s.Get(401, GetIdCall.GetPgid).Ret);
        Assert.Equal(0, s.Get(401, GetIdCall.GetPgrp).Ret);
        Assert.Equal(0, s.Get(401, GetIdCall.GetSid).Ret);
        Assert.Equal(0, s.Get(401, GetIdCall.GetPpid).Ret);
        Assert.Equal(0, s.Get(301, GetIdCall.GetPgid).Ret);
    }

    [Fact]
    public void In_a_namespace_that_predates_the_capture_the_next_number_is_unknown_state_then_adopted()
    {
        var s = new Scenario().WithHost();
        s.Host(300, ppid: 100, pgid: 300, sid: 100);
        s.InNs([301, 1], 0xF00, ppid: 300, pgid: 300, sid: 100, nspgid: [300, 0], nssid: [100, 0]);
        var o = s.Fork(301, 302, ret: 9);
        Assert.Equal(Verdict.UnknownState, o.Verdict);
        Assert.False(o.HasRet);
        Assert.Equal(10, s.Fork(301, 303, ret: 10).Ret);
        Assert.Equal(9, s.Get(302, GetIdCall.GetPid).Ret);
    }

    [Fact]
    public void A_wrong_inner_number_is_reported_then_the_recorded_one_is_adopted()
    {
        var s = Unshared();
        var o = s.Fork(201, 202, ret: 5);
        Assert.Equal(2, o.Ret);
        Assert.NotNull(o.Note);
        Assert.Equal(5, s.Get(202, GetIdCall.GetPid).Ret);
        Assert.Equal(6, s.Fork(201, 203).Ret);
    }

    [Fact]
    public void Setns_to_a_namespace_the_capture_did_not_name_leaves_the_children_unknown_state()
    {
        var s = new Scenario().WithHost();
        s.Fork(100, 400, ret: 400);
        Assert.Equal(Verdict.UnknownState, s.SetNs(400, 0xABC).Verdict);
        Assert.Equal(401, s.Fork(400, 401, ret: 401).Ret);
        Assert.Equal(Verdict.UnknownState, s.Get(401, GetIdCall.GetPid, ret: 3).Verdict);
        Assert.Equal(401, s.Model.NumberOf(100, 401, IdKind.Pid));
    }

    [Fact]
    public void Setns_to_an_ancestor_namespace_is_EINVAL()
    {
        var s = new Scenario().WithHost();
        s.Host(300, ppid: 100, pgid: 300, sid: 100);
        s.InNs([301, 1], 0xF00, ppid: 300, pgid: 300, sid: 100, nspgid: [300, 0], nssid: [100, 0]);
        Assert.Equal(-22, s.SetNs(301, Scenario.HostNs, ret: null).Ret);
        Assert.Equal(0, s.SetNs(100, Scenario.HostNs).Ret);
    }

    [Fact]
    public void A_task_first_seen_without_a_snapshot_is_unknown_state_never_a_guess()
    {
        var s = new Scenario().WithHost();
        var o = s.Get(777, GetIdCall.GetPid, ret: 777);
        Assert.Equal(Verdict.UnknownState, o.Verdict);
        Assert.False(o.HasRet);
    }

    [Fact]
    public void Lookups_use_the_callers_namespace_only()
    {
        var s = Unshared();
        s.Fork(201, 202);
        // 100 is the host shell: from inside, 100 names nothing.
        Assert.Equal(-3, s.Get(202, GetIdCall.GetPgid, arg: 100).Ret);
        Assert.Equal(-3, s.Kill(202, 100, Scenario.SIGTERM).Ret);
        Assert.Equal(-10, s.Wait(201, pid: 100).Ret);
        Assert.Equal(0, s.Model.Resolve(202, 100, IdKind.Pid));
        Assert.Equal(202, s.Model.Resolve(201, 2, IdKind.Pid));
    }
}
