using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>Traces no kernel would write (random events over a few tids) must neither crash nor hang the model, and its snapshots must round-trip.</summary>
public sealed class ContradictoryTraceTests
{
    [Fact]
    public void Random_contradictory_events_never_crash_and_snapshots_round_trip()
    {
        for (int seed = 0; seed < 60; seed++)
        {
            var rng = new Random(seed);
            var model = new NestedPidModel();
            var o = new Outcome();
            for (int i = 0; i < 400; i++)
            {
                model.Apply(RandomEvent(rng), o);
                if (i % 97 != 0) continue;
                var snap = model.Snapshot();
                var restored = new NestedPidModel();
                restored.Restore(snap);
                Assert.Equal(snap, restored.Snapshot());
                model = restored;
            }
        }
    }

    private static PidEvent RandomEvent(Random rng)
    {
        int T() => rng.Next(1, 40);
        SignalRecord[] Signals() => rng.Next(3) == 0
            ? [new SignalRecord(rng.Next(0, 20), T(), (SignalResult)rng.Next(3), rng.Next(-6, 3), rng.Next(2) == 0)]
            : [];
        long? ret = rng.Next(3) == 0 ? null : rng.Next(-30, 40);
        return rng.Next(16) switch
        {
            0 => new TaskSnapshot
            {
                Tid = T(), Tgid = rng.Next(2) == 0 ? 0 : T(), PPid = T(), Pgid = T(), Sid = T(),
                NsPid = rng.Next(3) == 0 ? null : rng.Next(2) == 0 ? [T()] : [T(), rng.Next(1, 5)],
                NsPgid = [T(), 0], PidNs = (ulong)rng.Next(1, 4), Adopted = rng.Next(4) == 0,
            },
            1 or 2 => new Fork
            {
                Tid = T(), Child = rng.Next(4) == 0 ? 0 : T(), Call = (ForkCall)rng.Next(4), Ret = ret,
                Flags = rng.Next(4) switch { 0 => CloneFlags.Thread, 1 => CloneFlags.NewPid, 2 => CloneFlags.Parent, _ => 17 },
                SetTid = rng.Next(8) == 0 ? [rng.Next(0, 5)] : null,
            },
            3 => new Exec { Tid = T(), OldTid = rng.Next(4) == 0 ? T() : 0, Ret = 0 },
            4 or 5 => new Exit { Tid = T(), Group = rng.Next(2) == 0, Code = rng.Next(0, 10), Signals = Signals() },
            6 => new SetPgid { Tid = T(), Pid = rng.Next(-2, 40), Pgid = rng.Next(-2, 40), Ret = ret },
            7 => new SetSid { Tid = T(), Ret = ret },
            8 => new SigAction { Tid = T(), Sig = rng.Next(-1, 70), Handler = (Handler)rng.Next(4), SaFlags = (ulong)rng.Next(4), Ret = ret },
            9 => new Prctl { Tid = T(), Option = Prctl.SetChildSubreaper, Arg2 = (ulong)rng.Next(2), Ret = ret },
            10 => new GetId { Tid = T(), Call = (GetIdCall)rng.Next(6), Arg = rng.Next(-1, 40), Ret = ret },
            11 => new Kill { Tid = T(), Call = (KillCall)rng.Next(3), Pid = rng.Next(-40, 40), ThreadArg = rng.Next(-1, 40), Sig = rng.Next(-1, 70), Ret = ret, Signals = Signals() },
            12 => new Wait { Tid = T(), Call = (WaitCall)rng.Next(2), Pid = rng.Next(-40, 40), Options = rng.Next(4) == 0 ? 0x40000000 : rng.Next(0, 6), Ret = ret },
            13 => new Unshare { Tid = T(), Flags = rng.Next(2) == 0 ? CloneFlags.NewPid : 0x20000UL, Ret = ret },
            14 => new SetNs { Tid = T(), NsType = rng.Next(2) == 0 ? CloneFlags.NewPid : 0, TargetNs = (ulong)rng.Next(0, 4), Ret = ret },
            _ => rng.Next(2) == 0
                ? new Signal { Tid = T(), Record = new SignalRecord(rng.Next(0, 20), T(), (SignalResult)rng.Next(3), rng.Next(-6, 3), true) }
                : new Deliver { Tid = T(), Sig = rng.Next(0, 20), Handler = (Handler)rng.Next(4) },
        };
    }
}
