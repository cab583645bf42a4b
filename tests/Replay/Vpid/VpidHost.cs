using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>One host's event stream built in code, replayed through a <see cref="VpidModel"/> as it is written.</summary>
internal sealed class VpidHost
{
    private long _seq;

    public VpidHost(VpidOptions? options = null, VpsMigrations? migrations = null, string name = "a")
    {
        Name = name;
        Model = new VpidModel(options, migrations);
    }

    public string Name { get; }
    public VpidModel Model { get; }
    public Outcome Outcome { get; } = new();

    public Outcome Apply(PidEvent ev)
    {
        Model.Apply(ev with { Host = Name, Seq = _seq++ }, Outcome);
        return Outcome;
    }

    /// <summary>A host task from the /proc snapshot (one pid level).</summary>
    public Outcome Task(int tid, int ppid, int pgid, int sid, string comm = "sh") =>
        Apply(new TaskSnapshot { Tid = tid, Tgid = tid, PPid = ppid, Pgid = pgid, Sid = sid, Comm = comm, NsPid = [tid] });

    /// <summary>The host init (1) and a login shell (pid = pgid = sid).</summary>
    public VpidHost Boot(int shell = 100)
    {
        Task(1, 0, 1, 1, "init");
        Task(shell, 1, shell, shell, "bash");
        return this;
    }

    public Outcome Fork(int parent, int child, ulong flags = 0) => Apply(new Fork { Tid = parent, Child = child, Flags = flags });
    public Outcome Thread(int parent, int child) => Fork(parent, child, CloneFlags.Thread | CloneFlags.Vm);
    public Outcome Exit(int tid, bool group = true) => Apply(new Exit { Tid = tid, Group = group, Code = 0 });
    public Outcome SetSid(int tid) => Apply(new SetSid { Tid = tid });
    public Outcome SetPgid(int tid, int pid, int pgid) => Apply(new SetPgid { Tid = tid, Pid = pid, Pgid = pgid });
    public Outcome Get(int tid, GetIdCall call, int arg = 0) => Apply(new GetId { Tid = tid, Call = call, Arg = arg });
    public Outcome Kill(int tid, int pid, int sig = 15) => Apply(new Kill { Tid = tid, Pid = pid, Sig = sig });
    public Outcome TgKill(int tid, int tgid, int thread, int sig = 15) =>
        Apply(new Kill { Tid = tid, Call = KillCall.Tgkill, Pid = tgid, ThreadArg = thread, Sig = sig });
    public Outcome Wait(int tid, int pid = -1, int options = 0) => Apply(new Wait { Tid = tid, Pid = pid, Options = options });
    public Outcome Container(int tid, ContainerAction action, string id, int task = 0) =>
        Apply(new Container { Tid = tid, Action = action, Id = id, Task = task });

    /// <summary>
    /// A VPS as vzctl starts it: <paramref name="vzctl"/> forks the init, which becomes the VPS
    /// named <paramref name="id"/> and calls setsid.
    /// </summary>
    public void StartVps(int vzctl, int init, string id)
    {
        Fork(vzctl, init);
        Container(vzctl, ContainerAction.Create, id, init);
        SetSid(init);
    }

    /// <summary>Forks a linear chain of tasks inside a VPS, each from <paramref name="parent"/>.</summary>
    public void ForkMany(int parent, IEnumerable<int> children)
    {
        foreach (int c in children)
            Fork(parent, c);
    }
}
