using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>Checkpoint on one host, restore on another (MODELS.md, "Migration"; seed 001, alloc_vpid and switch_to_sparse_mapping).</summary>
public sealed class VpidMigrationTests
{
    private const int Shell = 100, Vzctl = 200;

    /// <summary>A host with init, a shell and vzctl; tasks it is given are forked by the shell.</summary>
    private static VpidHost Host(string name, VpsMigrations migrations, VpidOptions? options = null)
    {
        var host = new VpidHost(options, migrations, name).Boot(Shell);
        host.Task(Vzctl, Shell, Vzctl, Shell, "vzctl");
        return host;
    }

    /// <summary>On host A, VPS "101" with init <paramref name="init"/> and children <paramref name="tasks"/>, checkpointed.</summary>
    private static VpidHost Checkpointed(VpsMigrations migrations, int init, params int[] tasks)
    {
        var a = Host("a", migrations);
        a.StartVps(Vzctl, init, "101");
        a.ForkMany(init, tasks);
        Assert.Equal(0, a.Container(Vzctl, ContainerAction.Checkpoint, "101").Ret);
        return a;
    }

    /// <summary>(vpid, vtgid, vpgid, vsid) of every task of a VPS, as a task inside sees them.</summary>
    private static List<(int, int, int, int)> VirtualNumbers(VpidModel m, Vps vps)
    {
        var tids = m.TasksOf(vps);
        int viewer = tids[0];
        return tids.Select(t => (m.NumberOf(viewer, t, IdKind.Pid), m.NumberOf(viewer, t, IdKind.Tgid),
                m.NumberOf(viewer, t, IdKind.Pgid), m.NumberOf(viewer, t, IdKind.Sid)))
            .OrderBy(x => x).ToList();
    }

    [Fact]
    public void Restore_stays_linear_when_every_number_is_1_or_the_new_global_plus_1024()
    {
        var migrations = new VpsMigrations();
        var a = Checkpointed(migrations, 300, 301, 302);
        var b = Host("b", migrations);
        var restore = b.Container(Vzctl, ContainerAction.Restore, "101");
        Assert.Equal(0, restore.Ret);
        var vps = b.Model.FindVps("101")!;
        Assert.False(vps.Sparse);
        Assert.Null(b.Model.LastSparseSwitch);
        Assert.Equal(VirtualNumbers(a.Model, a.Model.FindVps("101")!), VirtualNumbers(b.Model, vps));
    }

    [Fact]
    public void Restore_switches_to_sparse_and_a_later_fork_scans_past_taken_numbers_and_moves_last_pid()
    {
        var migrations = new VpsMigrations();
        Checkpointed(migrations, 300, 310, 311); // virtual 1, 1334, 1335
        var b = Host("b", migrations);
        b.Fork(Shell, 300);                     // B's allocator is one ahead: the init gets 301, then 302
        var restore = b.Container(Vzctl, ContainerAction.Restore, "101");
        Assert.Equal(0, restore.Ret);
        Assert.Contains("sparse", restore.Note);
        var vps = b.Model.FindVps("101")!;
        Assert.True(vps.Sparse);
        int init = vps.InitTid;
        var fork = b.Fork(init, 310);           // 310 + 1024 = 1334 is taken, so is 1335
        Assert.Contains("searched", fork.Note);
        Assert.Equal(1336, b.Get(310, GetIdCall.GetPid).Ret);
        b.Fork(Shell, 1100);                    // bit 10 set: renumbered from last_pid = 1336 - 1024
        Assert.Equal(313, b.Model.GlobalPidOf(1100));
        Assert.Equal(310, b.Model.Resolve(init, 1336, IdKind.Pid));
        int probes = b.Get(init, GetIdCall.GetPgid, 1336).Probes;
        Assert.True(probes >= 2); // a hash probe (head and at least one entry) and the vnr load
    }

    [Fact]
    public void Host_wide_switch_maps_another_vps_numbers_into_the_restored_one_and_restore_gets_EEXIST()
    {
        var migrations = new VpsMigrations();
        Checkpointed(migrations, 300, 310, 311);
        var b = Host("b", migrations);
        b.StartVps(Vzctl, 300, "102");
        b.Fork(300, 310);                       // VPS 102's 310 is virtual 1334 on B
        var restore = b.Container(Vzctl, ContainerAction.Restore, "101");
        Assert.Equal(-17, restore.Ret);
        Assert.Equal(17, restore.AllocationFailure);
        Assert.True(b.Model.LastSparseSwitch!.Value.HostWide);
    }

    [Fact]
    public void Vps_local_switch_restores_every_number_where_the_host_wide_one_fails()
    {
        var migrations = new VpsMigrations();
        var a = Checkpointed(migrations, 300, 310, 311);
        var b = Host("b", migrations, new VpidOptions { Walk = SparseWalk.VpsLocal });
        b.StartVps(Vzctl, 300, "102");
        b.Fork(300, 310);
        var restore = b.Container(Vzctl, ContainerAction.Restore, "101");
        Assert.Equal(0, restore.Ret);
        var vps = b.Model.FindVps("101")!;
        Assert.Equal(VirtualNumbers(a.Model, a.Model.FindVps("101")!), VirtualNumbers(b.Model, vps));
        var sw = b.Model.LastSparseSwitch!.Value;
        Assert.False(sw.HostWide);
        Assert.Equal(1, sw.Mappings); // the restored init's 1; its tgid, pgid and sid are 1 as well
        Assert.Equal(4, sw.Lookups);
    }

    [Fact]
    public void After_a_host_wide_switch_number_1_inside_the_vps_names_the_host_init()
    {
        var migrations = new VpsMigrations();
        Checkpointed(migrations, 300, 310);
        var b = Host("b", migrations);
        b.Fork(Shell, 300);
        b.Container(Vzctl, ContainerAction.Restore, "101");
        var vps = b.Model.FindVps("101")!;
        int task = b.Model.TasksOf(vps)[1];
        // do_each_thread meets the host init (pid 1, vnr 1) first: (1, vps) maps to the host init.
        Assert.Equal(1, b.Model.Resolve(task, 1, IdKind.Pid));
        var kill = b.Kill(task, 1);
        Assert.Equal(1, kill.RetTarget);

        var localMigrations = new VpsMigrations();
        Checkpointed(localMigrations, 300, 310);
        var local = Host("c", localMigrations, new VpidOptions { Walk = SparseWalk.VpsLocal });
        local.Fork(Shell, 300);
        local.Container(Vzctl, ContainerAction.Restore, "101");
        var lvps = local.Model.FindVps("101")!;
        Assert.Equal(lvps.InitTid, local.Model.Resolve(local.Model.TasksOf(lvps)[1], 1, IdKind.Pid));
    }

    [Fact]
    public void A_vps_with_a_group_from_the_host_cannot_be_checkpointed()
    {
        var migrations = new VpsMigrations();
        var a = Host("a", migrations);
        a.StartVps(Vzctl, 300, "101");
        a.Fork(Shell, 310);
        a.Container(Shell, ContainerAction.Enter, "101", 310); // vzctl exec: the shell's group comes along
        var cpt = a.Container(Vzctl, ContainerAction.Checkpoint, "101");
        Assert.Equal(-16, cpt.Ret);
        Assert.Equal(310, cpt.RetTarget);
        Assert.Equal(0, migrations.Pending);
    }

    /// <summary>
    /// Migrating a 1000-task VPS onto a busy host: switch_to_sparse_mapping as posted walks every
    /// thread of the host (one lookup each, its virtual pid) and every process (three lookups:
    /// tgid, pgrp, session), keyed with the new VPS's id, skipping keys already there. Expected
    /// figures come from the host's own counts, not from the model.
    /// </summary>
    [Fact]
    public void Migrating_a_1000_task_vps_reports_the_sparse_switch_cost_exactly()
    {
        const int HostProcesses = 200, ExtraThreads = 3, StrayGroups = 10, OtherVpsTasks = 40;
        var migrations = new VpsMigrations();
        var next = new TidAllocator(300);

        // Host A: VPS "big", its init and 999 more tasks; every tenth starts its own session.
        var a = Host("a", migrations);
        int bigInit = next.Take();
        a.StartVps(Vzctl, bigInit, "big");
        for (int i = 1; i < 1000; i++)
        {
            int t = next.Take();
            a.Fork(bigInit, t);
            if (i % 10 == 0) a.SetSid(t);
        }
        var before = VirtualNumbers(a.Model, a.Model.FindVps("big")!);
        Assert.Equal(1000, before.Count);
        Assert.Equal(0, a.Container(Vzctl, ContainerAction.Checkpoint, "big").Ret);

        // Host B: init 1, shell, vzctl; HostProcesses processes with ExtraThreads threads each,
        // every fourth in a session of its own; StrayGroups sessions whose leader has gone;
        // and VPS "other" with OtherVpsTasks tasks.
        var b = Host("b", migrations);
        var bt = new TidAllocator(5000);
        int threads = 3, processes = 3; // init, shell, vzctl
        for (int i = 0; i < HostProcesses; i++)
        {
            int p = bt.Take();
            b.Fork(Shell, p);
            processes++; threads++;
            if (i % 4 == 0) b.SetSid(p);
            for (int k = 0; k < ExtraThreads; k++) { b.Thread(p, bt.Take()); threads++; }
        }
        for (int i = 0; i < StrayGroups; i++)
        {
            int leader = bt.Take(), member = bt.Take();
            b.Fork(Shell, leader);
            b.SetSid(leader);
            b.Fork(leader, member);
            b.Exit(leader);
            b.Wait(Shell);
            processes++; threads++; // the member lives on in the leader's session
        }
        int otherInit = bt.Take();
        b.StartVps(Vzctl, otherInit, "other");
        processes++; threads++;
        for (int i = 1; i < OtherVpsTasks; i++) { b.Fork(otherInit, bt.Take()); processes++; threads++; }

        var restore = b.Container(Vzctl, ContainerAction.Restore, "big");
        Assert.Equal(0, restore.Ret);
        var sw = b.Model.LastSparseSwitch!.Value;
        Assert.Equal(1, b.Model.SparseSwitches);

        // At the switch the restored init (virtual 1) is on the list too.
        int walkedThreads = threads + 1, walkedProcesses = processes + 1;
        // Every thread's vnr is distinct except the three 1s (host init, two VPS inits); tgid,
        // pgrp and session repeat a live task's vnr except for the stray sessions.
        int expectedMappings = walkedThreads - 2 + StrayGroups;
        Assert.Equal(expectedMappings, sw.Mappings);
        Assert.Equal(walkedThreads + 3 * walkedProcesses, sw.Lookups);
        Assert.Equal(1, sw.Preallocated);
        Assert.Equal(expectedMappings - 1, sw.AtomicAllocations);
        Assert.True(sw.HostWide);
        Assert.Contains("host-wide", restore.Note);

        var after = VirtualNumbers(b.Model, b.Model.FindVps("big")!);
        Assert.Equal(before, after);
    }

    /// <summary>The patch's alloc_pidmap order for tids a test hands out: increasing, bit 10 skipped.</summary>
    private sealed class TidAllocator(int first)
    {
        private int _next = first;

        public int Take()
        {
            if ((_next & VpidModel.VpidDiv) != 0) _next += VpidModel.VpidDiv;
            return _next++;
        }
    }
}
