using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>Properties of the model over random workloads from <see cref="VpidWorkload"/>, one seed per case.</summary>
public sealed class VpidPropertyTests
{
    public static TheoryData<int> Seeds => new() { 1, 7, 42, 1001, 65537 };

    private static VpidWorkload Workload(int seed, int vpss, int events, string host = "a")
    {
        var w = new VpidWorkload(seed, host);
        for (int i = 0; i < vpss; i++) w.AddVps();
        w.Run(events);
        return w;
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Every_answer_the_generated_kernel_recorded_is_the_models_prediction(int seed)
    {
        var w = Workload(seed, 6, 4000);
        var model = new VpidModel();
        var o = new Outcome();
        int checkedAnswers = 0;
        foreach (var ev in w.Events)
        {
            model.Apply(ev, o);
            Assert.True(o.Verdict is Verdict.Predicted or Verdict.NotApplicable, $"event {ev.Seq} {ev.Kind}: {o.Verdict} {o.Note}");
            if (ev.Ret is { } ret && o.HasRet)
            {
                Assert.True(ret == o.Ret, $"event {ev.Seq} {ev.Kind}: recorded {ret}, predicted {o.Ret}");
                checkedAnswers++;
            }
        }
        Assert.True(checkedAnswers > 2000);
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Inside_a_linear_vps_in_of_out_is_the_identity(int seed)
    {
        var w = Workload(seed, 5, 0);
        var model = new VpidModel();
        var o = new Outcome();
        foreach (var ev in w.Events) model.Apply(ev, o);
        int applied = w.Events.Count;
        for (int round = 0; round < 20; round++)
        {
            w.Run(150);
            for (; applied < w.Events.Count; applied++) model.Apply(w.Events[applied], o);
            foreach (var vps in model.Containers)
            {
                Assert.False(vps.Sparse);
                var tids = model.TasksOf(vps);
                foreach (int viewer in tids)
                    foreach (int x in tids)
                        foreach (var kind in new[] { IdKind.Pid, IdKind.Tgid })
                            Assert.Equal(x, model.Resolve(viewer, model.NumberOf(viewer, x, kind), kind));
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void No_two_live_tasks_of_one_vps_share_a_virtual_number(int seed)
    {
        var w = Workload(seed, 8, 0);
        var model = new VpidModel();
        var o = new Outcome();
        int applied = 0;
        for (int round = 0; round < 20; round++)
        {
            w.Run(200);
            for (; applied < w.Events.Count; applied++) model.Apply(w.Events[applied], o);
            foreach (var vps in model.Containers)
            {
                var tids = model.TasksOf(vps);
                var numbers = tids.Select(t => model.NumberOf(tids[0], t, IdKind.Pid)).ToList();
                Assert.Equal(numbers.Count, numbers.Distinct().Count());
            }
        }
    }

    /// <summary>
    /// Checkpoint a VPS of host A and restore it on a busy host B: with the posted host-wide walk
    /// either every task keeps its virtual numbers or the restore reports EEXIST; with the
    /// VPS-local walk every restore succeeds and keeps them all. A sparse VPS keeps its numbers
    /// distinct as it forks on.
    /// </summary>
    [Theory, MemberData(nameof(Seeds))]
    public void After_a_migration_every_task_keeps_its_virtual_numbers(int seed)
    {
        foreach (var walk in new[] { SparseWalk.HostWide, SparseWalk.VpsLocal })
        {
            var migrations = new VpsMigrations();
            var options = new VpidOptions { Walk = walk };
            var a = new VpidModel(options, migrations);
            var b = new VpidModel(options, migrations);
            var o = new Outcome();
            foreach (var ev in Workload(seed, 4, 3000, "a").Events) a.Apply(ev, o);
            foreach (var ev in Workload(seed + 1, 4, 3000, "b").Events) b.Apply(ev, o);
            for (int k = 0; k < 4; k++)
            {
                string name = VpidWorkload.VpsName("a", k);
                var before = Numbers(a, a.FindVps(name)!);
                a.Apply(new Container { Host = "a", Tid = 1, Action = ContainerAction.Checkpoint, Id = name }, o);
                Assert.Equal(0, o.Ret);
                b.Apply(new Container { Host = "b", Tid = 1, Action = ContainerAction.Restore, Id = name + "'", }, o);
                Assert.Equal(-3, o.Ret); // nothing waits under another name
                b.Apply(new Container { Host = "b", Tid = 1, Action = ContainerAction.Restore, Id = name }, o);
                if (o.Ret != 0)
                {
                    Assert.Equal(SparseWalk.HostWide, walk);
                    Assert.Equal(17, o.AllocationFailure);
                    continue;
                }
                var restored = b.FindVps(name)!;
                Assert.Equal(before, Numbers(b, restored));
                int init = restored.InitTid;
                for (int i = 0; i < 50; i++)
                {
                    int tid = 20000 + 100 * k + i;
                    b.Apply(new Fork { Host = "b", Tid = init, Child = tid }, o);
                }
                var vnrs = b.TasksOf(restored).Select(t => b.NumberOf(init, t, IdKind.Pid)).ToList();
                Assert.Equal(vnrs.Count, vnrs.Distinct().Count());
            }
        }
    }

    private static List<(int, int, int, int)> Numbers(VpidModel m, Vps vps)
    {
        var tids = m.TasksOf(vps);
        return tids.Select(t => (m.NumberOf(tids[0], t, IdKind.Pid), m.NumberOf(tids[0], t, IdKind.Tgid),
                m.NumberOf(tids[0], t, IdKind.Pgid), m.NumberOf(tids[0], t, IdKind.Sid)))
            .OrderBy(x => x).ToList();
    }

    [Theory, MemberData(nameof(Seeds))]
    public void A_snapshot_taken_mid_replay_continues_exactly_like_the_original(int seed)
    {
        var w = Workload(seed, 4, 3000);
        var original = new VpidModel();
        var o1 = new Outcome();
        var o2 = new Outcome();
        int half = w.Events.Count / 2;
        for (int i = 0; i < half; i++) original.Apply(w.Events[i], o1);
        var copy = new VpidModel();
        copy.Restore(original.Snapshot());
        for (int i = half; i < w.Events.Count; i++)
        {
            original.Apply(w.Events[i], o1);
            copy.Apply(w.Events[i], o2);
            Assert.Equal(o1.Ret, o2.Ret);
            Assert.Equal(o1.RetTarget, o2.RetTarget);
            Assert.Equal(o1.Probes, o2.Probes);
            Assert.Equal(o1.Signals, o2.Signals);
            Assert.Equal(o1.Reparented, o2.Reparented);
        }
        Assert.Equal(original.Snapshot(), copy.Snapshot());
    }
}
