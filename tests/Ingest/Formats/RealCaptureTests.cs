using Replayer.Ingest.Events;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>Every capture under traces/captures ingests, and gives the events and answers its raw text says it holds.</summary>
public sealed class RealCaptureTests
{
    [Theory]
    [MemberData(nameof(CaptureFiles.All), MemberType = typeof(CaptureFiles))]
    public void Capture_ingests_with_the_event_and_answer_counts_of_its_raw_text(string name)
    {
        var events = CaptureFiles.Events(name);
        var raw = RawCounts.Of(CaptureFiles.Path_(name));
        foreach (var (kind, expected) in raw.Events)
        {
            Assert.True(expected == events.Count(e => e.Kind == kind), $"{kind}: {events.Count(e => e.Kind == kind)} events, the raw text has {expected}");
            if (kind is EventKind.Exit) continue;
            int answers = events.Where(e => e.Kind == kind).Sum(e => e.RecordedAnswers);
            Assert.True(raw.Answers[kind] == answers, $"{kind}: {answers} answers, the raw text has {raw.Answers[kind]}");
        }
        foreach (var kind in events.Select(e => e.Kind).Distinct())
            Assert.True(kind is EventKind.Snapshot or EventKind.Signal or EventKind.SigMask or EventKind.Exiting or EventKind.LastPid || raw.Events.ContainsKey(kind), $"{kind} events the raw text has none of");
        // An Exiting event stands where a group exit began whose Exit moved on: at most one per group exit.
        Assert.True(events.Count(e => e.Kind == EventKind.Exiting) <= events.OfType<Exit>().Count(x => x.Group), "more Exiting events than group exits");
        // A mask line becomes an event where it changes a traced thread's mask: at most one each.
        int maskLines = raw.MaskLines;
        int masks = events.Count(e => e.Kind == EventKind.SigMask);
        Assert.True(masks <= maskLines && (maskLines == 0) == (masks == 0), $"{masks} SigMask events of {maskLines} sigmask lines");
        // A write to ns_last_pid becomes an event where a traced thread made it: at most one each.
        int writes = events.Count(e => e.Kind == EventKind.LastPid);
        Assert.True(writes <= raw.LastPidLines && (raw.LastPidLines == 0) == (writes == 0), $"{writes} LastPid events of {raw.LastPidLines} last_pid lines");
        Assert.Equal(raw.SnapshotTasks, events.OfType<TaskSnapshot>().Count(s => !s.Adopted));
    }

    [Theory]
    [MemberData(nameof(CaptureFiles.All), MemberType = typeof(CaptureFiles))]
    public void Every_signal_generate_line_is_kept_exactly_once(string name)
    {
        var events = CaptureFiles.Events(name);
        var raw = RawCounts.Of(CaptureFiles.Path_(name));
        int inKills = events.OfType<Kill>().Sum(k => k.Signals.Length);
        int inExits = events.OfType<Exit>().Sum(x => x.Signals.Length);
        int alone = events.OfType<Signal>().Count();
        Assert.Equal(raw.KillSignals, inKills);
        Assert.Equal(raw.SignalLines, inKills + inExits + alone);
    }

    [Theory]
    [MemberData(nameof(CaptureFiles.All), MemberType = typeof(CaptureFiles))]
    public void A_task_is_introduced_before_it_acts_and_acts_no_more_after_its_exit(string name)
    {
        var alive = new HashSet<int>();
        foreach (var e in CaptureFiles.Events(name))
        {
            if (e is TaskSnapshot s)
            {
                alive.Add(s.Tid);
                continue;
            }
            if (e.Tid > 0 && e is not Signal) Assert.True(alive.Contains(e.Tid), $"{name}: {e.Kind} of tid {e.Tid} (seq order) before any fork, snapshot or adoption introduced it");
            switch (e)
            {
                case Fork { Child: > 0 } f:
                    Assert.True(alive.Add(f.Child), $"{name}: fork of {f.Child}, a tid still alive");
                    break;
                case Exit x:
                    alive.Remove(x.Tid);
                    break;
                case Kill k:
                    foreach (var r in k.Signals) Assert.True(r.To <= 0 || alive.Contains(r.To) || r.Result != SignalResult.Delivered, $"{name}: tid {r.To} signalled before it was introduced");
                    break;
            }
        }
    }

    [Fact]
    public void Namespace_init_exit_carries_one_teardown_SIGKILL_per_task_left_in_the_namespace()
    {
        var events = CaptureFiles.Events("d-initdeath.txt");
        // The init is the task whose getpid answered 1.
        int init = events.OfType<GetId>().First(g => g.Call == GetIdCall.GetPid && g.Ret == 1).Tid;
        var exit = events.OfType<Exit>().Single(x => x.Tid == init);
        var teardown = exit.Signals.Where(s => s.Code == 128).ToList();
        Assert.Equal(File.ReadLines(CaptureFiles.Path_("d-initdeath.txt")).Count(l => l.Contains("code=128", StringComparison.Ordinal)), teardown.Count);
        Assert.All(teardown, s => Assert.Equal(9, s.Sig));
        // Each victim then dies of SIGKILL: its exit status is 9.
        foreach (var s in teardown) Assert.Equal(9, events.OfType<Exit>().Single(x => x.Tid == s.To).Code);
    }

    [Fact]
    public void Fork_answer_is_the_childs_number_in_the_parents_namespace()
    {
        var forks = CaptureFiles.Events("a-nested.txt").OfType<Fork>().Where(f => f.Child > 0).ToList();
        Assert.Contains(forks, f => f.Ret == 2 && f.Child > 2);
        Assert.Contains(forks, f => f.Ret == f.Child);
    }

    [Fact]
    public void Kill_minus_one_from_namespace_init_records_a_result_per_target_and_then_ESRCH()
    {
        var kills = CaptureFiles.Events("e-kill1.txt").OfType<Kill>().Where(k => k.Pid == -1).ToList();
        Assert.Equal(2, kills.Count);
        Assert.Equal(0, kills[0].Ret);
        Assert.Contains(kills[0].Signals, s => s.Result == SignalResult.Delivered);
        Assert.Contains(kills[0].Signals, s => s.Result == SignalResult.Ignored);
        Assert.DoesNotContain(kills[0].Signals, s => s.To == kills[0].Tid);
        Assert.Equal(-3, kills[1].Ret);
        Assert.Empty(kills[1].Signals);
    }

    [Fact]
    public void Group_kill_of_a_job_records_the_negative_pgid_as_passed()
    {
        var kill = CaptureFiles.Events("b-jobctl.txt").OfType<Kill>().Single(k => k.Pid < -1);
        Assert.Equal(15, kill.Sig);
        Assert.True(kill.Signals.Length >= 2, "both sleeps of the job's pipeline get SIGTERM");
        Assert.Contains(CaptureFiles.Events("b-jobctl.txt").OfType<SetPgid>(), s => s.Ret == 0);
    }

    [Fact]
    public void Exit_group_code_reaches_the_thread_that_dies_last()
    {
        foreach (var name in new[] { "g-threads.txt", "g-threads.perf.txt" })
        {
            var events = CaptureFiles.Events(name);
            var python = events.OfType<Exec>().Single(x => x.Filename == "/usr/bin/python3").Tid;
            var tgkill = events.OfType<Kill>().Single(k => k.Call == KillCall.Tgkill);
            Assert.Equal(python, tgkill.Pid);
            var last = events.OfType<Exit>().Single(x => x.Group && x.Tid == tgkill.ThreadArg);
            Assert.Equal(3 << 8, last.Code);
            Assert.Single(last.Signals, s => s.Sig == 17);
        }
    }

    [Fact]
    public void Perf_lost_tid_SIGCHLD_is_attached_to_the_exit_of_its_thread_group()
    {
        var events = CaptureFiles.Events("g-threads.perf.txt");
        Assert.DoesNotContain(events.OfType<Signal>(), s => s.Tid == -1 && s.Record.Sig == 17);
    }

    [Theory]
    [InlineData("g-threads.perf.txt", 40)]
    [InlineData("d-initdeath.perf.txt", 40)]
    public void The_child_perf_forks_for_its_command_is_adopted_at_level_0_and_the_answers_below_it_are_checked(string name, int agreed)
    {
        // perf record -- COMMAND: the child is "perf-exec" until its exec, in perf's namespace, the
        // capture's view. Adopted with no namespace, nothing it made could be placed (9 and 16 agreed).
        var events = CaptureFiles.Events(name);
        var command = events.OfType<TaskSnapshot>().Single(s => s.NsPid is not null);
        Assert.Equal([command.Tid], command.NsPid!);
        Assert.Contains(events, e => e is Exec x && x.Tid == command.Tid);
        var report = Replayer.Replay.Validation.Validator.Run(name, "nested", events);
        Assert.True(report.Clean, string.Join("\n", report.Disagreements));
        Assert.True(report.Agreed >= agreed, $"{name}: {report.Agreed} agreed, {report.UnknownState} unknown");
    }

    [Fact]
    public void Restarted_clones_leave_no_event_in_a_fork_storm()
    {
        var events = CaptureFiles.Events("fork-storm.txt.gz");
        Assert.DoesNotContain(events.OfType<Fork>(), f => f.Child == 0 && f.Ret is null);
        Assert.True(events.OfType<Fork>().Count(f => f.Comm == "sh") >= 3000);
        Assert.True(events.OfType<Exit>().Count(x => x.Signals.Any(s => s.Sig == 17)) >= 3000);
    }

    [Fact]
    public void Comm_before_exec_is_the_parents_not_the_one_printed_at_read_time()
    {
        var events = CaptureFiles.Events("d-initdeath.txt");
        foreach (var exec in events.OfType<Exec>().Where(x => x.Comm == "pidinfo"))
        {
            var fork = events.OfType<Fork>().Single(f => f.Child == exec.Tid);
            var before = events.Take(events.IndexOf(exec)).Where(e => e.Tid == exec.Tid).ToList();
            Assert.All(before, e => Assert.Equal(fork.Comm, e.Comm));
        }
    }

    [Fact]
    public void Snapshot_tasks_come_first_with_their_pid_namespace_and_groups()
    {
        var events = CaptureFiles.Events("f-nsenter.txt");
        var snaps = events.TakeWhile(e => e is TaskSnapshot { Adopted: false }).Cast<TaskSnapshot>().ToList();
        Assert.Equal(RawCounts.Of(CaptureFiles.Path_("f-nsenter.txt")).SnapshotTasks, snaps.Count);
        Assert.Equal([1], snaps.Single(s => s.Tid == 1).NsPid!);
        Assert.Contains(snaps, s => s.NsPid is [> 1] && s.PidNs != 0 && s.Pgid > 0 && s.Sid > 0);
    }

    [Fact]
    public void Waitid_is_recorded_in_wait4_pid_convention()
    {
        // The capturing .NET process reaps its child with waitid(P_ALL, 0, ...): wait4's -1.
        var waitids = CaptureFiles.Events("h-daemon.txt").OfType<Wait>().Where(w => w.Call == WaitCall.Waitid).ToList();
        Assert.NotEmpty(waitids);
        Assert.All(waitids, w => Assert.Equal(-1, w.Pid));
        // Its 0 names no child (infop is not in a tracepoint): no answer; its errors are answers.
        Assert.Contains(waitids, w => w.Ret is null);
        Assert.Contains(waitids, w => w.Ret == -10);
    }
}
