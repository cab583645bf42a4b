using System.Globalization;
using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Proc;
using Replayer.Ingest.Formats.Tracefs;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Capture;

/// <summary>
/// The window between the /proc snapshot and tracing_on. The snapshot is read with tracing off (a
/// task changed while it is read would otherwise be both in its block and in the trace), so what
/// happens between the read and tracing_on is in neither: a zombie reaped there stays a zombie in
/// the models, and its parent's later waits are predicted to reap it again. So /proc is read a
/// second time once tracing is on, each task stamped with when that read reached it, and each
/// task's block is chosen by the trace lines about it before then (<see cref="EarlyLines"/>):
/// <list type="bullet">
/// <item>none: whatever changed it happened in the window, and the second read is its state when
/// tracing began. Its second block is taken; a task gone by then is left out (it exited and was
/// reaped in the window); a task new then is added (forked in the window).</item>
/// <item>some: the first block stays, but takes from the second each part no such line can have
/// changed (<see cref="Part"/>); a task forked in the window is added as read, without the parts
/// a line may have changed. A task gone by the second read stays only if a line names it
/// (<see cref="Part.Named"/>): one that only may concern it (its parent's group exit) does not
/// show it was there after tracing_on, and one gone with no exit in the trace exited before.</item>
/// </list>
/// A line may concern a task without being its own (a wait that returned its number at the
/// waiter's level in any namespace, a waitid of its parent's, its parent's setpgid or group exit,
/// another thread's exec): the marking is conservative, so the check only takes from the second
/// read what the trace cannot also say.
/// </summary>
public static class SnapshotWindow
{
    /// <summary>
    /// What the check did: blocks replaced whole, blocks of which some lines were taken from the
    /// second read, tasks left out, tasks added, and blocks kept as first read although they changed.
    /// </summary>
    public sealed record Outcome(string Snapshot, int Tasks, int Replaced, int Merged, int Dropped, int Added, int Kept)
    {
        /// <summary>Blocks kept from the first read whose number may have been given to another task before tracing_on (<see cref="PidsGiven"/>).</summary>
        public int Reused { get; init; }
    }

    /// <summary>
    /// The numbers the pid allocator may have given between the first read and tracing_on: its
    /// cursor (ns_last_pid) read just before the first read, after each task of it (<see
    /// cref="Between"/>) and just after tracing_on, and pid_max. The allocator climbs from its
    /// cursor and wraps below pid_max, so what it gave between two reads lies in the cyclic range
    /// from one to the next; a write to ns_last_pid (a checkpoint restore, a test that forces a
    /// wrap) jumps it, and one that sets it back is taken in by the wrap. Unseen: a run past the
    /// whole range between two reads, and a cursor set back a little that climbs past its value
    /// again before the next read (the reads are microseconds apart during the first read, and
    /// the last two frame the start of tracing). <paramref name="BeforeTicks"/>: the clock tick
    /// (since boot, as stat's start times) at or before the first cursor read, 0 when not known;
    /// a task forked after that tick took its number in this pass, which gives each number once.
    /// </summary>
    public readonly record struct PidsGiven(int Before, int After, int PidMax, long BeforeTicks = 0)
    {
        /// <summary>The cursor's turns read between <see cref="Before"/> and <see cref="After"/>, in order (<see cref="PidCursorTrail"/>); empty when only the two were read.</summary>
        public IReadOnlyList<int> Between { get; init; } = [];

        public bool May(int nr)
        {
            int from = Before;
            foreach (int to in Between)
            {
                if (Step(from, to, nr)) return true;
                from = to;
            }
            return Step(from, After, nr);
        }

        /// <summary>Whether the allocator may have given <paramref name="nr"/> between two reads of its cursor.</summary>
        private bool Step(int from, int to, int nr) =>
            from == to ? false
            : from < to ? nr > from && nr <= to
            : nr > from && nr < PidMax || nr >= 1 && nr <= to;

        /// <summary>Whether the number of a task forked at <paramref name="start"/> (0: not known) may have been given again.</summary>
        public bool May(int nr, long start) => May(nr) && !(BeforeTicks > 0 && start > BeforeTicks);

        /// <summary>Every read kept, first to last, as the header gives them.</summary>
        public IEnumerable<int> Reads => [Before, .. Between, After];
    }

    /// <summary>
    /// The pid allocator's cursor read over the window (<see cref="PidsGiven"/>), kept as its turns:
    /// a run of reads that only climbs keeps its first and last, since the numbers given along it
    /// are the range from one to the other; a read lower than the one before (a wrap, or a write
    /// that set the cursor back) starts a new run. A read that fails is passed over: the range
    /// from the read before it to the one after it stands for both steps.
    /// </summary>
    public sealed class PidCursorTrail(Func<int?> read)
    {
        private readonly List<int> _turns = [];
        private bool _firstFailed, _lastFailed;

        /// <summary>Reads the cursor now.</summary>
        public void Sample()
        {
            var cursor = read();
            _lastFailed = cursor is null;
            if (cursor is { } c) Add(c);
            else if (_turns.Count == 0) _firstFailed = true;
        }

        internal void Add(int cursor)
        {
            if (_turns.Count > 0 && _turns[^1] == cursor) return;
            if (_turns.Count >= 2 && _turns[^2] <= _turns[^1] && _turns[^1] <= cursor) _turns[^1] = cursor;
            else _turns.Add(cursor);
        }

        /// <summary>What the reads say; null when the first or the last read failed (nothing then bounds the window) or pid_max is not known.</summary>
        public PidsGiven? Given(int? pidMax, long beforeTicks) =>
            _firstFailed || _lastFailed || _turns.Count == 0 || pidMax is not { } max ? null
            : _turns.Count == 1 ? new PidsGiven(_turns[0], _turns[0], max, beforeTicks)
            : new PidsGiven(_turns[0], _turns[^1], max, beforeTicks) { Between = _turns[1..^1] };
    }

    /// <summary>
    /// What a block's lines say, by what can change them: a task with a line before the second read
    /// reached it keeps its first read, but takes from the second the lines of each part that no
    /// early line could have changed (an unshare in the window shows in ns_for_children, which only
    /// the task's own unshare or setns changes).
    /// </summary>
    [Flags]
    internal enum Part
    {
        None = 0,
        /// <summary>Anything: the block as a whole.</summary>
        All = 1,
        /// <summary>ns_for_children: the task's own unshare and setns.</summary>
        Ns = 2,
        /// <summary>SigIgn, SigCgt: rt_sigaction that sets an action, a delivery (SA_RESETHAND), exec; signal by signal but for exec.</summary>
        Actions = 4,
        /// <summary>pgrp, session, NSpgid, NSsid: setsid of the process, setpgid of it or its parent.</summary>
        Group = 8,
        /// <summary>PPid: the parent's end.</summary>
        Parent = 16,
        /// <summary>Uid and the capability sets, NoNewPrivs: the thread's set*id, capset, prctl, exec.</summary>
        Creds = 32,
        /// <summary>State: the task's exit.</summary>
        Exit = 64,
        /// <summary>
        /// Not a part: the line names the task itself (its own line, its birth or exit, a signal to
        /// it, a call that named its number), so it was there after tracing_on. A line that only
        /// may concern it (its parent's group exit, another thread's exec) does not say that.
        /// </summary>
        Named = 128,
        /// <summary>
        /// SigPnd, ShdPnd: a signal generated to the task's process, one its threads took
        /// (signal_deliver) or a wait for one (rt_sigtimedwait). A task forked in the window and
        /// read after the namespace teardown's SIGKILL came to it showed it pending, and the
        /// models then predicted the teardown would skip it (a busy capture's sleep).
        /// </summary>
        Pending = 256,
        /// <summary>
        /// Not a part: the task's exit is in the trace, so it was alive at tracing_on as far as the
        /// models go: its own sched_process_exit, its death notice from its own context (where the
        /// trace's reader places the exit of a task whose sched_process_exit came before
        /// tracing_on), or its process's exit_group or exec (every thread it ends dies after it).
        /// Another thread's death notice for the process does not show that: the process's leader
        /// may have exited in the window, before the last of its threads.
        /// </summary>
        ExitTraced = 512,
    }

    /// <summary>The block lines of each part but <see cref="Part.All"/>, by their key.</summary>
    private static readonly (Part Part, string[] Keys)[] Parts =
    [
        (Part.Ns, ["ns_for_children:"]),
        (Part.Actions, ["SigIgn:", "SigCgt:"]),
        (Part.Group, ["pgrp:", "session:", "NSpgid:", "NSsid:"]),
        (Part.Parent, ["PPid:"]),
        (Part.Creds, ["Uid:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:"]),
        (Part.Exit, ["State:"]),
        (Part.Pending, ["SigPnd:", "ShdPnd:"]),
    ];

    /// <summary>
    /// The snapshot as of tracing_on, as far as the trace allows: <paramref name="before"/>'s header,
    /// then each task's block chosen as the class says, ordered as /proc lists them.
    /// </summary>
    /// <remarks>
    /// <paramref name="late"/>: the births and wait4 returns after the second read (<see cref="EarlyLines.Late"/>),
    /// which change no block but tell of children forked and dead in the window.
    /// </remarks>
    /// <param name="given">
    /// The numbers the allocator may have given before tracing_on; null when not known (then a
    /// number read once is taken to be the read task's until the trace says otherwise).
    /// </param>
    public static Outcome Reconcile(ProcScan before, ProcScan after, IReadOnlyList<EarlyLine> early, IReadOnlyList<EarlyLine>? late = null, PidsGiven? given = null)
    {
        var first = before.Tasks.ToDictionary(t => t.Tid);
        var second = after.Tasks.ToDictionary(t => t.Tid);
        var since = Traced(early, late ?? [], first, second, out var unseenChildren);
        // When the trace has a tid's birth: the models make that task there, and a line before it
        // is of whoever held the number before.
        var bornAt = new Dictionary<int, long>();
        foreach (var l in early)
            if (l.Point is Tracepoint.Fork or Tracepoint.NewTask)
            {
                int child = (int)(l.Point == Tracepoint.Fork ? l.A1 : l.A0);
                if (!bornAt.TryGetValue(child, out long at) || l.Time < at) bornAt[child] = l.Time;
            }
        // The second read of the same task: a tid read twice with another process or another
        // fork time is another task's, given the number after the first read's had gone.
        ProcTask? Again(ProcTask t) => second.TryGetValue(t.Tid, out var again) && again.SameTaskAs(t) ? again : null;
        // The parts some line changed before the second read reached the task (gone by then: any line).
        // A line after that is no matter: that read came first.
        // The second read goes through /proc in order: a task gone by then was gone when the read
        // came to the task after it, and a line after that is about a task no longer there.
        var order = after.Tasks.Select(t => ((long)t.Tgid << 32 | (uint)t.Tid, t.ReadAt)).OrderBy(e => e.Item1).ToArray();
        var keys = order.Select(e => e.Item1).ToArray();
        long GoneBy(ProcTask t)
        {
            int at = Array.BinarySearch(keys, (long)t.Tgid << 32 | (uint)t.Tid);
            at = at < 0 ? ~at : at + 1;
            return at < order.Length && order[at].ReadAt != 0 ? order[at].ReadAt : long.MaxValue;
        }
        // The parts, and the signals whose action a line may have changed: of a task as the first
        // read had it, or (firstRead false) as only the second did.
        (Part Parts, ulong Sigs) Seen(ProcTask t, bool firstRead = true)
        {
            if (!since.TryGetValue(t.Tid, out var lines)) return (Part.None, 0);
            long cutoff;
            if (!firstRead) cutoff = t.ReadAt != 0 ? t.ReadAt : long.MaxValue;
            else if (Again(t) is { } again) cutoff = again.ReadAt != 0 ? again.ReadAt : long.MaxValue;
            else
            {
                cutoff = GoneBy(t);
                // Gone, and its number born again in the trace: a line after that birth is the new task's.
                if (bornAt.TryGetValue(t.Tid, out long birth) && birth < cutoff) cutoff = birth;
            }
            var parts = Part.None;
            ulong sigs = 0;
            foreach (var (part, at, s) in lines)
                if (at < cutoff)
                {
                    parts |= part;
                    sigs |= s;
                }
            return (parts, sigs);
        }
        var chosen = new List<ProcTask>(after.Tasks.Count + 8);
        int replaced = 0, merged = 0, dropped = 0, added = 0, kept = 0, reused = 0;
        // Read in do_exit (PF_EXITING) with no sched_process_exit of its own anywhere in the trace:
        // that came before tracing_on (a test suite's capture: a dotnet thread read running by the
        // second read, between its exit, in the window, and its release; kept alive, it held its
        // process alive in the models, and the wait4 that reaped the process was predicted 0). A
        // thread is gone then, a leader a zombie.
        var exitLines = new HashSet<int>();
        foreach (var l in early.Concat(late ?? []))
            if (l.Point == Tracepoint.ProcessExit) exitLines.Add((int)l.A0);
        bool ExitedBefore(ProcTask t) => t.Exiting && !t.Zombie && !exitLines.Contains(t.Tid);
        foreach (var t in before.Tasks)
        {
            var (seen, sigs) = Seen(t);
            if (Again(t) is { } again)
            {
                if (ExitedBefore(again))
                {
                    if (again.Tid == again.Tgid) chosen.Add(Dead(again));
                    replaced++;
                    continue;
                }
                if (seen == Part.None)
                {
                    chosen.Add(Stamped(again));
                    if (Changed(t, again)) replaced++;
                    continue;
                }
                var mix = Merge(t, again, ExitTracedOnly(seen), sigs);
                chosen.Add(mix);
                if (Changed(t, mix)) merged++;
                if (Changed(mix, again)) kept++;
            }
            else if (second.ContainsKey(t.Tid) && !bornAt.ContainsKey(t.Tid))
            {
                // Its number was another task's at the second read, and that task's birth is not in
                // the trace: it was forked before tracing_on, when this one was already gone.
                dropped++;
            }
            else if ((seen & Part.Named) != 0)
            {
                // Gone with no exit of its own in the trace before the second read passed it: it
                // exited in the window, and was a zombie when tracing began (reaped after: a wait's
                // line names it). Its process's lines do not say otherwise (a busy capture: a .NET
                // process's leader exited in the window, a thread of its after tracing_on, whose
                // death notice for the process marked the leader; kept alive as first read, the
                // leader held the process alive in the models, and its parent's wait4(WNOHANG),
                // which reaped it, was predicted 0).
                var kept1 = (seen & Part.ExitTraced) != 0 || t.Zombie ? t : Dead(t);
                // Unless its number may have been given again before tracing_on, with no birth in
                // the trace: then the lines may be another task's (a busy capture: a sh's child,
                // read, dead, and its number given to a thread of a python3 after a test set
                // ns_last_pid back; the thread named by a tgkill after tracing_on, gone before
                // the second read: the models, which held the number as the sh child's process,
                // said ESRCH to the tgkill's 0). Its block keeps what the number was read with,
                // and says that its holder is not known for sure.
                if (given is { } g && g.May(t.Tid, t.Start) && !bornAt.ContainsKey(t.Tid))
                {
                    kept1 = MaybeReused(kept1, seen);
                    reused++;
                }
                chosen.Add(kept1);
                kept++;
            }
            else
            {
                dropped++;
            }
        }
        // Tasks whose birth the trace has (bornAt): the models make them there.
        foreach (var t in after.Tasks)
        {
            if (first.TryGetValue(t.Tid, out var read) && read.SameTaskAs(t) || bornAt.ContainsKey(t.Tid)) continue;
            if (ExitedBefore(t))
            {
                if (t.Tid == t.Tgid) chosen.Add(Dead(t));
                added++;
                continue;
            }
            // Forked in the window (a number the first read had is another's now): as read, but
            // for the parts an early line may have changed since.
            var (seen, _) = Seen(t, firstRead: false);
            chosen.Add(Stamped(seen == Part.None ? t : Unknowing(t, seen)));
            added++;
        }
        // Forked in the window and gone before the second read reached it: known by its own lines.
        foreach (var child in WindowChildren(early, late ?? [], first, second, bornAt, chosen))
        {
            chosen.Add(child);
            added++;
        }
        // A wait that reaped a child neither read showed and the trace did not see born: the child
        // was forked and died in the window, and its notice may still have been pending when
        // tracing began (a busy capture: a dash's three such children, reaped 0.2 s after
        // tracing_on; a fourth child's notice before that found SIGCHLD already pending, which the
        // models had predicted delivered). The waiter's process keeps SIGCHLD among its pending
        // signals (ShdPnd), which the models take as maybe pending, never as surely. So does a
        // process with a zombie child in the bundle: that child's notice came before the snapshot
        // stood, and the parent's own read, earlier in /proc's order or before the window, need not
        // show it (a busy capture: a sh read before its child died; its next child's notice found
        // SIGCHLD already pending, which the models had predicted delivered).
        var zombieParents = chosen.Where(t => t.Zombie && t.Tid == t.Tgid && t.PPid > 0).Select(t => t.PPid).ToHashSet();
        for (int i = 0; i < chosen.Count; i++)
            if (chosen[i].Tid == chosen[i].Tgid && !chosen[i].Zombie && (unseenChildren.Contains(chosen[i].Tid) || zombieParents.Contains(chosen[i].Tid)))
                chosen[i] = SigchldMaybePending(chosen[i]);
        // By process; within one, in the order the reads listed its threads (the kernel's thread
        // list: the leader, then the others as they were created, those forked in the window last),
        // not by tid, which wraps.
        var ordered = chosen.OrderBy(t => t.Tgid).ToList();
        var text = new StringBuilder(before.Header.Length + ordered.Sum(t => t.Block.Length));
        text.Append(before.Header);
        foreach (var t in ordered) text.Append(t.Block);
        return new Outcome(text.ToString(), chosen.Count, replaced, merged, dropped, added, kept) { Reused = reused };
    }

    /// <summary>
    /// Whether the task had exited when tracing began is what the trace says of its exit
    /// (<see cref="Part.ExitTraced"/>): there, it was alive then; not there, what the second read
    /// shows. Another thread's death notice for its process is no matter: a leader that exited in
    /// the window stays a zombie beside its live threads.
    /// </summary>
    private static Part ExitTracedOnly(Part seen) => (seen & Part.ExitTraced) != 0 ? seen | Part.Exit : seen & ~Part.Exit;

    /// <summary>
    /// The first read, with the lines of every part no early line changed taken from the second.
    /// The actions go signal by signal: a line changes one signal's (<paramref name="sigs"/>, bit
    /// sig-1), so each other's is taken from the second read (a handler installed in the window).
    /// </summary>
    private static ProcTask Merge(ProcTask first, ProcTask second, Part seen, ulong sigs)
    {
        var take = new List<string>();
        foreach (var (part, keys) in Parts)
            if ((seen & part) == 0) take.AddRange(keys);
        var bitwise = (seen & Part.Actions) != 0 && sigs != ulong.MaxValue ? ActionsPerSignal(first, second, sigs) : null;
        if (bitwise is not null) take.AddRange(bitwise.Keys);
        if (take.Count == 0) return first;
        var from = second.Block.Split('\n').Where(l => take.Any(k => l.StartsWith(k, StringComparison.Ordinal)))
            .ToDictionary(l => take.First(k => l.StartsWith(k, StringComparison.Ordinal)), StringComparer.Ordinal);
        if (bitwise is not null)
            foreach (var (key, line) in bitwise) from[key] = line;
        var lines = first.Block.Split('\n').ToList();
        var had = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Count; i++)
        {
            var key = take.FirstOrDefault(k => lines[i].StartsWith(k, StringComparison.Ordinal));
            if (key is null) continue;
            had.Add(key);
            if (from.TryGetValue(key, out var line)) lines[i] = line;
            else lines.RemoveAt(i--);
        }
        // A line the first read lacked (/proc shows NSpgid only when it can) goes before the blank that ends the block.
        foreach (var (key, line) in from)
            if (!had.Contains(key)) lines.Insert(lines.Count - 2, line);
        int ppid = (seen & Part.Parent) == 0 ? second.PPid : first.PPid;
        bool zombie = (seen & Part.Exit) == 0 ? second.Zombie : first.Zombie;
        return first with { Block = string.Join('\n', lines), PPid = ppid, Zombie = zombie };
    }

    /// <summary>
    /// SigIgn and SigCgt as lines: the first read's bits of <paramref name="sigs"/>, the second's of
    /// the others. Null unless both reads show both masks.
    /// </summary>
    private static Dictionary<string, string>? ActionsPerSignal(ProcTask first, ProcTask second, ulong sigs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in (string[])["SigIgn:", "SigCgt:"])
        {
            if (Mask(first.Block, key) is not { } a || Mask(second.Block, key) is not { } b) return null;
            result[key] = string.Create(CultureInfo.InvariantCulture, $"{key}\t{(a & sigs) | (b & ~sigs):x16}");
        }
        return result;
    }

    /// <summary>A block's hex mask line, or null when it has none that reads.</summary>
    private static ulong? Mask(string block, string key)
    {
        foreach (var line in block.Split('\n'))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return ulong.TryParse(line.AsSpan(key.Length).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v : null;
        return null;
    }

    /// <summary>A process's block with SIGCHLD among its shared pending signals (a ShdPnd line added if it had none).</summary>
    private static ProcTask SigchldMaybePending(ProcTask t)
    {
        const ulong Sigchld = 1UL << 16;
        var lines = t.Block.Split('\n').ToList();
        int at = lines.FindIndex(l => l.StartsWith("ShdPnd:", StringComparison.Ordinal));
        ulong pending = at >= 0 ? Mask(t.Block, "ShdPnd:") ?? 0 : 0;
        var line = string.Create(CultureInfo.InvariantCulture, $"ShdPnd:\t{pending | Sigchld:x16}");
        if (at >= 0) lines[at] = line;
        else lines.Insert(lines.Count - 2, line);
        return t with { Block = string.Join('\n', lines) };
    }

    /// <summary>
    /// A kept first read whose number may have been another task's at tracing_on: the parts a
    /// task of another process would have had otherwise are left out (its parent, group and
    /// session, credentials, actions, pending signals: not known), and a <c>reused: maybe</c> line
    /// tells the models that a call naming the number names a task they do not know for sure.
    /// </summary>
    private static ProcTask MaybeReused(ProcTask t, Part seen)
    {
        var u = Unknowing(t, (seen & (Part.Exit | Part.ExitTraced)) | Part.Parent | Part.Group | Part.Creds | Part.Actions | Part.Pending);
        var lines = u.Block.Split('\n').ToList();
        lines.Insert(lines.Count - 2, "reused: maybe");
        return u with { Block = string.Join('\n', lines) };
    }

    /// <summary>The first read of a task that exited in the window: a zombie.</summary>
    private static ProcTask Dead(ProcTask t) => t with
    {
        Block = string.Join('\n', t.Block.Split('\n').Select(l => l.StartsWith("State:", StringComparison.Ordinal) ? "State: Z" : l)),
        Zombie = true,
    };

    /// <summary>
    /// A block as the second read gave it, with when that read reached the task (the trace's clock,
    /// ns: "read_at:"). Its SigBlk is the mask then, after tracing_on; no trace line says when a
    /// mask changes, so the window check cannot tell whether it changed in between, but the
    /// capture's mask records can: the reader takes the mask as only read when one of the task's
    /// came before (a busy capture: a dash read blocking every signal, 0.1 ms after its own
    /// record of that block and after a fork that it made with nothing blocked; its child, taken
    /// to block SIGCONT, was predicted to have it delivered, and the kernel said ignored).
    /// </summary>
    private static ProcTask Stamped(ProcTask t) =>
        t.ReadAt == 0 || !t.Block.EndsWith("\n\n", StringComparison.Ordinal) ? t
        : t with { Block = string.Create(CultureInfo.InvariantCulture, $"{t.Block[..^1]}read_at: {t.ReadAt}\n\n") };

    /// <summary>
    /// A task forked in the window whose only read came after some early line about it: each part
    /// such a line may have changed is left out (not known), and one whose own exit is in the
    /// trace was alive when tracing began (<see cref="ExitTracedOnly"/>).
    /// </summary>
    private static ProcTask Unknowing(ProcTask t, Part seen)
    {
        seen = ExitTracedOnly(seen);
        var drop = new List<string>();
        foreach (var (part, keys) in Parts)
            if ((seen & part) != 0 && part is not (Part.Exit or Part.Ns or Part.Parent)) drop.AddRange(keys);
        var lines = new List<string>();
        foreach (var line in t.Block.Split('\n'))
        {
            if (drop.Any(k => line.StartsWith(k, StringComparison.Ordinal))) continue;
            if ((seen & Part.Exit) != 0 && line.StartsWith("State:", StringComparison.Ordinal)) lines.Add("State: S");
            else if ((seen & Part.Ns) != 0 && line.StartsWith("ns_for_children:", StringComparison.Ordinal)) lines.Add("ns_for_children: ");
            else if ((seen & Part.Parent) != 0 && line.StartsWith("PPid:", StringComparison.Ordinal)) lines.Add("PPid:\t0");
            else lines.Add(line);
        }
        // Signals came to it before tracing began, after /proc read it: which are pending is not
        // known, and none is to be taken as not pending (a python3 forked in the window, blocking
        // SIGCHLD, had one pending from a child dead there: the next child's SIGCHLD said already
        // pending, res=2, and the models, reading no SigPnd, said delivered). Written as
        // MaybeReused writes its line.
        if ((seen & Part.Pending) != 0) lines.Insert(lines.Count - 2, "pending: unknown");
        return t with
        {
            Block = string.Join('\n', lines),
            Zombie = (seen & Part.Exit) == 0 && t.Zombie,
            PPid = (seen & Part.Parent) != 0 ? 0 : t.PPid,
        };
    }

    /// <summary>
    /// Whether a task's two blocks differ in what the models read: the State letter (R, S, D...)
    /// changes all the time and counts only as alive or exited.
    /// </summary>
    private static bool Changed(ProcTask a, ProcTask b) =>
        a.Zombie != b.Zombie || !WithoutState(a.Block).SequenceEqual(WithoutState(b.Block));

    /// <summary>
    /// Processes forked in the window and gone before the second read reached them: neither read
    /// has them and the trace not their birth, but lines of their own show them alive after
    /// tracing_on (a busy capture: three children of a fork storm's sh, forked in the window and
    /// reaped 0.1 to 0.4 s after tracing_on, 1.6 s before the second read ended; the sh's
    /// wait4(WNOHANG) answered 0, and the models, which knew none of them, ECHILD). Each is its
    /// parent's child when a line names that parent: a wait4 of the parent's that returned it (a
    /// waiter of the host's namespace, whose number for it is its global one), else its own death
    /// notice (the last CLD_EXITED/KILLED/DUMPED SIGCHLD from its context: exit_notify tells the
    /// reaper of orphaned zombies before its own parent). Its block says what the fork gave it
    /// that nothing since can have changed unseen: the parent, the parent's name, its number and
    /// namespace, the host's (a parent whose children go elsewhere: not added). Its group, session,
    /// credentials, actions, mask and pending signals are not known (the window may have changed them).
    /// </summary>
    /// <remarks>
    /// Such a process may itself have forked in the window (a test starting PostgreSQL: runuser's
    /// child pg_ctl, its sh and the sh's postgres, all forked in the window and gone before the
    /// second read; the sh and the postgres were adopted when first seen, and the models, which
    /// then no longer knew every task, left every older process's wait for any child unknown).
    /// Where its children go is not read: it may have unshared in the window. A child of its is
    /// added when a line shows the child in the host's namespace: its own getpid or gettid that
    /// returned its global number, a fork of its that returned the new task's global number, or a
    /// child of its own that is there (a task's namespace is its parent's or one below it).
    /// </remarks>
    private static List<ProcTask> WindowChildren(IReadOnlyList<EarlyLine> early, IReadOnlyList<EarlyLine> late,
        Dictionary<int, ProcTask> first, Dictionary<int, ProcTask> second, Dictionary<int, long> bornAt, List<ProcTask> chosen)
    {
        var own = new HashSet<int>();
        foreach (var l in early)
            if (l.Tid > 0 && !first.ContainsKey(l.Tid) && !second.ContainsKey(l.Tid) && !bornAt.ContainsKey(l.Tid)) own.Add(l.Tid);
        if (own.Count == 0) return [];
        var blocks = new Dictionary<int, ProcTask>();
        foreach (var t in chosen) blocks.TryAdd(t.Tid, t);
        var waits = new List<(int Waiter, int Child)>();
        var byNotice = new Dictionary<int, int>();
        var host = new HashSet<int>();
        var forked = new HashSet<(int Parent, int Child)>();
        var returned = new List<(int Parent, int Child)>();
        // A number given again later in the trace is another task's from its birth on: what is
        // said of it after that is not of this one (a busy capture on a host with pid_max 32768
        // wrapped in 8 s: a namespace's init forked in the window was taken for the shell's child
        // whose wait4 reaped a later holder of its number, and placed in the host's namespace).
        var reborn = new Dictionary<int, long>();
        foreach (var l in early.Concat(late))
            if (l.Point == Tracepoint.Fork && own.Contains((int)l.A1) && (!reborn.TryGetValue((int)l.A1, out long at) || l.Time < at))
                reborn[(int)l.A1] = l.Time;
        bool Before(int tid, long time) => !reborn.TryGetValue(tid, out long at) || time < at;
        foreach (var l in early.Concat(late))
        {
            if (!Before(l is { Point: Tracepoint.SysExit, Sys: Syscall.Wait4 } ? (int)l.A0 : l.Tid, l.Time)) continue;
            if (l is { Point: Tracepoint.SysExit, Sys: Syscall.Wait4 } && own.Contains((int)l.A0))
                waits.Add((l.Tid, (int)l.A0));
            else if (l is { Point: Tracepoint.SignalGenerate, A0: 17, A2: >= 1 and <= 3 } && own.Contains(l.Tid))
                byNotice[l.Tid] = (int)l.A3;
            else if (l is { Point: Tracepoint.SysExit, Sys: Syscall.GetPid or Syscall.GetTid } && l.A0 == l.Tid && own.Contains(l.Tid))
                host.Add(l.Tid);
            else if (l.Point == Tracepoint.Fork && own.Contains(l.Tid))
                forked.Add(((int)l.A0, (int)l.A1));
            else if (l is { Point: Tracepoint.SysExit, Sys: Syscall.Clone or Syscall.Clone3 or Syscall.Fork or Syscall.VFork, A0: > 0 } && own.Contains(l.Tid))
                returned.Add((l.Tid, (int)l.A0));
        }
        // A fork that returned its child's global number: the caller's namespace is the host's (a
        // busy capture: a bash of a job-control loop, forked in the window and gone before the
        // second read, forked children after tracing_on; left out, it and they were adopted
        // unplaced, and each of their calls was unknown). Its lines and the child's birth may come
        // from two CPUs a little out of order, so they are paired once all are in.
        foreach (var fork in returned)
            if (forked.Contains(fork)) host.Add(fork.Parent);
        // In the host's namespace, so is the parent that forked it, and that one's own parent.
        var up = new Stack<int>(host);
        while (up.TryPop(out int tid))
            if (byNotice.TryGetValue(tid, out int parent) && own.Contains(parent) && host.Add(parent)) up.Push(parent);
        var added = new HashSet<int>();
        var result = new List<ProcTask>();
        // The parent by a wait of its: one of the host's namespace, read or added.
        bool ByWait(int tid, out int ppid)
        {
            foreach (var (waiter, child) in waits)
                if (child == tid && blocks.TryGetValue(waiter, out var w) && w.NsPid is { Length: 1 })
                {
                    ppid = w.Tgid;
                    return true;
                }
            ppid = 0;
            return false;
        }
        // Rounds, until none is added: a parent forked in the window is added before its children.
        for (bool more = true; more;)
        {
            more = false;
            foreach (int tid in own.Order())
            {
                if (added.Contains(tid)) continue;
                if (!ByWait(tid, out int ppid) && !byNotice.TryGetValue(tid, out ppid)) continue;
                if (!blocks.TryGetValue(ppid, out var parent) || parent.Tgid != ppid || parent.Zombie) continue;
                var lines = parent.Block.Split('\n');
                string? Line(string key) => lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
                // Its number and namespace: the host's, when the parent's children go there. Elsewhere
                // its number is not known, and a task the models cannot place is as good as unseen
                // (a namespace's teardown would pass it over): it is left to be adopted when first seen.
                var ns = Line("ns: ");
                if (parent.NsPid is not { Length: 1 } || ns is null) continue;
                bool there = added.Contains(ppid) ? host.Contains(tid) : Line("ns_for_children: ") == $"ns_for_children: {ns[4..]}" || host.Contains(tid);
                if (!there) continue;
                var b = new StringBuilder();
                b.Append(CultureInfo.InvariantCulture, $"task {tid} tgid {tid}\n");
                if (Line("Name:") is { } name) b.Append(name).Append('\n');
                // Its pending signals are not known either: one may have come to it in the window
                // (a python3 blocking SIGCHLD, one pending from a child dead there).
                b.Append(CultureInfo.InvariantCulture, $"Tgid:\t{tid}\nPid:\t{tid}\nPPid:\t{ppid}\nNStgid:\t{tid}\nNSpid:\t{tid}\nState: S\npending: unknown\n{ns}\n\n");
                var task = new ProcTask(tid, tid, ppid, false, [tid], b.ToString());
                result.Add(task);
                blocks[tid] = task;
                added.Add(tid);
                more = true;
            }
        }
        return result;
    }

    private static IEnumerable<string> WithoutState(string block) =>
        block.Split('\n').Where(l => !l.StartsWith("State: ", StringComparison.Ordinal));

    /// <summary>The tasks some early line may concern (see the class), with the parts it may change and when.</summary>
    /// <remarks>
    /// <paramref name="unseenChildren"/>: the processes of the host's namespace with a wait that
    /// reaped a child neither read showed and whose birth the trace does not have.
    /// </remarks>
    private static Dictionary<int, List<(Part Part, long At, ulong Sigs)>> Traced(IReadOnlyList<EarlyLine> early, IReadOnlyList<EarlyLine> late,
        Dictionary<int, ProcTask> first, Dictionary<int, ProcTask> second, out HashSet<int> unseenChildren)
    {
        var traced = new Dictionary<int, List<(Part, long, ulong)>>();
        var unseen = new HashSet<int>();
        // The tasks the trace saw born; of them, the processes (task_newtask without CLONE_THREAD)
        // and when, and the threads with the process of the thread that made each.
        var born = new HashSet<int>();
        var processBornAt = new Dictionary<int, long>();
        var threadOf = new Dictionary<int, int>();
        foreach (var l in early.Concat(late))
        {
            if (l.Point is not (Tracepoint.Fork or Tracepoint.NewTask)) continue;
            int child = (int)(l.Point == Tracepoint.Fork ? l.A1 : l.A0);
            born.Add(child);
            if (l.Point != Tracepoint.NewTask) continue;
            if (((ulong)l.A1 & CloneFlags.Thread) != 0)
                threadOf.TryAdd(child, l.Tgid > 0 ? l.Tgid : Of(l.Tid)?.Tgid ?? threadOf.GetValueOrDefault(l.Tid, l.Tid));
            else if (!processBornAt.TryGetValue(child, out long at) || l.Time < at)
                processBornAt[child] = l.Time;
        }
        // A process made after tracing_on is the ancestor of no task either read showed but those
        // made after it too: every other was there before tracing_on, and a task is reparented
        // only to an ancestor of its own. So no wait of the process's reaps one (a busy capture:
        // namespace inits made after tracing_on, whose wait4s returned 2, their first child's
        // number, named every task numbered 2 in any namespace; one, a zombie at the first read
        // reaped in the window, was kept, and the models predicted its parent's later wait4 would
        // reap it). Its thread made later is not known to be of such a process: not taken.
        bool MadeBefore(in EarlyLine l) => processBornAt.TryGetValue(l.Tid, out long birth) && birth < l.Time;
        ProcTask? Of(int tid) => second.TryGetValue(tid, out var t) || first.TryGetValue(tid, out t) ? t : null;
        int deepest = first.Values.Concat(second.Values).Select(t => t.NsPid?.Length ?? 1).DefaultIfEmpty(1).Max() - 1;
        // A waiter neither read showed (forked after tracing_on): its level is not known, so every level.
        IEnumerable<int> LevelsOf(int tid) => Of(tid) is { } t ? [t.NsPid is { } levels ? levels.Length - 1 : 0] : Enumerable.Range(0, deepest + 1);
        int ProcessOf(in EarlyLine l) => l.Tgid > 0 ? l.Tgid : Of(l.Tid)?.Tgid ?? l.Tid;
        // Who is whose child, whose thread, and who has which number at a level, at either read.
        var children = new Dictionary<int, List<int>>();
        var threads = new Dictionary<int, List<int>>();
        var numbered = new Dictionary<(int Level, long Nr), List<int>>();
        foreach (var t in first.Values.Concat(second.Values))
        {
            Add(children, t.PPid, t.Tid);
            Add(threads, t.Tgid, t.Tid);
            if (t.NsPid is { } ns)
                for (int level = 0; level < ns.Length; level++) Add(numbered, (level, ns[level]), t.Tid);
            else
                Add(numbered, (0, t.Tid), t.Tid);
        }
        IEnumerable<int> ChildrenOf(int p) => children.TryGetValue(p, out var c) ? c : [];
        IEnumerable<int> ThreadsOf(int p) => threads.TryGetValue(p, out var c) ? c : [];
        // Any namespace at that level: conservative.
        IEnumerable<int> Numbered(int level, long n) => numbered.TryGetValue((level, n), out var c) ? c : [];
        // What a wait4's line may have reaped: a task with its number at the waiter's level, in the
        // waiter's namespace when both are known to be in one at that level (a task deeper down is
        // numbered there too, but its namespace's parent is not in the blocks: it is kept).
        IEnumerable<int> Reaped(EarlyLine l)
        {
            var waiter = Of(l.Tid);
            int process = WaiterProcess(l);
            var found = new List<int>();
            foreach (int level in LevelsOf(l.Tid))
                foreach (int tid in Numbered(level, l.A0))
                {
                    if (waiter is not null && Of(tid) is { NsPid: { } levels } c && levels.Length - 1 == level && NsOf(c) != NsOf(waiter)) continue;
                    if (!OnChain(process, tid)) continue;
                    found.Add(tid);
                }
            return found;
        }
        // The process of a wait's line: a thread the trace saw made is of its maker's process.
        int WaiterProcess(in EarlyLine l) =>
            l.Tgid > 0 ? l.Tgid : Of(l.Tid)?.Tgid ?? (threadOf.TryGetValue(l.Tid, out int maker) ? maker : l.Tid);
        // Whether a wait of the process may reap the task: a task's reaper is an ancestor of its
        // (a child is handed up, to a thread of its parent's, a subreaper above it or its
        // namespace's init), so the process is on its chain of parents as either read had them,
        // or the chain passes a process neither read showed, which it may be or be below (a busy
        // capture: a zombie 8 in its parent's namespace, below the init of one of its own, read
        // first and reaped in the window, was kept for a wait of another namespace's that
        // returned 8, and its parent's next wait4 was predicted to reap it).
        bool OnChain(int process, int tid)
        {
            var seen = new HashSet<int>();
            var todo = new Stack<int>();
            todo.Push(tid);
            while (todo.Count > 0)
            {
                int t = todo.Pop();
                foreach (var read in (ReadOnlySpan<ProcTask?>)[first.GetValueOrDefault(t), second.GetValueOrDefault(t)])
                {
                    if (read is null || read.PPid <= 0) continue;
                    if (read.PPid == process) return true;
                    if (!seen.Add(read.PPid)) continue;
                    if (Of(read.PPid) is null) return true;
                    todo.Push(read.PPid);
                }
            }
            return false;
        }
        // The threads of the processes of the tasks numbered n at the line's task's level.
        IEnumerable<int> ProcessesNumbered(in EarlyLine l, long n)
        {
            var found = new List<int>();
            foreach (int level in LevelsOf(l.Tid))
                foreach (int tid in Numbered(level, n))
                    found.AddRange(ThreadsOf(Of(tid)?.Tgid ?? tid));
            return found;
        }
        // sigs: the signals whose action the line may have changed (bit sig-1), with Part.Actions.
        void Mark(Part part, long at, IEnumerable<int> tids, ulong sigs = 0)
        {
            foreach (int tid in tids)
            {
                if (!traced.TryGetValue(tid, out var list)) traced[tid] = list = [];
                list.Add((part | Part.All, at, sigs));
            }
        }
        static ulong Bit(long sig) => sig is >= 1 and <= 64 ? 1UL << (int)(sig - 1) : ulong.MaxValue;

        // A wait that reaped a child neither read showed, not born in the trace: numbers at the
        // host's level only (a born task's number is its host tid).
        void UnseenChild(in EarlyLine l, List<int> reaped)
        {
            if (reaped.Count == 0 && !born.Contains((int)l.A0) && Of(l.Tid) is { } waiter && (waiter.NsPid?.Length ?? 1) == 1)
                unseen.Add(waiter.Tgid);
        }
        foreach (var l in late)
            if (l is { Point: Tracepoint.SysExit, Sys: Syscall.Wait4, A0: > 0 } && !MadeBefore(l)) UnseenChild(l, [.. Reaped(l)]);

        // A process's first wait for any child that answered ECHILD (it had none), and each
        // thread's wait under way: whether it is for any child.
        var noChildAt = new Dictionary<int, long>();
        var waitingForAny = new Dictionary<int, bool>();
        foreach (var l in early)
        {
            int self = ProcessOf(l);
            Mark(Part.Named, l.Time, [l.Tid]);
            switch (l.Point)
            {
                case Tracepoint.Fork:
                    Mark(Part.Named, l.Time, [(int)l.A1]);
                    break;
                case Tracepoint.NewTask:
                    Mark(Part.Named, l.Time, [(int)l.A0]);
                    break;
                case Tracepoint.ProcessExit:
                    Mark(Part.Exit | Part.Named | Part.ExitTraced, l.Time, [(int)l.A0]);
                    // A group's end reparents its children.
                    if (l.A1 != 0) Mark(Part.Parent, l.Time, ChildrenOf(self));
                    break;
                case Tracepoint.SignalGenerate:
                    Mark(Part.Named, l.Time, [(int)l.A3]);
                    Mark(Part.Pending, l.Time, ThreadsOf(Of((int)l.A3)?.Tgid ?? (int)l.A3).Append((int)l.A3));
                    // A death notice (code CLD_EXITED, CLD_KILLED or CLD_DUMPED, to another process)
                    // from the dying process's context is its exit_notify, where it became a zombie:
                    // a task whose sched_process_exit came before tracing_on is not one before this
                    // line, though the second read found it so.
                    if (l.A2 is >= 1 and <= 3 && (int)l.A3 != l.Tid && !ThreadsOf(self).Contains((int)l.A3))
                    {
                        Mark(Part.Exit, l.Time, ThreadsOf(self).Append(l.Tid));
                        Mark(Part.ExitTraced, l.Time, [l.Tid]);
                        // The notice names its parent at its death; a read that shows another was
                        // made after the zombie was handed on, when that parent died, with no line
                        // of its own (a busy capture: a sleep forked in the window, killed with its
                        // sh; the second read found it with init for a parent, and the models sent
                        // its notice to init, not to the sh the notice named).
                        if (Of(l.Tid) is { } dying && dying.PPid != (Of((int)l.A3)?.Tgid ?? (int)l.A3))
                            Mark(Part.Parent, l.Time, ThreadsOf(self).Append(l.Tid));
                    }
                    break;
                case Tracepoint.SignalDeliver:
                    // A handler installed with SA_RESETHAND is reset as its signal is delivered.
                    Mark(Part.Actions, l.Time, ThreadsOf(self), Bit(l.A0));
                    Mark(Part.Pending, l.Time, ThreadsOf(self).Append(l.Tid));
                    break;
                case Tracepoint.Exec:
                    // An exec ends the other threads (de_thread), resets the caught signals, may change the credentials.
                    Mark(Part.Actions | Part.Creds | Part.Exit | Part.ExitTraced, l.Time, ThreadsOf(self), ulong.MaxValue);
                    break;
                case Tracepoint.SysEnter:
                    switch (l.Sys)
                    {
                        case Syscall.ExitGroup:
                            Mark(Part.Exit | Part.ExitTraced, l.Time, ThreadsOf(self));
                            break;
                        case Syscall.Unshare or Syscall.SetNs:
                            Mark(Part.Ns, l.Time, [l.Tid]);
                            break;
                        case Syscall.RtSigaction when l.A1 != 0:
                            // Sets the action of one signal; one that only asks (act NULL) changes none.
                            Mark(Part.Actions, l.Time, ThreadsOf(self), Bit(l.A0));
                            break;
                        case Syscall.RtSigtimedwait:
                            Mark(Part.Pending, l.Time, ThreadsOf(self).Append(l.Tid));
                            break;
                        case Syscall.Wait4 or Syscall.Waitid:
                            // wait4's pid -1, or waitid's idtype P_ALL (0): a wait for any child.
                            waitingForAny[l.Tid] = l.Sys == Syscall.Wait4 ? (int)l.A0 == -1 : l.A0 == 0;
                            break;
                        case Syscall.SetSid:
                            Mark(Part.Group, l.Time, ThreadsOf(self));
                            break;
                        case Syscall.SetPgid:
                            Mark(Part.Group | Part.Named, l.Time, l.A0 == 0 ? ThreadsOf(self) : ProcessesNumbered(l, l.A0));
                            break;
                        case Syscall.SetUid or Syscall.SetReUid or Syscall.SetResUid or Syscall.Capset or Syscall.Prctl:
                            Mark(Part.Creds, l.Time, [l.Tid]);
                            break;
                    }
                    break;
                case Tracepoint.SysExit when l.Sys == Syscall.Wait4 && l.A0 > 0 && !MadeBefore(l):
                    var reaped = Reaped(l).ToList();
                    Mark(Part.Named, l.Time, reaped);
                    UnseenChild(l, reaped);
                    break;
                case Tracepoint.SysExit when l.Sys == Syscall.Waitid && l.A0 == 0 && !MadeBefore(l):
                    // waitid's line does not name the child it reaped: any of the waiter's may be it.
                    // Not one gone by the second read once a wait of the process's for any child
                    // answered ECHILD before this line: it had none then (a busy capture: a bash's
                    // child, read a zombie and reaped in the window; the bash's wait4(-1) answered
                    // ECHILD after tracing_on, then it exec'd python3, whose waitid kept the child
                    // a zombie in the bundle, and the models predicted the wait4 would reap it).
                    Mark(Part.Named, l.Time, noChildAt.TryGetValue(self, out long none) && none < l.Time
                        ? ChildrenOf(self).Where(second.ContainsKey) : ChildrenOf(self));
                    break;
                case Tracepoint.SysExit when l.Sys is Syscall.Wait4 or Syscall.Waitid && l.A0 == -10
                    && waitingForAny.TryGetValue(l.Tid, out bool any) && any:
                    noChildAt.TryAdd(self, l.Time);
                    break;
            }
        }
        unseenChildren = unseen;
        return traced;
    }

    /// <summary>The block's pid namespace (its "ns:" line), or null when it has none.</summary>
    private static string? NsOf(ProcTask t)
    {
        foreach (var line in t.Block.Split('\n'))
            if (line.StartsWith("ns: ", StringComparison.Ordinal)) return line;
        return null;
    }

    private static void Add<TKey>(Dictionary<TKey, List<int>> index, TKey key, int tid) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        if (!list.Contains(tid)) list.Add(tid);
    }

    /// <summary>The header line that says what the check did, for the bundle.</summary>
    public static string HeaderLine(Outcome o, long tracingOn, long checkedBy, PidsGiven? given = null) =>
        string.Create(CultureInfo.InvariantCulture, $"tracing_on {Seconds(tracingOn)} read_again_by {Seconds(checkedBy)} ")
        + (given is { } g ? "ns_last_pid " + string.Join(' ', g.Reads.Select(r => r.ToString(CultureInfo.InvariantCulture))) + " " : "") + Summary(o);

    /// <summary>The counts alone: "replaced N merged N dropped N added N kept N", and "reused N" when some kept block's number may have been given again.</summary>
    public static string Summary(Outcome o) =>
        string.Create(CultureInfo.InvariantCulture, $"replaced {o.Replaced} merged {o.Merged} dropped {o.Dropped} added {o.Added} kept {o.Kept}{(o.Reused > 0 ? $" reused {o.Reused}" : "")}");

    private static string Seconds(long ns) => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000_000}.{ns % 1_000_000_000:D9}");
}

/// <summary>What the window check keeps of a trace line: who, when, which tracepoint, and the numbers it needs.</summary>
public readonly record struct EarlyLine(long Time, int Tid, int Tgid, Tracepoint Point, Syscall Sys, long A0, long A1, long A3, long A2 = 0);

/// <summary>
/// The trace lines from tracing_on until /proc has been read again (<see cref="SnapshotWindow"/>),
/// kept as they come through the drain. Lines from more than one CPU may come a little out of
/// order, so the collection goes on for a while past the end and keeps what is before it.
/// </summary>
public sealed class EarlyLines
{
    /// <summary>Lines past the end read before the collection stops.</summary>
    private const int Slack = 4096;

    /// <summary>More lines than this before the end: the check is given up (the bundle says so).</summary>
    public const int Limit = 1_000_000;

    private readonly TracefsLineParser _parser = new(new CommTable());
    private readonly List<EarlyLine> _lines = [];
    private readonly List<EarlyLine> _late = [];
    private long _until = long.MaxValue;
    private int _past;
    private bool _done;

    /// <summary>True when more than <see cref="Limit"/> lines came before the end: the check cannot be made.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The lines before the end, once the drain has finished.</summary>
    public IReadOnlyList<EarlyLine> Lines => _lines;

    /// <summary>
    /// After the end, to the end of the trace: the births (sched_process_fork, task_newtask), the
    /// exits (sched_process_exit: a task read exiting whose exit is not in the trace exited before
    /// tracing_on) and the wait4 returns that name a child, which tell of children forked and dead in the window
    /// (<see cref="SnapshotWindow"/>). At most <see cref="Limit"/>; past that, none.
    /// </summary>
    public IReadOnlyList<EarlyLine> Late => _late;

    /// <summary>The second read ended at this trace time (CLOCK_MONOTONIC, the trace's "mono" clock).</summary>
    public void EndAt(long time) => Volatile.Write(ref _until, time);

    /// <summary>Takes one line of trace text (on the drain's thread).</summary>
    public void Offer(ReadOnlySpan<byte> text)
    {
        if (_done)
        {
            if (!Overflowed && _late.Count < Limit && (text.IndexOf("sys_wait4 -> "u8) >= 0 || text.IndexOf("sched_process_fork:"u8) >= 0
                || text.IndexOf("task_newtask:"u8) >= 0 || text.IndexOf("sched_process_exit:"u8) >= 0))
                OfferLate(text);
            return;
        }
        var line = default(TraceLine);
        if (!_parser.Parse(text, ref line, out _)) return;
        if (line.Time >= Volatile.Read(ref _until))
        {
            if (++_past >= Slack) _done = true;
            KeepLate(line);
            return;
        }
        if (_lines.Count >= Limit)
        {
            Overflowed = true;
            _done = true;
            _lines.Clear();
            return;
        }
        _lines.Add(new EarlyLine(line.Time, line.Tid, line.Tgid, line.Point, line.Sys, line.A0, line.A1, line.A3, line.A2));
    }

    private void OfferLate(ReadOnlySpan<byte> text)
    {
        var line = default(TraceLine);
        if (_parser.Parse(text, ref line, out _)) KeepLate(line);
    }

    private void KeepLate(in TraceLine line)
    {
        if (line.Point is Tracepoint.Fork or Tracepoint.NewTask or Tracepoint.ProcessExit || line is { Point: Tracepoint.SysExit, Sys: Syscall.Wait4, A0: > 0 })
            _late.Add(new EarlyLine(line.Time, line.Tid, line.Tgid, line.Point, line.Sys, line.A0, line.A1, line.A3, line.A2));
    }
}
