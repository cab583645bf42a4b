using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Validation;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>
/// setns into a namespace the capture could not name: a child's own getpid places it in the one
/// known namespace whose next number is that answer (pidns_install: own or descendant; alloc_pid:
/// first free number from each level's cursor), and nowhere when none or several fit.
/// </summary>
public sealed class SetnsInferenceTests
{
    /// <summary>Host 100 unshares and forks the init 200 (1 inside), which forks 201 (2 inside): the namespace's next number is 3.</summary>
    private static Scenario OneNamespace()
    {
        var s = new Scenario().WithHost();
        s.Host(300, ppid: 100, pgid: 300, sid: 100);
        s.Unshare(100);
        Assert.Equal(200, s.Fork(100, 200, ret: 200).Ret);
        Assert.Equal(2, s.Fork(200, 201, ret: 2).Ret);
        return s;
    }

    /// <summary><see cref="OneNamespace"/>, and host 400 unshares and forks the init 500 (1 inside), which forks 501 (2 inside): its next number is 3 too.</summary>
    private static Scenario TwoNamespaces()
    {
        var s = OneNamespace();
        s.Host(400, ppid: 100, pgid: 400, sid: 100);
        s.Unshare(400);
        s.Fork(400, 500, ret: 500);
        Assert.Equal(2, s.Fork(500, 501, ret: 2).Ret);
        return s;
    }

    [Fact]
    public void A_setns_child_reporting_the_only_candidates_next_number_lives_there()
    {
        var s = OneNamespace();
        Assert.Equal(Verdict.UnknownState, s.SetNs(300, 0xABC).Verdict);
        Assert.Equal(301, s.Fork(300, 301, ret: 301).Ret);
        // The answer itself is the evidence, not a prediction.
        Assert.Equal(Verdict.UnknownState, s.Get(301, GetIdCall.GetPid, ret: 3).Verdict);
        // From now on the child's answers are predicted: its parent lives outside, its next child is 4.
        Assert.Equal(3, s.Model.NumberOf(200, 301, IdKind.Pid));
        Assert.Equal(0, s.Get(301, GetIdCall.GetPpid).Ret);
        Assert.Equal(0, s.Get(301, GetIdCall.GetPgid).Ret);
        Assert.Equal(4, s.Fork(301, 302, ret: 4).Ret);
        Assert.Equal(5, s.Fork(201, 303, ret: 5).Ret);
        // The parent's setns is known now too: its next child goes to the same namespace.
        Assert.Equal(304, s.Fork(300, 304, ret: 304).Ret);
        Assert.Equal(6, s.Model.NumberOf(200, 304, IdKind.Pid));
    }

    [Fact]
    public void Until_the_child_tells_its_number_a_fork_inside_a_candidate_is_not_predicted()
    {
        var s = OneNamespace();
        s.SetNs(300, 0xABC);
        s.Fork(300, 301, ret: 301);
        var o = s.Fork(201, 302, ret: 4);
        Assert.Equal(Verdict.UnknownState, o.Verdict);
        Assert.False(o.HasRet);
    }

    [Fact]
    public void Two_candidates_with_the_same_next_number_leave_the_child_unknown()
    {
        var s = TwoNamespaces();
        s.SetNs(300, 0xABC);
        s.Fork(300, 301, ret: 301);
        s.Get(301, GetIdCall.GetPid, ret: 3);
        Assert.Equal(Verdict.UnknownState, s.Fork(301, 302, ret: 4).Verdict);
        Assert.Equal(-1, s.Model.NumberOf(200, 301, IdKind.Pid));
    }

    [Fact]
    public void A_number_no_candidate_would_give_leaves_the_child_unknown()
    {
        var s = OneNamespace();
        s.SetNs(300, 0xABC);
        s.Fork(300, 301, ret: 301);
        s.Get(301, GetIdCall.GetPid, ret: 7);
        Assert.Equal(Verdict.UnknownState, s.Get(301, GetIdCall.GetPpid, ret: 0).Verdict);
    }

    [Fact]
    public void A_setns_child_reporting_its_global_tid_stayed_in_the_host_namespace()
    {
        // No inode named (tracefs alone): the host's namespace, known by its own, stays a candidate.
        var s = OneNamespace();
        s.SetNs(300, 0);
        s.Fork(300, 301, ret: 301);
        s.Get(301, GetIdCall.GetPid, ret: 301);
        Assert.Equal(300, s.Get(301, GetIdCall.GetPpid).Ret);
        Assert.Equal(3, s.Fork(201, 302, ret: 3).Ret);
    }

    [Fact]
    public void A_namespace_whose_init_died_is_no_candidate_before_or_after_a_restore()
    {
        // The second namespace's next number is 3 too, until its init dies (zap_pid_ns_processes: no more adding).
        var s = TwoNamespaces();
        s.Exit(500);
        var restored = new Scenario();
        restored.Model.Restore(s.Model.Snapshot());
        foreach (var run in new[] { s, restored })
        {
            run.SetNs(300, 0xABC);
            run.Fork(300, 301, ret: 301);
            run.Get(301, GetIdCall.GetPid, ret: 3);
            Assert.Equal(3, run.Model.NumberOf(200, 301, IdKind.Pid));
        }
    }

    [Fact]
    public void A_model_snapshot_keeps_a_child_waiting_for_its_number()
    {
        var s = OneNamespace();
        s.SetNs(300, 0xABC);
        s.Fork(300, 301, ret: 301);
        var copy = new NestedPidModel();
        copy.Restore(s.Model.Snapshot());
        var o = new Outcome();
        copy.Apply(new GetId { Host = "h", Tid = 301, Call = GetIdCall.GetPid, Ret = 3 }, o);
        copy.Apply(new Fork { Host = "h", Tid = 301, Child = 302, Ret = 4 }, o);
        Assert.Equal(Verdict.Predicted, o.Verdict);
        Assert.Equal(4, o.Ret);
    }

    /// <summary>300 enters inode 0xABC unnamed; its child reports 3 there, so 0xABC is that namespace; then host task 400 enters 0xABC.</summary>
    private static Scenario Taught()
    {
        var s = OneNamespace();
        s.Host(400, ppid: 100, pgid: 400, sid: 100);
        s.SetNs(300, 0xABC);
        s.Fork(300, 301, ret: 301);
        Assert.Equal(Verdict.UnknownState, s.Get(301, GetIdCall.GetPid, ret: 3).Verdict);
        return s;
    }

    [Fact]
    public void A_placed_childs_inode_names_the_namespace_for_the_next_setns()
    {
        var s = Taught();
        var entered = s.SetNs(400, 0xABC);
        Assert.Equal((Verdict.Predicted, 0L), (entered.Verdict, entered.Ret));
        // Known at once: the child's number there, and no candidate's cursor made uncertain meanwhile.
        Assert.Equal(401, s.Fork(400, 401, ret: 401).Ret);
        var pid = s.Get(401, GetIdCall.GetPid, ret: 4);
        Assert.Equal((Verdict.Predicted, 4L), (pid.Verdict, pid.Ret));
        Assert.Equal(5, s.Fork(201, 402, ret: 5).Ret);
    }

    [Fact]
    public void A_taught_inode_names_nothing_once_its_namespace_stops_adding()
    {
        // The init's death ends the namespace's adding; the kernel may free it and give 0xABC to another.
        var s = Taught();
        s.Exit(200);
        Assert.Equal(Verdict.UnknownState, s.SetNs(400, 0xABC).Verdict);
    }

    [Fact]
    public void A_setns_by_another_task_since_teaches_no_inode()
    {
        // 300's unnamed setns is no longer the last one when it forks: which inode sent the child is not known.
        var s = OneNamespace();
        s.Host(400, ppid: 100, pgid: 400, sid: 100);
        s.Host(500, ppid: 100, pgid: 500, sid: 100);
        s.SetNs(300, 0xABC);
        s.SetNs(500, 0xDEF);
        s.Fork(300, 301, ret: 301);
        s.Get(301, GetIdCall.GetPid, ret: 3);
        Assert.Equal(3, s.Model.NumberOf(200, 301, IdKind.Pid));
        Assert.Equal(Verdict.UnknownState, s.SetNs(400, 0xDEF).Verdict);
        Assert.Equal(Verdict.UnknownState, s.SetNs(400, 0xABC).Verdict);
    }

    [Fact]
    public void A_namespace_known_by_another_inode_is_no_candidate_before_or_after_a_restore()
    {
        // Two namespaces whose next number is 3: the first is known as 0x111 (a setns named its
        // init), so 300's setns naming 0xABC led to the second, whose cursor alone was uncertain.
        var s = TwoNamespaces();
        s.Host(600, ppid: 100, pgid: 600, sid: 100);
        s.Apply(new SetNs { Tid = 600, Comm = "nsenter", Fd = 3, NsType = CloneFlags.NewPid, TargetNs = 0x111, TargetInit = 200, Ret = 0 });
        var restored = new Scenario();
        restored.Model.Restore(s.Model.Snapshot());
        foreach (var run in new[] { s, restored })
        {
            run.SetNs(300, 0xABC);
            run.Fork(300, 301, ret: 301);
            Assert.Equal(3, run.Fork(201, 302, ret: 3).Ret);
            run.Get(301, GetIdCall.GetPid, ret: 3);
            Assert.Equal(3, run.Model.NumberOf(500, 301, IdKind.Pid));
        }
        // Taught by that child, 0xABC rules the second out too: an entry naming another inode
        // leaves every cursor known (the namespace it led to is not one the model knows).
        var taught = new Scenario();
        taught.Model.Restore(s.Model.Snapshot());
        foreach (var run in new[] { s, taught })
        {
            run.Host(700, ppid: 100, pgid: 700, sid: 100);
            run.SetNs(700, 0xDEF);
            run.Fork(700, 701, ret: 701);
            Assert.Equal(4, run.Fork(201, 702, ret: 4).Ret);
            Assert.Equal(4, run.Fork(501, 703, ret: 4).Ret);
        }
    }

    [Fact]
    public void What_a_placed_child_teaches_survives_a_snapshot_taken_anywhere()
    {
        var straight = Taught();
        straight.SetNs(400, 0xABC);
        straight.Fork(400, 401, ret: 401);
        var expected = straight.Get(401, GetIdCall.GetPid, ret: 4);
        Assert.Equal(Verdict.Predicted, expected.Verdict);
        var events = straight.Events;
        // Before the setns, between it and the fork, before the child's getpid, after it.
        int setns = events.FindIndex(e => e is SetNs);
        foreach (int cut in new[] { setns, setns + 1, setns + 2, setns + 3 })
        {
            var model = new NestedPidModel();
            var o = new Outcome();
            foreach (var ev in events.Take(cut)) model.Apply(ev, o);
            var resumed = new NestedPidModel();
            resumed.Restore(model.Snapshot());
            foreach (var ev in events.Skip(cut))
            {
                o = new Outcome();
                resumed.Apply(ev, o);
            }
            Assert.Equal((expected.Verdict, expected.Ret), (o.Verdict, o.Ret));
        }
    }

    [Fact]
    public void F_nsenter_the_entered_shells_children_become_checkable()
    {
        // traces/captures/f-nsenter.txt: unshare 505 made the namespace (init 508 = 1), nsenter 510
        // entered it by fd, its child 511 read getpid() = 2; 511's children 512 and 513 answer from inside.
        var (events, _) = RealCapturesValidateTests.Read("traces/captures/f-nsenter.txt");
        var model = new NestedPidModel();
        var o = new Outcome();
        var predicted = new List<(GetIdCall Call, long Ret)>();
        foreach (var ev in events)
        {
            model.Apply(ev, o);
            if (ev is GetId { Tid: 512 } g && o.Verdict == Verdict.Predicted) predicted.Add((g.Call, o.Ret));
        }
        Assert.Equal(
            [(GetIdCall.GetPid, 3), (GetIdCall.GetPpid, 2), (GetIdCall.GetPgid, 0), (GetIdCall.GetPgrp, 0), (GetIdCall.GetSid, 0), (GetIdCall.GetTid, 3)],
            predicted);
        var report = Validator.Run("f-nsenter", "nested", events);
        Assert.Equal(0, report.Disagreed);
        Assert.True(report.Totals.Agreed >= 95, $"{report.Totals.Agreed} agreed");
    }
}
