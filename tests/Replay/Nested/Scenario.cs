using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;

namespace Replayer.Tests.Replay.Nested;

/// <summary>
/// Builds event sequences the way a kernel capture would record them and applies each to a nested
/// model. Host snapshots are full /proc snapshots (the host's inode is <see cref="HostNs"/>).
/// </summary>
internal sealed class Scenario
{
    public const ulong HostNs = 4026531836;
    public const int SIGHUP = 1, SIGKILL = 9, SIGUSR1 = 10, SIGTERM = 15, SIGCHLD = 17;

    private long _time;

    public Scenario(NestedOptions? options = null) => Model = new NestedPidModel(options);

    public NestedPidModel Model { get; }

    /// <summary>Every event applied, in order, for replaying elsewhere.</summary>
    public List<PidEvent> Events { get; } = [];

    public Outcome Apply(PidEvent ev)
    {
        ev = ev with { Host = "h", Seq = Events.Count, Time = ++_time * 1000 };
        Events.Add(ev);
        var o = new Outcome();
        Model.Apply(ev, o);
        return o;
    }

    /// <summary>
    /// A host task from the /proc snapshot; by default its own group and session leader, its exit
    /// signal not read, alive (<paramref name="zombie"/>: State Z).
    /// </summary>
    public Outcome Host(int tid, int ppid = 1, int? pgid = null, int? sid = null, int tgid = 0, bool dequeuesTraced = false, int? exitSignal = null, bool zombie = false) =>
        Apply(new TaskSnapshot
        {
            Tid = tid, Comm = "sh", Tgid = tgid == 0 ? tid : tgid, PPid = ppid, Pgid = pgid ?? tid, Sid = sid ?? tid,
            NsPid = [tid], NsPgid = [pgid ?? tid], NsSid = [sid ?? tid], PidNs = HostNs, DequeuesTraced = dequeuesTraced,
            ExitSignal = exitSignal, Zombie = zombie,
        });

    /// <summary>The global init and one shell: the usual start of a capture (one that follows every dequeue, with <paramref name="dequeuesTraced"/>).</summary>
    public Scenario WithHost(int shell = 100, bool dequeuesTraced = false)
    {
        Host(1, ppid: 0, dequeuesTraced: dequeuesTraced);
        Host(shell, ppid: 1, dequeuesTraced: dequeuesTraced);
        return this;
    }

    /// <summary>A task of a namespace that existed before the capture (NSpid outermost first).</summary>
    public Outcome InNs(int[] nspid, ulong ns, int ppid, int pgid, int sid, int[] nspgid, int[] nssid) =>
        Apply(new TaskSnapshot
        {
            Tid = nspid[0], Comm = "sh", Tgid = nspid[0], PPid = ppid, Pgid = pgid, Sid = sid,
            NsPid = nspid, NsPgid = nspgid, NsSid = nssid, PidNs = ns,
        });

    public Outcome Fork(int parent, int child, long? ret = null, ulong flags = 0, ForkCall call = ForkCall.Fork, int[]? setTid = null) =>
        Apply(new Fork { Tid = parent, Comm = "sh", Child = child, Ret = ret, Flags = flags, Call = call, SetTid = setTid });

    /// <summary>clone(CLONE_THREAD) the way glibc makes a thread.</summary>
    public Outcome Thread(int parent, int child, long? ret = null) =>
        Fork(parent, child, ret, CloneFlags.Thread | CloneFlags.Vm | 0x800 /* CLONE_SIGHAND */, ForkCall.Clone3);

    public Outcome Exec(int tid, int oldTid = 0) => Apply(new Exec { Tid = tid, Comm = "sh", Filename = "/bin/sh", Ret = 0, OldTid = oldTid });

    public Outcome Exit(int tid, bool group = true, int code = 0, params SignalRecord[] signals) =>
        Apply(new Exit { Tid = tid, Comm = "sh", Group = group, Code = code, Signals = signals });

    public Outcome Unshare(int tid, long? ret = 0) => Apply(new Unshare { Tid = tid, Comm = "unshare", Flags = CloneFlags.NewPid, Ret = ret });

    public Outcome SetNs(int tid, ulong target, long? ret = 0) =>
        Apply(new SetNs { Tid = tid, Comm = "nsenter", Fd = 3, NsType = CloneFlags.NewPid, TargetNs = target, Ret = ret });

    public Outcome Get(int tid, GetIdCall call, int arg = 0, long? ret = null) => Apply(new GetId { Tid = tid, Comm = "pidinfo", Call = call, Arg = arg, Ret = ret });

    public Outcome Kill(int tid, int pid, int sig, long? ret = null, params SignalRecord[] signals) =>
        Apply(new Kill { Tid = tid, Comm = "sh", Call = KillCall.Kill, Pid = pid, Sig = sig, Ret = ret, Signals = signals });

    public Outcome Tgkill(int tid, int tgid, int thread, int sig) =>
        Apply(new Kill { Tid = tid, Comm = "python3", Call = KillCall.Tgkill, Pid = tgid, ThreadArg = thread, Sig = sig });

    public Outcome Wait(int tid, int pid = -1, int options = 0, long? ret = null) =>
        Apply(new Wait { Tid = tid, Comm = "sh", Call = WaitCall.Wait4, Pid = pid, Options = options, Ret = ret });

    public Outcome SetPgid(int tid, int pid, int pgid, long? ret = null) => Apply(new SetPgid { Tid = tid, Comm = "bash", Pid = pid, Pgid = pgid, Ret = ret });

    public Outcome SetSid(int tid, long? ret = null) => Apply(new SetSid { Tid = tid, Comm = "sh", Ret = ret });

    public Outcome SigAction(int tid, int sig, Handler handler, ulong flags = 0) =>
        Apply(new SigAction { Tid = tid, Comm = "sh", Sig = sig, Handler = handler, SaFlags = flags, Ret = 0 });

    public Outcome Subreaper(int tid) => Apply(new Prctl { Tid = tid, Comm = "python3", Option = Prctl.SetChildSubreaper, Arg2 = 1, Ret = 0 });

    public Outcome Deliver(int tid, int sig, Handler handler, ulong? saFlags = null) => Apply(new Deliver { Tid = tid, Comm = "sh", Sig = sig, Handler = handler, SaFlags = saFlags });

    /// <summary>The signals an outcome predicts, as (recipient, result), in order.</summary>
    public static (int To, SignalResult Result)[] Sent(Outcome o, int sig) =>
        o.Signals.Where(s => s.Sig == sig).Select(s => (s.To, s.Result)).ToArray();
}
