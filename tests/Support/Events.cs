using Replayer.Ingest.Events;

namespace Replayer.Tests.Support;

/// <summary>One event of every kind, with every field set away from its default: the codec's test vectors.</summary>
public static class SampleEvents
{
    public static IReadOnlyList<PidEvent> OfEveryKind(string host = "h1") =>
    [
        new TaskSnapshot { Host = host, Tid = 100, Comm = "sh", Tgid = 100, PPid = 1, Pgid = 100, Sid = 90, NsPid = [100, 1], NsPgid = [100, 0], NsSid = [90, 0], PidNs = 4026532178, Adopted = true, Time = 5 },
        new Fork { Host = host, Tid = 100, Comm = "sh", Call = ForkCall.Clone3, Child = 101, Flags = CloneFlags.NewPid | 17, SetTid = [1, 101], Ret = 101, Time = 6 },
        new Exec { Host = host, Tid = 101, Comm = "sleep", Filename = "/bin/sleep", OldTid = 102, Time = 7 },
        new Exit { Host = host, Tid = 101, Comm = "sleep", Code = 9, Group = true, Signals = [new(17, 100, SignalResult.Ignored, 2, true), new(9, 103, SignalResult.Delivered, 128, true)], Time = 8 },
        new SetPgid { Host = host, Tid = 100, Comm = "sh", Pid = 0, Pgid = 0, Ret = 0, Time = 9 },
        new SetSid { Host = host, Tid = 100, Comm = "sh", Ret = -1, Time = 10 },
        new SigAction { Host = host, Tid = 100, Comm = "sh", Sig = 17, Handler = Handler.Ignore, SaFlags = 2, Ret = 0, Time = 11 },
        new Prctl { Host = host, Tid = 100, Comm = "sh", Option = Prctl.SetChildSubreaper, Arg2 = 1, Ret = 0, Time = 12 },
        new GetId { Host = host, Tid = 100, Comm = "sh", Call = GetIdCall.GetSid, Arg = 7, Ret = 0, Time = 13 },
        new Kill { Host = host, Tid = 100, Comm = "sh", Call = KillCall.Tgkill, Pid = 5, ThreadArg = 6, Sig = 15, Signals = [new(15, 105, SignalResult.AlreadyPending, -6, false)], Ret = 0, Time = 14 },
        new Wait { Host = host, Tid = 100, Comm = "sh", Call = WaitCall.Waitid, Pid = -3, Options = 4, Ret = -10, Time = 15 },
        new Unshare { Host = host, Tid = 100, Comm = "unshare", Flags = CloneFlags.NewPid, Ret = 0, Time = 16 },
        new SetNs { Host = host, Tid = 100, Comm = "nsenter", Fd = 3, NsType = CloneFlags.NewPid, TargetNs = 4026532178, Ret = 0, Time = 17 },
        new Signal { Host = host, Tid = 0, Comm = "swapper/0", Record = new(17, 100, SignalResult.Delivered, 1, true), Time = 18 },
        new Deliver { Host = host, Tid = 100, Comm = "sh", Sig = 17, Handler = Handler.Catch, Time = 19 },
        new Container { Host = host, Tid = 1, Comm = "vzctl", Action = ContainerAction.Restore, Id = "202", Peer = "h2", Task = 7904, Time = 20 },
        new LastPid { Host = host, Tid = 100, Comm = "criu", Value = 4321, Time = 21 },
    ];
}
