namespace Replayer.Replay.Models.Vpid;

/// <summary>
/// A VPS as the patch's vps_info_t needs it (seed 001, patch 7/7): an id, the init task, linear or
/// sparse numbering, and the task counter whose fall to zero stops it. A real trace's top-level pid
/// namespace is replayed as one VPS.
/// </summary>
public sealed class Vps
{
    /// <summary>vps->id: the key half of the vpid hash, unique on the host, from 1.</summary>
    public int Id { get; internal set; }
    /// <summary>The container's name (vzctl's VEID, a Container event's Id); "" for a namespace from a trace.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>Inode of the pid namespace a real trace knows it by; 0 when none.</summary>
    public ulong PidNs { get; internal set; }
    /// <summary>Global tid of the init (virtual pid 1); 0 before it exists or once released.</summary>
    public int InitTid => Init?.Tid ?? 0;
    /// <summary>vps->is_sparse: virtual numbers go through the vpid hash instead of global + 1024.</summary>
    public bool Sparse { get; internal set; }
    /// <summary>Mappings keyed with this VPS's id now in the vpid hash.</summary>
    public int Mappings { get; internal set; }
    /// <summary>vps->pcounter: tasks (threads included) forked into it and not yet released.</summary>
    public int Tasks { get; internal set; }
    /// <summary>vps_stop ran: the last task went (patch) or the init exited (OpenVZ).</summary>
    public bool Stopped { get; internal set; }

    /// <summary>vps->init_task.</summary>
    internal VpidTask? Init;
    /// <summary>An init was ever born: later children get global + 1024, not 1.</summary>
    internal bool HadInit;
    /// <summary>
    /// The last number the trace's kernel showed inside it: its keys in VpidModel._insideNumbers
    /// are chained from here (0 ends the chain). A chain, not a range: a namespace's numbers wrap
    /// and can run to pid_max, and forgetting them must cost what showing them did.
    /// </summary>
    internal int LastShown;
    /// <summary>Its tasks on the host walk, in walk order (VpidTask.PrevMember/NextMember).</summary>
    internal VpidTask? FirstMember, LastMember;
    /// <summary>The next VPS of the same name, and of the same pid namespace inode, by Id.</summary>
    internal Vps? NextNamed, NextInNs;
}
