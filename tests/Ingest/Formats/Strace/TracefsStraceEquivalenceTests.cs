using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Formats.Strace;

/// <summary>
/// traces/pair: ONE run of a workload seen at once by tracefs (tracefs-capture.sh -f) and by
/// strace -f running under it (traces/pair/record.sh), so global tids are the same in both. The
/// two readers must agree on the process tree and on every recorded answer of the tasks strace
/// traced. The tracefs reader is looked up by its format name, as --format does.
/// </summary>
public sealed class TracefsStraceEquivalenceTests
{
    [Fact]
    public void Tracefs_and_strace_of_one_run_give_the_same_tree_and_the_same_answers()
    {
        var strace = StraceCaptures.Read("traces/pair/strace.txt");
        var tracefsReader = CaptureFormats.All.FirstOrDefault(r => r.Format == "tracefs");
        Assert.True(tracefsReader is not null, "no capture reader named 'tracefs' is registered in CaptureFormats.All");
        var input = InputFile.Open(StraceCaptures.PathOf("traces/pair/tracefs/trace.txt.gz"));
        List<PidEvent> tracefs;
        using (input.Stream) tracefs = tracefsReader.Read(input, new ReadContext(false)).ToList();

        var traced = strace.Select(e => e.Tid).ToHashSet();
        // strace's first task is adopted: before its first exec it was strace's own child preparing
        // to be traced (tracefs sees those calls, strace does not).
        var adopted = strace.OfType<TaskSnapshot>().Select(s => s.Tid).ToHashSet();
        var fromTracefs = Since(tracefs, adopted).Where(e => traced.Contains(e.Tid)).ToList();

        var straceTree = Tree(strace);
        var tracefsTree = Tree(tracefs);
        var edges = straceTree.Parents.Where(kv => traced.Contains(kv.Value)).OrderBy(kv => kv.Key).ToList();
        Assert.True(edges.Count >= 12, $"the pair capture has only {edges.Count} forks");
        Assert.Equal(edges, tracefsTree.Parents.Where(kv => traced.Contains(kv.Key) && traced.Contains(kv.Value)).OrderBy(kv => kv.Key).ToList());
        Assert.Equal(traced.Order().Select(t => (t, straceTree.Level(t))), traced.Order().Select(t => (t, tracefsTree.Level(t))));
        Assert.Contains(traced, t => straceTree.Level(t) == 2);

        var straceAnswers = Answers(strace);
        var tracefsAnswers = Answers(fromTracefs);
        Assert.True(straceAnswers.Values.Sum(v => v.Count) >= 60, "the pair capture has too few recorded answers");
        foreach (var key in straceAnswers.Keys.Union(tracefsAnswers.Keys).Order())
            Assert.True(straceAnswers.GetValueOrDefault(key, []).SequenceEqual(tracefsAnswers.GetValueOrDefault(key, [])),
                $"{key}: strace {Show(straceAnswers, key)}, tracefs {Show(tracefsAnswers, key)}");
    }

    // Each task's events from its first exec on, for the tasks adopted by the strace capture.
    private static IEnumerable<PidEvent> Since(List<PidEvent> events, HashSet<int> adopted)
    {
        var started = new HashSet<int>();
        foreach (var e in events)
        {
            if (!adopted.Contains(e.Tid) || started.Contains(e.Tid)) { yield return e; continue; }
            if (e is Exec { Ret: 0 or null })
            {
                started.Add(e.Tid);
                yield return e;
            }
        }
    }

    /// <summary>Parent by child (global tids, the calling thread as parent) and each task's pid-namespace level.</summary>
    private sealed class ForkTree
    {
        public readonly Dictionary<int, int> Parents = [];
        public readonly Dictionary<int, int> Levels = [];
        /// <summary>The level a task's next children go to (raised by unshare(CLONE_NEWPID)).</summary>
        public readonly Dictionary<int, int> ChildLevels = [];

        public int Level(int tid) => Levels.GetValueOrDefault(tid);
        public int ChildLevel(int tid) => ChildLevels.TryGetValue(tid, out int l) ? l : Level(tid);
    }

    private static ForkTree Tree(IEnumerable<PidEvent> events)
    {
        var tree = new ForkTree();
        foreach (var e in events)
        {
            switch (e)
            {
                case Fork { Child: > 0 } f:
                    tree.Parents[f.Child] = f.Tid;
                    tree.Levels[f.Child] = f.IsThread ? tree.Level(f.Tid) : tree.ChildLevel(f.Tid) + (f.NewPidNs ? 1 : 0);
                    tree.ChildLevels[f.Child] = f.IsThread ? tree.ChildLevel(f.Tid) : tree.Levels[f.Child];
                    break;
                case Unshare { Ret: 0 } u when (u.Flags & CloneFlags.NewPid) != 0:
                    tree.ChildLevels[u.Tid] = tree.Level(u.Tid) + 1;
                    break;
            }
        }
        return tree;
    }

    // Recorded answers per (task, kind), in order. Kernel-internal restarts (-512..-516: ERESTARTSYS
    // and kin, which tracefs shows and userspace never sees) and calls cut short (no answer) are not answers.
    private static Dictionary<string, List<long>> Answers(IEnumerable<PidEvent> events)
    {
        var answers = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            string? kind = e switch
            {
                GetId g => g.Call.ToString(),
                SetSid => "setsid",
                SetPgid => "setpgid",
                Wait w => w.Call.ToString(),
                Fork f => f.Call.ToString(),
                Kill k => k.Call.ToString(),
                Unshare => "unshare",
                _ => null,
            };
            if (kind is null || e.Ret is not { } ret || ret is <= -512 and >= -516) continue;
            var key = $"{e.Tid} {kind}";
            if (!answers.TryGetValue(key, out var list)) answers[key] = list = [];
            list.Add(ret);
        }
        return answers;
    }

    private static string Show(Dictionary<string, List<long>> answers, string key) =>
        "[" + string.Join(", ", answers.GetValueOrDefault(key, [])) + "]";
}
