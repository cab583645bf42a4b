namespace Replayer.Replay.Models.Nested;

/// <summary>One pid namespace's share of translation state, for the cost report.</summary>
/// <param name="Container">The top-level namespace it belongs to (its ContainerOf id); 0 for the host.</param>
/// <param name="Level">Its nesting level.</param>
/// <param name="Numbers">Numbers its idr holds: one upid each in some struct pid.</param>
/// <param name="IdrNodes">64-slot nodes its idr's tree needs for those numbers (0 for the host's: it exists anyway).</param>
public readonly record struct NamespaceTable(int Container, int Level, int Numbers, int IdrNodes);

/// <summary>What the nested design keeps to translate numbers (MODELS.md, "Translation cost").</summary>
public sealed partial class NestedPidModel
{
    public KernelEra Kernel => _options.Kernel;

    /// <summary>(nr, ns) pairs held in every namespace: 2.6.24's pid hash holds exactly these, the sum of level + 1 over pids.</summary>
    public int PidEntries => _lookups.Entries;

    /// <summary>Every namespace below the host with its numbers and idr nodes; computed on demand, not on the hot path.</summary>
    public IEnumerable<NamespaceTable> NamespaceTables()
    {
        foreach (var ns in _namespaces)
        {
            if (ns.Level == 0 || ns.Idr.Count == 0)
                continue;
            yield return new NamespaceTable(ns.AncestorAt(1).Id, ns.Level, ns.Idr.Count, IdrNodes(ns));
        }
    }

    /// <summary>Nodes of a radix tree of 64-slot nodes holding these numbers: the distinct prefixes at every level.</summary>
    private static int IdrNodes(PidNamespace ns)
    {
        int height = IdrHeights.Height(ns.IdrHighest), nodes = 0;
        var prefixes = new HashSet<int>();
        for (int level = 1; level <= height; level++)
        {
            prefixes.Clear();
            foreach (var (nr, _) in ns.Idr) prefixes.Add(nr >> (6 * level));
            nodes += prefixes.Count;
        }
        return nodes;
    }
}
