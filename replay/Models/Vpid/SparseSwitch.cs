namespace Replayer.Replay.Models.Vpid;

/// <summary>
/// The cost of one switch_to_sparse_mapping (seed 001, diff-vpids-virt), all of it spent under
/// write_lock_irq(&amp;tasklist_lock): a latency spike for the whole host when the walk is host-wide.
/// </summary>
/// <param name="VpsId">The switching VPS.</param>
/// <param name="Mappings">Mappings add_mapping made (duplicate (vnr, vps id) keys are skipped).</param>
/// <param name="Lookups">__lookup_vpid_mapping calls of the walk: one per thread, three per process.</param>
/// <param name="Probes">Hash chain entries those lookups and inserts visited.</param>
/// <param name="Preallocated">Entries preallocated outside the lock: get_vps_tasks_num(vps).</param>
/// <param name="AtomicAllocations">Entries beyond the preallocated ones, taken with GFP_ATOMIC under the lock.</param>
/// <param name="HostWide">The walk covered every task of the host, as posted.</param>
public readonly record struct SparseSwitch(
    int VpsId, int Mappings, int Lookups, int Probes, int Preallocated, int AtomicAllocations, bool HostWide);
