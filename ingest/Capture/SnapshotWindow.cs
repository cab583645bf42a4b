using System.Globalization;
using System.Text;
using Replayer.Ingest.Formats.Proc;
using Replayer.Ingest.Formats.Tracefs;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Capture;

/// <summary>
/// The window between the /proc snapshot and tracing_on. The snapshot is read with tracing off (a
/// task changed while it is read would otherwise be both in its block and in the trace), so what
/// happens between the read and tracing_on is in neither: a zombie reaped there stays a zombie in
/// the models, and its parent's later waits are predicted to reap it again. So /proc is read a
/// second time once tracing is on, and each task's block is chosen by what the trace shows of it
/// before that second read ended (<see cref="EarlyLines"/>):
/// <list type="bullet">
/// <item>nothing: whatever changed it happened in the window, and the second read is its state when
/// tracing began. Its second block is taken; a task gone by then is left out (it exited and was
/// reaped in the window); a task new then is added (forked in the window).</item>
/// <item>a line of its own (it acted, or was forked, signalled or exited), or one of a waiter that
/// may have reaped it, of its parent setting its group or exiting: the second read may show what
/// the trace shows too, so the first block stays, as before the check.</item>
/// </list>
/// The marking is conservative: a line that may concern the task counts (a wait that returned its
/// number in any namespace at the waiter's level, a waitid of its parent's), so the check only
/// ever replaces a block the trace says nothing about.
/// </summary>
public static class SnapshotWindow
{
    /// <summary>What the check did: blocks replaced, left out, added, and kept as first read although they changed.</summary>
    public sealed record Outcome(string Snapshot, int Tasks, int Replaced, int Dropped, int Added, int Kept);

    /// <summary>
    /// The snapshot as of tracing_on, as far as the trace allows: <paramref name="before"/>'s header,
    /// then each task's block chosen as the class says, ordered as /proc lists them.
    /// </summary>
    public static Outcome Reconcile(ProcScan before, ProcScan after, IReadOnlyList<EarlyLine> early)
    {
        var first = before.Tasks.ToDictionary(t => t.Tid);
        var second = after.Tasks.ToDictionary(t => t.Tid);
        var traced = Traced(early, first, second);
        var chosen = new List<ProcTask>(after.Tasks.Count + 8);
        int replaced = 0, dropped = 0, added = 0, kept = 0;
        foreach (var t in before.Tasks)
        {
            bool seen = traced.Contains(t.Tid);
            if (second.TryGetValue(t.Tid, out var again))
            {
                if (seen)
                {
                    chosen.Add(t);
                    if (Changed(t, again)) kept++;
                }
                else
                {
                    chosen.Add(again);
                    if (Changed(t, again)) replaced++;
                }
            }
            else if (seen)
            {
                chosen.Add(t);
                kept++;
            }
            else
            {
                dropped++;
            }
        }
        foreach (var t in after.Tasks)
        {
            if (first.ContainsKey(t.Tid) || traced.Contains(t.Tid)) continue;
            chosen.Add(t);
            added++;
        }
        chosen.Sort((a, b) => a.Tgid != b.Tgid ? a.Tgid.CompareTo(b.Tgid) : a.Tid.CompareTo(b.Tid));
        var text = new StringBuilder(before.Header.Length + chosen.Sum(t => t.Block.Length));
        text.Append(before.Header);
        foreach (var t in chosen) text.Append(t.Block);
        return new Outcome(text.ToString(), chosen.Count, replaced, dropped, added, kept);
    }

    /// <summary>
    /// Whether a task's two blocks differ in what the models read: the State letter (R, S, D...)
    /// changes all the time and counts only as alive or exited.
    /// </summary>
    private static bool Changed(ProcTask a, ProcTask b) =>
        a.Zombie != b.Zombie || !WithoutState(a.Block).SequenceEqual(WithoutState(b.Block));

    private static IEnumerable<string> WithoutState(string block) =>
        block.Split('\n').Where(l => !l.StartsWith("State: ", StringComparison.Ordinal));

    /// <summary>The tasks some early line may concern (see the class).</summary>
    private static HashSet<int> Traced(IReadOnlyList<EarlyLine> early, Dictionary<int, ProcTask> first, Dictionary<int, ProcTask> second)
    {
        var traced = new HashSet<int>();
        ProcTask? Of(int tid) => second.TryGetValue(tid, out var t) || first.TryGetValue(tid, out t) ? t : null;
        int deepest = first.Values.Concat(second.Values).Max(t => t.NsPid?.Length ?? 1) - 1;
        // A waiter neither read showed (forked after tracing_on): its level is not known, so every level.
        IEnumerable<int> LevelsOf(int tid) => Of(tid) is { } t ? [t.NsPid is { } levels ? levels.Length - 1 : 0] : Enumerable.Range(0, deepest + 1);
        int ProcessOf(in EarlyLine l) => l.Tgid > 0 ? l.Tgid : Of(l.Tid)?.Tgid ?? l.Tid;
        // Who is whose child, and who has which number at a level, at either read.
        var children = new Dictionary<int, List<int>>();
        var numbered = new Dictionary<(int Level, long Nr), List<int>>();
        foreach (var t in first.Values.Concat(second.Values))
        {
            Add(children, t.PPid, t.Tid);
            if (t.NsPid is { } ns)
                for (int level = 0; level < ns.Length; level++) Add(numbered, (level, ns[level]), t.Tid);
            else
                Add(numbered, (0, t.Tid), t.Tid);
        }
        IEnumerable<int> ChildrenOf(int p) => children.TryGetValue(p, out var c) ? c : [];
        // Any namespace at that level: conservative.
        IEnumerable<int> Numbered(int level, long n) => numbered.TryGetValue((level, n), out var c) ? c : [];

        foreach (var l in early)
        {
            traced.Add(l.Tid);
            switch (l.Point)
            {
                case Tracepoint.Fork:
                    traced.Add((int)l.A1);
                    break;
                case Tracepoint.NewTask:
                case Tracepoint.ProcessExit:
                    traced.Add((int)l.A0);
                    // A group's end reparents its children.
                    if (l.Point == Tracepoint.ProcessExit && l.A1 != 0) traced.UnionWith(ChildrenOf(ProcessOf(l)));
                    break;
                case Tracepoint.SignalGenerate:
                    traced.Add((int)l.A3);
                    break;
                case Tracepoint.SysExit when l.Sys == Syscall.Wait4 && l.A0 > 0:
                    foreach (int level in LevelsOf(l.Tid)) traced.UnionWith(Numbered(level, l.A0));
                    break;
                case Tracepoint.SysExit when l.Sys == Syscall.Waitid && l.A0 == 0:
                    // waitid's line does not name the child it reaped: any of the waiter's may be it.
                    traced.UnionWith(ChildrenOf(ProcessOf(l)));
                    break;
                case Tracepoint.SysEnter when l.Sys == Syscall.SetPgid && l.A0 > 0:
                    foreach (int level in LevelsOf(l.Tid)) traced.UnionWith(Numbered(level, l.A0));
                    break;
            }
        }
        return traced;
    }

    private static void Add<TKey>(Dictionary<TKey, List<int>> index, TKey key, int tid) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        if (!list.Contains(tid)) list.Add(tid);
    }

    /// <summary>The header line that says what the check did, for the bundle.</summary>
    public static string HeaderLine(Outcome o, long tracingOn, long checkedBy) =>
        string.Create(CultureInfo.InvariantCulture, $"tracing_on {Seconds(tracingOn)} read_again_by {Seconds(checkedBy)} {Summary(o)}");

    /// <summary>The counts alone: "replaced N dropped N added N kept N".</summary>
    public static string Summary(Outcome o) =>
        string.Create(CultureInfo.InvariantCulture, $"replaced {o.Replaced} dropped {o.Dropped} added {o.Added} kept {o.Kept}");

    private static string Seconds(long ns) => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000_000}.{ns % 1_000_000_000:D9}");
}

/// <summary>What the window check keeps of a trace line: who, when, which tracepoint, and the numbers it needs.</summary>
public readonly record struct EarlyLine(long Time, int Tid, int Tgid, Tracepoint Point, Syscall Sys, long A0, long A1, long A3);

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
    private long _until = long.MaxValue;
    private int _past;
    private bool _done;

    /// <summary>True when more than <see cref="Limit"/> lines came before the end: the check cannot be made.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The lines before the end, once the drain has finished.</summary>
    public IReadOnlyList<EarlyLine> Lines => _lines;

    /// <summary>The second read ended at this trace time (CLOCK_MONOTONIC, the trace's "mono" clock).</summary>
    public void EndAt(long time) => Volatile.Write(ref _until, time);

    /// <summary>Takes one line of trace text (on the drain's thread).</summary>
    public void Offer(ReadOnlySpan<byte> text)
    {
        if (_done) return;
        var line = default(TraceLine);
        if (!_parser.Parse(text, ref line, out _)) return;
        if (line.Time >= Volatile.Read(ref _until))
        {
            if (++_past >= Slack) _done = true;
            return;
        }
        if (_lines.Count >= Limit)
        {
            Overflowed = true;
            _done = true;
            _lines.Clear();
            return;
        }
        _lines.Add(new EarlyLine(line.Time, line.Tid, line.Tgid, line.Point, line.Sys, line.A0, line.A1, line.A3));
    }
}
