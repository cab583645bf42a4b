using System.Text;
using System.Text.Json;
using Replayer.Ingest.Events;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Bench;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Synthetic;
using Replayer.Replay.Validation;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>The validator, the synthetic host, and snapshot/restore of the model.</summary>
public sealed class ValidatorTests
{
    private static List<PidEvent> Recorded()
    {
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(100, 200, ret: 200);
        s.Unshare(200, ret: 0);
        s.Fork(200, 201, ret: 201);
        s.Exec(201);
        s.Get(201, GetIdCall.GetPid, ret: 1);
        s.Get(201, GetIdCall.GetPpid, ret: 0);
        s.Fork(201, 202, ret: 2);
        s.Apply(new Exec { Tid = 202, Filename = "/bin/true", Ret = 0 });
        s.Exit(202, signals: new SignalRecord(Scenario.SIGCHLD, 201, SignalResult.Ignored, 1, true));
        s.Wait(201, ret: 2);
        return s.Events;
    }

    [Fact]
    public void Every_recorded_answer_is_checked_and_a_modern_kernels_answers_agree()
    {
        var events = Recorded();
        var report = Validator.Run("t", "nested", events);
        Assert.Equal(events.Sum(e => e.RecordedAnswers), report.Checked);
        Assert.Equal(report.Checked, report.Agreed + report.Disagreed + report.UnknownState + report.Totals.NotApplicable);
        Assert.True(report.Clean, string.Join("\n", report.Disagreements));
        // The exec answers: success or failure of a file lookup, nothing a pid model knows.
        Assert.Equal(2, report.Totals.NotApplicable);
        Assert.Equal(3, report.ByKind["fork"].Agreed);
    }

    [Fact]
    public void A_wrong_answer_is_a_disagreement_with_position_and_both_values()
    {
        var events = Recorded();
        int i = events.FindIndex(e => e is GetId { Call: GetIdCall.GetPpid });
        events[i] = events[i] with { Ret = 1 };
        var report = Validator.Run("t", "nested", events);
        Assert.Equal(1, report.Disagreed);
        var d = Assert.Single(report.Disagreements);
        Assert.Equal((i, "getid", "ret 1", "ret 0"), (d.Position, d.Kind, d.Recorded, d.Predicted));
    }

    [Fact]
    public void A_signal_the_kernel_sent_elsewhere_is_a_disagreement_and_one_it_did_not_send_is_unrecorded()
    {
        var events = Recorded();
        int i = events.FindIndex(e => e is Exit);
        events[i] = ((Exit)events[i]) with { Signals = [new SignalRecord(Scenario.SIGCHLD, 100, SignalResult.Ignored, 1, true)] };
        var report = Validator.Run("t", "nested", events);
        Assert.Equal(1, report.Disagreed);
        Assert.Equal(1, report.Totals.Unrecorded);
        Assert.False(report.Clean);
    }

    /// <summary>
    /// A namespace init exits and its teardown's SIGKILL to a zombie is recorded, but the trace ends before its
    /// notice to its parent: the SIGCHLD the model predicts is unrecorded, unless the exit says the
    /// trace ended while it waited (notice_after_end); then it is counted apart and not checked.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_signal_predicted_for_an_exit_the_trace_ended_before_the_notice_of_is_not_checked(bool afterEnd)
    {
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Catch);
        s.Fork(100, 200, ret: 200);
        s.Unshare(200, ret: 0);
        s.Fork(200, 201, ret: 201);
        s.Fork(201, 202, ret: 2);
        s.Exit(202, signals: new SignalRecord(Scenario.SIGCHLD, 201, SignalResult.Delivered, 1, true));
        // The teardown finds 202 a zombie: its SIGKILL is ignored.
        s.Apply(new Exit { Tid = 201, Comm = "sh", Group = true, Code = 0, NoticeAfterEnd = afterEnd,
            Signals = [new SignalRecord(9, 202, SignalResult.Ignored, 128, true)] });
        var report = Validator.Run("t", "nested", s.Events);
        Assert.Equal(0, report.Disagreed);
        Assert.Equal((afterEnd ? 0 : 1, afterEnd ? 1 : 0), (report.Totals.Unrecorded, report.Totals.AfterEnd));
        Assert.Equal(afterEnd, report.Clean);
        Assert.Equal(afterEnd ? 0 : 1, report.Disagreements.Count);
    }

    [Fact]
    public void The_json_has_the_issues_fields()
    {
        var report = Validator.Run("t", "nested", Recorded());
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) report.WriteJson(w);
        using var doc = JsonDocument.Parse(buffer.ToArray());
        var root = doc.RootElement;
        foreach (var field in new[] { "trace", "model", "checked", "agreed", "disagreed", "unknown_state", "unrecorded", "after_end", "by_kind", "disagreements" })
            Assert.True(root.TryGetProperty(field, out _), field);
        Assert.Equal(report.Checked, root.GetProperty("checked").GetInt64());
        Assert.Equal(3, root.GetProperty("by_kind").GetProperty("fork").GetProperty("checked").GetInt64());
    }

    [Fact]
    public void A_synthetic_host_written_by_the_nested_model_validates_without_disagreement()
    {
        var spec = WorkloadSpec.Named("mixed") with { Hosts = 1, Events = 20_000, Seed = 7 };
        var report = Validator.Run("synthetic", "nested", NestedKernel.Trace(spec), NestedKernel.SettingsFor(spec));
        Assert.True(report.Clean, string.Join("\n", report.Disagreements.Take(5)));
        Assert.True(report.Agreed > report.Checked * 9 / 10);
        Assert.Contains("kill", report.ByKind.Keys);
        Assert.Contains("wait", report.ByKind.Keys);
    }

    [Fact]
    public void Restore_from_a_snapshot_gives_identical_further_results()
    {
        var events = NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Hosts = 1, Events = 20_000, Seed = 3 }).ToList();
        var straight = new NestedPidModel();
        var o = new Outcome();
        int half = events.Count / 2;
        for (int i = 0; i < half; i++) straight.Apply(events[i], o);
        var restored = new NestedPidModel();
        restored.Restore(straight.Snapshot());
        Assert.Equal(straight.Snapshot(), restored.Snapshot());
        var p = new Outcome();
        for (int i = half; i < events.Count; i++)
        {
            straight.Apply(events[i], o);
            restored.Apply(events[i], p);
            Assert.Equal(Describe(o), Describe(p));
        }
    }

    [Theory]
    [InlineData(KernelEra.Modern)]
    [InlineData(KernelEra.Linux2_6_24)]
    public void A_model_restored_from_a_snapshot_costs_every_later_lookup_as_the_one_it_was_taken_from(KernelEra kernel)
    {
        // A thousand containers over half a million events: idrs that held high numbers hold fewer (an idr's tree does
        // not shrink), and the pid hash's chains are in the order the upids came.
        var spec = WorkloadSpec.Named("mixed") with { Hosts = 1, Containers = 1000, TasksPerContainer = 50, Events = 500_000, Seed = 1 };
        var events = NestedKernel.Trace(spec).ToList();
        var options = new NestedOptions { Kernel = kernel, PidMax = spec.PidMax };
        var straight = new NestedPidModel(options);
        var o = new Outcome();
        int half = events.Count / 2;
        for (int i = 0; i < half; i++) straight.Apply(events[i], o);
        var restored = new NestedPidModel(options);
        restored.Restore(straight.Snapshot());
        var p = new Outcome();
        long probes = 0;
        for (int i = half; i < events.Count; i++)
        {
            straight.Apply(events[i], o);
            restored.Apply(events[i], p);
            Assert.Equal((o.Probes, o.TranslationsIn, o.TranslationsOut), (p.Probes, p.TranslationsIn, p.TranslationsOut));
            probes += o.Probes;
        }
        Assert.True(probes > 0);
    }

    [Fact]
    public void Replay_allocates_only_to_grow_its_state()
    {
        // Containers all booted at the start, no threads (whose records the model keeps while their process lives).
        var steady = new WorkloadMix { Shell = 3, Build = 2, Kill = 1, Orphan = 1, Query = 2 };
        var events = NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Hosts = 1, Events = 40_000, Seed = 5, Mix = steady, MigrationRate = 0 }).ToList();
        var model = new NestedPidModel();
        int half = events.Count / 2;
        ModelBench.AllocatedBytes(model, events.Take(half).ToList());
        var rest = events.Skip(half).ToList();
        // What remains is new records when the host reaches a new peak of tasks (about 200 bytes a task), and a page of
        // the host's idr (a reference and an insertion-order entry per tid, 16 bytes) for each range of tids first used now, as the
        // kernel's pidmap gains a page; not per-event garbage.
        static IEnumerable<int> Ranges(IEnumerable<PidEvent> evs) =>
            evs.SelectMany(e => e is Fork f ? new[] { e.Tid, f.Child } : [e.Tid]).Select(tid => tid >> PagedTable<object>.PageShift);
        int newRanges = Ranges(rest).Distinct().Except(Ranges(events.Take(half))).Count();
        long pages = newRanges * (long)PagedTable<object>.PageSize * 2 * IntPtr.Size;
        long bytes = ModelBench.AllocatedBytes(model, rest);
        Assert.True(bytes < rest.Count * 2 + pages, $"{bytes} bytes for {rest.Count} events, {newRanges} new tid pages");
    }

    private static string Describe(Outcome o)
    {
        var b = new StringBuilder();
        b.Append($"{o.Verdict} {o.HasRet} {o.Ret} {o.RetTarget} {o.Note}");
        foreach (var s in o.Signals) b.Append($" {s}");
        foreach (var r in o.Reparented) b.Append($" {r}");
        foreach (var k in o.Killed) b.Append($" k{k}");
        return b.ToString();
    }
}
