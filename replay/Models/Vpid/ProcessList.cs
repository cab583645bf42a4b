using System.Diagnostics;

namespace Replayer.Replay.Models.Vpid;

/// <summary>What a signal's result depends on, of one process (the leader's state and dispositions).</summary>
internal readonly record struct SignalView(TaskState State, ulong Ignored, ulong Caught, ulong UnknownDisposition);

/// <summary>A process on the host's process list, with a copy of what kill(-1) reads of it.</summary>
internal struct ProcessEntry
{
    /// <summary>The group leader; null for a hole.</summary>
    public VpidTask? Task;
    /// <summary>Its global tid and virtual pid.</summary>
    public int Tid, VPid;
    /// <summary>Its state and dispositions.</summary>
    public SignalView Signals;
}

/// <summary>
/// The host's process list (for_each_process): group leaders in creation order. The kernel links
/// them through init_task.tasks; here they sit in an array of entries that also hold a copy of
/// what kill(-1) reads of each, because under the posted policy kill(-1) reaches the whole host
/// from any VPS: tens of thousands of processes, each a task object somewhere in the heap, a
/// cache and TLB miss apiece to reach, where the entries are read in order. A leader's setters
/// (VpidTask) keep its copy current. A process that leaves makes a hole; appends close the holes
/// once they are half the slots, so a walk reads at most about twice as many slots as there are
/// processes, and a walk that releases (a teardown) can go on over the slots it has not reached.
/// </summary>
internal sealed class ProcessList
{
    /// <summary>Leaders in creation order; a null task where one has left.</summary>
    private ProcessEntry[] _entries = new ProcessEntry[256];
    /// <summary>Slots used, holes included: a walk goes from 0 to here.</summary>
    private int _end;
    /// <summary>Holes below <see cref="_end"/>.</summary>
    private int _holes;

    /// <summary>One past the last slot a walk must read.</summary>
    public int End => _end;

    /// <summary>The process in a slot; null for a hole.</summary>
    public VpidTask? this[int slot] => _entries[slot].Task;

    /// <summary>The entry of a slot, for a walk that reads the copies.</summary>
    public ref readonly ProcessEntry Entry(int slot) => ref _entries[slot];

    /// <summary>Processes on the list.</summary>
    public int Count => _end - _holes;

    /// <summary>A new process, at the end (copy_process: list_add_tail_rcu(&amp;p->tasks, &amp;init_task.tasks)).</summary>
    public void Add(VpidTask p)
    {
        Debug.Assert(p.ProcessSlot < 0, "a process is on the list once");
        if (_holes > _end / 2)
            Compact();
        else if (_end == _entries.Length)
            Array.Resize(ref _entries, _entries.Length * 2);
        p.ProcessSlot = _end++;
        p.Processes = this;
        _entries[p.ProcessSlot].Task = p;
        Refresh(p);
    }

    /// <summary>The process leaves the list (__unhash_process); its slot becomes a hole, or the end moves back over it.</summary>
    public void Remove(VpidTask p)
    {
        Debug.Assert(ReferenceEquals(_entries[p.ProcessSlot].Task, p), "a process leaves from its own slot");
        _entries[p.ProcessSlot] = default;
        p.ProcessSlot = -1;
        p.Processes = null;
        _holes++;
        while (_end > 0 && _entries[_end - 1].Task is null)
        {
            _end--;
            _holes--;
        }
    }

    /// <summary>The copy of a process's fields, after one of them changed.</summary>
    public void Refresh(VpidTask p)
    {
        ref var e = ref _entries[p.ProcessSlot];
        e.Tid = p.Tid;
        e.VPid = p.VPid;
        e.Signals = p.Signals;
    }

    /// <summary>The processes move down over the holes, in order; each learns its new slot.</summary>
    private void Compact()
    {
        int to = 0;
        for (int from = 0; from < _end; from++)
            if (_entries[from].Task is { } p)
            {
                p.ProcessSlot = to;
                _entries[to++] = _entries[from];
            }
        Array.Clear(_entries, to, _end - to);
        _end = to;
        _holes = 0;
    }

    public void Clear()
    {
        for (int i = 0; i < _end; i++)
            if (_entries[i].Task is { } p)
            {
                p.ProcessSlot = -1;
                p.Processes = null;
            }
        Array.Clear(_entries, 0, _end);
        _end = _holes = 0;
    }
}
