using Replayer.Ingest.Capture;
using Replayer.Ingest.Formats.Proc;
using Replayer.Ingest.Formats.Tracepoints;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// The window check (<see cref="SnapshotWindow"/>): which of a task's two /proc reads the bundle
/// keeps, by what the trace shows of it before the second read ended. The live case, a zombie
/// reaped in the window, is CaptureInstanceTests.A_zombie_reaped_between_the_snapshot_and_tracing_on_is_left_out_of_the_snapshot.
/// </summary>
public sealed class SnapshotWindowTests
{
    private const string Header = "# proc snapshot 1.000000000 by pid 9 (pid:[1])\n";

    /// <summary>A block as LiveProcSnapshot writes one, cut down to what tells the reads apart.</summary>
    private static ProcTask Task(int tid, int ppid, string state = "S", int pgrp = 0, int[]? nspid = null, int tgid = 0, long forChildren = 1, long ns = 0, ulong ign = 0, ulong cgt = 0)
    {
        tgid = tgid == 0 ? tid : tgid;
        nspid ??= [tid];
        var nsLine = ns == 0 ? "" : $"ns: pid:[{ns}]\n";
        var block = $"task {tid} tgid {tgid}\nPPid:\t{ppid}\nNSpid:\t{string.Join('\t', nspid)}\nSigIgn:\t{ign:x16}\nSigCgt:\t{cgt:x16}\nState: {state}\npgrp: {(pgrp == 0 ? tid : pgrp)}\n{nsLine}ns_for_children: pid:[{forChildren}]\n\n";
        return new ProcTask(tid, tgid, ppid, state == "Z", nspid, block);
    }

    private static ProcScan Scan(params ProcTask[] tasks) => new(Header, tasks);

    private static EarlyLine Line(int tid, Tracepoint point, Syscall sys = Syscall.Other, long a0 = 0, long a1 = 0, long a3 = 0, long a2 = 0) =>
        new(100, tid, 0, point, sys, a0, a1, a3, a2);

    private static List<int> Tids(string snapshot) =>
        snapshot.Split('\n').Where(l => l.StartsWith("task ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();

    [Fact]
    public void A_task_the_trace_says_nothing_of_is_taken_as_read_again_gone_or_new()
    {
        var before = Scan(Task(10, 1), Task(20, 10, "Z"), Task(30, 10));
        var after = Scan(Task(10, 1), Task(30, 1, pgrp: 30), Task(40, 10));
        var o = SnapshotWindow.Reconcile(before, after, []);
        Assert.StartsWith(Header, o.Snapshot);
        // The zombie was reaped in the window, 30 was reparented, 40 forked there.
        Assert.Equal([10, 30, 40], Tids(o.Snapshot));
        Assert.Contains(after.Tasks[1].Block, o.Snapshot);
        Assert.Equal((1, 1, 1, 0, 3), (o.Replaced, o.Dropped, o.Added, o.Kept, o.Tasks));
    }

    /// <summary>
    /// A process's threads keep the order /proc/PID/task gave them (the kernel's thread list: the
    /// leader, then the others as created), not their tids' once those have wrapped; a thread
    /// forked in the window comes last.
    /// </summary>
    [Fact]
    public void A_processs_threads_keep_the_order_proc_listed_them_not_their_tids()
    {
        var before = Scan(Task(10, 1), Task(32356, 10), Task(32360, 10, tgid: 32356), Task(352, 10, tgid: 32356));
        var after = Scan(Task(10, 1), Task(32356, 10), Task(32360, 10, tgid: 32356), Task(352, 10, tgid: 32356), Task(305, 10, tgid: 32356));
        var o = SnapshotWindow.Reconcile(before, after, []);
        Assert.Equal([10, 32356, 32360, 352, 305], Tids(o.Snapshot));
    }

    /// <summary>
    /// A busy capture: a sleep forked in the window was killed with its parent sh once tracing
    /// was on; the second read found its zombie already handed to init, and the bundle said init
    /// was its parent, where its notice went to the sh. Its parent as read after its own exit is
    /// not known (PPid 0): the notice names it.
    /// </summary>
    [Fact]
    public void A_task_read_after_its_exit_has_no_parent_the_read_can_tell()
    {
        var before = Scan(Task(10, 1), Task(1862, 10));
        var after = Scan(Task(10, 1), Task(1892, 1, "Z", pgrp: 1862));
        var early = new[]
        {
            Line(1892, Tracepoint.ProcessExit, a0: 1892, a1: 1),
            Line(1892, Tracepoint.SignalGenerate, a0: 17, a2: 2, a3: 1862),   // its notice, CLD_KILLED, to the sh
            Line(1862, Tracepoint.ProcessExit, a0: 1862, a1: 1),
        };
        var o = SnapshotWindow.Reconcile(before, after, early);
        var block = o.Snapshot[o.Snapshot.IndexOf("task 1892 ", StringComparison.Ordinal)..];
        Assert.Contains("PPid:\t0\n", block[..block.IndexOf("\n\n", StringComparison.Ordinal)]);
    }

    [Fact]
    public void A_state_letter_alone_is_no_change()
    {
        var o = SnapshotWindow.Reconcile(Scan(Task(10, 1, "S")), Scan(Task(10, 1, "R")), []);
        Assert.Equal(0, o.Replaced);
        Assert.Contains("State: R", o.Snapshot);
        var z = SnapshotWindow.Reconcile(Scan(Task(10, 1, "S")), Scan(Task(10, 1, "Z")), []);
        Assert.Equal(1, z.Replaced);
    }

    [Fact]
    public void A_task_with_a_line_keeps_its_first_read_of_what_the_line_may_have_changed()
    {
        var before = Scan(Task(10, 1), Task(20, 10), Task(30, 10), Task(50, 1));
        var after = Scan(Task(10, 1), Task(30, 10, pgrp: 7), Task(50, 1, "Z"));
        var early = new[]
        {
            Line(20, Tracepoint.ProcessExit, a0: 20, a1: 1),               // it exited after tracing_on
            Line(10, Tracepoint.SignalGenerate, a0: 9, a3: 30),            // signalled: its group is not the signal's
            Line(50, Tracepoint.SysEnter, Syscall.ExitGroup),              // exiting: its state is
        };
        var o = SnapshotWindow.Reconcile(before, after, early);
        Assert.Equal([10, 20, 30, 50], Tids(o.Snapshot));
        Assert.Equal(after.Tasks[1].Block, Block(o.Snapshot, 30));
        Assert.Equal(before.Tasks[3].Block, Block(o.Snapshot, 50));
        Assert.Equal((0, 1, 0, 0, 2), (o.Replaced, o.Merged, o.Dropped, o.Added, o.Kept));
    }

    [Fact]
    public void A_signals_action_set_in_the_window_is_taken_from_the_second_read_unless_a_line_set_that_signals()
    {
        // Seen on a busy machine: a dash subshell installed its SIGCHLD handler after the first read
        // and before tracing_on, then asked for three actions and set SIGTERM's once tracing was on.
        // Keeping the first read's SigCgt whole made its children's notices go to an ignored SIGCHLD.
        const ulong sigchld = 1UL << 16, sigterm = 1UL << 14, sigint = 1UL << 1;
        var before = Scan(Task(10, 1, ign: sigint), Task(20, 1));
        var after = Scan(Task(10, 1, ign: sigint, cgt: sigchld | sigterm), Task(20, 1, cgt: sigchld));
        var early = new[]
        {
            Line(10, Tracepoint.SysEnter, Syscall.RtSigaction, a0: 2, a1: 0),        // asks SIGINT's action
            Line(10, Tracepoint.SysEnter, Syscall.RtSigaction, a0: 15, a1: 0x7ffe),  // sets SIGTERM's
            Line(20, Tracepoint.Exec),                                                // resets every handler
        };
        var o = SnapshotWindow.Reconcile(before, after, early);
        // SIGCHLD's action from the second read, SIGTERM's from the first (the trace has its change).
        Assert.Contains($"SigCgt:\t{sigchld:x16}\n", Block(o.Snapshot, 10));
        Assert.Contains($"SigIgn:\t{sigint:x16}\n", Block(o.Snapshot, 10));
        // An exec changes every signal's: the first read stays.
        Assert.Equal(before.Tasks[1].Block, Block(o.Snapshot, 20));
        // 10 merged, and like 20 unlike its second read.
        Assert.Equal((0, 1, 2), (o.Replaced, o.Merged, o.Kept));
        // A line that only asks changes nothing: the second read's masks are taken whole.
        var asked = SnapshotWindow.Reconcile(before, after, [early[0]]);
        Assert.Contains($"SigCgt:\t{sigchld | sigterm:x16}\n", Block(asked.Snapshot, 10));
    }

    [Fact]
    public void A_task_that_told_its_parent_of_its_death_in_the_window_was_alive_before_it()
    {
        // Seen on a busy machine: 20's sched_process_exit came before tracing_on, its exit_notify
        // (the zombie state, the SIGCHLD to its parent) 140 ms after; its parent's wait4(WNOHANG)
        // in between found no child to reap. 30 only faulted (SIGSEGV to itself, code SEGV_MAPERR).
        var before = Scan(Task(10, 1), Task(20, 10, "R"), Task(30, 10, "R"));
        var after = Scan(Task(10, 1), Task(20, 10, "Z"), Task(30, 10, "Z"));
        var early = new[]
        {
            Line(20, Tracepoint.SignalGenerate, a0: 17, a3: 10, a2: 1),
            Line(30, Tracepoint.SignalGenerate, a0: 11, a3: 30, a2: 1),
        };
        var o = SnapshotWindow.Reconcile(before, after, early);
        Assert.Equal(before.Tasks[1].Block, Block(o.Snapshot, 20));
        Assert.Contains("State: Z", Block(o.Snapshot, 30), StringComparison.Ordinal);
        Assert.Equal((0, 1, 0, 1), (o.Replaced, o.Merged, o.Dropped, o.Kept));
    }

    [Fact]
    public void A_task_that_forked_after_an_unshare_in_the_window_takes_the_namespace_for_its_children_from_the_second_read()
    {
        // Unshared (CLONE_NEWPID) in the window, then forked after tracing_on: the child goes to namespace 2.
        var before = Scan(Task(10, 1, forChildren: 1), Task(20, 1, forChildren: 1));
        var after = Scan(Task(10, 1, forChildren: 2), Task(20, 1, forChildren: 2));
        var o = SnapshotWindow.Reconcile(before, after,
            [Line(10, Tracepoint.Fork, a0: 10, a1: 11), Line(20, Tracepoint.SysEnter, Syscall.Unshare, a0: 0x20000000)]);
        Assert.Contains("ns_for_children: pid:[2]", Block(o.Snapshot, 10));
        // 20's unshare is traced: the models take it there.
        Assert.Contains("ns_for_children: pid:[1]", Block(o.Snapshot, 20));
        Assert.Equal((1, 1), (o.Merged, o.Kept));
    }

    [Fact]
    public void A_child_a_traced_wait_may_have_reaped_keeps_its_first_read()
    {
        // 21 lives in a namespace where it is 2; its parent 11 is that namespace's init (1 there).
        var before = Scan(Task(11, 1, nspid: [11, 1]), Task(21, 11, "Z", nspid: [21, 2]), Task(22, 11, "Z", nspid: [22, 3]), Task(12, 1), Task(23, 12, "Z"), Task(24, 12, "Z"));
        var after = Scan(Task(11, 1, nspid: [11, 1]), Task(12, 1));
        var early = new[]
        {
            Line(11, Tracepoint.SysExit, Syscall.Wait4, a0: 2),   // reaped 21, by its number in 11's namespace
            Line(12, Tracepoint.SysExit, Syscall.Waitid, a0: 0),  // reaped one of its children, which the line does not say
        };
        var o = SnapshotWindow.Reconcile(before, after, early);
        // 22 was reaped in the window; 23 and 24 may have been reaped by the waitid.
        Assert.Equal([11, 12, 21, 23, 24], Tids(o.Snapshot));
        Assert.Equal(1, o.Dropped);
    }

    /// <summary>
    /// A busy capture: init 9872 of one namespace reaped its 7; zombie 10324, 7 in another
    /// namespace, reaped in the window, was kept for that line, and the teardown of its own
    /// namespace was predicted to signal it.
    /// </summary>
    [Fact]
    public void A_wait_names_a_number_in_its_own_namespace_only()
    {
        var before = Scan(Task(11, 1, nspid: [11, 1], ns: 5), Task(21, 11, "Z", nspid: [21, 2], ns: 5),
            Task(31, 1, nspid: [31, 1], ns: 6), Task(41, 31, "Z", nspid: [41, 2], ns: 6));
        var after = Scan(Task(11, 1, nspid: [11, 1], ns: 5), Task(31, 1, nspid: [31, 1], ns: 6));
        var o = SnapshotWindow.Reconcile(before, after, [Line(11, Tracepoint.SysExit, Syscall.Wait4, a0: 2)]);
        Assert.Equal([11, 21, 31], Tids(o.Snapshot));
    }

    /// <summary>
    /// A busy capture: in a namespace whose init is sh 11851, unshare 11869 (5 there) made a
    /// namespace of its own whose init, sleep 12176, was 8 in the sh's; both were read as zombies
    /// and reaped in the window. The first read's block of a task below its level has no namespace
    /// to tell its level-1 number by, so a wait that returned 8 in another namespace named the
    /// sleep, and the unshare, its parent, stayed with it; the sh's next wait4 was predicted to
    /// reap 5 (ECHILD). A task's reaper is an ancestor of its: a wait names a task only when the
    /// waiter's process is on its chain of parents, or the chain passes a task no read showed.
    /// </summary>
    [Theory]
    [InlineData(21, false)]
    [InlineData(99, true)]
    public void A_wait_names_only_a_task_its_process_is_an_ancestor_of(int parentOfDeepest, bool kept)
    {
        var before = Scan(Task(1, 0), Task(11, 1, nspid: [11, 1], ns: 5), Task(21, 11, "Z", nspid: [21, 5], ns: 5),
            Task(31, parentOfDeepest, "Z", nspid: [31, 8, 1], ns: 6), Task(41, 1, nspid: [41, 1], ns: 7));
        var after = Scan(Task(1, 0), Task(11, 1, nspid: [11, 1], ns: 5), Task(41, 1, nspid: [41, 1], ns: 7));
        var o = SnapshotWindow.Reconcile(before, after, [Line(41, Tracepoint.SysExit, Syscall.Wait4, a0: 8)]);
        Assert.Equal(kept ? [1, 11, 31, 41] : [1, 11, 41], Tids(o.Snapshot));
    }

    /// <summary>
    /// A busy capture: namespace inits made after tracing_on (unshare --pid --fork sh), whose
    /// wait4s returned 2, their first child's number; such a waiter is in neither read, so its
    /// level is not known, and its line named every task numbered 2 at any level. Zombie perl 7515,
    /// 2 in its own namespace, read at the first read and reaped in the window, was kept, and the
    /// models predicted its parent's next wait4 would reap it (the kernel's returned 7, then
    /// ECHILD). A process made after tracing_on reaps no task there before it; a thread made then
    /// may be of an older process, whose children it may reap.
    /// </summary>
    [Theory]
    [InlineData(0x1200000UL, false)]
    [InlineData(0x3d0f00UL, true)]
    public void A_wait_of_a_process_made_after_tracing_on_names_no_task_either_read_showed(ulong flags, bool kept)
    {
        var before = Scan(Task(11, 1, nspid: [11, 1], ns: 5), Task(21, 11, "Z", nspid: [21, 2], ns: 5));
        var after = Scan(Task(11, 1, nspid: [11, 1], ns: 5));
        var o = SnapshotWindow.Reconcile(before, after,
        [
            new EarlyLine(100, 60, 0, Tracepoint.NewTask, Syscall.Other, 70, (long)flags, 0),
            new EarlyLine(150, 70, 0, Tracepoint.SysExit, Syscall.Wait4, 2, 0, 0),
        ]);
        Assert.Equal(kept ? [11, 21] : [11], Tids(o.Snapshot));
    }

    /// <summary>
    /// A busy capture: dash 4788's wait4 reaped three children neither read showed, forked and dead
    /// in the window, within the second read or after it; a fourth child's notice before that found SIGCHLD already pending, which
    /// the models had predicted delivered. Such a waiter's process keeps SIGCHLD maybe pending;
    /// not one whose wait reaped a child a read showed or the trace saw born, nor one in a
    /// namespace below the host's (its numbers are not host tids).
    /// </summary>
    [Fact]
    public void A_wait_that_reaped_a_child_no_read_showed_leaves_sigchld_maybe_pending()
    {
        var before = Scan(Task(10, 1), Task(11, 1), Task(21, 11, "Z"), Task(12, 1), Task(13, 1, nspid: [13, 1]));
        var after = Scan(Task(10, 1), Task(11, 1), Task(12, 1), Task(13, 1, nspid: [13, 1]));
        var early = new[]
        {
            Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: 55),   // a child never seen
            Line(11, Tracepoint.SysExit, Syscall.Wait4, a0: 21),   // the zombie the first read had
            Line(12, Tracepoint.Fork, a1: 56),
            Line(12, Tracepoint.SysExit, Syscall.Wait4, a0: 56),   // a child born in the trace
            Line(13, Tracepoint.SysExit, Syscall.Wait4, a0: 3),    // a number in 13's namespace
        };
        var o = SnapshotWindow.Reconcile(before, after, early);
        Assert.Contains("ShdPnd:\t0000000000010000\n", Block(o.Snapshot, 10));
        foreach (int tid in new[] { 12, 13 }) Assert.DoesNotContain("ShdPnd", Block(o.Snapshot, tid));
        // 11's zombie is in the bundle: its notice may be pending too, whoever reaps it (A_process_with_a_zombie_child_may_have_its_notice_pending).
        Assert.Contains("ShdPnd:\t0000000000010000\n", Block(o.Snapshot, 11));
        // A pending set the block had keeps its other signals.
        var withPending = new ProcTask(10, 10, 1, false, [10], before.Tasks[0].Block.Replace("State:", "ShdPnd:\t0000000000000001\nState:"));
        var kept = SnapshotWindow.Reconcile(Scan(withPending), Scan(withPending), [early[0]]);
        Assert.Contains("ShdPnd:\t0000000000010001\n", Block(kept.Snapshot, 10));
        // The wait may come after the second read (another busy capture: 0.1 s after it); a birth
        // after it may name the child too.
        var late = SnapshotWindow.Reconcile(before, after, [], [early[0], Line(12, Tracepoint.Fork, a1: 57), Line(12, Tracepoint.SysExit, Syscall.Wait4, a0: 57)]);
        Assert.Contains("ShdPnd:\t0000000000010000\n", Block(late.Snapshot, 10));
        Assert.DoesNotContain("ShdPnd", Block(late.Snapshot, 12));
    }

    [Fact]
    public void A_group_exit_or_setpgid_marks_the_children_it_concerns()
    {
        var before = Scan(Task(10, 1), Task(20, 10), Task(30, 10), Task(40, 1), Task(41, 40, pgrp: 40));
        var after = Scan(Task(20, 1), Task(30, 1), Task(40, 1), Task(41, 40));
        var early = new[]
        {
            Line(10, Tracepoint.ProcessExit, a0: 10, a1: 1),
            Line(40, Tracepoint.SysEnter, Syscall.SetPgid, a0: 41),
        };
        var o = SnapshotWindow.Reconcile(before, after, early);
        Assert.Equal(before.Tasks[1].Block, Block(o.Snapshot, 20));
        Assert.Equal(before.Tasks[4].Block, Block(o.Snapshot, 41));
    }

    [Fact]
    public void A_line_after_the_second_read_reached_the_task_is_no_matter()
    {
        // The second read took a while: 10 was read at 50, before its line at 100; 20 at 150, after its line.
        var before = Scan(Task(10, 1), Task(20, 1));
        var after = Scan(Task(10, 1, pgrp: 7) with { ReadAt = 50 }, Task(20, 1, pgrp: 7) with { ReadAt = 150 });
        var o = SnapshotWindow.Reconcile(before, after, [Line(10, Tracepoint.SysEnter, Syscall.SetSid), Line(20, Tracepoint.SysEnter, Syscall.SetSid)]);
        // The second read's block, stamped with when that read reached the task.
        Assert.Equal(after.Tasks[0].Block[..^1] + "read_at: 50\n\n", Block(o.Snapshot, 10));
        Assert.Equal(before.Tasks[1].Block, Block(o.Snapshot, 20));
        Assert.Equal((1, 1), (o.Replaced, o.Kept));
    }

    [Fact]
    public void A_line_after_the_second_read_passed_a_gone_task_is_no_matter()
    {
        // 20 and 40 are gone by the second read, which read 30 at 50 and 50 at 150: 20 was gone by 50,
        // 40 by 150. Their parent 10 signals both at 100: after 20 was gone (left out), before 40 was (kept).
        var before = Scan(Task(10, 1), Task(20, 10), Task(30, 1), Task(40, 10), Task(50, 1));
        var after = Scan(Task(10, 1) with { ReadAt = 10 }, Task(30, 1) with { ReadAt = 50 }, Task(50, 1) with { ReadAt = 150 });
        var o = SnapshotWindow.Reconcile(before, after,
            [Line(10, Tracepoint.SignalGenerate, a0: 15, a3: 20), Line(10, Tracepoint.SignalGenerate, a0: 15, a3: 40)]);
        Assert.Equal([10, 30, 40, 50], Tids(o.Snapshot));
        Assert.Equal((1, 1), (o.Dropped, o.Kept));
    }

    /// <summary>
    /// A busy capture's namespace init 12931 exited after tracing_on and its teardown SIGKILLed six
    /// tasks of its namespace, not its child 13135, which the first read had alive: 13135 had exited
    /// and been reaped in the window, and no line named it. Its parent's group exit, which would
    /// have handed it on, does not show it was there: gone by the second read, it is left out.
    /// </summary>
    [Fact]
    public void A_gone_task_stays_only_if_a_line_names_it_and_as_a_zombie_unless_it_exits_in_the_trace()
    {
        var before = Scan(Task(10, 1), Task(20, 10), Task(30, 10), Task(40, 10));
        var after = Scan(Task(10, 1) with { ReadAt = 200 });
        var o = SnapshotWindow.Reconcile(before, after,
        [
            Line(10, Tracepoint.ProcessExit, a0: 10, a1: 1),
            Line(10, Tracepoint.SignalGenerate, a0: 9, a3: 30),
            Line(30, Tracepoint.ProcessExit, a0: 30, a1: 1),
            Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: 40),
        ]);
        Assert.Equal([10, 30, 40], Tids(o.Snapshot));
        Assert.Equal((1, 2), (o.Dropped, o.Kept));
        // 30 exits in the trace: alive at tracing_on. 40's reaping is in the trace, its exit is not:
        // it exited in the window (a busy capture's bash 13008 reaped its child 13080 so, 9 ms after
        // tracing_on, and its next wait4 had ECHILD where the model kept the child running).
        Assert.Contains("State: S", Block(o.Snapshot, 30), StringComparison.Ordinal);
        Assert.Contains("State: Z", Block(o.Snapshot, 40), StringComparison.Ordinal);
    }

    /// <summary>
    /// A number the first read had, read again as another task's (another process, or the same
    /// number forked again later): the first task had gone in the window and the second was forked
    /// there. The second is added as a task forked in the window, not merged with the first.
    /// </summary>
    [Fact]
    public void A_number_read_again_as_another_tasks_is_a_task_forked_in_the_window()
    {
        // 352: sh 10's child at the first read; a thread of 917 at the second.
        var before = Scan(Task(10, 1), Task(352, 10), Task(917, 1));
        var after = Scan(Task(10, 1), Task(352, 1, tgid: 917), Task(917, 1));
        var o = SnapshotWindow.Reconcile(before, after, [Line(917, Tracepoint.SignalGenerate, a0: 10, a3: 352)]);
        // 917's thread, forked in the window, goes after its leader.
        Assert.Equal([10, 917, 352], Tids(o.Snapshot));
        Assert.StartsWith("task 352 tgid 917\n", Block(o.Snapshot, 352), StringComparison.Ordinal);
        Assert.Contains("PPid:\t1\n", Block(o.Snapshot, 352), StringComparison.Ordinal);
        Assert.Equal((1, 1), (o.Dropped, o.Added));

        // The same process number forked again: told apart by when each was forked (stat's starttime).
        before = Scan(Task(10, 1), Task(352, 10) with { Start = 1000 }, Task(20, 1));
        after = Scan(Task(10, 1), Task(20, 1), Task(352, 20, pgrp: 20) with { Start = 1012 });
        o = SnapshotWindow.Reconcile(before, after, [Line(20, Tracepoint.SignalGenerate, a0: 10, a3: 352)]);
        Assert.Contains("PPid:\t20\n", Block(o.Snapshot, 352), StringComparison.Ordinal);
        Assert.Equal((1, 1, 0), (o.Dropped, o.Added, o.Merged));
        // Forked at the same tick (or not known when): the same task, its first read kept where a line may have changed it.
        o = SnapshotWindow.Reconcile(before, after with { Tasks = [Task(10, 1), Task(20, 1), Task(352, 20, pgrp: 20) with { Start = 1000 }] },
            [Line(20, Tracepoint.SignalGenerate, a0: 10, a3: 352)]);
        Assert.Equal((0, 0, 1), (o.Dropped, o.Added, o.Merged));
    }

    /// <summary>
    /// A busy capture: sh 10's child 352 was read, died, and its number went to a thread of python3
    /// 917 (a test had set ns_last_pid back) before tracing_on; after it, 917 named the thread in a
    /// tgkill and the thread exited, both before the second read. The lines are the thread's, the
    /// block the child's: when the allocator may have given the number between the first read and
    /// tracing_on, the block says its holder is not known for sure (reused: maybe), without what
    /// another task would have had otherwise. A number it cannot have given, or one the trace sees
    /// born again, is no matter.
    /// </summary>
    [Fact]
    public void A_gone_tasks_number_the_allocator_may_have_given_again_before_tracing_on_has_its_holder_not_known()
    {
        var before = Scan(Task(10, 1), Task(352, 10), Task(917, 1));
        var after = Scan(Task(10, 1) with { ReadAt = 300 }, Task(917, 1) with { ReadAt = 310 });
        EarlyLine[] early = [Line(352, Tracepoint.ProcessExit, a0: 352)];
        // The cursor was at 5000 before the first read, at 360 at tracing_on: it wrapped, or was set back.
        var wrapped = new SnapshotWindow.PidsGiven(5000, 360, 32768);
        var o = SnapshotWindow.Reconcile(before, after, early, given: wrapped);
        var block = Block(o.Snapshot, 352);
        Assert.Contains("reused: maybe\n", block, StringComparison.Ordinal);
        Assert.Contains("PPid:\t0\n", block, StringComparison.Ordinal);
        Assert.DoesNotContain("pgrp:", block, StringComparison.Ordinal);
        Assert.Contains("State: S", block, StringComparison.Ordinal);
        Assert.Equal((1, 1), (o.Kept, o.Reused));
        Assert.EndsWith("kept 1 reused 1", SnapshotWindow.Summary(o), StringComparison.Ordinal);

        // The cursor climbed from 300 to 340: 352 was not given.
        o = SnapshotWindow.Reconcile(before, after, early, given: new SnapshotWindow.PidsGiven(300, 340, 32768));
        Assert.DoesNotContain("reused:", o.Snapshot, StringComparison.Ordinal);
        Assert.Equal(before.Tasks[1].Block, Block(o.Snapshot, 352));
        Assert.Equal((1, 0), (o.Kept, o.Reused));
        Assert.EndsWith("kept 1", SnapshotWindow.Summary(o), StringComparison.Ordinal);
        // A task forked after the cursor was read took its number in this pass, which gives each once.
        var forkedAfter = before with { Tasks = [Task(10, 1), Task(352, 10) with { Start = 1_078_200 }, Task(917, 1)] };
        o = SnapshotWindow.Reconcile(forkedAfter, after, early, given: wrapped with { BeforeTicks = 1_078_160 });
        Assert.Equal((1, 0), (o.Kept, o.Reused));
        o = SnapshotWindow.Reconcile(forkedAfter, after, early, given: wrapped with { BeforeTicks = 1_078_200 });
        Assert.Equal((1, 1), (o.Kept, o.Reused));
        Assert.False(new SnapshotWindow.PidsGiven(300, 300, 32768).May(301));
        Assert.True(new SnapshotWindow.PidsGiven(32000, 10, 32768).May(32767));
        Assert.False(new SnapshotWindow.PidsGiven(32000, 10, 32768).May(11));
    }

    /// <summary>
    /// A cursor set back during the first read, then past its first value again by tracing_on:
    /// read before and after only, it looks as if it had climbed a little, and the numbers it gave
    /// again are missed; read after each task as well, the turn shows.
    /// </summary>
    [Fact]
    public void A_cursor_set_back_and_past_its_first_value_again_is_seen_by_the_reads_in_between()
    {
        var ends = new SnapshotWindow.PidsGiven(1000, 1100, 32768);
        Assert.False(ends.May(500));
        var turned = ends with { Between = [400] };
        Assert.True(turned.May(500));
        Assert.True(turned.May(1050));
        Assert.True(turned.May(400)); // set back to 399, then a fork
        Assert.True(turned.May(32000)); // or 1000 to 400 was a wrap, as far as the reads tell
        Assert.Equal([1000, 400, 1100], turned.Reads);

        // The trail keeps the turns: a run that only climbs, its ends; a repeat, once.
        var reads = new Queue<int?>([100, 101, 105, 105, null, 90, 95, 200]);
        var trail = new SnapshotWindow.PidCursorTrail(() => reads.Dequeue());
        while (reads.Count > 0) trail.Sample();
        var given = Assert.NotNull(trail.Given(32768, 7));
        Assert.Equal([100, 105, 90, 200], given.Reads);
        Assert.Equal(7, given.BeforeTicks);
        Assert.True(given.May(91));
        Assert.True(given.May(102));
        // Reads that only climb, one failed among them: the range from the first to the last.
        var climbing = Assert.NotNull(Trail(100, 101, null, 150).Given(32768, 0));
        Assert.Equal([100, 150], climbing.Reads);
        Assert.True(climbing.May(120));
        Assert.False(climbing.May(100));
        Assert.False(climbing.May(151));
        var o = SnapshotWindow.Reconcile(new ProcScan("", []), new ProcScan("", []), []);
        Assert.Contains(" ns_last_pid 100 105 90 200 replaced 0 ", SnapshotWindow.HeaderLine(o, 1_000_000_000, 2_000_000_000, given), StringComparison.Ordinal);

        // Unbounded: the first read or the last failed, or pid_max is not known.
        Assert.Null(Trail(null, 100, 200).Given(32768, 0));
        Assert.Null(Trail(100, 200, null).Given(32768, 0));
        Assert.Null(Trail(100, 200).Given(null, 0));
        Assert.Equal(new SnapshotWindow.PidsGiven(100, 100, 32768), Trail(100, 100).Given(32768, 0));

        static SnapshotWindow.PidCursorTrail Trail(params int?[] values)
        {
            var q = new Queue<int?>(values);
            var t = new SnapshotWindow.PidCursorTrail(() => q.Dequeue());
            while (q.Count > 0) t.Sample();
            return t;
        }
    }

    /// <summary>
    /// A gone task whose number the trace sees born again: lines after that birth are the new
    /// task's and do not keep the old one, whose number the models then give to the new.
    /// </summary>
    [Fact]
    public void A_line_after_the_numbers_birth_in_the_trace_is_the_new_tasks()
    {
        var before = Scan(Task(10, 1), Task(352, 10), Task(917, 1));
        var after = Scan(Task(10, 1) with { ReadAt = 300 }, Task(917, 1) with { ReadAt = 310 });
        var fork = new EarlyLine(100, 917, 0, Tracepoint.Fork, Syscall.Other, 917, 352, 0);
        var exit = new EarlyLine(200, 352, 0, Tracepoint.ProcessExit, Syscall.Other, 352, 1, 0);
        var o = SnapshotWindow.Reconcile(before, after, [fork, exit], given: new SnapshotWindow.PidsGiven(5000, 360, 32768));
        Assert.Equal([10, 917], Tids(o.Snapshot));
        Assert.Equal((1, 0, 0), (o.Dropped, o.Kept, o.Reused));
        // Its own exit before the birth: it was there at tracing_on, and not in the allocator's way.
        var early = new EarlyLine(50, 352, 0, Tracepoint.ProcessExit, Syscall.Other, 352, 1, 0);
        o = SnapshotWindow.Reconcile(before, after, [early, fork, exit], given: new SnapshotWindow.PidsGiven(5000, 360, 32768));
        Assert.Equal([10, 352, 917], Tids(o.Snapshot));
        Assert.Equal((1, 0), (o.Kept, o.Reused));
    }

    /// <summary>
    /// A process's leader that exited in the window, before a thread of its: the thread's exit and
    /// its death notice for the process came after tracing_on. A CI run's capture: a .NET process
    /// the test host had started; the leader was kept alive as first read, so the process never
    /// died in the models, and the host's wait4(pid, WNOHANG) that reaped it was predicted 0.
    /// </summary>
    [Fact]
    public void A_leader_that_exited_in_the_window_before_its_last_thread_is_a_zombie_beside_it()
    {
        var before = Scan(Task(10, 1), Task(50, 10), Task(51, 10, tgid: 50));
        EarlyLine[] early =
        [
            Line(51, Tracepoint.ProcessExit, a0: 51, a1: 1),
            Line(51, Tracepoint.SignalGenerate, a0: 17, a3: 10, a2: 1),
        ];
        // Reaped before the second read came to it (the wait names it), or read again as a zombie.
        foreach (var (after, lines) in (ReadOnlySpan<(ProcScan, EarlyLine[])>)[
            (Scan(Task(10, 1)), [.. early, Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: 50)]),
            (Scan(Task(10, 1), Task(50, 10, "Z")), early)])
        {
            var o = SnapshotWindow.Reconcile(before, after, lines);
            Assert.Equal([10, 50, 51], Tids(o.Snapshot));
            Assert.Contains("State: Z\n", Block(o.Snapshot, 50));
            // The thread's own exit is in the trace: alive when tracing began.
            Assert.Equal(before.Tasks[2].Block, Block(o.Snapshot, 51));
        }
        // A process whose only thread told of its own death after tracing_on: the trace's reader
        // places its exit at that notice, so it was alive when tracing began.
        var single = SnapshotWindow.Reconcile(Scan(Task(10, 1), Task(60, 10)), Scan(Task(10, 1), Task(60, 10, "Z")),
            [Line(60, Tracepoint.SignalGenerate, a0: 17, a3: 10, a2: 1)]);
        Assert.Contains("State: S\n", Block(single.Snapshot, 60));
    }

    /// <summary>
    /// A test suite's capture: a dotnet thread 51 exited in the window, and the second read caught
    /// it in do_exit, before its release (State R, PF_EXITING); its sched_process_exit is in no
    /// line. Kept alive, it held process 50 alive in the models, and the wait4 that reaped 50 was
    /// predicted 0. Read exiting with no exit line of its own in the trace (before the second read
    /// or after it), a thread is gone when tracing began, a leader a zombie.
    /// </summary>
    [Fact]
    public void A_task_read_in_do_exit_with_no_exit_line_exited_before_tracing_began()
    {
        var before = Scan(Task(10, 1), Task(50, 10), Task(51, 10, tgid: 50), Task(60, 10));
        var after = Scan(Task(10, 1), Task(50, 10), Task(51, 10, "R", tgid: 50) with { Exiting = true }, Task(60, 10, "R") with { Exiting = true });
        var o = SnapshotWindow.Reconcile(before, after, []);
        Assert.Equal([10, 50, 60], Tids(o.Snapshot));
        Assert.Contains("State: Z\n", Block(o.Snapshot, 60));
        // Its exit line after the second read: it was alive when tracing began.
        var traced = SnapshotWindow.Reconcile(before, after, [], late: [Line(51, Tracepoint.ProcessExit, a0: 51), Line(60, Tracepoint.ProcessExit, a0: 60, a1: 1)]);
        Assert.Equal([10, 50, 51, 60], Tids(traced.Snapshot));
        Assert.DoesNotContain("State: Z\n", Block(traced.Snapshot, 60));
    }

    [Fact]
    public void An_exec_or_exit_group_marks_every_thread_of_its_process()
    {
        var before = Scan(Task(10, 1), Task(11, 1, tgid: 10), Task(30, 1), Task(31, 1, tgid: 30), Task(40, 1));
        var after = Scan(Task(10, 1, "Z"), Task(11, 1, "Z", tgid: 10), Task(30, 1, "Z"), Task(31, 1, "Z", tgid: 30), Task(40, 1, "Z"));
        var o = SnapshotWindow.Reconcile(before, after,
            [Line(10, Tracepoint.Exec, a0: 10, a1: 10), Line(31, Tracepoint.SysEnter, Syscall.ExitGroup)]);
        Assert.Equal((1, 4), (o.Replaced, o.Kept));
        Assert.Equal(after.Tasks[4].Block, Block(o.Snapshot, 40));
    }

    [Fact]
    public void A_task_whose_fork_is_traced_is_not_added()
    {
        var o = SnapshotWindow.Reconcile(Scan(Task(10, 1)), Scan(Task(10, 1), Task(60, 10), Task(61, 10)),
            [Line(10, Tracepoint.Fork, a0: 10, a1: 60)]);
        Assert.Equal([10, 61], Tids(o.Snapshot));
        Assert.Equal(1, o.Added);
    }

    [Fact]
    public void A_task_forked_in_the_window_is_added_without_what_its_early_lines_may_have_changed()
    {
        // 61 was forked in the window and exited after tracing_on, before the second read reached it;
        // 62 set up its own group then.
        var o = SnapshotWindow.Reconcile(Scan(Task(10, 1)), Scan(Task(10, 1), Task(61, 10, "Z"), Task(62, 10, pgrp: 62)),
            [Line(61, Tracepoint.ProcessExit, a0: 61, a1: 1), Line(62, Tracepoint.SysEnter, Syscall.SetSid)]);
        Assert.Equal([10, 61, 62], Tids(o.Snapshot));
        Assert.Contains("State: S", Block(o.Snapshot, 61));
        Assert.Contains("PPid:\t10", Block(o.Snapshot, 61));
        Assert.DoesNotContain("pgrp:", Block(o.Snapshot, 62));
        Assert.Equal(2, o.Added);
    }

    [Fact]
    public void A_child_forked_in_the_window_and_gone_before_the_second_read_is_added_when_a_line_names_its_parent()
    {
        // 10's children 70 (reaped by 10's wait4), 71 (its own notice to 10, after an orphan's to
        // 1) and 72 (no line names its parent) were forked after the first read and were gone
        // before the second; 73 is the birth the trace has.
        var o = SnapshotWindow.Reconcile(Scan(Task(1, 0, ns: 1), Task(10, 1, ns: 1)), Scan(Task(1, 0, ns: 1), Task(10, 1, ns: 1)),
        [
            Line(70, Tracepoint.SysEnter, Syscall.Exit), Line(71, Tracepoint.SysEnter, Syscall.Exit), Line(72, Tracepoint.SysEnter, Syscall.Exit),
            Line(71, Tracepoint.SignalGenerate, a0: 17, a3: 1, a2: 1), Line(71, Tracepoint.SignalGenerate, a0: 17, a3: 10, a2: 2),
            Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: 70), Line(10, Tracepoint.Fork, a0: 10, a1: 73), Line(73, Tracepoint.SysEnter, Syscall.Exit),
        ]);
        Assert.Equal([1, 10, 70, 71], Tids(o.Snapshot));
        Assert.Equal(2, o.Added);
        foreach (int child in (int[])[70, 71])
        {
            var block = Block(o.Snapshot, child);
            Assert.Contains("PPid:\t10\n", block);
            Assert.Contains($"NSpid:\t{child}\n", block);
            Assert.Contains("ns: pid:[1]\n", block);
            Assert.Contains("State: S\n", block);
            Assert.DoesNotContain("pgrp:", block);
            Assert.DoesNotContain("SigIgn:", block);
            Assert.Contains("pending: unknown\n", block);
        }
        // A parent whose children go to another namespace: the child's number there is not known,
        // and the models could not place it (a teardown there would pass it over); not added.
        var nested = SnapshotWindow.Reconcile(Scan(Task(10, 1, ns: 1, forChildren: 2)), Scan(Task(10, 1, ns: 1, forChildren: 2)),
            [Line(70, Tracepoint.SysEnter, Syscall.Exit), Line(70, Tracepoint.SignalGenerate, a0: 17, a3: 10, a2: 2)]);
        Assert.Equal([10], Tids(nested.Snapshot));
    }

    /// <summary>
    /// A test starting PostgreSQL, in a busy capture: runuser 10 forked pg_ctl 70 in the window,
    /// which forked sh 71, which forked postgres 72; all three gone before the second read. Before,
    /// 71 and 72 were adopted when first seen (70's children may go elsewhere: it may have unshared
    /// in the window), and the models then left every older process's wait for any child unknown.
    /// </summary>
    [Fact]
    public void Children_forked_in_the_window_by_one_forked_there_are_added_where_a_line_shows_them_in_the_hosts_namespace()
    {
        var reads = Scan(Task(1, 0, ns: 1), Task(10, 1, ns: 1));
        List<EarlyLine> Lines(bool getpid) =>
        [
            .. getpid ? [Line(72, Tracepoint.SysExit, Syscall.GetPid, a0: 72)] : new List<EarlyLine>(),
            Line(72, Tracepoint.SignalGenerate, a0: 17, a3: 71, a2: 1),
            Line(71, Tracepoint.SysExit, Syscall.Wait4, a0: 72),
            Line(71, Tracepoint.SignalGenerate, a0: 17, a3: 70, a2: 1),
            Line(70, Tracepoint.SysExit, Syscall.Wait4, a0: 71),
            Line(70, Tracepoint.SignalGenerate, a0: 17, a3: 10, a2: 1),
            Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: 70),
        ];
        // 72's getpid returned its global number: it is in the host's namespace, and so are 71, which forked it, and 70.
        var o = SnapshotWindow.Reconcile(reads, reads, Lines(getpid: true));
        Assert.Equal([1, 10, 70, 71, 72], Tids(o.Snapshot));
        Assert.Equal(3, o.Added);
        foreach (var (child, parent) in (ReadOnlySpan<(int, int)>)[(70, 10), (71, 70), (72, 71)])
        {
            var block = Block(o.Snapshot, child);
            Assert.Contains($"PPid:\t{parent}\n", block);
            Assert.Contains($"NSpid:\t{child}\n", block);
            Assert.Contains("ns: pid:[1]\n", block);
            // Where its own children go is not known: it may have unshared in the window.
            Assert.DoesNotContain("ns_for_children:", block);
        }
        // Without that line, nothing shows where 70's and 71's children went: only 70 is added.
        var unshown = SnapshotWindow.Reconcile(reads, reads, Lines(getpid: false));
        Assert.Equal([1, 10, 70], Tids(unshown.Snapshot));
    }

    /// <summary>
    /// A busy capture: bash 10's child 11, read a zombie, was reaped in the window. After
    /// tracing_on bash's wait4(-1) answered ECHILD, then it exec'd python3, whose waitid answered
    /// 0; waitid's line does not name its child, so 11 was kept a zombie, and the models predicted
    /// the next wait4 would reap it. A wait for any child that answered ECHILD first shows 11 gone.
    /// </summary>
    [Fact]
    public void A_waitid_after_a_wait_for_any_child_answered_ECHILD_names_no_child_gone_by_the_second_read()
    {
        var first = Scan(Task(1, 0), Task(10, 1), Task(11, 10, "Z"), Task(12, 10));
        var second = Scan(Task(1, 0), Task(10, 1), Task(12, 10));
        List<EarlyLine> Lines(bool echild) =>
        [
            .. echild
                ? [Line(10, Tracepoint.SysEnter, Syscall.Wait4, a0: 0xffffffff) with { Time = 100 }, Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: -10) with { Time = 101 }]
                : new List<EarlyLine>(),
            Line(10, Tracepoint.SysEnter, Syscall.Waitid, a0: 0) with { Time = 110 },
            Line(10, Tracepoint.SysExit, Syscall.Waitid, a0: 0) with { Time = 111 },
        ];
        Assert.Equal([1, 10, 12], Tids(SnapshotWindow.Reconcile(first, second, Lines(echild: true)).Snapshot));
        // Without it, the waitid may have reaped 11 after tracing_on: a zombie then.
        var kept = SnapshotWindow.Reconcile(first, second, Lines(echild: false));
        Assert.Equal([1, 10, 11, 12], Tids(kept.Snapshot));
        Assert.Contains("State: Z", Block(kept.Snapshot, 11));
        // A wait for one child that answered ECHILD says nothing of the others.
        List<EarlyLine> one =
        [
            Line(10, Tracepoint.SysEnter, Syscall.Wait4, a0: 99) with { Time = 100 },
            Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: -10) with { Time = 101 },
            .. Lines(echild: false),
        ];
        Assert.Equal([1, 10, 11, 12], Tids(SnapshotWindow.Reconcile(first, second, one).Snapshot));
    }

    /// <summary>
    /// A busy capture: a bash of a job-control loop, forked in the window by a bash forked there
    /// too, both gone before the second read, forked children after tracing_on. Its clone returned
    /// each child's global number, which shows it in the host's namespace; before, it was left out,
    /// and it and its children were adopted unplaced, each of their calls unknown.
    /// </summary>
    [Fact]
    public void A_fork_that_returned_the_childs_global_number_shows_the_parent_in_the_hosts_namespace()
    {
        var reads = Scan(Task(1, 0, ns: 1), Task(10, 1, ns: 1));
        List<EarlyLine> Lines(long returned) =>
        [
            // The clone's return before the birth, as two CPUs may give them.
            Line(71, Tracepoint.SysExit, Syscall.Clone, a0: returned),
            Line(71, Tracepoint.Fork, a0: 71, a1: 80),
            Line(80, Tracepoint.SignalGenerate, a0: 17, a3: 71, a2: 1),
            Line(71, Tracepoint.SysExit, Syscall.Wait4, a0: returned),
            Line(71, Tracepoint.SignalGenerate, a0: 17, a3: 70, a2: 1),
            Line(70, Tracepoint.SysExit, Syscall.Wait4, a0: 71),
            Line(70, Tracepoint.SignalGenerate, a0: 17, a3: 10, a2: 1),
            Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: 70),
        ];
        var o = SnapshotWindow.Reconcile(reads, reads, Lines(80));
        Assert.Equal([1, 10, 70, 71], Tids(o.Snapshot));
        Assert.Contains("PPid:\t70\n", Block(o.Snapshot, 71));
        Assert.Contains("ns: pid:[1]\n", Block(o.Snapshot, 71));
        // A clone that returned another number (the child's in a namespace below): where 71 is, is not shown.
        var below = SnapshotWindow.Reconcile(reads, reads, Lines(3));
        Assert.Equal([1, 10, 70], Tids(below.Snapshot));
    }

    /// <summary>
    /// A busy capture on a host with pid_max 32768, which its fork storms wrapped in 8 s: 80, a
    /// namespace's init forked in the window by an unshare, was gone before the second read; its
    /// number was given again 8 s later to a shell's child, which that shell's wait4 reaped. The
    /// wait named 80, and 80 was added as the shell's child in the host's namespace, where its
    /// getpid returned 1 and its getppid 0: 7 answers disagreed. What is said of a number after
    /// a birth the trace has of it is another task's.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_line_after_the_number_was_given_again_says_nothing_of_a_child_forked_in_the_window(bool reborn)
    {
        var reads = Scan(Task(1, 0, ns: 1), Task(10, 1, ns: 1));
        var early = new List<EarlyLine> { Line(80, Tracepoint.SysExit, Syscall.GetPid, a0: 1) with { Time = 100 } };
        var late = new List<EarlyLine>
        {
            Line(10, Tracepoint.Fork, a0: 10, a1: 80) with { Time = 8_000 },
            Line(10, Tracepoint.SysExit, Syscall.Wait4, a0: 80) with { Time = 8_100 },
        };
        if (!reborn) late.RemoveAt(0);
        var o = SnapshotWindow.Reconcile(reads, reads, early, late);
        // Reborn, the wait is the later holder's: 80 is left to be adopted when first seen.
        Assert.Equal(reborn ? [1, 10] : [1, 10, 80], Tids(o.Snapshot));
    }

    /// <summary>
    /// A block the second read gave is stamped with when that read reached the task: its SigBlk
    /// is the mask then, and the reader compares that time with the capture's mask records
    /// (SignalMaskTests). A block kept from the first read is not stamped.
    /// </summary>
    [Fact]
    public void A_block_from_the_second_read_says_when_it_was_read()
    {
        var before = Scan(Task(10, 1), Task(20, 10));
        var after = Scan(Task(10, 1, pgrp: 7) with { ReadAt = 5_000 }, Task(20, 10), Task(30, 10) with { ReadAt = 6_000 });
        var o = SnapshotWindow.Reconcile(before, after, [Line(20, Tracepoint.SysEnter, Syscall.SetSid)]);
        Assert.Contains("read_at: 5000\n", Block(o.Snapshot, 10));
        Assert.Contains("read_at: 6000\n", Block(o.Snapshot, 30));
        Assert.DoesNotContain("read_at:", Block(o.Snapshot, 20));
    }

    [Fact]
    public void Pending_signals_come_from_the_read_no_signal_line_came_before()
    {
        static ProcTask Pending(ProcTask t, ulong pnd) => t with { Block = t.Block.Replace("State:", $"SigPnd:\t{pnd:x16}\nShdPnd:\t{pnd:x16}\nState:", StringComparison.Ordinal) };
        // 61, forked in the window, read after a teardown's SIGKILL came to it: pending then, not
        // at tracing_on. 10 had a line (a setsid) but no signal: its queue as the second read found it.
        // 12 took a signal before the second read: its first read's.
        var o = SnapshotWindow.Reconcile(
            Scan(Pending(Task(10, 1), 0), Pending(Task(12, 1), 0x4000)),
            Scan(Pending(Task(10, 1), 0x10000), Pending(Task(12, 1), 0), Pending(Task(61, 10), 0x100)),
            [Line(10, Tracepoint.SysEnter, Syscall.SetSid), Line(5, Tracepoint.SignalGenerate, a0: 9, a3: 61), Line(12, Tracepoint.SignalDeliver, a0: 15)]);
        Assert.DoesNotContain("SigPnd:", Block(o.Snapshot, 61));
        Assert.DoesNotContain("ShdPnd:", Block(o.Snapshot, 61));
        // Not known, rather than none: the models take a block without them for a capture that did not read them.
        Assert.Contains("pending: unknown\n", Block(o.Snapshot, 61));
        Assert.DoesNotContain("pending:", Block(o.Snapshot, 10));
        Assert.Contains("ShdPnd:\t0000000000010000", Block(o.Snapshot, 10));
        Assert.Contains("ShdPnd:\t0000000000004000", Block(o.Snapshot, 12));
    }

    [Fact]
    public void A_process_with_a_zombie_child_may_have_its_notice_pending()
    {
        // 10 was read before its child 11 died (in the window): 11 is a zombie, 10's read shows no SIGCHLD pending.
        var o = SnapshotWindow.Reconcile(Scan(Task(10, 1), Task(11, 10), Task(12, 1)), Scan(Task(10, 1), Task(11, 10, "Z"), Task(12, 1)), []);
        Assert.Contains("ShdPnd:\t0000000000010000", Block(o.Snapshot, 10));
        Assert.DoesNotContain("ShdPnd:", Block(o.Snapshot, 12));
        Assert.DoesNotContain("ShdPnd:", Block(o.Snapshot, 11));
    }

    [Fact]
    public void Early_lines_stop_a_while_after_the_second_read_and_keep_what_came_before_it()
    {
        var early = new EarlyLines();
        early.Offer("              sh-10      [000] .....   100.000001: sys_setsid()"u8);
        early.EndAt(100_000_002_000);
        early.Offer("              sh-11      [001] .....   100.000003: sys_setsid()"u8);
        // From another CPU, a little out of order.
        early.Offer("              sh-12      [000] .....   100.000001: sched_process_exit: comm=sh pid=12 prio=120 group_dead=true"u8);
        early.Offer("not a trace line"u8);
        Assert.Equal([10, 12], early.Lines.Select(l => l.Tid));
        Assert.Equal(Tracepoint.ProcessExit, early.Lines[1].Point);
        Assert.False(early.Overflowed);
    }

    [Fact]
    public void After_the_second_read_only_births_and_waits_that_name_a_child_are_kept_to_the_end()
    {
        var early = new EarlyLines();
        early.EndAt(100_000_002_000);
        var wait = "              sh-10      [000] .....   100.000005: sys_wait4 -> 0x1609"u8.ToArray();
        var none = "              sh-10      [000] .....   100.000006: sys_wait4 -> 0x0"u8.ToArray();
        var fork = "              sh-10      [000] .N...   100.000007: sched_process_fork: comm=sh pid=10 child_comm=sh child_pid=5740"u8.ToArray();
        var setsid = "              sh-11      [001] .....   100.000008: sys_setsid()"u8.ToArray();
        // Within the slack, while the early lines are still collected, and after it.
        foreach (var text in new[] { wait, none, fork, setsid }) early.Offer(text);
        for (int i = 0; i < 4096; i++) early.Offer(setsid);
        foreach (var text in new[] { wait, none, fork, setsid }) early.Offer(text);
        Assert.Empty(early.Lines);
        Assert.Equal([(Tracepoint.SysExit, 0x1609L), (Tracepoint.Fork, 5740L), (Tracepoint.SysExit, 0x1609L), (Tracepoint.Fork, 5740L)],
            early.Late.Select(l => (l.Point, l.Point == Tracepoint.Fork ? l.A1 : l.A0)));
    }

    private static string Block(string snapshot, int tid)
    {
        int at = snapshot.IndexOf($"task {tid} tgid ", StringComparison.Ordinal);
        return snapshot[at..(snapshot.IndexOf("\n\n", at, StringComparison.Ordinal) + 2)];
    }
}
