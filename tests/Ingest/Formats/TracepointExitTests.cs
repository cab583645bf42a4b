using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Tracepoints;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>What the tracepoint assembler attaches to an exit, and where it places a fork, on real captures of traces/fresh.</summary>
public sealed class TracepointExitTests
{
    private static List<PidEvent> Read(string relative)
    {
        var input = InputFile.Open(Repo.PathOf(relative));
        using (input.Stream)
            return CaptureFormats.All.First(r => r.Recognises(input.Head)).Read(input, new ReadContext(false)).ToList();
    }

    /// <summary>A tracefs line as the parser makes it: the payload's numbers in the tracepoint's order.</summary>
    private static TraceLine Line(long time, int tid, Tracepoint point, Syscall sys = Syscall.Other, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, string comm = "sh") =>
        new() { Time = time, Tid = tid, Comm = comm, Point = point, Sys = sys, A0 = a0, A1 = a1, A2 = a2, A3 = a3, A4 = a4, A5 = a5 };

    /// <summary>
    /// A snapshot task of the host's namespace, of group and session 100, its actions read (SIG_DFL
    /// but <paramref name="sigCgt"/>); a thread that is not its process's leader has exit signal -1.
    /// </summary>
    private static TaskSnapshot Snap(int tid, int tgid, int ppid, string comm, ulong sigCgt = 0, bool zombie = false, ulong? sigPnd = null) => new()
    {
        Tid = tid, Comm = comm, Tgid = tgid, PPid = ppid, Pgid = 100, Sid = 100, NsPid = [tid], NsPgid = [100], NsSid = [100],
        PidNs = 4026531836, SigIgn = 0, SigCgt = sigCgt, ExitSignal = tid == tgid ? 17 : -1, Zombie = zombie, SigPnd = sigPnd,
    };

    /// <summary>The nested model's judgement of the events, which must have no disagreement.</summary>
    private static Replayer.Replay.Validation.ValidationReport NoneDisagree(string trace, List<PidEvent> events)
    {
        var report = Replayer.Replay.Validation.Validator.Run(trace, "nested", events);
        Assert.True(report.Disagreed == 0, $"{report.Disagreed} disagreed: " + string.Join("; ", report.Disagreements));
        return report;
    }

    /// <summary>The events of a snapshot and lines, taken as the reader does: what is ready, after each.</summary>
    private static List<PidEvent> Assemble(IEnumerable<TaskSnapshot> snapshot, IEnumerable<TraceLine> lines)
    {
        var a = new TracepointAssembler();
        var events = new List<PidEvent>();
        void Take()
        {
            while (a.TryTake(out var ev)) events.Add(ev);
        }
        foreach (var s in snapshot) a.Snapshot(s);
        Take();
        foreach (var line in lines)
        {
            a.Feed(line);
            Take();
        }
        a.Finish();
        Take();
        return events;
    }

    [Fact]
    public void A_signal_to_a_task_that_has_exited_names_that_task_and_adopts_no_new_one()
    {
        // The dying init 26311 SIGKILLs its zombies 26315 and 26316 (res=1) after their exits.
        var events = Read("traces/fresh/nsenter-kill0.capture");
        Assert.DoesNotContain(events, e => e is TaskSnapshot { Adopted: true, Tid: 26311 or 26315 or 26316 });
        var init = Assert.Single(events.OfType<Exit>(), x => x.Tid == 26311);
        Assert.Equal(
            [(9, 26315, SignalResult.Ignored), (9, 26316, SignalResult.Ignored), (17, 26308, SignalResult.Ignored)],
            init.Signals.Select(r => (r.Sig, r.To, r.Result)));
    }

    /// <summary>
    /// On a busy machine exit_notify, which makes a task a zombie and sends its notice, and from a
    /// namespace init also the teardown's SIGKILLs, can come long after sched_process_exit. Shell
    /// 100's child 500 exits (with 501, 2 in its namespace, when it is an init); 87 ms later its
    /// parent's wait4(WNOHANG) answers 0, then comes the exit's first signal: its notice to 100,
    /// or its teardown's SIGKILL to 501. Up to <see cref="TracepointAssembler.ExitGraceNs"/> the
    /// exit waits for it and takes it; past that, it leaves without, and the signal comes alone.
    /// </summary>
    [Theory]
    [InlineData(false, 140, true)]
    [InlineData(true, 222, true)]
    [InlineData(false, 1_540, true)]
    [InlineData(false, 5_100, false)]
    [InlineData(true, 5_100, false)]
    public void An_exit_waits_for_its_first_signal_up_to_its_grace(bool init, long afterMs, bool taken)
    {
        const long Ms = 1_000_000;
        long end = 1000 * Ms + afterMs * Ms;
        var events = Assemble(
        [
            new TaskSnapshot { Tid = 100, Comm = "sh", Tgid = 100, PPid = 1, NsPid = [100] },
            new TaskSnapshot { Tid = 500, Comm = "sh", Tgid = 500, PPid = 100, NsPid = init ? [500, 1] : [500] },
            new TaskSnapshot { Tid = 501, Comm = "sh", Tgid = 501, PPid = 500, NsPid = init ? [501, 2] : [501] },
        ],
        [
            Line(1000 * Ms, 500, Tracepoint.ProcessExit, a0: 500, a1: 1),
            Line(1087 * Ms, 100, Tracepoint.SysEnter, Syscall.Wait4, a0: -1, a2: 1),
            Line(1087 * Ms + 1, 100, Tracepoint.SysExit, Syscall.Wait4, a0: 0),
            Line(end - 2, 100, Tracepoint.SysEnter, Syscall.GetPid),
            Line(end - 1, 100, Tracepoint.SysExit, Syscall.GetPid, a0: 100),
            // signal_generate: sig=9 errno=0 code=128 (SI_KERNEL) pid=501 grp=1 res=0, or sig=17 code=1 (CLD_EXITED) pid=100
            init ? Line(end, 500, Tracepoint.SignalGenerate, a0: 9, a2: 128, a3: 501, a4: 1, a5: 0)
                 : Line(end, 500, Tracepoint.SignalGenerate, a0: 17, a2: 1, a3: 100, a4: 1, a5: 0),
        ]);
        var exit = Assert.Single(events.OfType<Exit>(), x => x.Tid == 500);
        int wait = events.FindIndex(e => e is Wait);
        if (taken)
        {
            Assert.Equal([init ? (9, 501) : (17, 100)], exit.Signals.Select(r => (r.Sig, r.To)));
            Assert.Empty(events.OfType<Signal>());
            // A notice moves the exit to it, after the wait that found no zombie.
            if (!init) Assert.True(events.IndexOf(exit) > wait && exit.AtNotice);
            // An init's teardown is not its notice: the trace ended before that came.
            Assert.Equal(init, exit.NoticeAfterEnd);
        }
        else
        {
            Assert.Empty(exit.Signals);
            Assert.Single(events.OfType<Signal>(), g => g.Record.To == (init ? 501 : 100));
            Assert.True(events.IndexOf(exit) < wait);
            Assert.False(exit.NoticeAfterEnd);
        }
    }

    /// <summary>
    /// A busy capture: python3 100's pool worker 500 passes sched_process_exit; 100's
    /// wait4(500, WNOHANG) answers 0, so the exit moves to its notice; but 100's SIGTERM to 500 in
    /// between was dropped (res=1: the group was exiting). An Exiting event stays where the exit
    /// began, so the models see the SIGTERM find it exiting; without it they took it for delivered.
    /// In another capture the kill entered before the notice and its line came 4 us after it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_exit_moved_to_its_notice_past_a_wait_and_a_signal_leaves_an_exiting_event(bool signalAfterNotice)
    {
        const long Us = 1_000;
        // signal_generate: sig=15 errno=0 code=0 pid=500 grp=1 res=1 (ignored: the group is exiting)
        var sigterm = Line(signalAfterNotice ? 1016 * Us : 1008 * Us, 100, Tracepoint.SignalGenerate, a0: 15, a2: 0, a3: 500, a4: 1, a5: 1);
        // its notice: sig=17 code=1 (CLD_EXITED) pid=100 res=1 (SIGCHLD at its default)
        var notice = Line(1015 * Us, 500, Tracepoint.SignalGenerate, a0: 17, a2: 1, a3: 100, a4: 1, a5: 1);
        var events = Assemble(
            [Snap(1, 1, 0, "python3"), Snap(100, 100, 1, "python3"), Snap(500, 500, 100, "python3")],
            new[]
            {
                Line(1000 * Us, 500, Tracepoint.SysEnter, Syscall.ExitGroup),
                Line(1001 * Us, 500, Tracepoint.ProcessExit, a0: 500, a1: 1),
                Line(1005 * Us, 100, Tracepoint.SysEnter, Syscall.Wait4, a0: 500, a2: 1),
                Line(1006 * Us, 100, Tracepoint.SysExit, Syscall.Wait4, a0: 0),
                Line(1007 * Us, 100, Tracepoint.SysEnter, Syscall.Kill, a0: 500, a1: 15),
                signalAfterNotice ? notice : sigterm,
                signalAfterNotice ? sigterm : notice,
                Line(1017 * Us, 100, Tracepoint.SysExit, Syscall.Kill, a0: 0),
                Line(1020 * Us, 100, Tracepoint.SysEnter, Syscall.Wait4, a0: 500, a2: 0),
                Line(1021 * Us, 100, Tracepoint.SysExit, Syscall.Wait4, a0: 500),
            }.Select(l => l with { Comm = "python3" }));
        int exiting = events.FindIndex(e => e is Exiting { Tid: 500 });
        int kill = events.FindIndex(e => e is Kill);
        int exit = events.FindIndex(e => e is Exit { Tid: 500 });
        Assert.True(exiting >= 0 && exiting < kill && kill < exit, string.Join(", ", events.Select(e => e.Kind)));
        var report = Replayer.Replay.Validation.Validator.Run("pool", "nested", events);
        Assert.True(report.Clean, $"{report.Disagreed} disagreed: " + string.Join("; ", report.Disagreements));
        // Its answer and its signal, ignored.
        Assert.Equal((2L, 0L), (report.ByKind["kill"].Agreed, report.ByKind["kill"].UnknownState));
    }

    /// <summary>
    /// A busy capture: bash 100's child 200 entered execve and passed its point of no return (the
    /// task_rename of begin_new_exec, which clears PF_FORKNOEXEC); its binary took 40 ms to load,
    /// and bash's setpgid of it in between answered EACCES. The exec stands at the rename, with
    /// its file from sched_process_exec; at sched_process_exec, the models said 0.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_exec_takes_effect_where_its_task_is_renamed_not_where_its_binary_has_loaded(bool renamed)
    {
        const long Us = 1_000;
        var events = Assemble(
            [Snap(1, 1, 0, "init"), Snap(100, 100, 1, "bash")],
            new[]
            {
                Line(1000 * Us, 100, Tracepoint.SysEnter, Syscall.Clone, a0: 0x1200011, comm: "bash"),
                Line(1001 * Us, 100, Tracepoint.Fork, a0: 100, a1: 200, comm: "bash"),
                Line(1002 * Us, 100, Tracepoint.SysExit, Syscall.Clone, a0: 200, comm: "bash"),
                Line(1003 * Us, 200, Tracepoint.SysExit, Syscall.Clone, a0: 0, comm: "bash"),
                Line(1010 * Us, 200, Tracepoint.SysEnter, Syscall.Execve, comm: "bash"),
                Line(1011 * Us, 200, Tracepoint.Rename, a0: 200, comm: "bash") with { Text = "sleep" },
                Line(1020 * Us, 100, Tracepoint.SysEnter, Syscall.SetPgid, a0: 200, a1: 200, comm: "bash"),
                Line(1021 * Us, 100, Tracepoint.SysExit, Syscall.SetPgid, a0: -13, comm: "bash"),
                Line(1050 * Us, 200, Tracepoint.Exec, a1: 200, comm: "sleep") with { Text = "/usr/bin/sleep" },
                Line(1051 * Us, 200, Tracepoint.SysExit, Syscall.Execve, a0: 0, comm: "sleep"),
            }.Where(l => renamed || l.Point != Tracepoint.Rename));
        var exec = Assert.Single(events.OfType<Exec>());
        Assert.Equal(("/usr/bin/sleep", 200, (long?)null), (exec.Filename, exec.Tid, exec.Ret));
        int setpgid = events.FindIndex(e => e is SetPgid);
        var report = Replayer.Replay.Validation.Validator.Run("exec", "nested", events);
        if (renamed)
        {
            Assert.Equal((1011 * Us, "sleep"), (exec.Time, exec.Comm));
            Assert.True(events.IndexOf(exec) < setpgid);
            Assert.True(report.Disagreed == 0, string.Join("; ", report.Disagreements));
            Assert.Equal(1, report.ByKind["setpgid"].Agreed);
        }
        else
        {
            // Without the rename line, the exec stands where its binary had loaded: after the setpgid.
            Assert.True(events.IndexOf(exec) > setpgid);
            Assert.Equal(1, report.Disagreed);
        }
    }

    /// <summary>
    /// A test suite's capture: the test host 100 SIGTERMs chromium 500 while a thread of it, 501,
    /// enters exit_group 11 us later; the signal's line comes after that and says the kernel
    /// dropped it (res=1: do_group_exit had set SIGNAL_GROUP_EXIT). The kill stands where its
    /// signal came, after an Exiting event; where it entered, before the group's exit, the models
    /// took the SIGTERM for delivered. Where the line says delivered (the flag not set yet), the
    /// kill stays where it entered.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void A_kill_whose_signal_came_after_its_recipients_exit_group_began_stands_after_it(bool dropped, bool enteredAfter)
    {
        // enteredAfter: the kill entered after the thread's exit_group (another suite capture: a
        // chromium's SIGTERM to a sibling 16 us after a thread of it entered exit_group, res=1).
        const long Us = 1_000;
        var events = Assemble(
            [Snap(1, 1, 0, "chromium"), Snap(100, 100, 1, "chromium"), Snap(500, 500, 100, "chromium"), Snap(501, 500, 100, "chromium")],
            new[]
            {
                Line((enteredAfter ? 1011 : 1000) * Us, 100, Tracepoint.SysEnter, Syscall.Kill, a0: 500, a1: 15),
                Line((enteredAfter ? 1000 : 1011) * Us, 501, Tracepoint.SysEnter, Syscall.ExitGroup),
                Line(1012 * Us, 501, Tracepoint.ProcessExit, a0: 501, a1: 0),
                Line(1075 * Us, 100, Tracepoint.SignalGenerate, a0: 15, a2: 0, a3: 500, a4: 1, a5: dropped ? 1 : 0),
                Line(1076 * Us, 100, Tracepoint.SysExit, Syscall.Kill, a0: 0),
                Line(1080 * Us, 500, Tracepoint.ProcessExit, a0: 500, a1: 1),
                Line(1081 * Us, 500, Tracepoint.SignalGenerate, a0: 17, a2: dropped ? 1 : 2, a3: 100, a4: 1, a5: 1),
                Line(1090 * Us, 100, Tracepoint.SysEnter, Syscall.Wait4, a0: 500, a2: 0),
                Line(1091 * Us, 100, Tracepoint.SysExit, Syscall.Wait4, a0: 500),
            }.OrderBy(l => l.Time).Select(l => l with { Comm = "chromium" }));
        int kill = events.FindIndex(e => e is Kill);
        int exiting = events.FindIndex(e => e is Exiting { Tid: 500 });
        int threadExit = events.FindIndex(e => e is Exit { Tid: 501 });
        if (dropped) Assert.True(exiting >= 0 && exiting < kill && threadExit < kill, string.Join(", ", events.Select(e => e.Kind)));
        else Assert.True(exiting < 0 && kill < threadExit, string.Join(", ", events.Select(e => e.Kind)));
        var report = NoneDisagree("race", events);
        Assert.Equal(2, report.ByKind["kill"].Agreed);
    }

    /// <summary>
    /// A busy capture: a perl whose SIGALRM was back at its default entered exit_group, and its
    /// interval timer fired 37 us later from the tick (an interrupt's line, in the perl's own context), res=1:
    /// do_group_exit had set SIGNAL_GROUP_EXIT, and prepare_signal dropped it. The exit stands at
    /// sched_process_exit, after the signal, so an Exiting event goes before the signal; a signal
    /// the kernel delivered (res=0: it came before the flag, whatever the lines' times) gets none.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_timers_signal_dropped_after_exit_group_began_comes_after_an_exiting_event(bool dropped)
    {
        const long Us = 1_000;
        var events = Assemble(
            [Snap(1, 1, 0, "init"), Snap(100, 100, 1, "sh"), Snap(500, 500, 100, "perl")],
            new[]
            {
                Line(1010 * Us, 500, Tracepoint.SysEnter, Syscall.ExitGroup, a0: 0, comm: "perl"),
                Line(1010 * Us + 37, 500, Tracepoint.SignalGenerate, a0: 14, a2: 128, a3: 500, a4: 1, a5: dropped ? 1 : 0, comm: "perl") with { InInterrupt = true },
                Line(1012 * Us, 500, Tracepoint.ProcessExit, a0: 500, a1: 1, comm: "perl"),
                Line(1030 * Us, 500, Tracepoint.SignalGenerate, a0: 17, a2: 1, a3: 100, a4: 1, a5: 1, comm: "perl"),
            });
        int exiting = events.FindIndex(e => e is Exiting { Tid: 500 });
        int first = events.FindIndex(e => e is Signal { Record.Sig: 14 });
        Assert.Equal(dropped ? 1 : 0, events.Count(e => e is Exiting));
        if (dropped) Assert.True(exiting >= 0 && exiting < first, string.Join(", ", events.Select(e => e.Kind)));
        NoneDisagree("timer", events);
    }

    /// <summary>
    /// Two busy captures: a shell's clone entered, another shell's kill(-1, SIGTERM) entered after
    /// it and delivered the SIGTERM to the first shell's process (its action the default) while
    /// the clone ran, and the clone returned ENOMEM: copy_process gives up where a fatal signal
    /// meets it. Standing at its enter, before the kill, the fork was predicted to make a child.
    /// It stands where it returned, after the kill, and its answer is not judged (the signal may
    /// also come after copy_process's last check, and the fork succeed). A fork that failed with
    /// no signal delivered meanwhile stays where it entered, and is judged.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_fork_that_failed_while_a_signal_came_to_its_process_stands_where_it_returned(bool signalled)
    {
        const long Us = 1_000;
        var lines = new List<TraceLine>
        {
            Line(1000 * Us, 500, Tracepoint.SysEnter, Syscall.Clone, a0: 0x1200011),
            Line(1001 * Us, 100, Tracepoint.SysEnter, Syscall.Kill, a0: -1, a1: 15),
        };
        if (signalled) lines.Add(Line(1002 * Us, 100, Tracepoint.SignalGenerate, a0: 15, a2: 0, a3: 500, a4: 1, a5: 0));
        lines.Add(Line(1003 * Us, 100, Tracepoint.SysExit, Syscall.Kill, a0: signalled ? 0 : -3));
        lines.Add(Line(1010 * Us, 500, Tracepoint.SysExit, Syscall.Clone, a0: -12));
        var events = Assemble([Snap(1, 1, 0, "init"), Snap(100, 100, 1, "sh"), Snap(500, 500, 1, "sh")], lines);
        int fork = events.FindIndex(e => e is Fork);
        int kill = events.FindIndex(e => e is Kill);
        Assert.True(signalled ? fork > kill : fork < kill, string.Join(", ", events.Select(e => e.Kind)));
        Assert.Equal(signalled ? 1010 * Us : 1000 * Us, events[fork].Time);
        Assert.Equal(-12, events[fork].Ret);
        var report = Replayer.Replay.Validation.Validator.Run("enomem", "nested", events);
        var forks = report.ByKind["fork"];
        Assert.Equal(signalled ? 0 : 1, forks.Disagreed);
        Assert.Equal(signalled ? 1 : 0, forks.UnknownState);
    }

    /// <summary>
    /// Two busy captures: a namespace init's shell, which catches SIGCHLD, entered exit_group, and
    /// a child's notice came 3 us after, dropped (res=1: SIGNAL_GROUP_EXIT was set), 10 us before
    /// the shell's sched_process_exit. The child's exit stands at its notice; before it, an
    /// Exiting event says the shell's group exit had begun, and the notice is judged dropped.
    /// </summary>
    [Fact]
    public void A_notice_dropped_by_a_parent_in_exit_group_comes_after_an_exiting_event()
    {
        const long Us = 1_000;
        var events = Assemble(
            [Snap(1, 1, 0, "init"), Snap(100, 100, 1, "sh", sigCgt: 1UL << 16), Snap(500, 500, 100, "sleep")],
            new[]
            {
                Line(1000 * Us, 500, Tracepoint.SysEnter, Syscall.ExitGroup, a0: 0, comm: "sleep"),
                Line(1001 * Us, 500, Tracepoint.ProcessExit, a0: 500, a1: 1, comm: "sleep"),
                Line(1010 * Us, 100, Tracepoint.SysEnter, Syscall.ExitGroup, a0: 0),
                Line(1010 * Us + 3, 500, Tracepoint.SignalGenerate, a0: 17, a2: 1, a3: 100, a4: 1, a5: 1, comm: "sleep"),
            });
        int exiting = events.FindIndex(e => e is Exiting { Tid: 100 });
        int child = events.FindIndex(e => e is Exit { Tid: 500 });
        Assert.True(exiting >= 0 && exiting < child, string.Join(", ", events.Select(e => $"{e.Kind} {e.Tid}")));
        var report = NoneDisagree("dropped-notice", events);
        Assert.Equal(1, report.ByKind["exit"].Agreed);
        Assert.Equal(0, report.ByKind["exit"].UnknownState);
    }

    /// <summary>
    /// A busy capture: one shell's kill entered, another shell's kill of the same process entered
    /// 68 us later on the other CPU, and the second's SIGTERM came first (res=0), beginning the
    /// process's group exit; the first's came 22 us after it and was dropped (res=1). Where each
    /// entered, the models took the first kill's signal first. The first kill stands where its
    /// signal came, after the second, and both are judged.
    /// </summary>
    [Fact]
    public void A_kill_whose_signal_comes_after_a_later_kills_stands_after_it()
    {
        const long Us = 1_000;
        var events = Assemble(
            [Snap(1, 1, 0, "init"), Snap(100, 100, 1, "sh"), Snap(200, 200, 1, "sh"), Snap(300, 300, 1, "sh")],
            new[]
            {
                Line(1000 * Us, 100, Tracepoint.SysEnter, Syscall.Kill, a0: 300, a1: 15),
                Line(1068 * Us, 200, Tracepoint.SysEnter, Syscall.Kill, a0: 300, a1: 15),
                Line(1078 * Us, 200, Tracepoint.SignalGenerate, a0: 15, a2: 0, a3: 300, a4: 1, a5: 0),
                Line(1080 * Us, 200, Tracepoint.SysExit, Syscall.Kill, a0: 0),
                Line(1100 * Us, 100, Tracepoint.SignalGenerate, a0: 15, a2: 0, a3: 300, a4: 1, a5: 1),
                Line(1102 * Us, 100, Tracepoint.SysExit, Syscall.Kill, a0: 0),
            });
        var kills = events.OfType<Kill>().ToList();
        Assert.Equal([200, 100], kills.Select(k => k.Tid));
        Assert.Equal(1100 * Us, kills[1].Time);
        var report = NoneDisagree("two-kills", events);
        Assert.Equal(4, report.ByKind["kill"].Agreed); // each kill's answer and its signal
        Assert.Equal(0, report.ByKind["kill"].UnknownState);
    }

    /// <summary>
    /// Two busy captures: a perl set SIGALRM back to its default with its interval timer running
    /// and took one at the default (signal_deliver, handler 0); the tick's next SIGALRM came
    /// 33 us after that in one capture and 36 us in the other, before each perl's exit, and was
    /// dropped in one (res=1) and delivered in the other (res=0). get_signal lets the siglock go
    /// before do_group_exit takes it to set SIGNAL_GROUP_EXIT, and no line marks that moment: the
    /// answer is not known either way. A namespace's init (SIGNAL_UNKILLABLE) discards such a
    /// signal and lives on: the tick's next SIGALRM to it is ignored, and judged so.
    /// </summary>
    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void A_signal_after_one_taken_at_a_default_that_kills_is_not_judged_unless_the_taker_is_an_init(bool init, int result)
    {
        const long Us = 1_000;
        var perl = init ? Snap(500, 500, 100, "perl") with { NsPid = [500, 1], NsPgid = [100, 0], NsSid = [100, 0], PidNs = 4026532999 } : Snap(500, 500, 100, "perl");
        var lines = new List<TraceLine>
        {
            Line(1000 * Us, 500, Tracepoint.SignalDeliver, a0: 14, a2: 128, a3: 0, a4: 0x4000000, comm: "perl"),
            Line(1000 * Us + 36_000, 500, Tracepoint.SignalGenerate, a0: 14, a2: 128, a3: 500, a4: 1, a5: result, comm: "perl") with { InInterrupt = true },
        };
        if (!init)
        {
            lines.Add(Line(1001 * Us, 500, Tracepoint.ProcessExit, a0: 500, a1: 1, comm: "perl"));
            lines.Add(Line(1002 * Us, 500, Tracepoint.SignalGenerate, a0: 17, a2: 2, a3: 100, a4: 1, a5: 1, comm: "perl"));
        }
        var events = Assemble([Snap(1, 1, 0, "init"), Snap(100, 100, 1, "sh"), perl], lines);
        var report = NoneDisagree("fatal", events);
        var signals = report.ByKind["signal"];
        Assert.Equal(init ? 1 : 0, signals.Agreed);
        Assert.Equal(init ? 0 : 1, signals.UnknownState);
    }

    /// <summary>
    /// A test suite's capture: chromium 500's leader was read a zombie, its thread 501 alive; the
    /// thread's sched_process_exit came before tracing_on, its notice for the process after. With
    /// the zombie counted as a live thread, that notice was not taken for the group's exit, and
    /// the parent's wait4 that reaped 500 was predicted 0. A snapshot's SIGKILL pending says its
    /// process was dying: a SIGTERM to a second chromium 600 read so was dropped.
    /// </summary>
    [Fact]
    public void A_zombie_leaders_last_thread_exiting_at_its_notice_ends_the_process_and_a_pending_sigkill_drops_signals()
    {
        const long Us = 1_000;
        const ulong Sigchld = 1UL << 16;
        var events = Assemble(
            [Snap(1, 1, 0, "chromium"), Snap(100, 100, 1, "chromium", sigCgt: Sigchld) with { SigchldFlags = 0 }, Snap(500, 500, 100, "chromium", zombie: true),
             Snap(501, 500, 100, "chromium"), Snap(600, 600, 100, "chromium", sigPnd: 1UL << 8)],
            new[]
            {
                Line(1000 * Us, 100, Tracepoint.SysEnter, Syscall.Kill, a0: 600, a1: 15),
                Line(1001 * Us, 100, Tracepoint.SignalGenerate, a0: 15, a2: 0, a3: 600, a4: 1, a5: 1),
                Line(1002 * Us, 100, Tracepoint.SysExit, Syscall.Kill, a0: 0),
                Line(1010 * Us, 501, Tracepoint.SignalGenerate, a0: 17, a2: 2, a3: 100, a4: 1, a5: 0),
                Line(1020 * Us, 100, Tracepoint.SysEnter, Syscall.Wait4, a0: 500, a2: 1),
                Line(1021 * Us, 100, Tracepoint.SysExit, Syscall.Wait4, a0: 500),
            }.Select(l => l with { Comm = "chromium" }));
        var exit = Assert.Single(events.OfType<Exit>());
        Assert.Equal((501, true), (exit.Tid, exit.Group));
        var report = NoneDisagree("zombie", events);
        // The wait that reaped 500 is predicted (it was predicted 0 before). The parent's SIGCHLD
        // flags are given: with a handler and no flags read, SA_NOCLDWAIT might have reaped 500 at
        // its exit, and the wait would be unknown.
        Assert.Equal(2, report.ByKind["kill"].Agreed);
        Assert.Equal(1, report.ByKind["wait"].Agreed);
        var unread = Replayer.Replay.Validation.Validator.Run("zombie", "nested", events.Select(e => e is TaskSnapshot { Tid: 100 } s ? s with { SigchldFlags = null } : e).ToList());
        Assert.Equal((0, 1), (unread.ByKind["wait"].Agreed, unread.ByKind["wait"].UnknownState));
    }

    /// <summary>
    /// A test suite's capture: dotnet 500, started by the test host 100, read with its leader a
    /// zombie and one thread alive; the thread's sched_process_exit came before tracing_on, its
    /// notice after. The notice goes to the host's thread 101 that forked 500 (real_parent), not
    /// to 100, the process the snapshot names as the parent: it is the group's exit all the same,
    /// and the host's wait4(500, WNOHANG), which reaped it, was predicted 0 without it.
    /// </summary>
    [Fact]
    public void A_notice_to_a_thread_of_the_parents_process_is_the_exit_of_a_task_that_exited_before_tracing_began()
    {
        const long Us = 1_000;
        const ulong Sigchld = 1UL << 16;
        var events = Assemble(
            [Snap(1, 1, 0, "dotnet"), Snap(100, 100, 1, "dotnet", sigCgt: Sigchld), Snap(101, 100, 1, "dotnet", sigCgt: Sigchld),
             Snap(500, 500, 100, "dotnet", zombie: true), Snap(501, 500, 100, "dotnet")],
            new[]
            {
                Line(1010 * Us, 501, Tracepoint.SignalGenerate, a0: 17, a2: 1, a3: 101, a4: 1, a5: 0),
                Line(1020 * Us, 100, Tracepoint.SysEnter, Syscall.Wait4, a0: 500, a2: 1),
                Line(1021 * Us, 100, Tracepoint.SysExit, Syscall.Wait4, a0: 500),
            }.Select(l => l with { Comm = "dotnet" }));
        var exit = Assert.Single(events.OfType<Exit>());
        Assert.Equal((501, true), (exit.Tid, exit.Group));
        NoneDisagree("thread-parent", events);
    }

    /// <summary>
    /// An exit still waiting for its notice when the trace ends leaves saying so: the notice may
    /// have come after the end (a busy capture's torn-down namespace inits, whose notices to their
    /// parents came within two seconds of it). One whose notice came before the end does not.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_exit_whose_notice_the_trace_ended_before_says_so(bool noticed)
    {
        var a = new TracepointAssembler();
        a.Snapshot(new TaskSnapshot { Tid = 100, Comm = "sh", Tgid = 100, PPid = 1, NsPid = [100] });
        a.Snapshot(new TaskSnapshot { Tid = 500, Comm = "sh", Tgid = 500, PPid = 100, NsPid = [500] });
        a.Feed(new TraceLine { Time = 1_000_000, Tid = 500, Comm = "sh", Point = Tracepoint.ProcessExit, A0 = 500, A1 = 1 });
        if (noticed)
            a.Feed(new TraceLine { Time = 1_200_000, Tid = 500, Comm = "sh", Point = Tracepoint.SignalGenerate, A0 = 17, A2 = 1, A3 = 100, A4 = 1 });
        a.Finish();
        var events = new List<PidEvent>();
        while (a.TryTake(out var ev)) events.Add(ev);
        var exit = Assert.Single(events.OfType<Exit>());
        Assert.Equal(!noticed, exit.NoticeAfterEnd);
        Assert.Equal(noticed ? 1 : 0, exit.Signals.Length);
    }

    /// <summary>
    /// A task at tracing_on between its sched_process_exit and its exit_notify has only its
    /// notice in the trace (a busy whole-system capture: four shells' children, then waited for
    /// with ECHILD 72 times while the models kept them alive). b-jobctl's sleep 32751, killed,
    /// made so by taking out its sched_process_exit: its notice to bash 32750 is its exit.
    /// </summary>
    [Fact]
    public void A_notice_of_its_own_death_from_a_task_whose_exit_the_trace_lacks_is_its_exit()
    {
        var edited = CaptureFiles.ReadEdited(Repo.PathOf("traces/captures/b-jobctl.txt"),
            lines => lines.Where(l => !(l.Contains("sleep-32751 ", StringComparison.Ordinal) && l.Contains(": sched_process_exit: ", StringComparison.Ordinal))));
        var exit = Assert.Single(edited.OfType<Exit>(), x => x.Tid == 32751);
        Assert.True(exit.Group);
        Assert.True(exit.AtNotice);
        Assert.Equal([(17, 32750, 2)], exit.Signals.Select(r => (r.Sig, r.To, r.Code)));
        Assert.DoesNotContain(edited.OfType<Signal>(), g => g.Tid == 32751);
        Assert.Equal(0, Replayer.Replay.Validation.Validator.Run("b", "nested", edited).Disagreed);
        // The notice of a task that has not died is not taken for one: the whole capture has its own exit.
        Assert.Single(Read("traces/captures/b-jobctl.txt").OfType<Exit>(), x => x.Tid == 32751);
    }

    [Fact]
    public void An_exit_waits_for_its_own_notice_not_a_reparented_zombies()
    {
        // sh-26567 tells init of its two zombie children it hands on, then its own parent 26565.
        var events = Read("traces/fresh/pgkill.capture");
        var exit = Assert.Single(events.OfType<Exit>(), x => x.Tid == 26567);
        Assert.Equal([(17, 1), (17, 1), (17, 26565)], exit.Signals.Select(r => (r.Sig, r.To)));
    }

    [Fact]
    public void An_exit_whose_parent_is_also_its_orphans_reaper_takes_both_notices()
    {
        // traces/captures/z-orphan-notices.txt: perl, whose parent is init, leaves a zombie child
        // and is killed: init hears of the zombie (code 1), then of perl (code 2), 1 us apart. The
        // first alone looked like perl's own, and the second went out as a signal of its own.
        var events = Read("traces/captures/z-orphan-notices.txt");
        var perl = Assert.Single(events.OfType<Exit>(), x => x.Comm == "perl" && x.Signals.Any(r => r.To == 1 && r.Code == 2));
        Assert.Equal([(17, 1, 1), (17, 1, 2)], perl.Signals.Select(r => (r.Sig, r.To, r.Code)));
        Assert.DoesNotContain(events.OfType<Signal>(), g => g.Tid == perl.Tid);
    }

    [Fact]
    public void Forks_come_in_the_order_their_pids_were_allocated_not_the_order_they_were_entered()
    {
        // Two chromium processes fork at once in the namespace: 30548's clone is entered at
        // .038617 but copies a large address space first and allocates 103 (30628), task_newtask
        // at .054636; 30616's clone3, entered at .039819, allocates 102 (30627), task_newtask at
        // .039857. Placed at their sys_enter, the forks would say 30548 took the lower number.
        // They stand at their task_newtask lines, the end of copy_process.
        var events = Read("traces/fresh/chromium-ns.capture.gz");
        int first = events.FindIndex(e => e is Fork { Child: 30627 });
        int second = events.FindIndex(e => e is Fork { Child: 30628 });
        Assert.True(first >= 0 && second > first, $"fork of 30627 at {first}, of 30628 at {second}");
        Assert.Equal((30616, 102L, 48_285_039_857_000L), (events[first].Tid, events[first].Ret, events[first].Time));
        Assert.Equal((30548, 103L, 48_285_054_636_000L), (events[second].Tid, events[second].Ret, events[second].Time));
    }

    [Fact]
    public void Two_forks_at_once_come_in_the_order_of_the_numbers_they_returned()
    {
        // Three shells fork at once in one namespace: sh 27161's sched_process_fork (child 27190)
        // and sh 27154's (child 27189) carry the same microsecond, 27161's line first, but 27154's
        // call returned 36 and 27161's 37: the namespace's idr gave 36 first.
        var events = Read("traces/fresh/twostorms.capture.gz");
        int first = events.FindIndex(e => e is Fork { Child: 27189 });
        int second = events.FindIndex(e => e is Fork { Child: 27190 });
        Assert.Equal(first + 1, second);
        Assert.Equal((27154, 36L), (events[first].Tid, events[first].Ret));
        Assert.Equal((27161, 37L), (events[second].Tid, events[second].Ret));
    }

    [Fact]
    public void A_child_is_a_zombie_from_its_notice_so_its_exit_comes_after_the_parents_waits_before_that()
    {
        // traces/captures/fork-storm.txt.gz: sh 746 passes sched_process_exit at 1512.830640; its
        // parent 669's wait4(-1, WNOHANG) at .830663 answers 0, 746 being still in exit_notify; its
        // notice (SIGCHLD to 669) follows at .830705. Placed at its sched_process_exit, the exit
        // would have that wait find a zombie to reap.
        var events = Read("traces/captures/fork-storm.txt.gz");
        int exit = events.FindIndex(e => e is Exit { Tid: 746 });
        int wait = events.FindIndex(e => e is Wait { Tid: 669, Ret: 0 } && e.Time == 1_512_830_663_000L);
        Assert.True(wait >= 0 && exit > wait, $"wait at {wait}, exit at {exit}");
        Assert.Equal(1_512_830_705_000L, events[exit].Time);
    }

    [Fact]
    public void A_dying_inits_exit_comes_where_its_teardown_began_after_the_exits_before_it()
    {
        // The last browser thread (16749) passes sched_process_exit at .160642; two zygotes
        // (16742, 16743) exit at .180241 and .180267; its SIGKILLs to the namespace follow from
        // .183904 and find them exiting (res=1). Placed at its sched_process_exit, the exit would
        // have the teardown signal two live processes. It stands at .183702, where 16742's notice
        // came to it (its exit_notify had not run), nothing between that and the teardown.
        var events = Read("traces/fresh/chromium-ns2.capture.gz");
        int teardown = events.FindIndex(e => e is Exit { Tid: 16749 });
        var exit = (Exit)events[teardown];
        Assert.Contains(exit.Signals, r => r.Sig == 9 && r.Code == 128 && r.To == 16742 && r.Result == SignalResult.Ignored);
        Assert.Equal(50_379_183_702_000L, exit.Time);
        Assert.Equal(teardown - 1, events.FindIndex(e => e is Exit { Tid: 16742 }));
        Assert.True(events.FindIndex(e => e is Exit { Tid: 16742 }) < teardown);
        Assert.True(events.FindIndex(e => e is Exit { Tid: 16743 }) < teardown);
    }
    [Fact]
    public void An_exit_stands_at_its_notice_and_says_so_where_nothing_makes_that_unsure()
    {
        // fork-storm.txt.gz: sh 746 passes sched_process_exit at 1512.830640 and tells 669 at
        // .830705, while 669 is between waits.
        var events = Read("traces/captures/fork-storm.txt.gz");
        var told = Assert.Single(events.OfType<Exit>(), x => x.Tid == 746);
        Assert.Equal((1_512_830_705_000L, true), (told.Time, told.AtNotice));
        // sh 883's notice (.868495) came inside 669's wait4(-1, WNOHANG) of .868491 to .868498,
        // which returned the younger 924: the wait may have looked at 883 before the notice. The
        // exit stands at the notice, before the wait, without saying the parent was told: it says
        // only that it stands at its notice, in the notices' order (notice_in_wait).
        var during = Assert.Single(events.OfType<Exit>(), x => x.Tid == 883);
        Assert.Equal((1_512_868_495_000L, false, true), (during.Time, during.AtNotice, during.NoticeInWait));
        Assert.False(told.NoticeInWait);
        Assert.True(events.IndexOf(during) < events.FindIndex(e => e is Wait { Tid: 669, Ret: 924 }));
        Assert.True(events.OfType<Exit>().Count(x => x.AtNotice) > 2900, "most of the storm's exits stand at their notices");
    }

    [Fact]
    public void A_namespace_inits_exit_stays_where_it_began_when_a_child_died_before_its_notice()
    {
        // j-hostkill1.txt: init 8557 passes sched_process_exit at 69142.250091; its child 8577,
        // SIGKILLed by kill(-1) before, exits at .254388; 8557's notice comes at .254579. Its
        // exit_notify killed the namespace (8577 already had SIGKILL pending: no line) and waited
        // for it to empty; at the notice the exit would come after 8577's and the model would
        // send the teardown's SIGKILL to a zombie.
        var events = Read("traces/captures/j-hostkill1.txt");
        var init = Assert.Single(events.OfType<Exit>(), x => x.Tid == 8557);
        Assert.Equal((69_142_250_091_000L, false), (init.Time, init.AtNotice));
        Assert.True(events.IndexOf(init) < events.FindIndex(e => e is Exit { Tid: 8577 }));
    }

    [Fact]
    public void An_exit_signalled_after_it_began_stays_where_it_began()
    {
        // o-sigmask.txt: perl 26053 passes sched_process_exit at 76721.013143 and tells its parent
        // 26052 at .013426; its exit stands at the notice. prepare_signal drops what comes to a
        // group exiting, which only sched_process_exit's place shows: with a SIGTERM from its
        // parent in between (res=1), the exit stays where it began.
        var path = CaptureFiles.Path_("o-sigmask.txt");
        var told = Assert.Single(CaptureFiles.Read(path).Events.OfType<Exit>(), x => x.Tid == 26053);
        Assert.Equal((76_721_013_426_000L, true), (told.Time, told.AtNotice));
        var events = CaptureFiles.ReadEdited(path, lines => lines.SelectMany(l =>
            l.Contains("perl-26053   [000] dN.2. 76721.013426: signal_generate", StringComparison.Ordinal)
                ? new[] { "            perl-26052   [001] d..2. 76721.013300: signal_generate: sig=15 errno=0 code=0 comm=perl pid=26053 grp=1 res=1", l }
                : [l]));
        var exit = Assert.Single(events.OfType<Exit>(), x => x.Tid == 26053);
        Assert.Equal((76_721_013_143_000L, false), (exit.Time, exit.AtNotice));
    }
}
