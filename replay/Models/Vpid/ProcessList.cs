using System.Diagnostics;

namespace Replayer.Replay.Models.Vpid;

/// <summary>
/// The host's process list (for_each_process): group leaders in creation order. The kernel links
/// them through init_task.tasks; here they sit in an array, because a walk over every process
/// (kill(-1) under the posted policy reaches the whole host from any VPS) chasing one task object
/// to the next took a cache miss per process, and a host runs tens of thousands. A process that
/// leaves makes a hole; appends close the holes once they are half the slots, so a walk reads at
/// most about twice as many slots as there are processes, and a walk that releases (a teardown)
/// can go on over the slots it has not reached yet.
/// </summary>
internal sealed class ProcessList
{
    /// <summary>Leaders in creation order; null where one has left.</summary>
    private VpidTask?[] _slots = new VpidTask?[256];
    /// <summary>Slots used, holes included: a walk goes from 0 to here.</summary>
    private int _end;
    /// <summary>Null slots below <see cref="_end"/>.</summary>
    private int _holes;

    /// <summary>One past the last slot a walk must read.</summary>
    public int End => _end;

    /// <summary>The process in a slot; null for a hole.</summary>
    public VpidTask? this[int slot] => _slots[slot];

    /// <summary>Processes on the list.</summary>
    public int Count => _end - _holes;

    /// <summary>A new process, at the end (copy_process: list_add_tail_rcu(&amp;p->tasks, &amp;init_task.tasks)).</summary>
    public void Add(VpidTask p)
    {
        Debug.Assert(p.ProcessSlot < 0, "a process is on the list once");
        if (_holes > _end / 2)
            Compact();
        else if (_end == _slots.Length)
            Array.Resize(ref _slots, _slots.Length * 2);
        p.ProcessSlot = _end;
        _slots[_end++] = p;
    }

    /// <summary>The process leaves the list (__unhash_process); its slot becomes a hole, or the end moves back over it.</summary>
    public void Remove(VpidTask p)
    {
        Debug.Assert(ReferenceEquals(_slots[p.ProcessSlot], p), "a process leaves from its own slot");
        _slots[p.ProcessSlot] = null;
        p.ProcessSlot = -1;
        _holes++;
        while (_end > 0 && _slots[_end - 1] is null)
        {
            _end--;
            _holes--;
        }
    }

    /// <summary>The processes move down over the holes, in order; each learns its new slot.</summary>
    private void Compact()
    {
        int to = 0;
        for (int from = 0; from < _end; from++)
            if (_slots[from] is { } p)
            {
                p.ProcessSlot = to;
                _slots[to++] = p;
            }
        Array.Clear(_slots, to, _end - to);
        _end = to;
        _holes = 0;
    }

    public void Clear()
    {
        Array.Clear(_slots, 0, _end);
        _end = _holes = 0;
    }
}
