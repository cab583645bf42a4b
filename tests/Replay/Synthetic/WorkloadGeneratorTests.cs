using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Synthetic;

namespace Replayer.Tests.Replay.Synthetic;

/// <summary>The generator's promises: deterministic, streamed in time order, and each workload records what it says it does.</summary>
public sealed class WorkloadGeneratorTests
{
    private static WorkloadSpec Small(string name, long events = 30_000, int seed = 5) =>
        WorkloadSpec.Named(name) with { Events = events, Containers = 3, TasksPerContainer = 24, Seed = seed };

    private static List<PidEvent> Trace(WorkloadSpec spec) => NestedKernel.Trace(spec).ToList();

    private static byte[] Native(WorkloadSpec spec)
    {
        var bytes = new MemoryStream();
        using (var w = new NativeWriter(bytes))
            foreach (var ev in NestedKernel.Trace(spec)) w.Write(ev);
        return bytes.ToArray();
    }

    [Fact]
    public void The_same_seed_gives_a_byte_identical_native_file_and_another_seed_a_different_one()
    {
        var spec = Small("mixed", 20_000) with { Hosts = 2 };
        var first = Native(spec);
        Assert.Equal(first, Native(spec));
        Assert.NotEqual(first, Native(spec with { Seed = spec.Seed + 1 }));
    }

    [Fact]
    public void Events_of_all_hosts_come_in_time_order_with_each_hosts_seq_counting_from_0()
    {
        var events = Trace(Small("migration", 20_000));
        var next = new Dictionary<string, long>();
        long time = 0;
        foreach (var ev in events)
        {
            Assert.True(ev.Time > time, $"time {ev.Time} after {time}");
            time = ev.Time;
            Assert.Equal(next.GetValueOrDefault(ev.Host), ev.Seq);
            next[ev.Host] = ev.Seq + 1;
        }
        Assert.Equal(20_000, events.Count);
        Assert.Equal(["host-000", "host-001", "host-002"], next.Keys.Order());
    }

    [Fact]
    public void Containers_are_created_with_vzctl_style_ids_and_their_init_as_task()
    {
        var events = Trace(Small("boot", 5_000));
        var creates = events.OfType<Container>().Where(c => c.Action == ContainerAction.Create).ToList();
        Assert.True(creates.Count >= 3);
        Assert.All(creates, c => Assert.Matches("^ct-[0-9]{4}$", c.Id));
        // The task named is the child of a clone(CLONE_NEWPID) just before: the namespace's init.
        var newPid = events.OfType<Fork>().Where(f => f.NewPidNs).Select(f => f.Child).ToHashSet();
        Assert.All(creates, c => Assert.Contains(c.Task, newPid));
    }

    [Fact]
    public void A_build_storm_forks_thousands_of_short_lived_compilers()
    {
        var events = Trace(Small("build-storm", 60_000));
        var forks = events.OfType<Fork>().Count(f => f.Comm is "make" or "cc");
        Assert.True(forks >= 2_000, $"{forks} forks by make and cc");
        Assert.Contains(events, e => e is Exec { Filename: "/usr/bin/cc" });
        Assert.Contains(events, e => e is Exec { Filename: "/usr/libexec/gcc/cc1" });
    }

    [Fact]
    public void Shells_put_each_job_in_a_group_of_its_own_and_interrupt_some()
    {
        var events = Trace(Small("shells"));
        Assert.Contains(events, e => e is SetPgid { Comm: "bash", Ret: 0 });
        Assert.Contains(events, e => e is Kill { Comm: "bash", Sig: 2 } k && k.Pid < -1 && k.Signals.Length > 0);
        // Logouts hang up the job: SIGHUP to a group.
        Assert.Contains(events, e => e is Kill { Sig: 1 } k && k.Pid < -1);
    }

    [Fact]
    public void Kills_reach_groups_from_inside_and_from_the_host_and_kill_minus_one_is_there()
    {
        var events = Trace(Small("kills", 40_000));
        var kills = events.OfType<Kill>().ToList();
        Assert.Contains(kills, k => k.Pid == -1 && k.Comm == "bash" && k.Ret == 0 && k.Signals.Length > 1);
        Assert.Contains(kills, k => k.Pid < -1 && k.Comm == "bash");
        Assert.Contains(kills, k => k.Pid < -1 && k.Comm == "vzctl");
        // kill -1 from inside spares the container's init: no signal to a task that is init of its namespace.
        var inits = events.OfType<Container>().Where(c => c.Action == ContainerAction.Create).Select(c => c.Task).ToHashSet();
        Assert.All(kills.Where(k => k.Pid == -1), k => Assert.DoesNotContain(k.Signals, s => inits.Contains(s.To)));
    }

    [Fact]
    public void Threaded_services_make_and_end_threads_and_signal_one_with_tgkill()
    {
        var events = Trace(Small("services"));
        Assert.Contains(events, e => e is Fork { IsThread: true, Ret: > 0 });
        Assert.Contains(events, e => e is Exit { Group: false });
        Assert.Contains(events, e => e is Kill { Call: KillCall.Tgkill, Ret: 0 });
        Assert.Contains(events, e => e is Deliver { Sig: 10 });
    }

    [Fact]
    public void Entries_from_the_host_setns_into_the_container_and_vzctl_ones_are_recorded_as_enter()
    {
        var events = Trace(Small("exec", 10_000));
        var inodes = events.OfType<SetNs>().Select(s => s.TargetNs).ToHashSet();
        Assert.NotEmpty(inodes);
        Assert.Contains(events, e => e is SetNs { Comm: "nsenter" });
        var enters = events.OfType<Container>().Where(c => c.Action == ContainerAction.Enter).ToList();
        Assert.NotEmpty(enters);
        // The entered task is the child the setns caller forked next.
        var forked = events.OfType<Fork>().ToDictionary(f => f.Child, f => f.Tid);
        Assert.All(enters, c => Assert.Equal(c.Tid, forked[c.Task]));
    }

    [Fact]
    public void Orphans_are_reaped_by_a_subreaper_or_the_init_not_by_the_parent_that_forked_them()
    {
        var events = Trace(Small("orphans"));
        var forkedBy = new Dictionary<int, int>();
        int adopted = 0;
        foreach (var ev in events)
        {
            if (ev is Fork { Child: > 0 } f) forkedBy[f.Child] = f.Tid;
            if (ev is Exit { Comm: "sleep" } x && x.Signals.FirstOrDefault(s => s.Sig == 17) is { To: > 0 } chld && chld.To != forkedBy[x.Tid]) adopted++;
        }
        Assert.True(adopted > 20, $"{adopted} orphans told someone else than their parent");
        Assert.Contains(events, e => e is Prctl { Option: Prctl.SetChildSubreaper, Arg2: 1 });
    }

    [Fact]
    public void An_init_exit_kills_the_rest_of_its_namespace_and_the_container_is_stopped()
    {
        var events = Trace(Small("init-exits"));
        Assert.Contains(events, e => e is Exit x && x.Signals.Any(s => s.Sig == 9 && s.Code == 128));
        Assert.Contains(events, e => e is Container { Action: ContainerAction.Stop });
    }

    [Fact]
    public void Nested_containers_are_cloned_with_a_new_pid_namespace_from_inside_a_container()
    {
        var events = Trace(Small("nested"));
        Assert.Contains(events, e => e is Fork { NewPidNs: true, Comm: "lxc-start", Ret: > 0 });
        // How many namespaces deep each task lives: a child of clone(CLONE_NEWPID) one more than its parent.
        var depth = new Dictionary<int, int>();
        int deepest = 0;
        foreach (var f in events.OfType<Fork>().Where(f => f.Child > 0))
        {
            int d = depth.GetValueOrDefault(f.Tid) + (f.NewPidNs ? 1 : 0);
            depth[f.Child] = d;
            deepest = Math.Max(deepest, d);
        }
        Assert.True(deepest >= 3, $"at most {deepest} levels deep");
    }

    [Fact]
    public void A_migration_checkpoints_on_one_host_then_restores_on_another_and_the_tasks_keep_their_numbers()
    {
        var events = Trace(Small("migration", 40_000));
        var models = new Dictionary<string, NestedPidModel>();
        var o = new Outcome();
        // Tasks forked and not yet exited, per host, as the trace says.
        var live = new Dictionary<string, HashSet<int>>();
        var initOf = new Dictionary<string, int>();
        var dumped = new Dictionary<string, (string Host, long Time, HashSet<int> Numbers)>();
        var restored = new List<(string Host, HashSet<int> Before, HashSet<int> SetTids)>();
        int migrations = 0;
        foreach (var ev in events)
        {
            if (!models.TryGetValue(ev.Host, out var m)) models[ev.Host] = m = new NestedPidModel(new NestedOptions { PidMax = WorkloadSpec.DefaultPidMax });
            if (ev is Container { Action: ContainerAction.Checkpoint } cpt)
            {
                // The numbers the container's tasks have in it, as its init sees them.
                int init = initOf[cpt.Id];
                var numbers = live[ev.Host].Where(t => m.ContainerOf(t) == m.ContainerOf(init))
                    .Select(t => m.NumberOf(init, t, IdKind.Pid)).Where(n => n > 1).ToHashSet();
                dumped[cpt.Id] = (ev.Host, ev.Time, numbers);
                Assert.NotEqual(ev.Host, cpt.Peer);
            }
            m.Apply(ev, o);
            if (ev is Fork { Child: > 0 } f)
            {
                if (!live.TryGetValue(ev.Host, out var tasks)) live[ev.Host] = tasks = [];
                tasks.Add(f.Child);
                if (f.SetTid is [var nr] && restored.LastOrDefault(r => r.Host == ev.Host) is { SetTids: { } tids })
                {
                    tids.Add(nr);
                    Assert.True(f.Ret == nr || f.IsThread, $"clone3 set_tid [{nr}] returned {f.Ret}");
                }
            }
            if (ev is Exit) live[ev.Host].Remove(ev.Tid);
            if (ev is Container { Action: ContainerAction.Create or ContainerAction.Restore } c) initOf[c.Id] = c.Task;
            if (ev is Container { Action: ContainerAction.Restore } rst)
            {
                var source = dumped[rst.Id];
                Assert.Equal(source.Host, rst.Peer);
                Assert.NotEqual(source.Host, rst.Host);
                Assert.True(rst.Time > source.Time, "restore before its checkpoint");
                restored.Add((rst.Host, source.Numbers, []));
                migrations++;
            }
        }
        Assert.True(migrations >= 3, $"{migrations} migrations");
        Assert.True(restored.Sum(r => r.Before.Count) > 30, "the migrated containers had tasks");
        // Every number a task had before is asked for again with set_tid (helpers add the numbers of groups whose leader had gone).
        foreach (var (_, before, tids) in restored) Assert.Subset(tids, before);
    }
}
