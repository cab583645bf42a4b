using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>One test per rule of MODELS.md, "Flat virtual pids (OpenVZ)".</summary>
public sealed class VpidRuleTests
{
    private const int Shell = 100, Vzctl = 400, Init = 500, A = 501, B = 502;

    /// <summary>Host init 1, a login shell, vzctl, and VPS "101": init 500 (virtual 1), 501 and 502 forked by it.</summary>
    private static VpidHost Vps101(VpidOptions? options = null)
    {
        var host = new VpidHost(options).Boot(Shell);
        host.Task(Vzctl, Shell, Vzctl, Shell, "vzctl");
        host.StartVps(Vzctl, Init, "101");
        host.Fork(Init, A);
        host.Fork(Init, B);
        return host;
    }

    [Fact]
    public void Global_allocation_skips_every_number_with_bit_10_set()
    {
        var host = new VpidHost().Boot(Shell);
        var fork = host.Fork(Shell, 1030); // a number a modern kernel gives, with bit 10 set
        int global = host.Model.GlobalPidOf(1030);
        Assert.Equal(0, global & VpidModel.VpidDiv);
        Assert.Equal(global, fork.Ret);
        Assert.Equal(1030, fork.RetTarget);
        Assert.Contains("bit 10", fork.Note);
        host.Fork(Shell, 1000);
        Assert.Equal(1000, host.Model.GlobalPidOf(1000)); // a number this design could give is kept
    }

    [Fact]
    public void Halved_pid_space_fails_allocation_at_pid_max_32768()
    {
        var host = new VpidHost().Boot(Shell);
        // Numbers this design can give: 300..32767 with bit 10 clear, less the shell's.
        int available = 0;
        for (int n = 300; n < 32768; n++)
            if ((n & 1024) == 0 && n != Shell) available++;
        Assert.Equal(16084, available);
        int forks = 0, firstFailure = 0;
        for (int tid = 40000; firstFailure == 0; tid++)
        {
            var o = host.Fork(Shell, tid);
            forks++;
            if (o.AllocationFailure != 0)
            {
                Assert.Equal(11, o.AllocationFailure); // EAGAIN
                firstFailure = forks;
            }
        }
        Assert.Equal(available + 1, firstFailure);
    }

    [Fact]
    public void Linear_vps_child_gets_global_plus_1024_and_the_init_gets_1()
    {
        var host = Vps101();
        Assert.Equal(1, host.Get(Init, GetIdCall.GetPid).Ret);
        Assert.Equal(A + 1024, host.Get(A, GetIdCall.GetPid).Ret);
        Assert.Equal(B + 1024, host.Model.NumberOf(A, B, IdKind.Pid));
        Assert.False(host.Model.Containers[0].Sparse);
    }

    [Fact]
    public void Inside_a_vps_1_names_the_init_bit_10_numbers_map_back_and_other_numbers_are_global()
    {
        var host = Vps101();
        var m = host.Model;
        Assert.Equal(Init, m.Resolve(A, 1, IdKind.Pid));
        Assert.Equal(B, m.Resolve(A, B + 1024, IdKind.Pid));
        Assert.Equal(Shell, m.Resolve(A, Shell, IdKind.Pid)); // "inter-container communication is made using global pids"
        var kill = host.Kill(A, B + 1024);
        Assert.Equal(0, kill.Ret);
        Assert.Equal(B, kill.RetTarget);
        Assert.Equal(1, kill.TranslationsIn);
        Assert.Equal(1, kill.Probes); // linear: one subtraction
    }

    [Fact]
    public void From_the_host_a_number_with_bit_10_set_names_nothing()
    {
        var host = Vps101();
        Assert.Equal(-3, host.Kill(Shell, A + 1024).Ret); // ESRCH
        Assert.Equal(0, host.Model.Resolve(Shell, A + 1024, IdKind.Pid));
        Assert.Equal(A, host.Model.Resolve(Shell, A, IdKind.Pid));
    }

    [Fact]
    public void Host_caller_sees_global_numbers_in_proc_but_virtual_ones_from_getpgid_getsid_and_getppid()
    {
        var host = Vps101();
        Assert.Equal(A, host.Model.NumberOf(Shell, A, IdKind.Pid));
        Assert.Equal(Init, host.Model.NumberOf(Shell, A, IdKind.Pgid));
        Assert.Equal(1, host.Get(Shell, GetIdCall.GetPgid, A).Ret); // virt_pgid, unconditionally
        Assert.Equal(Init, host.Outcome.RetTarget);
        Assert.Equal(1, host.Get(Shell, GetIdCall.GetSid, A).Ret);
    }

    [Fact]
    public void Fork_inside_a_vps_returns_the_global_pid_as_posted_while_the_child_and_wait_see_the_virtual_one()
    {
        var host = Vps101();
        var fork = host.Fork(A, 503);
        Assert.Equal(503, fork.Ret);
        Assert.Equal(503 + 1024, host.Get(503, GetIdCall.GetPid).Ret);
        host.Exit(503);
        var wait = host.Wait(A);
        Assert.Equal(503 + 1024, wait.Ret);
        Assert.Equal(503, wait.RetTarget);
    }

    [Fact]
    public void Fork_returns_virtual_option_gives_the_parent_the_virtual_pid()
    {
        var host = Vps101(new VpidOptions { ForkReturnsVirtual = true });
        var fork = host.Fork(A, 503);
        Assert.Equal(503 + 1024, fork.Ret);
        Assert.Equal(503, fork.RetTarget);
        Assert.Equal(600, host.Fork(Shell, 600).Ret); // a host parent still gets the global pid
    }

    [Fact]
    public void Child_inherits_the_parents_virtual_pgid_and_sid()
    {
        var host = Vps101();
        host.SetSid(A);
        host.Fork(A, 503);
        Assert.Equal(A + 1024, host.Get(503, GetIdCall.GetPgid).Ret);
        Assert.Equal(A + 1024, host.Get(503, GetIdCall.GetSid).Ret);
        Assert.Equal(A, host.Model.NumberOf(Shell, 503, IdKind.Sid));
    }

    [Fact]
    public void Vps_init_getppid_shows_the_host_parents_global_pid()
    {
        var host = Vps101();
        Assert.Equal(Vzctl, host.Get(Init, GetIdCall.GetPpid).Ret); // nested namespaces say 0
        Assert.Equal(1, host.Get(A, GetIdCall.GetPpid).Ret);
    }

    [Fact]
    public void Setsid_inside_a_vps_returns_the_callers_virtual_pid()
    {
        var host = Vps101();
        var setsid = host.SetSid(B);
        Assert.Equal(B + 1024, setsid.Ret);
        Assert.Equal(B, setsid.RetTarget);
        Assert.Equal(-1, host.SetSid(B).Ret); // already a session leader: EPERM
        Assert.Equal(B, host.Model.NumberOf(Shell, B, IdKind.Pgid));
    }

    [Fact]
    public void Kill_minus_one_from_the_host_spares_every_vps_init()
    {
        var host = Vps101();
        host.StartVps(Vzctl, 700, "102");
        var kill = host.Kill(Shell, -1);
        var to = kill.Signals.Select(s => s.To).ToHashSet();
        Assert.Equal(0, kill.Ret);
        Assert.DoesNotContain(Init, to);
        Assert.DoesNotContain(700, to);
        Assert.DoesNotContain(1, to);
        Assert.DoesNotContain(Shell, to);
        Assert.Contains(A, to);
        Assert.Contains(Vzctl, to);
    }

    [Fact]
    public void Kill_minus_one_from_a_vps_reaches_the_whole_host_with_vpids_only()
    {
        var host = Vps101();
        host.StartVps(Vzctl, 700, "102");
        host.Fork(700, 701);
        var to = host.Kill(A, -1).Signals.Select(s => s.To).ToHashSet();
        Assert.Contains(701, to);
        Assert.Contains(Shell, to);
        Assert.Contains(B, to);
        Assert.DoesNotContain(A, to);
    }

    [Fact]
    public void Kill_minus_one_from_a_vps_reaches_only_its_own_vps_under_openvz_policy()
    {
        var host = Vps101(new VpidOptions { Policy = KillPolicy.OpenVz });
        host.StartVps(Vzctl, 700, "102");
        host.Fork(700, 701);
        var kill = host.Kill(A, -1);
        Assert.Equal([B], kill.Signals.Select(s => s.To).ToArray());
        Assert.Equal(-3, host.Kill(A, 701).Ret); // ESRCH: another VPS is out of reach
        Assert.Equal(0, host.Kill(Shell, 701).Ret); // the host still reaches everything
    }

    [Fact]
    public void Wait_matches_a_virtual_argument_with_virtual_numbers_and_a_global_one_with_global_pids()
    {
        var host = Vps101();
        host.Exit(A);
        var byGlobal = host.Wait(Init, A); // bit 10 clear: compared with global pids, reported virtual
        Assert.Equal(A + 1024, byGlobal.Ret);
        Assert.Equal(A, byGlobal.RetTarget);
        host.Exit(B);
        Assert.Equal(-10, host.Wait(Init, 999).Ret); // ECHILD
        var byVirtual = host.Wait(Init, B + 1024);
        Assert.Equal(B + 1024, byVirtual.Ret);
        Assert.Equal(B, byVirtual.RetTarget);
    }

    [Fact]
    public void Orphans_in_a_vps_go_to_the_vps_init()
    {
        var host = Vps101();
        host.Fork(A, 503);
        var exit = host.Exit(A);
        Assert.Equal([new Reparent(503, Init)], exit.Reparented.ToArray());
        Assert.Equal(1, host.Get(503, GetIdCall.GetPpid).Ret);
    }

    [Fact]
    public void Orphans_go_to_the_host_init_with_the_host_init_reaper_option()
    {
        var host = Vps101(new VpidOptions { Reaper = OrphanReaper.HostInit });
        host.Fork(A, 503);
        var exit = host.Exit(A);
        Assert.Equal([new Reparent(503, 1)], exit.Reparented.ToArray());
        Assert.Equal(1, host.Get(503, GetIdCall.GetPpid).Ret); // virt_tgid(host init) is 1 as well
        Assert.Equal(Init, host.Model.Resolve(503, 1, IdKind.Pid)); // inside, 1 still names the VPS init
    }

    [Fact]
    public void As_posted_a_vps_outlives_its_init_until_its_last_task_is_released()
    {
        var host = Vps101();
        var exit = host.Exit(Init);
        Assert.Empty(exit.Killed);
        var vps = host.Model.Containers[0];
        Assert.False(vps.Stopped);
        host.Exit(A);
        host.Exit(B); // both orphans went to the host init
        host.Wait(1);
        host.Wait(1);
        Assert.False(vps.Stopped); // the init is a zombie of vzctl's, still counted
        host.Wait(Vzctl);
        Assert.True(vps.Stopped);
        Assert.Equal(0, vps.Tasks);
    }

    [Fact]
    public void Init_exit_kills_every_task_of_the_vps_in_ascending_pid_order_under_openvz_stop_policy()
    {
        var host = Vps101(new VpidOptions { Stop = StopPolicy.InitExit });
        host.Fork(B, 503);
        var exit = host.Exit(Init);
        Assert.Equal([A, B, 503], exit.Killed.ToArray());
        Assert.All(exit.Signals.Where(s => s.Sig == 9), s => Assert.Equal(128, s.Code));
        Assert.True(host.Model.Containers[0].Stopped);
    }

    [Fact]
    public void Tasks_entering_from_the_host_keep_their_group_and_session_shown_as_global_numbers()
    {
        var host = Vps101();
        host.Fork(Shell, 600);
        host.Container(Shell, ContainerAction.Enter, "101", 600);
        Assert.Equal(600, host.Get(600, GetIdCall.GetPid).Ret); // its virtual pid is its global one
        Assert.Equal(Shell, host.Get(600, GetIdCall.GetPgid).Ret);
        host.Fork(600, 601);
        Assert.Equal(601 + 1024, host.Get(601, GetIdCall.GetPid).Ret);
        Assert.Equal(Shell, host.Get(601, GetIdCall.GetSid).Ret);
    }

    [Fact]
    public void Tgkill_from_the_host_with_the_global_tgid_of_a_vps_thread_fails_as_posted()
    {
        var host = Vps101();
        host.Thread(A, 510);
        Assert.Equal(-3, host.TgKill(Shell, A, 510).Ret); // virt_tgid(p) == tgid compares 1525 with 501
        Assert.Equal(0, host.TgKill(Shell, A + 1024, 510).Ret);
        Assert.Equal(0, host.TgKill(A, A + 1024, 510 + 1024).Ret);
    }

    [Fact]
    public void A_pid_namespace_inside_a_vps_is_unsupported_and_the_replay_goes_on()
    {
        var host = Vps101();
        var nested = host.Fork(A, 520, CloneFlags.NewPid);
        Assert.Equal(Verdict.Unsupported, nested.Verdict);
        Assert.Equal(1, host.Model.ContainerOf(520));
        Assert.Equal(520 + 1024, host.Get(520, GetIdCall.GetPid).Ret); // a member of the outer VPS, not an init
        host.Apply(new Unshare { Tid = B, Flags = CloneFlags.NewPid });
        Assert.Equal(Verdict.Unsupported, host.Outcome.Verdict);
        Assert.Equal(Verdict.Predicted, host.Get(B, GetIdCall.GetPid).Verdict);
    }

    [Fact]
    public void A_top_level_pid_namespace_of_a_real_trace_is_a_vps_and_setns_into_it_is_vzctl_exec()
    {
        var host = new VpidHost().Boot(Shell);
        host.Task(3000, Shell, 3000, Shell, "unshare");
        host.Apply(new TaskSnapshot
        {
            Tid = 3001, Tgid = 3001, PPid = 3000, Pgid = 3000, Sid = Shell, NsPid = [3001, 1],
            NsPgid = [3000, 0], NsSid = [Shell, 0], PidNs = 4026532178,
        });
        Assert.Equal(1, host.Model.ContainerOf(3001));
        Assert.Equal(1, host.Get(3001, GetIdCall.GetPid).Ret);
        Assert.Equal(3000, host.Get(3001, GetIdCall.GetPgid).Ret); // nested namespaces read 0 here
        host.Task(2100, Shell, 2100, Shell, "nsenter");
        host.Apply(new SetNs { Tid = 2100, NsType = CloneFlags.NewPid, TargetNs = 4026532178 });
        host.Fork(2100, 2101);
        Assert.Equal(1, host.Model.ContainerOf(2101));
        Assert.Equal(2101 + 1024, host.Get(2101, GetIdCall.GetPid).Ret);
        Assert.Equal(Shell, host.Get(2101, GetIdCall.GetSid).Ret);
        host.Apply(new Unshare { Tid = Shell, Flags = CloneFlags.NewPid });
        host.Fork(Shell, 2200);
        host.Fork(Shell, 2201);
        Assert.Equal(2, host.Model.ContainerOf(2200));
        Assert.Equal(1, host.Get(2200, GetIdCall.GetPid).Ret);
        Assert.Equal(2201 + 1024, host.Get(2201, GetIdCall.GetPid).Ret);
    }

    [Fact]
    public void Container_stop_kills_every_task_of_the_vps_and_they_are_gone()
    {
        var host = Vps101();
        host.Thread(A, 510);
        var stop = host.Container(Vzctl, ContainerAction.Stop, "101");
        Assert.Equal(0, stop.Ret);
        Assert.Equal([Init, A, B], stop.Killed.ToArray());
        Assert.True(host.Model.Containers[0].Stopped);
        Assert.Equal(0, host.Model.Containers[0].Tasks);
        Assert.Equal(-1, host.Model.NumberOf(Shell, 510, IdKind.Pid));
        Assert.Equal(-3, host.Kill(Shell, A).Ret);
    }

    [Fact]
    public void A_thread_inside_a_vps_shares_the_virtual_tgid_and_getpid_of_its_process()
    {
        var host = Vps101();
        var clone = host.Thread(A, 510);
        Assert.Equal(510, clone.Ret);
        Assert.Equal(A + 1024, host.Get(510, GetIdCall.GetPid).Ret);
        Assert.Equal(510 + 1024, host.Get(510, GetIdCall.GetTid).Ret);
        Assert.Equal(A, host.Model.Resolve(Init, 510 + 1024, IdKind.Tgid));
        host.Exit(A); // exit_group takes the thread too
        Assert.Equal(-1, host.Model.NumberOf(Shell, 510, IdKind.Pid));
        Assert.Equal(A + 1024, host.Wait(Init).Ret);
    }

    /// <summary>
    /// MODELS.md: a sparse lookup probes 1 + mappings / buckets entries. A miss walks a whole
    /// chain, so it shows that cost; a hit on a mapping made after the switch is near the head
    /// (hlist_add_head), so it stays cheap with any bucket count.
    /// </summary>
    [Fact]
    public void Sparse_lookups_cost_1_plus_mappings_over_buckets_and_recent_mappings_sit_near_the_head()
    {
        var (missSmall, hitSmall, mappings) = SparseProbes(16);
        var (missLarge, hitLarge, _) = SparseProbes(4096);
        double expected = 1 + mappings / 16.0;
        Assert.True(Math.Abs(missSmall - expected) < expected / 3, $"16 buckets: misses {missSmall:F1} probes, expected about {expected:F1}");
        Assert.True(missLarge < 1.5, $"4096 buckets: misses {missLarge:F2} probes");
        Assert.True(hitSmall < 4 && hitLarge < 2.5, $"hits: {hitSmall:F1} and {hitLarge:F1} probes");
    }

    /// <summary>Mean probes of kill(vnr, 0) inside a VPS restored sparse onto a host of 400 tasks: misses, hits, and the mappings in the hash.</summary>
    private static (double Miss, double Hit, int Mappings) SparseProbes(int buckets)
    {
        var migrations = new VpsMigrations();
        var options = new VpidOptions { Buckets = buckets };
        var a = new VpidHost(options, migrations, "a").Boot(Shell);
        a.Task(Vzctl, Shell, Vzctl, Shell, "vzctl");
        a.StartVps(Vzctl, 300, "101");
        var members = Enumerable.Range(310, 40).ToArray();
        a.ForkMany(300, members);
        a.Container(Vzctl, ContainerAction.Checkpoint, "101");
        var b = new VpidHost(options, migrations, "b").Boot(Shell);
        b.Task(Vzctl, Shell, Vzctl, Shell, "vzctl");
        b.ForkMany(Shell, Enumerable.Range(2048, 400));
        Assert.Equal(0, b.Container(Vzctl, ContainerAction.Restore, "101").Ret);
        var vps = b.Model.FindVps("101")!;
        Assert.True(vps.Sparse);
        int viewer = vps.InitTid, hits = 0, misses = 0;
        foreach (int m in members)
            hits += b.Kill(viewer, m + 1024, 0).Probes;
        foreach (int vnr in Enumerable.Range(7168, 40)) // bit 10 set, mapped to nothing
        {
            var miss = b.Kill(viewer, vnr, 0);
            Assert.Equal(-3, miss.Ret);
            misses += miss.Probes;
        }
        return (misses / 40.0, hits / 40.0, b.Model.HashMappings);
    }

    [Fact]
    public void Setpgid_into_a_group_whose_leader_is_gone_takes_the_first_members_virtual_pid_as_posted()
    {
        const int C1 = 503, C2 = 504, C3 = 505;
        var host = Vps101();
        host.SetSid(A);
        host.Fork(A, C1);
        host.Fork(A, C2);
        Assert.Equal(0, host.SetPgid(C1, 0, 0).Ret);
        Assert.Equal(0, host.SetPgid(C2, 0, C1 + 1024).Ret);
        Assert.Equal(C1 + 1024, host.Get(C2, GetIdCall.GetPgid).Ret);
        host.Exit(C1);
        host.Wait(A);
        host.Fork(A, C3);
        Assert.Equal(0, host.SetPgid(C3, 0, C1 + 1024).Ret);
        // sys_setpgid: `_pgid = virt_pid(p)` for the first member found, here C2, not the group's number.
        Assert.Equal(C2 + 1024, host.Get(C3, GetIdCall.GetPgid).Ret);
        Assert.Equal(C1, host.Model.NumberOf(Shell, C3, IdKind.Pgid)); // the global group is right
        var kill = host.Kill(A, -(C1 + 1024));
        Assert.Equal([C2, C3], kill.Signals.Select(x => x.To).ToArray());
    }

    [Fact]
    public void Kill_zero_from_a_task_that_entered_from_the_host_reaches_its_host_group()
    {
        var host = Vps101();
        host.Task(600, Shell, 600, Shell, "vzctl");
        host.Fork(600, 601);
        host.Container(600, ContainerAction.Enter, "101", 601);
        var kill = host.Kill(601, 0);
        Assert.Equal([600, 601], kill.Signals.Select(x => x.To).ToArray());
        Assert.Equal(600, kill.RetTarget);
    }

    [Fact]
    public void A_parent_ignoring_sigchld_gets_no_signal_and_its_child_is_reaped_at_once()
    {
        var host = Vps101();
        Assert.Equal(SignalResult.Ignored, host.Exit(B).Signals.Single(x => x.To == Init).Result); // SIG_DFL: res=1
        host.Apply(new SigAction { Tid = Init, Sig = 17, Handler = Handler.Ignore });
        var exit = host.Exit(A);
        Assert.Empty(exit.Signals);
        Assert.Equal(-1, host.Model.NumberOf(Shell, A, IdKind.Pid));
        Assert.Equal(B + 1024, host.Wait(Init).Ret);
        Assert.Equal(-10, host.Wait(Init).Ret);
    }

    [Fact]
    public void Snapshot_and_restore_carry_the_whole_state()
    {
        var host = Vps101();
        host.SetSid(A);
        host.Fork(A, 503);
        host.Exit(B);
        var copy = new VpidHost();
        copy.Model.Restore(host.Model.Snapshot());
        Assert.Equal(host.Model.Snapshot(), copy.Model.Snapshot());
        foreach (var h in new[] { host, copy })
        {
            Assert.Equal(B + 1024, h.Wait(Init).Ret);
            Assert.Equal(A + 1024, h.Get(503, GetIdCall.GetPgid).Ret);
            Assert.Equal([new Reparent(503, Init)], h.Exit(A).Reparented.ToArray());
        }
        Assert.Equal(host.Model.Snapshot(), copy.Model.Snapshot());
    }
}
