using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Strace;
using Xunit;

namespace Replayer.Tests.Ingest.Formats.Strace;

/// <summary>The strace reader on real captures recorded on this project's machine (traces/strace, traces/pair).</summary>
public sealed class StraceReaderTests
{
    [Fact]
    public void Every_task_acts_only_after_the_fork_that_created_it()
    {
        foreach (var (name, events) in StraceCaptures.All())
        {
            var known = new HashSet<int>();
            foreach (var ev in events)
            {
                if (ev is TaskSnapshot s) known.Add(s.Tid);
                Assert.True(known.Contains(ev.Tid), $"{name}: {ev.Kind} of {ev.Tid} before any fork created it");
                if (ev is Fork { Child: > 0 } f) Assert.True(known.Add(f.Child), $"{name}: {f.Child} forked twice");
            }
            Assert.Single(events.OfType<TaskSnapshot>());
        }
    }

    [Fact]
    public void Every_successful_wait_follows_the_exit_it_reaps()
    {
        foreach (var (name, events) in StraceCaptures.All())
        {
            // The child's number in its parent's view is the fork's return; reapers in these
            // captures are parents, or the namespace init that shares the orphan's namespace.
            var exited = new HashSet<int>();
            var byNumber = new Dictionary<(int Parent, long Nr), int>();
            int waits = 0;
            foreach (var ev in events)
            {
                switch (ev)
                {
                    case Fork { Child: > 0, Ret: { } nr } f:
                        byNumber[(f.Tid, nr)] = f.Child;
                        break;
                    case Exit x:
                        exited.Add(x.Tid);
                        break;
                    case Wait { Ret: long r } w when r > 0:
                        waits++;
                        var child = byNumber.GetValueOrDefault((w.Tid, r));
                        // An orphan: reaped by the init of its namespace, where its number is the one its dead parent's fork returned.
                        if (child == 0) child = byNumber.Where(kv => kv.Key.Nr == r && exited.Contains(kv.Key.Parent)).Select(kv => kv.Value)
                            .FirstOrDefault(exited.Contains);
                        Assert.True(child != 0 && exited.Contains(child), $"{name}: wait of {w.Tid} returned {w.Ret} before that child exited");
                        break;
                }
            }
            Assert.True(waits > 0, $"{name} has no successful wait");
        }
    }

    [Fact]
    public void A_parent_inside_a_namespace_is_paired_with_the_child_that_appears_next()
    {
        // nested.txt, recorded with -ttt -Y: the ns init 21173 clones "= 2<sh>", whose child 21174 reads getpid() = 2.
        var events = StraceCaptures.Read("traces/strace/nested.txt");
        var forks = events.OfType<Fork>().ToList();
        Assert.Equal(21174, forks.Single(f => f.Tid == 21173 && f.Ret == 2).Child);
        Assert.Equal(21178, forks.Single(f => f.Tid == 21177 && f.Ret == 2).Child);
        Assert.Equal(21177, forks.Single(f => f.Tid == 21176 && f.Ret == 5).Child);
        Assert.Equal(21173, forks.Single(f => f.Tid == 21172).Child);
        Assert.Equal("sh", events.OfType<GetId>().First(g => g.Tid == 21173).Comm);
        Assert.Equal(1795323281_769192_000L, events[0].Time);
    }

    [Fact]
    public void Every_child_reads_with_getpid_the_number_its_parent_s_fork_returned()
    {
        int checkedForks = 0;
        foreach (var (name, events) in StraceCaptures.All())
        {
            foreach (var f in events.OfType<Fork>().Where(f => f.Ret > 0 && !f.IsThread))
            {
                var getpid = events.OfType<GetId>().FirstOrDefault(g => g.Tid == f.Child && g.Call == GetIdCall.GetPid);
                // After setns the child's number is the entered namespace's next one, which no line shows beforehand.
                if (getpid is null || events.OfType<SetNs>().Any(n => n.Tid == f.Tid && n.Ret == 0 && n.Time <= f.Time)) continue;
                bool newNamespace = f.NewPidNs || events.OfType<Unshare>().Any(u => u.Tid == f.Tid && u.Ret == 0 && (u.Flags & CloneFlags.NewPid) != 0 && u.Time <= f.Time);
                Assert.True(newNamespace ? getpid.Ret == 1 : getpid.Ret == f.Ret,
                    $"{name}: {f.Tid}'s {f.Call} returned {f.Ret}, its child {f.Child} reads getpid() = {getpid.Ret}");
                checkedForks++;
            }
        }
        Assert.True(checkedForks > 20, $"only {checkedForks} forks checked");
    }

    [Fact]
    public void Unfinished_and_resumed_halves_make_one_event_at_the_entry()
    {
        // jobctl.txt line 32/37: "setpgid(21164, 21163 <unfinished ...>" ... "<... setpgid resumed>) = 0",
        // with 21163's own setpgid in between on line 38 (after the resume).
        var events = StraceCaptures.Read("traces/strace/jobctl.txt");
        var setpgids = events.OfType<SetPgid>().ToList();
        var split = setpgids.Single(s => s.Tid == 21162 && s.Pid == 21164);
        Assert.Equal(21163, split.Pgid);
        Assert.Equal(0, split.Ret);
        Assert.Equal(TimeOfDay(4, 54, 41, 534356), split.Time);
        Assert.Equal(12, setpgids.Count);
        Assert.All(setpgids, s => Assert.Equal(0, s.Ret));
    }

    [Fact]
    public void Job_control_kill_of_a_group_and_the_deaths_it_causes_come_in_order()
    {
        var events = StraceCaptures.Read("traces/strace/jobctl.txt");
        int kill = events.FindIndex(e => e is Kill { Pid: -21163, Sig: 15, Ret: 0 });
        Assert.True(kill >= 0);
        foreach (int victim in new[] { 21163, 21164 })
        {
            int death = events.FindIndex(e => e is Exit { Code: 15 } x && x.Tid == victim);
            Assert.True(death > kill, $"{victim} died of SIGTERM before the kill");
            Assert.Contains(events[kill..death], e => e is Deliver { Sig: 15 } d && d.Tid == victim);
        }
        // wait4 returns the killed children in the initial namespace's numbers.
        Assert.Contains(events, e => e is Wait { Tid: 21162, Ret: 21163, Options: 0xb });
    }

    [Fact]
    public void Kill_minus_one_from_namespace_init_is_recorded_with_both_answers()
    {
        var events = StraceCaptures.Read("traces/strace/kill1.txt");
        var kills = events.OfType<Kill>().Where(k => k.Pid == -1).ToList();
        Assert.Equal(2, kills.Count);
        Assert.All(kills, k => Assert.Equal((21226, 15, KillCall.Kill), (k.Tid, k.Sig, k.Call)));
        Assert.Equal(0, kills[0].Ret);
        Assert.Equal(-3, kills[1].Ret); // ESRCH: nothing left to signal
        // The sh with `trap "" TERM` and its child got SIGTERM while ignoring it (strace stops them anyway).
        Assert.Contains(events, e => e is Deliver { Tid: 21229, Sig: 15, Handler: Handler.Ignore });
        Assert.Contains(events, e => e is Deliver { Tid: 21232, Sig: 15, Handler: Handler.Ignore });
        Assert.Contains(events, e => e is Exit { Tid: 21227, Code: 15, Group: true });
    }

    [Fact]
    public void Orphan_is_reaped_by_the_namespace_init_in_namespace_numbers()
    {
        var events = StraceCaptures.Read("traces/strace/orphan.txt");
        Assert.Contains(events, e => e is GetId { Tid: 21186, Call: GetIdCall.GetPpid, Ret: 1 });
        Assert.Contains(events, e => e is Fork { Tid: 21185, Child: 21186, Ret: 4 });
        int exit = events.FindIndex(e => e is Exit { Tid: 21186 });
        int reap = events.FindIndex(e => e is Wait { Tid: 21183, Ret: 4 });
        Assert.True(exit >= 0 && reap > exit);
    }

    [Fact]
    public void Daemon_double_fork_records_setsid_and_the_new_session_in_namespace_numbers()
    {
        var events = StraceCaptures.Read("traces/strace/daemon.txt");
        Assert.Contains(events, e => e is SetSid { Tid: 21219, Ret: 3 });
        Assert.Contains(events, e => e is GetId { Tid: 21220, Call: GetIdCall.GetSid, Arg: 0, Ret: 3 });
        Assert.Contains(events, e => e is Fork { Tid: 21219, Child: 21220, Ret: 4 });
    }

    [Fact]
    public void Clone_newpid_and_clone3_without_timestamps_give_the_flags_and_the_children()
    {
        var events = StraceCaptures.Read("traces/strace/clonens.txt");
        var forks = events.OfType<Fork>().ToList();
        Assert.Equal([(ForkCall.Clone, 21239), (ForkCall.Clone3, 21240)], forks.Select(f => (f.Call, f.Child)));
        Assert.All(forks, f => Assert.True(f.NewPidNs && !f.IsThread));
        // CLONE_NEWPID, and SIGCHLD (17) in the low byte: clone's CSIGNAL, clone3's exit_signal.
        Assert.All(forks, f => Assert.Equal(CloneFlags.NewPid | 17, f.Flags));
        Assert.Equal(2, events.OfType<GetId>().Count(g => g.Call == GetIdCall.GetPid && g.Ret == 1));
        Assert.Equal(2, events.OfType<GetId>().Count(g => g.Call == GetIdCall.GetPpid && g.Ret == 0));
        Assert.All(events, e => Assert.Equal(0, e.Time));
    }

    [Fact]
    public void Threads_share_their_group_and_only_the_last_one_out_ends_it()
    {
        // threads.txt (g-threads.py): clone3 threads, tgkill to one, exit_group(3) with it alive.
        var events = StraceCaptures.Read("traces/strace/threads.txt");
        var threads = events.OfType<Fork>().Where(f => f.IsThread).ToList();
        Assert.Equal([23161, 23162, 23164, 23165], threads.Select(f => f.Child));
        Assert.All(threads, f => Assert.Equal((ForkCall.Clone3, 23160), (f.Call, f.Tid)));
        Assert.Contains(events, e => e is Fork { Tid: 23161, Call: ForkCall.VFork, Child: 23163, IsThread: false });
        Assert.Contains(events, e => e is GetId { Tid: 23164, Call: GetIdCall.GetPid, Ret: 23160 });
        Assert.Contains(events, e => e is Kill { Call: KillCall.Tgkill, Pid: 23160, ThreadArg: 23165, Sig: 10, Ret: 0 });
        Assert.Contains(events, e => e is Deliver { Tid: 23165, Sig: 10, Handler: Handler.Catch });
        var exits = events.OfType<Exit>().Where(x => x.Tid is 23160 or 23165).ToList();
        // exit_group takes its place where it was called; strace printed the leader's +++ last.
        Assert.Equal([(23160, 3 << 8, true), (23165, 3 << 8, false)], exits.Select(x => (x.Tid, x.Code!.Value, x.Group)));
    }

    [Fact]
    public void A_dying_namespace_init_exits_before_the_tasks_its_death_kills()
    {
        // initdeath.txt: the init (24889) calls exit_group(0); strace prints its victims'
        // "+++ killed by SIGKILL +++" before the init's own "+++ exited +++". The kernel kills them
        // from the init's exit (zap_pid_ns_processes), so the init's Exit goes first.
        var events = StraceCaptures.Read("traces/strace/initdeath.txt");
        int init = events.FindIndex(e => e is Exit { Tid: 24889, Code: 0, Group: true });
        var killed = events.Select((e, i) => (e, i)).Where(x => x.e is Exit { Code: 9 }).ToList();
        Assert.Equal([24890, 24891, 24892, 24893, 24895, 24896], killed.Select(x => x.e.Tid).Order());
        Assert.All(killed, x => Assert.True(x.i > init, $"{x.e.Tid} killed before the init exited"));
        // Their waits were cut short by the SIGKILL: no answer.
        Assert.Contains(events, e => e is Wait { Tid: 24892, Ret: null });
        Assert.Contains(events, e => e is Wait { Tid: 24893, Ret: null });
    }

    [Fact]
    public void Waitid_is_read_in_wait4_s_convention_with_the_reaped_child_as_its_answer()
    {
        var waits = StraceCaptures.Read("traces/strace/waitid.txt").OfType<Wait>().Where(w => w.Call == WaitCall.Waitid).ToList();
        const int wExited = 4, wNoHang = 1;
        Assert.Equal(
            [(2, wExited, 2L), (0, wExited, 3L), (-1, wExited | wNoHang, 0L), (-1, wExited, 4L)],
            waits.Select(w => (w.Pid, w.Options, w.Ret!.Value)));
    }

    [Fact]
    public void Setns_caller_s_children_are_forked_into_the_entered_namespace_with_host_returns()
    {
        var events = StraceCaptures.Read("traces/strace/nsenter.txt");
        Assert.Contains(events, e => e is SetNs { Tid: 23174, Fd: 3, NsType: CloneFlags.NewPid, Ret: 0 });
        // nsenter itself stays in the initial namespace: its clone returns the global tid.
        Assert.Contains(events, e => e is Fork { Tid: 23174, Child: 23175, Ret: 23175 });
        // The entered shell's vfork returns a namespace number; its child reads it with getpid.
        Assert.Contains(events, e => e is Fork { Tid: 23175, Child: 23176, Ret: 3 });
        Assert.Contains(events, e => e is GetId { Tid: 23176, Call: GetIdCall.GetPid, Ret: 3 });
        Assert.Contains(events, e => e is GetId { Tid: 23175, Call: GetIdCall.GetPpid, Ret: 0 });
        Assert.Contains(events, e => e is Kill { Tid: 23169, Pid: 23172, Sig: 9, Ret: 0 });
        Assert.Contains(events, e => e is Exit { Tid: 23172, Code: 9 });
    }

    [Fact]
    public void Child_subreaper_is_recorded_and_reaps_the_orphan()
    {
        var events = StraceCaptures.Read("traces/strace/subreaper.txt");
        Assert.Contains(events, e => e is Prctl { Tid: 23183, Option: Prctl.SetChildSubreaper, Arg2: 1, Ret: 0 });
        int orphanExit = events.FindIndex(e => e is Exit { Tid: 23185 });
        Assert.True(orphanExit > 0 && events.FindIndex(e => e is Wait { Tid: 23183, Pid: -1, Ret: 23185 }) > orphanExit);
        Assert.Contains(events, e => e is GetId { Tid: 23185, Call: GetIdCall.GetPpid, Ret: 23183 });
    }

    [Fact]
    public void Per_pid_files_merge_into_the_same_story_as_one_file()
    {
        // Two runs of the same workload (c-orphan.sh): the -ff one and the -f one must tell the same story.
        var merged = StraceCaptures.ReadPerPid("traces/strace/ff-orphan");
        var single = StraceCaptures.Read("traces/strace/orphan.txt");
        Assert.Equal(Story(single), Story(merged));
        // The ns init's blocking wait entered at 45.510275 but returned the orphan (4), which exited at 45.714784.
        int exit = merged.FindIndex(e => e is Exit { Tid: 21249 });
        int reap = merged.FindIndex(e => e is Wait { Tid: 21246, Ret: 4 });
        Assert.True(exit >= 0 && reap > exit);
    }

    [Fact]
    public void A_fork_whose_child_never_shows_holds_back_a_bounded_number_of_events()
    {
        // Built by code: a namespace init's clone returns 2, the child never prints a line, and the
        // init goes on calling getpid. The fork goes out without a child once MaxHeldBack events wait behind it.
        int calls = StraceDecoder.MaxHeldBack + 1000;
        var lines = new List<string>
        {
            "100 execve(\"/usr/bin/unshare\", [\"unshare\"], 0x7ffc /* 1 vars */) = 0",
            "100 unshare(CLONE_NEWPID) = 0",
            "100 clone(child_stack=NULL, flags=SIGCHLD) = 101",
            "101 clone(child_stack=NULL, flags=SIGCHLD) = 2",
        };
        lines.AddRange(Enumerable.Repeat("101 getpid() = 1", calls));
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, lines);
            var input = InputFile.Open(path);
            var context = new ReadContext(false);
            var events = new List<PidEvent>();
            long linesReadWhenForkCame = 0;
            using (input.Stream)
            {
                foreach (var e in new StraceReader().Read(input, context))
                {
                    if (e is Fork { Tid: 101 }) linesReadWhenForkCame = context.Lines;
                    events.Add(e);
                }
            }
            // It came out while the file was still being read, not at its end.
            Assert.InRange(linesReadWhenForkCame, StraceDecoder.MaxHeldBack, lines.Count - 100);
            var lost = events.OfType<Fork>().Single(f => f.Tid == 101);
            Assert.Equal((0, 2L), (lost.Child, lost.Ret));
            Assert.Equal(calls, events.Count(e => e is GetId { Tid: 101, Ret: 1 }));
            Assert.True(events.IndexOf(lost) < events.FindIndex(e => e is GetId));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Recognises_strace_output_and_nothing_else()
    {
        var reader = new StraceReader();
        foreach (var f in Directory.GetFiles(StraceCaptures.PathOf("traces/strace"), "*.txt").Append(StraceCaptures.PathOf("traces/pair/strace.txt"))
                     .Concat(Directory.GetFiles(StraceCaptures.PathOf("traces/strace/ff-orphan"))))
            Assert.True(reader.Recognises(InputFile.Open(f).Head), f);
        Assert.False(reader.Recognises(InputFile.Open(StraceCaptures.PathOf("traces/pair/tracefs/trace.txt.gz")).Head));
        Assert.False(reader.Recognises(InputFile.Open(StraceCaptures.PathOf("traces/pair/tracefs/proc-snapshot.txt")).Head));
        Assert.False(reader.Recognises("{\"replayer_trace\":1,\"trace\":\"t\",\"sources\":[]}\n"u8));
        Assert.Contains(CaptureFormats.All, r => r.Format == "strace");
    }

    // What happened to whom, with tids replaced by the order tasks appeared: comparable across runs.
    private static List<string> Story(List<PidEvent> events)
    {
        var order = new Dictionary<int, int>();
        int Id(int tid) => order.TryGetValue(tid, out int n) ? n : order[tid] = order.Count;
        return events
            .Where(e => e is not SigAction and not Deliver)
            .Select(e => e switch
            {
                Fork f => $"{Id(f.Tid)} {f.Call} -> {Id(f.Child)} = {(f.Tid == events[0].Tid ? "host-pid" : f.Ret)}",
                Wait w => $"{Id(w.Tid)} wait {(w.Pid > 1000 ? "host-pid" : w.Pid)} = {(w.Ret > 1000 ? "host-pid" : w.Ret)}",
                GetId g => $"{Id(g.Tid)} {g.Call} = {g.Ret}",
                Exit x => $"{Id(x.Tid)} exit {x.Code}",
                _ => $"{Id(e.Tid)} {e.Kind} = {e.Ret}",
            })
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static long TimeOfDay(int h, int m, int s, int micro) => ((h * 3600L + m * 60 + s) * 1_000_000 + micro) * 1000;
}
