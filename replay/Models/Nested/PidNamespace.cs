namespace Replayer.Replay.Models.Nested;

/// <summary>
/// One pid namespace (kernel/pid_namespace.c, struct pid_namespace): a level, a parent, and the
/// numbers handed out at that level. Level 0 is the host's initial namespace, whose numbers are the
/// global tids every capture records.
/// </summary>
internal sealed class PidNamespace
{
    /// <summary>The cursor value meaning "the capture began after this namespace did": the next number is not known.</summary>
    public const int UnknownCursor = -1;

    /// <summary>Stable index in the model's namespace table (0 = the host), used by snapshots and ContainerOf.</summary>
    public readonly int Id;

    /// <summary>Nesting depth: 0 for the initial namespace, at most <see cref="NestedPidModel.MaxLevel"/>.</summary>
    public readonly int Level;

    /// <summary>The namespace this one was created in; null for the initial namespace.</summary>
    public readonly PidNamespace? Parent;

    /// <summary>The namespace inode (/proc/PID/ns/pid) when a snapshot or setns named it; else 0.</summary>
    public ulong Inode;

    /// <summary>The inode a child placed here after an unnamed setns taught (NestedPidModel.Setns), while this namespace is adding; else 0.</summary>
    public ulong TaughtInode;

    /// <summary>idr_next: the number idr_alloc_cyclic tries first; <see cref="UnknownCursor"/> until an allocation is seen.</summary>
    public int Cursor;

    /// <summary>This level's pid_max (per namespace since Linux 6.14; a new namespace inherits its parent's).</summary>
    public int PidMax;

    /// <summary>The child reaper (the init, or the live thread that took over from it); null before the first task or after it died.</summary>
    public TaskStruct? ChildReaper;

    /// <summary>PIDNS_ADDING: false once the init has died (or the first fork failed): alloc_pid gives ENOMEM.</summary>
    public bool Adding = true;

    /// <summary>For a container (level 1): the processes on the task list placed in it or below, in task list order.</summary>
    public TaskStruct? FirstProcess, LastProcess;

    /// <summary>The fork after an unnamed setns that last saved this namespace's cursor (its count), so an ancestor of many candidates is saved once.</summary>
    public long SavedBy;

    /// <summary>The namespace existed before the capture began (seen in a snapshot), so unknown tasks may live in it.</summary>
    public bool PreExisting;

    /// <summary>Every number in use at this level is known (created in the capture, or seeded by a full /proc snapshot).</summary>
    public bool Complete;

    /// <summary>
    /// For a namespace a traced call made (clone with CLONE_NEWPID, unshare): the last
    /// TaskStruct.ProcessSeq given before it was made; -1 for one that existed before the model
    /// knew it. A process the model knew before then, whose namespace it does not know, is in a
    /// namespace that already existed (a task's namespace is made before the task and never
    /// changes): not in this one, nor in any below it, which were made later still.
    /// </summary>
    public long MadeAfter = -1;

    /// <summary>
    /// A process the capture does not trace lives at this level or below (TaskSnapshot.Untraced):
    /// its children, which no line shows, may hold numbers here since the snapshot, so a number
    /// not known is not known to be free. What the snapshot showed is still known.
    /// </summary>
    public bool MayHoldUnseen;

    /// <summary>Live or zombie tasks with a number at this level (pid_allocated, less lingering group ids).</summary>
    public int Tasks;

    /// <summary>The init whose last thread has exited: it waits in zap_pid_ns_processes until the namespace is empty, then tells its parent.</summary>
    public TaskStruct? DyingInit;

    /// <summary>The idr: number at this level to the pid (task or lingering group/session id) holding it.</summary>
    public readonly PidIdr Idr;

    /// <summary>The highest number the idr has held since it was last empty: how tall its tree is.</summary>
    public int IdrHighest;

    /// <summary>
    /// The idr's last first-free search (<see cref="PidIdr.FirstFree"/>): where it started, wrapped
    /// and stopped, and what it found; <see cref="NotSearched"/> once a number came or went.
    /// </summary>
    public int SearchStart = NotSearched, SearchMin, SearchMax, SearchFound;

    /// <summary>No search is remembered (no real start is negative).</summary>
    public const int NotSearched = int.MinValue;

    /// <summary>A number came or went: the last search's answer no longer holds.</summary>
    public void ForgetSearch() => SearchStart = NotSearched;

    public PidNamespace(int id, int level, PidNamespace? parent, int pidMax, PidLookupTable table, PidIdr.Shelf shelf)
    {
        Id = id;
        Level = level;
        Idr = new PidIdr(this, table, shelf);
        Parent = parent;
        PidMax = pidMax;
        Cursor = UnknownCursor;
    }

    /// <summary>The ancestor (or this namespace) at <paramref name="level"/>.</summary>
    public PidNamespace AncestorAt(int level)
    {
        var ns = this;
        while (ns.Level > level) ns = ns.Parent!;
        return ns;
    }
}
