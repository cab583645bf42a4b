using Replayer.Ingest.Events;

namespace Replayer.Replay.Models;

/// <summary>Which kind of id a number stands for.</summary>
public enum IdKind : byte { Pid, Tgid, Pgid, Sid }

/// <summary>
/// One design for container pids (MODELS.md), replayed event by event. The replay is trace-driven:
/// tasks are born, change group and die as the trace says, in every model. A model answers two
/// questions for a viewer task, out (which number it sees for a task, group or session) and in
/// (which task, group or session a number it passes names), and from them predicts what each
/// event would have returned and done under its design.
///
/// Models are pure, deterministic and single-threaded, and allocate nothing per event on their
/// hot path: <see cref="Apply"/> fills an <see cref="Outcome"/> the caller owns and reuses.
/// </summary>
public interface IPidModel
{
    /// <summary>"nested" or "vpid".</summary>
    string Name { get; }

    /// <summary>
    /// Predicts the event under this design, fills <paramref name="outcome"/> (reset first by the
    /// model), then brings the state in line with what the trace says happened.
    /// </summary>
    void Apply(PidEvent ev, Outcome outcome);

    /// <summary>
    /// Out: the number <paramref name="viewer"/> sees for the id of <paramref name="target"/>
    /// (both global tids); 0 when the viewer cannot see it; -1 when either task is unknown.
    /// </summary>
    int NumberOf(int viewer, int target, IdKind kind);

    /// <summary>
    /// In: the global id (a tid, or a group or session leader's tid) that <paramref name="number"/>
    /// names when <paramref name="viewer"/> passes it; 0 when it names nothing.
    /// </summary>
    int Resolve(int viewer, int number, IdKind kind);

    /// <summary>The container (top-level pid namespace or VPS) a task belongs to; 0 for the host.</summary>
    int ContainerOf(int tid);

    /// <summary>The whole model state, to restart a replay from a position.</summary>
    byte[] Snapshot();

    /// <summary>Writes the bytes <see cref="Snapshot"/> gives to a stream, without holding them whole in memory.</summary>
    void WriteSnapshot(Stream output);

    void Restore(ReadOnlySpan<byte> snapshot);
}
