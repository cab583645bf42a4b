using Replayer.Ingest.Events;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;
using Replayer.Tests.Replay.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Divergence;

/// <summary>
/// The divergences MODELS.md predicts, on real captures. What each design should do is derived
/// from the capture's own tasks (who forked whom, who the kernel signalled) and MODELS.md's rules,
/// never from the models' output.
/// </summary>
public sealed class CaptureDivergenceTests
{
    private const int SIGKILL = 9, SIGTERM = 15, ESRCH = 3;

    private static (List<PidEvent> Events, PairReplay Replay) Replay(string capture, VpidOptions? vpid = null)
    {
        var (events, ptraced) = RealCapturesValidateTests.Read(capture);
        return (events, PairReplay.Run(events, new ModelSettings { Ptraced = ptraced }, vpid));
    }

    /// <summary>Who forked each process (threads aside), as the capture records it.</summary>
    internal static Dictionary<int, int> ParentOf(List<PidEvent> events)
    {
        var parent = new Dictionary<int, int>();
        foreach (var f in events.OfType<Fork>())
            if (f.Child > 0 && !f.IsThread) parent[f.Child] = f.Tid;
        return parent;
    }

    /// <summary>The first child a task forked after its unshare(CLONE_NEWPID): the namespace's init.</summary>
    private static int InitAfterUnshare(List<PidEvent> events, int after = 0)
    {
        int i = events.FindIndex(after, e => e is Unshare { Ret: 0 } u && (u.Flags & CloneFlags.NewPid) != 0);
        int unsharer = events[i].Tid;
        return events.Skip(i).OfType<Fork>().First(f => f.Tid == unsharer && f.Child > 0).Child;
    }

    /// <summary>Tasks forked from <paramref name="root"/>, at any depth, that had not exited before event <paramref name="index"/>.</summary>
    private static SortedSet<int> LiveDescendants(List<PidEvent> events, int root, int index)
    {
        var parent = ParentOf(events);
        var exited = events.Take(index).OfType<Exit>().Where(x => x.Group).Select(x => x.Tid).ToHashSet();
        var live = new SortedSet<int>();
        foreach (var f in events.Take(index).OfType<Fork>())
        {
            if (f.Child <= 0 || f.IsThread || exited.Contains(f.Child)) continue;
            for (int t = f.Child; parent.TryGetValue(t, out var p); t = p)
                if (p == root) { live.Add(f.Child); break; }
        }
        return live;
    }

    private static SortedSet<int> Recipients(Outcome o, int sig) => new(o.Signals.Where(s => s.Sig == sig).Select(s => s.To));

    [Fact]
    public void After_nsenter_getpgid_and_getsid_read_0_nested_and_the_host_group_under_vpid()
    {
        // f-nsenter: nsenter 510 entered the namespace of the init 508; 511 and its children live
        // inside, their group and session outside. Nested: 0 (the leader has no number there).
        // Flat: a task that enters from the host keeps its host group and session, shown as global numbers.
        var (events, replay) = Replay("traces/captures/f-nsenter.txt");
        var inside = events.OfType<GetId>().Where(g => g.Call == GetIdCall.GetPid && g.Ret is > 0 && g.Ret != g.Tid).Select(g => g.Tid).ToHashSet();
        Assert.Contains(511, inside);
        // The host group and session they keep: those of the snapshot task they descend from, with no setpgid or setsid on the way.
        var parent = ParentOf(events);
        var snapshot = events.OfType<TaskSnapshot>().GroupBy(s => s.Tid).ToDictionary(g => g.Key, g => g.Last());
        int ancestor = 511;
        var chain = new List<int>();
        while (!snapshot.ContainsKey(ancestor))
        {
            chain.Add(ancestor);
            ancestor = parent[ancestor];
        }
        Assert.DoesNotContain(events, e => e is SetPgid or SetSid && chain.Contains(e.Tid));
        int pgid = snapshot[ancestor].Pgid, sid = snapshot[ancestor].Sid;

        var asked = replay.Events.Where(e => e.Event is GetId { Call: GetIdCall.GetPgid or GetIdCall.GetPgrp or GetIdCall.GetSid } && inside.Contains(e.Event.Tid)).ToList();
        Assert.True(asked.Count >= 6, $"{asked.Count} getpgid/getpgrp/getsid calls inside");
        foreach (var e in asked)
        {
            Assert.Equal(0L, e.Event.Ret);
            Assert.Equal(0L, e.Nested.Ret);
            Assert.Equal(0, e.Nested.RetTarget);
            Assert.Equal(((GetId)e.Event).Call == GetIdCall.GetSid ? sid : pgid, e.Vpid.RetTarget);
            Assert.True(e.Vpid.Ret > 0);
            Assert.Equal([DivergenceCategory.Visibility], e.Differences.Select(d => d.Category));
        }
    }

    [Theory]
    [InlineData("traces/captures/e-kill1.txt")]
    [InlineData("traces/strace/kill1.txt")]
    public void Kill_minus_one_from_a_namespace_init_reaches_host_processes_under_vpid_only(string capture)
    {
        // e-kill1: the namespace init calls kill(-TERM, -1) twice. Nested: every process with a number
        // above 1 in its namespace, nested namespace and its init included, never the host's. Flat
        // (as posted, no policy): every process on the host whose virtual pid is above 1.
        var (events, replay) = Replay(capture);
        int init = InitAfterUnshare(events);
        var kills = replay.Events.Where(e => e.Event is Kill { Pid: -1, Sig: SIGTERM } k && k.Tid == init).ToList();
        Assert.Equal(2, kills.Count);

        var first = kills[0];
        int at = replay.Events.IndexOf(first);
        var inNamespace = LiveDescendants(events, init, at);
        Assert.Equal(inNamespace, Recipients(first.Nested, SIGTERM));
        var vpid = Recipients(first.Vpid, SIGTERM);
        Assert.Superset(inNamespace, vpid);
        var outside = new SortedSet<int>(vpid.Except(inNamespace));
        Assert.Contains(ParentOf(events)[init], outside); // the unshare that made the namespace
        Assert.DoesNotContain(1, outside);
        Assert.DoesNotContain(init, vpid);
        Assert.True(first.Has(DivergenceCategory.SignalSet), first.ToString());

        // The second finds nobody left inside (ESRCH); the host is still full of targets.
        var second = kills[1];
        Assert.Equal(-ESRCH, second.Event.Ret);
        Assert.Equal(-ESRCH, second.Nested.Ret);
        Assert.Empty(second.Nested.Signals);
        Assert.Equal(0, second.Vpid.Ret);
        Assert.NotEmpty(second.Vpid.Signals);
        Assert.True(second.Has(DivergenceCategory.Identity) && second.Has(DivergenceCategory.SignalSet), second.ToString());
    }

    [Fact]
    public void Kill_minus_one_from_the_host_reaches_a_namespace_init_under_nested_and_spares_a_VPS_init()
    {
        // j-hostkill1: a shell on the host, run as nobody, calls kill(-1) with SIGTERM, then with
        // SIGKILL, while a user+pid namespace's init and its sleeps live. Nested: the init has a host
        // number above 1, so it is a target; a SIGTERM from an ancestor namespace it ignores (its
        // action is the default), a SIGKILL it takes. Flat: its virtual pid is 1, so it is spared
        // both times. What the kernel did is in the capture's signal_generate records.
        var (events, replay) = Replay("traces/captures/j-hostkill1.txt");
        int init = InitAfterUnshare(events);
        var kills = replay.Events.Where(e => e.Event is Kill { Pid: -1 }).ToList();
        Assert.Equal([SIGTERM, SIGKILL], kills.Select(k => ((Kill)k.Event).Sig));
        int shell = kills[0].Event.Tid;

        foreach (var kill in kills)
        {
            var ev = (Kill)kill.Event;
            var recorded = ev.Signals.Where(r => r.Sig == ev.Sig).ToList();
            var signalled = new SortedSet<int>(recorded.Select(r => r.To));
            Assert.Contains(init, signalled);
            Assert.Equal(0L, ev.Ret);
            Assert.Equal(0L, kill.Nested.Ret);
            Assert.Equal(0L, kill.Vpid.Ret);

            // Every process the kernel signalled, nested signals too, with the kernel's result
            // where it can know it. For SIGTERM it cannot: the chain of execs from the capturing
            // process down to the init may have left SIGTERM ignored (only a handler is reset by
            // exec), and the kernel's "ignored" fits either that or the init's protection. SIGKILL
            // from an ancestor namespace is delivered, to an init too.
            var nested = kill.Nested.Signals.Select((x, i) => (x, i)).Where(p => p.x.Sig == ev.Sig)
                .ToDictionary(p => p.x.To, p => (p.x.Result, Known: !kill.Nested.UnknownResults.Contains(p.i)));
            foreach (var r in recorded)
                Assert.True(!nested[r.To].Known || nested[r.To].Result == r.Result, $"{r}: nested {nested[r.To]}");
            if (ev.Sig == SIGKILL) Assert.Equal((SignalResult.Delivered, true), nested[init]);

            // The same processes under the patch, but for the init.
            var vpid = Recipients(kill.Vpid, ev.Sig);
            Assert.DoesNotContain(init, vpid);
            Assert.Superset(new SortedSet<int>(signalled.Where(t => t != init)), vpid);
            Assert.True(kill.Has(DivergenceCategory.SignalSet), kill.ToString());

            // The shell runs as nobody: the machine's other processes refuse it (EPERM), and the
            // kernel generates nothing for them. The capture's credentials tell both models so:
            // they signal exactly the processes the kernel did.
            Assert.Equal(signalled, new SortedSet<int>(nested.Keys));
            Assert.True(vpid.Count > 0 && vpid.All(signalled.Contains), string.Join(",", vpid));
        }
    }

    [Theory]
    [InlineData("traces/captures/c-orphan.txt")]
    [InlineData("traces/strace/orphan.txt")]
    public void An_orphan_inside_goes_to_the_namespace_init_in_both_designs_and_to_the_host_init_when_vpid_says_so(string capture)
    {
        // c-orphan: a middle sh exits while its child sleeps. Nested: the init of the dying parent's
        // namespace adopts it. Flat: "the first task becomes child reaper" (VPS init), the default;
        // the host-init option sends it outside.
        foreach (var reaper in new[] { OrphanReaper.VpsInit, OrphanReaper.HostInit })
        {
            var (events, replay) = Replay(capture, new VpidOptions { Reaper = reaper });
            int init = InitAfterUnshare(events);
            var parent = ParentOf(events);
            var orphaning = replay.Events.Where(e => e.Event is Exit { Group: true } x && x.Tid != init
                && LiveDescendants(events, x.Tid, replay.Events.IndexOf(e)).Count > 0).ToList();
            var exit = Assert.Single(orphaning);
            int orphan = Assert.Single(LiveDescendants(events, exit.Event.Tid, replay.Events.IndexOf(exit)));
            Assert.Equal(exit.Event.Tid, parent[orphan]);
            Assert.Equal([new Reparent(orphan, init)], exit.Nested.Reparented);
            if (reaper == OrphanReaper.VpsInit)
            {
                Assert.Equal([new Reparent(orphan, init)], exit.Vpid.Reparented);
                Assert.False(exit.Has(DivergenceCategory.Reaping), exit.ToString());
            }
            else
            {
                Assert.Equal([new Reparent(orphan, 1)], exit.Vpid.Reparented);
                Assert.True(exit.Has(DivergenceCategory.Reaping), exit.ToString());
            }
        }
    }

    [Fact]
    public void A_namespace_init_exit_kills_its_namespace_under_nested_and_nothing_under_the_patch()
    {
        // strace/initdeath (the d-initdeath workload under strace): the init exits with three
        // children, a sh and a nested namespace alive. Nested: SIGKILL to every other task of its
        // namespace and the nested one. The patch stops a VPS only with its last task; OpenVZ kills
        // them all (the init-exit policy).
        foreach (var stop in new[] { StopPolicy.LastTask, StopPolicy.InitExit })
        {
            var (events, replay) = Replay("traces/strace/initdeath.txt", new VpidOptions { Stop = stop });
            int init = InitAfterUnshare(events);
            var exit = replay.Events.Single(e => e.Event is Exit { Group: true } x && x.Tid == init);
            var victims = LiveDescendants(events, init, replay.Events.IndexOf(exit));
            // The capture agrees: each of them was killed by SIGKILL.
            Assert.Equal(victims, new SortedSet<int>(events.OfType<Exit>().Where(x => x.Code == SIGKILL).Select(x => x.Tid)));
            Assert.Equal(victims, new SortedSet<int>(exit.Nested.Killed));
            Assert.Equal(victims, Recipients(exit.Nested, SIGKILL));
            if (stop == StopPolicy.LastTask)
            {
                Assert.Empty(exit.Vpid.Killed);
                Assert.Empty(Recipients(exit.Vpid, SIGKILL));
                Assert.True(exit.Has(DivergenceCategory.Reaping) && exit.Has(DivergenceCategory.SignalSet), exit.ToString());
            }
            else
            {
                Assert.Equal(victims, new SortedSet<int>(exit.Vpid.Killed));
                Assert.Equal(victims, Recipients(exit.Vpid, SIGKILL));
            }
        }
    }

    [Fact]
    public void After_an_init_exit_its_orphans_stay_with_the_dying_init_under_nested_and_go_to_the_host_init_under_vpid()
    {
        // d-initdeath: killed children of the dying init leave orphans of their own (the sleep under
        // the killed sh, the init of the nested namespace under the killed unshare). Nested: the
        // reaper is still the dying init of their parent's namespace. Flat: the VPS init has gone,
        // the host init adopts them.
        var (events, replay) = Replay("traces/captures/d-initdeath.txt");
        int init = InitAfterUnshare(events);
        int initExit = replay.Events.FindIndex(e => e.Event is Exit { Group: true } x && x.Tid == init);
        var orphaning = replay.Events.Skip(initExit + 1).Where(e => e.Event is Exit && e.Nested.Reparented.Count > 0).ToList();
        Assert.Equal(2, orphaning.Count);
        foreach (var e in orphaning)
        {
            var orphans = LiveDescendants(events, e.Event.Tid, replay.Events.IndexOf(e));
            Assert.Equal(orphans.Select(c => new Reparent(c, init)), e.Nested.Reparented);
            Assert.Equal(orphans.Select(c => new Reparent(c, 1)), e.Vpid.Reparented);
            Assert.True(e.Has(DivergenceCategory.Reaping), e.ToString());
        }
    }
}
