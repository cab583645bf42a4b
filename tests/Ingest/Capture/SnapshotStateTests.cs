using Replayer.Ingest.Capture;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Proc;
using Replayer.Ingest.Formats.Tracepoints;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Replayer.Tests.Replay.Nested;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// What the /proc snapshot says of a task's exit and its pending signals. Whole-system captures:
/// traces/captures/u-preexisting-zombie.txt, a perl whose child exited before tracing began,
/// reaped by perl's wait4 inside it (State Z); traces/captures/v-preexisting-pending.txt, a perl
/// that blocks SIGCHLD with one pending since before tracing began (ShdPnd);
/// traces/captures/ag-preexisting-blocked.txt, a python3 that ignores and blocks SIGURG (SigBlk,
/// in a capture that does not follow masks).
/// </summary>
public sealed class SnapshotStateTests
{
    private const string Name = "u-preexisting-zombie.txt";
    private const string Pending = "v-preexisting-pending.txt";
    private const string BlockedName = "ag-preexisting-blocked.txt";
    private const string ProcHeader = "# proc snapshot 1.000000000 by pid 9 (pid:[1])\n";

    [Fact]
    public void A_signal_pending_before_tracing_began_may_still_be_so_a_second_is_not_predicted_delivered()
    {
        var events = CaptureFiles.Events(Pending);
        var perl = Assert.Single(events.OfType<TaskSnapshot>(), s => s.Comm == "perl" && s.ShdPnd is { } p && (p & 1UL << 16) != 0);
        Assert.True((perl.Blocked!.Value & 1UL << 16) != 0);
        var exit = Assert.Single(events.OfType<Exit>(), x => x.Signals.Any(r => r.To == perl.Tid && r.Sig == 17));
        Assert.Equal(SignalResult.AlreadyPending, exit.Signals.Single(r => r.To == perl.Tid).Result);
        var with = Validator.Run("v", "nested", events);
        Assert.Equal(0, with.Disagreed);
        Assert.Contains(with.UnknownReasons, r => r.Kind == "exit" && r.Why.StartsWith("whether the recipient still had this signal pending is not known", StringComparison.Ordinal));
        // Without the snapshot's pending sets (a capture before they were read) the queue looked empty.
        var without = Validator.Run("v", "nested", CaptureFiles.ReadEdited(CaptureFiles.Path_(Pending),
            lines => lines.Where(l => !l.StartsWith("SigPnd:", StringComparison.Ordinal) && !l.StartsWith("ShdPnd:", StringComparison.Ordinal))));
        Assert.Equal(1, without.Disagreed);
    }

    [Fact]
    public void A_signal_blocked_when_the_snapshot_was_read_may_be_blocked_still_where_masks_are_not_followed()
    {
        const ulong Sigurg = 1UL << 22;
        var events = CaptureFiles.Events(BlockedName);
        var python = Assert.Single(events.OfType<TaskSnapshot>(), s => s.Comm == "python3" && s.SigIgn is { } i && (i & Sigurg) != 0);
        Assert.Null(python.Blocked);
        Assert.True((python.BlockedAtRead!.Value & Sigurg) != 0);
        // Ignored, but blocked: queued, then already pending.
        var kills = events.OfType<Kill>().Where(k => k.Pid == python.Tid && k.Sig == 23).ToList();
        Assert.Equal([SignalResult.Delivered, SignalResult.AlreadyPending], kills.Select(k => k.Signals.Single().Result));
        var with = Validator.Run("ag", "nested", events);
        Assert.Equal(0, with.Disagreed);
        Assert.Contains(with.UnknownReasons, r => r.Kind == "kill");
        // Without the SigBlk lines, the model took SIGURG for not blocked, and both kills for ignored.
        var without = Validator.Run("ag", "nested", CaptureFiles.ReadEdited(CaptureFiles.Path_(BlockedName),
            lines => lines.Where(l => !l.StartsWith("SigBlk:", StringComparison.Ordinal))));
        Assert.Equal(2, without.Disagreed);
        Assert.All(without.Disagreements, d => Assert.Equal("kill", d.Kind));
    }

    [Fact]
    public void A_zombie_older_than_the_capture_is_reaped_by_its_parents_wait_in_both_models()
    {
        var events = CaptureFiles.Events(Name);
        var zombie = Assert.Single(events.OfType<TaskSnapshot>(), s => s.Zombie);
        var wait = Assert.Single(events.OfType<Wait>(), w => w.Pid == zombie.Tid);
        Assert.Equal(zombie.Tid, wait.Ret);
        Assert.Equal(zombie.PPid, wait.Tid);
        var nested = Validator.Run("u", "nested", events);
        Assert.Equal(0, nested.Disagreed);
        // The virtual-pid model reaps it too; it calls it by its own number (the patch's global pid
        // space has no pid with bit 10 set, as 29748 has), a numbering divergence, not a wrong wait.
        var vpid = Validator.Run("u", "vpid", events);
        Assert.DoesNotContain(vpid.Disagreements, d => d.Kind == "wait" && d.Predicted.Contains("ERESTARTSYS", StringComparison.Ordinal));
        // Taken for alive (a snapshot before State was read), the nested model predicts a wait that blocks.
        var alive = CaptureFiles.ReadEdited(CaptureFiles.Path_(Name), lines => lines.Select(l => l == "State: Z" ? "State: S" : l));
        var wrong = Validator.Run("u", "nested", alive);
        Assert.Equal(1, wrong.Disagreed);
    }

    /// <summary>
    /// `unshare --pid sh`: sh stays in the host's namespace and its children go to the one it
    /// unshared, whose init (its first child, a sleep here) is listed after it. Forked after the
    /// snapshot, the next child lives there: its parent is outside its namespace (getppid 0), and
    /// its number there depends on how many that namespace gave out before (not known).
    /// </summary>
    [Fact]
    public void A_task_whose_children_go_to_another_namespace_forks_into_it()
    {
        const ulong unshared = 4026532999;
        foreach (ulong? forChildren in (ulong?[])[unshared, null])
        {
            var s = new Scenario().WithHost();
            s.Apply(new TaskSnapshot
            {
                Tid = 300, Comm = "sh", Tgid = 300, PPid = 100, Pgid = 300, Sid = 100,
                NsPid = [300], NsPgid = [300], NsSid = [100], PidNs = Scenario.HostNs, PidNsForChildren = forChildren,
            });
            s.InNs([301, 1], unshared, ppid: 300, pgid: 300, sid: 100, nspgid: [300, 0], nssid: [100, 0]);
            s.Fork(300, 302, ret: 302);
            var getppid = s.Get(302, GetIdCall.GetPpid, ret: 0);
            var getpid = s.Get(302, GetIdCall.GetPid, ret: 2);
            if (forChildren is null)
            {
                // A capture without the line: the child taken for the host's, wrongly.
                Assert.Equal((Verdict.Predicted, 300L), Answer(getppid));
                Assert.Equal((Verdict.Predicted, 302L), Answer(getpid));
            }
            else
            {
                Assert.Equal((Verdict.Predicted, 0L), Answer(getppid));
                Assert.Equal(Verdict.UnknownState, getpid.Verdict);
            }
        }
    }

    /// <summary>The host, its shell 100, and 300, a process of the host's namespace whose ns/pid_for_children link could not be read.</summary>
    private static Scenario WithForChildrenUnread()
    {
        var s = new Scenario().WithHost();
        s.Apply(new TaskSnapshot
        {
            Tid = 300, Comm = "sh", Tgid = 300, PPid = 100, Pgid = 300, Sid = 100,
            NsPid = [300], NsPgid = [300], NsSid = [100], PidNs = Scenario.HostNs, PidNsForChildren = 0,
        });
        return s;
    }

    [Fact]
    public void A_namespace_for_children_that_could_not_be_read_is_not_known_and_a_zombies_is_no_matter()
    {
        var s = WithForChildrenUnread();
        s.Fork(300, 302, ret: 302);
        Assert.Equal(Verdict.UnknownState, s.Get(302, GetIdCall.GetPid, ret: 1).Verdict);
        // The parser: unreadable with ns read is 0; with neither, not known; a zombie's link is never readable.
        var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(Name), lines => lines);
        Assert.All(events.OfType<TaskSnapshot>().Where(t => !t.Adopted), t =>
            Assert.Equal(t.PidNs == 0 ? null : t.Zombie ? 0UL : t.PidNs, t.PidNsForChildren));
    }

    /// <summary>
    /// A busy capture's python3 whose ns/pid_for_children link read empty, then made a thread
    /// and tgkill'ed it (SIGUSR1, 0): copy_process makes a thread only into its caller's own
    /// namespace, so the thread shows where the caller's children go.
    /// </summary>
    [Fact]
    public void A_thread_the_kernel_made_shows_that_its_callers_namespace_for_children_is_its_own()
    {
        var s = WithForChildrenUnread();
        Assert.Equal((Verdict.Predicted, 301L), Answer(s.Thread(300, 301, ret: 301)));
        Assert.Equal(Verdict.Predicted, s.Get(301, GetIdCall.GetTid, ret: 301).Verdict);
        var tgkill = s.Tgkill(300, 300, 301, 10);
        Assert.Equal(Verdict.Predicted, tgkill.Verdict);
        Assert.Equal([(301, SignalResult.Delivered)], Scenario.Sent(tgkill, 10));
        // A process forked after it goes there too.
        s.Fork(300, 302, ret: 302);
        Assert.Equal((Verdict.Predicted, 302L), Answer(s.Get(302, GetIdCall.GetPid, ret: 302)));
    }

    /// <summary>
    /// A busy capture's runuser, forked in the window and already nobody's there, exec'd sh after
    /// tracing_on and before the second read: the window check took its credentials out of the
    /// block (an exec may change them), and its `kill(1, 0)` answered EPERM. A checked snapshot's
    /// block without credentials has them not known, not root's as in a capture without any.
    /// </summary>
    [Fact]
    public void A_checked_snapshots_block_without_credentials_has_them_not_known()
    {
        static ProcTask Read(string uid) => new(62, 62, 10, false, [62],
            $"task 62 tgid 62\nPid:\t62\nPPid:\t10\n{uid}NSpid:\t62\nNSpgid:\t62\nNSsid:\t62\nState: S\npgrp: 62\nsession: 62\nns: pid:[{Scenario.HostNs}]\n\n");
        var reconciled = SnapshotWindow.Reconcile(new ProcScan(ProcHeader, []), new ProcScan(ProcHeader, [Read("Uid:\t65534\t65534\t65534\t65534\n")]),
            [new EarlyLine(100, 62, 0, Tracepoint.Exec, Syscall.Other, 0, 0, 0, 0)]);
        Assert.DoesNotContain("Uid:", reconciled.Snapshot);
        foreach (bool checkedWindow in (bool[])[true, false])
        {
            var parser = new ProcSnapshotParser("bundle.txt");
            var text = (checkedWindow ? "# window: tracing_on 1.0 read_again_by 1.1 replaced 0 merged 0 dropped 0 added 1 kept 0\n" : "") + reconciled.Snapshot;
            var snapshot = text.Split('\n').Select((l, i) => parser.Line(System.Text.Encoding.UTF8.GetBytes(l), i + 1)).OfType<TaskSnapshot>().Concat([parser.End()]).OfType<TaskSnapshot>().Single();
            Assert.Equal(checkedWindow ? [-1, -1, -1] : null, snapshot.Uids);

            var s = new Scenario().WithHost(shell: 10);
            s.Apply(snapshot with { Comm = "sh" });
            var kill = s.Kill(62, 1, 0, ret: -1);
            // Taken for root, the kill is allowed; with credentials not known, so is the answer.
            Assert.Equal(checkedWindow ? Verdict.UnknownState : Verdict.Predicted, kill.Verdict);
            if (!checkedWindow) Assert.Equal(0L, kill.Ret);
        }
    }

    /// <summary>
    /// A block the window check marks "pending: unknown" (a signal came to the task in the window,
    /// after /proc read it, or it was forked there and gone before the second read) reads as any
    /// standard signal maybe pending; a block with neither that nor SigPnd (a capture that did not
    /// read them) as none, as before.
    /// </summary>
    [Fact]
    public void A_block_whose_pending_signals_are_not_known_reads_as_any_maybe_pending()
    {
        foreach (var (line, expected) in ((string, ulong?)[])[("pending: unknown\n", ProcSnapshotParser.MaybePending), ("", null), ("SigPnd:\t0000000000000200\n", 0x200UL)])
        {
            var parser = new ProcSnapshotParser("bundle.txt");
            var text = ProcHeader + $"task 62 tgid 62\nPid:\t62\nPPid:\t10\nNSpid:\t62\nState: S\n{line}ns: pid:[{Scenario.HostNs}]\n\n";
            var snapshot = text.Split('\n').Select((l, i) => parser.Line(System.Text.Encoding.UTF8.GetBytes(l), i + 1)).OfType<TaskSnapshot>().Concat([parser.End()]).OfType<TaskSnapshot>().Single();
            Assert.Equal(expected, snapshot.SigPnd);
            Assert.Equal(line.StartsWith("pending", StringComparison.Ordinal) ? expected : null, snapshot.ShdPnd);
        }
    }

    /// <summary>
    /// A busy capture's one disagreement: sh 10's child 352 was read, died, and its number went to
    /// a thread of python3 917 before tracing_on (a test had set ns_last_pid back); after it, 917's
    /// tgkill(917, 352, 0) answered 0, and the thread was gone before the second read. Kept from
    /// the first read, 352 was a process of its own, and the model said ESRCH. With the cursor
    /// read around the window, the block's number may have been given again: what names it is not known.
    /// </summary>
    [Fact]
    public void A_kept_block_whose_number_may_have_been_given_again_leaves_a_call_naming_it_not_known()
    {
        static ProcTask Read(int tid, int ppid, long readAt = 0) => new(tid, tid, ppid, false, [tid],
            $"task {tid} tgid {tid}\nName:\tsh\nPid:\t{tid}\nPPid:\t{ppid}\nNSpid:\t{tid}\nNSpgid:\t{tid}\nNSsid:\t10\nState: S\npgrp: {tid}\nsession: 10\nns: pid:[{Scenario.HostNs}]\n\n")
            { ReadAt = readAt };
        var before = new ProcScan(ProcHeader, [Read(352, 10), Read(917, 10)]);
        var after = new ProcScan(ProcHeader, [Read(917, 10, readAt: 300)]);
        // After tracing_on: the thread's own exit, before the second read passed it.
        EarlyLine[] early = [new(100, 352, 0, Tracepoint.ProcessExit, Syscall.Other, 352, 0, 0)];
        foreach (bool cursorRead in (bool[])[false, true])
        {
            var reconciled = SnapshotWindow.Reconcile(before, after, early, given: cursorRead ? new SnapshotWindow.PidsGiven(5000, 360, 32768) : null);
            var parser = new ProcSnapshotParser("bundle.txt");
            var text = "# window: tracing_on 1.0 read_again_by 1.1 " + SnapshotWindow.Summary(reconciled) + "\n" + reconciled.Snapshot;
            var snapshots = text.Split('\n').Select((l, i) => parser.Line(System.Text.Encoding.UTF8.GetBytes(l), i + 1)).Concat([parser.End()]).OfType<TaskSnapshot>().ToList();
            Assert.Equal((cursorRead, false), (snapshots.Single(t => t.Tid == 352).MaybeReused, snapshots.Single(t => t.Tid == 352).Untraced));
            Assert.False(snapshots.Single(t => t.Tid == 917).MaybeReused);

            var s = new Scenario().WithHost(shell: 10);
            foreach (var snapshot in snapshots) s.Apply(snapshot);
            var tgkill = s.Tgkill(917, 917, 352, 0);
            Assert.Equal(cursorRead ? (false, Verdict.UnknownState) : (true, Verdict.Predicted), (tgkill.HasRet, tgkill.Verdict));
            if (!cursorRead) Assert.Equal(-3L, tgkill.Ret);   // ESRCH: the disagreement the capture had
            // The sh's own kill of 917 is judged either way.
            var kill = s.Kill(10, 917, 0, ret: 0);
            Assert.Equal((true, 0L), (kill.HasRet, kill.Ret));
        }
    }

    [Fact]
    public void A_zombie_leader_with_a_live_thread_is_a_live_process_and_one_without_is_dead()
    {
        foreach (bool threadFirst in (bool[])[false, true])
        {
            var s = new Scenario().WithHost();
            var leader = new TaskSnapshot
            {
                Tid = 200, Comm = "sh", Tgid = 200, PPid = 100, Pgid = 100, Sid = 100,
                NsPid = [200], NsPgid = [100], NsSid = [100], PidNs = Scenario.HostNs, Zombie = true, ExitSignal = 17,
            };
            var thread = leader with { Tid = 201, NsPid = [201], Zombie = false, ExitSignal = -1 };
            if (threadFirst) s.Apply(thread);
            s.Apply(leader);
            if (!threadFirst) s.Apply(thread);
            // WNOHANG: nothing to reap yet, the process runs on in its thread.
            Assert.Equal((Verdict.Predicted, 0L), Answer(s.Wait(100, pid: 200, options: 1, ret: 0)));
        }
        var dead = new Scenario().WithHost();
        dead.Apply(new TaskSnapshot
        {
            Tid = 200, Comm = "sh", Tgid = 200, PPid = 100, Pgid = 100, Sid = 100,
            NsPid = [200], NsPgid = [100], NsSid = [100], PidNs = Scenario.HostNs, Zombie = true, ExitSignal = 17,
        });
        Assert.Equal((Verdict.Predicted, 200L), Answer(dead.Wait(100, pid: 200, options: 1, ret: 200)));
    }

    private static (Verdict, long) Answer(Outcome o) => (o.Verdict, o.Ret);
}
