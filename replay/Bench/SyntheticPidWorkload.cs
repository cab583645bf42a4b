using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;

namespace Replayer.Replay.Bench;

/// <summary>
/// A synthetic host, written the way a kernel would have recorded it (MODELS.md, "Divergence"): the
/// nested model is the kernel, so every Ret and signal record is the answer today's kernel gives.
/// Shells fork, exit and wait, query ids, signal each other and now and then start a container
/// (unshare + fork of an init) whose tasks do the same; orphans go to their reaper.
/// </summary>
public static class SyntheticPidWorkload
{
    private const int Shell = 2, SIGUSR1 = 10, SIGCHLD = 17, SIGTERM = 15;

    public static List<PidEvent> Generate(int count, int seed = 1, int maxTasks = 2000)
    {
        var kernel = new NestedPidModel();
        var o = new Outcome();
        var events = new List<PidEvent>(count + 16);
        var rng = new Random(seed);
        var live = new List<int>();
        var parentOf = new Dictionary<int, int>();
        var inits = new HashSet<int>();
        // Tasks that unshared: their later children would go to the container, dead once its init is.
        var unshared = new HashSet<int>();
        var children = new Dictionary<int, int>();
        var dying = new Queue<int>();
        int nextTid = 1000;
        long time = 0;

        PidEvent Emit(PidEvent ev)
        {
            ev = ev with { Host = "synthetic", Seq = events.Count, Time = ++time * 1000, Comm = ev.Comm.Length == 0 ? "sh" : ev.Comm };
            kernel.Apply(ev, o);
            ev = Recorded(ev, o);
            events.Add(ev);
            foreach (var r in o.Reparented)
            {
                parentOf[r.Child] = r.NewParent;
                children[r.NewParent] = children.GetValueOrDefault(r.NewParent) + 1;
            }
            foreach (var k in o.Killed) dying.Enqueue(k);
            // The recipients take their caught signals at once, as signal_deliver records it.
            var taken = o.Signals.Where(x => x.Result == SignalResult.Delivered && x.Sig != 9 && live.Contains(x.To) || x.To == 1 && x.Result == SignalResult.Delivered).ToList();
            foreach (var x in taken) Emit(new Deliver { Tid = x.To, Sig = x.Sig, Handler = Handler.Catch });
            return ev;
        }

        Emit(new TaskSnapshot { Tid = 1, Tgid = 1, PPid = 0, Pgid = 1, Sid = 1, NsPid = [1], NsPgid = [1], NsSid = [1], PidNs = 1, Comm = "init" });
        Emit(new TaskSnapshot { Tid = Shell, Tgid = Shell, PPid = 1, Pgid = Shell, Sid = Shell, NsPid = [Shell], NsPgid = [Shell], NsSid = [Shell], PidNs = 1 });
        foreach (int tid in new[] { 1, Shell })
        {
            Emit(new SigAction { Tid = tid, Sig = SIGCHLD, Handler = Handler.Catch, Ret = 0 });
            Emit(new SigAction { Tid = tid, Sig = SIGTERM, Handler = Handler.Default, Ret = 0 });
            Emit(new SigAction { Tid = tid, Sig = SIGUSR1, Handler = Handler.Catch, Ret = 0 });
            Emit(new Prctl { Tid = tid, Option = Prctl.SetChildSubreaper, Arg2 = 0, Ret = 0 });
        }
        live.Add(Shell);
        parentOf[Shell] = 1;

        while (events.Count < count)
        {
            if (dying.Count > 0)
            {
                int victim = dying.Dequeue();
                if (live.Remove(victim)) ExitAndReap(victim);
                continue;
            }
            int roll = rng.Next(100);
            int actor = live[rng.Next(live.Count)];
            if ((roll < 30 && live.Count < maxTasks || live.Count < 8) && !unshared.Contains(actor))
            {
                if (rng.Next(200) == 0 && kernel.ContainerOf(actor) == 0 && !inits.Contains(actor))
                {
                    Emit(new Unshare { Tid = actor, Flags = CloneFlags.NewPid, Ret = 0 });
                    unshared.Add(actor);
                    int init = nextTid++;
                    Emit(new Fork { Tid = actor, Child = init, Call = ForkCall.Fork });
                    Emit(new Prctl { Tid = init, Option = Prctl.SetChildSubreaper, Arg2 = 0, Ret = 0 });
                    parentOf[init] = actor;
                    children[actor] = children.GetValueOrDefault(actor) + 1;
                    inits.Add(init);
                    live.Add(init);
                    continue;
                }
                int child = nextTid++;
                var fork = Emit(new Fork { Tid = actor, Child = child, Call = ForkCall.Fork });
                if (fork.Ret is > 0)
                {
                    parentOf[child] = actor;
                    children[actor] = children.GetValueOrDefault(actor) + 1;
                    live.Add(child);
                }
            }
            // Mostly leaves exit; now and then a parent, whose children go to their reaper.
            else if (roll < 55 && actor != Shell && live.Count > 8 && (children.GetValueOrDefault(actor) == 0 || rng.Next(20) == 0))
            {
                live.Remove(actor);
                ExitAndReap(actor);
            }
            else if (roll < 75)
            {
                var call = (GetIdCall)rng.Next(6);
                Emit(new GetId { Tid = actor, Call = call });
            }
            else if (roll < 90)
            {
                int target = live[rng.Next(live.Count)];
                int nr = kernel.NumberOf(actor, target, IdKind.Pid);
                int sig = rng.Next(3) switch { 0 => 0, 1 => SIGUSR1, _ => SIGCHLD };
                Emit(new Kill { Tid = actor, Pid = nr > 0 ? nr : 1 + rng.Next(5000), Sig = sig });
            }
            else
            {
                Emit(new Wait { Tid = actor, Pid = -1, Options = 1 });
            }
        }
        return events;

        void ExitAndReap(int tid)
        {
            Emit(new Exit { Tid = tid, Group = true, Code = 0 });
            inits.Remove(tid);
            if (!parentOf.Remove(tid, out int parent)) return;
            children[parent] = children.GetValueOrDefault(parent) - 1;
            if ((parent == 1 || live.Contains(parent)) && !dying.Contains(parent))
                Emit(new Wait { Tid = parent, Pid = -1, Options = 1 });
        }
    }

    /// <summary>The event as the kernel recorded it: the model's answer as Ret, its signals as signal_generate records.</summary>
    private static PidEvent Recorded(PidEvent ev, Outcome o)
    {
        var signals = o.Signals.Count == 0 ? [] : o.Signals.Select(s => new SignalRecord(s.Sig, s.To, s.Result, s.Code, true)).ToArray();
        long? ret = o.HasRet ? o.Ret : null;
        return ev switch
        {
            Kill k => k with { Ret = ret, Signals = signals },
            Exit x => x with { Signals = signals },
            Fork f => f with { Ret = ret, Child = o.HasRet && o.Ret < 0 ? 0 : f.Child },
            TaskSnapshot or SigAction or Prctl or Unshare => ev,
            _ => ev with { Ret = ret },
        };
    }
}
