using Replayer.Ingest.Events;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;

namespace Replayer.Tests.Replay;

public sealed class DivergenceClassifierTests
{
    private static Outcome Returning(long ret, int target = 0)
    {
        var o = new Outcome();
        o.Reset();
        o.Return(ret, target);
        return o;
    }

    private static List<Difference> Compare(Outcome a, Outcome b)
    {
        var into = new List<Difference>();
        DivergenceClassifier.Compare(a, b, into);
        return into;
    }

    [Fact]
    public void Getpgid_reading_0_in_one_design_and_the_host_group_in_the_other_is_visibility()
    {
        // Seed 001 against nested namespaces after nsenter: the host's group is invisible inside.
        var d = Assert.Single(Compare(Returning(0), Returning(6879, target: 6879)));
        Assert.Equal(DivergenceCategory.Visibility, d.Category);
        Assert.Equal("6879 (task 6879)", d.Right);
    }

    [Fact]
    public void The_same_child_under_two_numbers_is_numbering_only()
    {
        var d = Assert.Single(Compare(Returning(2, target: 5310), Returning(6334, target: 5310)));
        Assert.Equal(DivergenceCategory.Numbering, d.Category);
    }

    [Fact]
    public void Success_against_failure_and_different_tasks_are_identity()
    {
        Assert.Equal(DivergenceCategory.Identity, Assert.Single(Compare(Returning(7, 7), Returning(-Errnos.ESRCH))).Category);
        Assert.Equal(DivergenceCategory.Identity, Assert.Single(Compare(Returning(7, 7), Returning(7, 9))).Category);
        Assert.Equal(DivergenceCategory.Identity, Assert.Single(Compare(Returning(-Errnos.EPERM), Returning(-Errnos.ESRCH))).Category);
    }

    [Fact]
    public void Agreement_and_unknown_state_are_no_divergence()
    {
        Assert.Empty(Compare(Returning(5, 5), Returning(5, 5)));
        var unknown = Returning(1, 1);
        unknown.Verdict = Verdict.UnknownState;
        Assert.Empty(Compare(unknown, Returning(9, 9)));
    }

    [Fact]
    public void Different_recipients_or_results_are_signal_set_whatever_the_order()
    {
        var a = Returning(0);
        a.Signals.Add(new SignalOutcome(15, 10, SignalResult.Delivered, 0));
        a.Signals.Add(new SignalOutcome(15, 11, SignalResult.Ignored, 0));
        var b = Returning(0);
        b.Signals.Add(new SignalOutcome(15, 11, SignalResult.Ignored, 0));
        b.Signals.Add(new SignalOutcome(15, 10, SignalResult.Delivered, 0));
        Assert.Empty(Compare(a, b));
        b.Signals[0] = new SignalOutcome(15, 11, SignalResult.Delivered, 0);
        Assert.Equal(DivergenceCategory.SignalSet, Assert.Single(Compare(a, b)).Category);
    }

    [Fact]
    public void A_result_one_model_marks_unknown_is_not_compared_but_its_recipient_is()
    {
        // fork-storm: nested cannot tell whether a sibling's SIGCHLD was already pending; vpid
        // follows the recorded "already pending". Not a difference between the designs.
        var a = Returning(0);
        a.Signals.Add(new SignalOutcome(17, 669, SignalResult.Delivered, 1));
        a.UnknownResults.Add(0);
        var b = Returning(0);
        b.Signals.Add(new SignalOutcome(17, 669, SignalResult.AlreadyPending, 1));
        Assert.Empty(Compare(a, b));
        b.Signals[0] = new SignalOutcome(17, 1, SignalResult.AlreadyPending, 1);
        Assert.Equal(DivergenceCategory.SignalSet, Assert.Single(Compare(a, b)).Category);
    }

    [Fact]
    public void An_orphan_adopted_by_another_reaper_is_reaping()
    {
        var a = Returning(0);
        a.Reparented.Add(new Reparent(20, 1));
        var b = Returning(0);
        b.Reparented.Add(new Reparent(20, 7));
        var d = Assert.Single(Compare(a, b));
        Assert.Equal((DivergenceCategory.Reaping, "20 to 1", "20 to 7"), (d.Category, d.Left, d.Right));
    }

    [Fact]
    public void A_failure_in_one_design_only_is_capacity()
    {
        var a = Returning(-Errnos.EAGAIN);
        a.AllocationFailure = Errnos.EAGAIN;
        var kinds = Compare(a, Returning(300, 300)).Select(d => d.Category).ToList();
        Assert.Equal([DivergenceCategory.Capacity, DivergenceCategory.Identity], kinds);
    }

    [Fact]
    public void An_event_one_design_cannot_represent_is_unsupported_and_nothing_else()
    {
        var vpid = Returning(-Errnos.EINVAL);
        vpid.Verdict = Verdict.Unsupported;
        vpid.Note = "pid namespace inside a VPS";
        var d = Assert.Single(Compare(Returning(2, 2), vpid));
        Assert.Equal(DivergenceCategory.Unsupported, d.Category);
        Assert.Contains("inside a VPS", d.Right);
    }
}
