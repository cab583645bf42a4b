using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;
using Replayer.Replay.WhatIf;

namespace Replayer.Tests.Replay.WhatIf;

/// <summary>The shapes the designs imply, each on a small sweep (containers 1, 10, 100).</summary>
public sealed class WhatIfShapeTests
{
    private static readonly Lazy<PointResult[]> Sweep = new(() =>
    {
        var options = new WhatIfOptions
        {
            Containers = [1, 10, 100], TasksPerContainer = 20, Events = 30_000, PidMax = 32768,
            HashBuckets = 64, MigrationRate = 0.01, Seed = 7,
        };
        var sweep = new WhatIfSweep(options, new ContainerHostSource());
        return options.Containers.Select(sweep.RunPoint).ToArray();
    });

    private static VariantResult Variant(PointResult p, string name) => p.Variants.Single(v => v.Variant == name);

    private static double[] Series(Func<PointResult, double> f) => Sweep.Value.Select(f).ToArray();

    [Fact]
    public void Linear_virtual_pids_cost_one_probe_per_translation_whatever_the_container_count()
    {
        // With one container, that container is the migrated one: no linear VPS to measure.
        var linear = Sweep.Value.Skip(1).Select(p => Variant(p, WhatIfSweep.VariantName(SparseWalk.HostWide)).Container).ToArray();
        Assert.All(linear, c => Assert.True(c.TranslationsIn > 1000, $"{c.TranslationsIn} translations in"));
        var perTranslation = linear.Select(c => c.ProbesPerTranslation).ToArray();
        // One probe per translation, plus alloc_vpid's addition on each fork, which translates nothing.
        Assert.All(perTranslation, x => Assert.InRange(x, 1.0, 1.05));
        Assert.InRange(perTranslation[1] / perTranslation[0], 0.98, 1.02);
    }

    [Fact]
    public void Sparse_virtual_pids_cost_grows_with_the_mappings_per_bucket_after_migrations()
    {
        var sparse = Series(p => Variant(p, WhatIfSweep.VariantName(SparseWalk.HostWide)).SparseContainer.ProbesPerTranslation);
        var mappings = Series(p => Variant(p, WhatIfSweep.VariantName(SparseWalk.HostWide)).HashEntries);
        Assert.True(sparse[0] > 1, $"a migrated VPS pays more than linear arithmetic: {sparse[0]}");
        Assert.True(sparse[1] > sparse[0] && sparse[2] > 2 * sparse[1], $"sparse probes per translation: {string.Join(", ", sparse)}");
        Assert.True(mappings[2] > 10 * mappings[0], $"mappings: {string.Join(", ", mappings)}");
    }

    [Fact]
    public void Nested_lookups_grow_with_total_entries_under_the_2_6_24_hash_and_not_under_the_idr()
    {
        var hash = Series(p => Variant(p, WhatIfSweep.VariantName(KernelEra.Linux2_6_24)).Container.ProbesPerTranslation);
        var idr = Series(p => Variant(p, WhatIfSweep.VariantName(KernelEra.Modern)).Container.ProbesPerTranslation);
        var entries = Series(p => Variant(p, WhatIfSweep.VariantName(KernelEra.Linux2_6_24)).HashEntries);
        Assert.True(hash[1] > hash[0] && hash[2] > 2 * hash[1], $"2.6.24 probes per translation: {string.Join(", ", hash)}");
        Assert.True(entries[2] > 50 * entries[0], $"entries: {string.Join(", ", entries)}");
        Assert.True(idr[2] < 1.5 * idr[0], $"idr probes per translation: {string.Join(", ", idr)}");
    }

    [Fact]
    public void A_host_wide_sparse_switch_makes_more_mappings_the_more_containers_the_host_runs()
    {
        var hostWide = Sweep.Value.Select(p => Variant(p, WhatIfSweep.VariantName(SparseWalk.HostWide)).Spikes.Max(s => s.Switch.Mappings)).ToArray();
        var local = Sweep.Value.Select(p => Variant(p, WhatIfSweep.VariantName(SparseWalk.VpsLocal)).Spikes.Max(s => s.Switch.Mappings)).ToArray();
        Assert.True(hostWide[2] > 50 * hostWide[0], $"host-wide: {string.Join(", ", hostWide)}");
        Assert.All(local, m => Assert.InRange(m, 1, 40));
    }

    [Fact]
    public void At_the_default_pid_max_the_halved_space_fails_forks_where_nested_namespaces_still_have_numbers()
    {
        // 400 containers of 50: 20,000 tasks, above the 16,084 global pids bit 10 leaves, below the 32,468 of the host level.
        var options = new WhatIfOptions { Containers = [400], TasksPerContainer = 50, Events = 30_000, PidMax = 32768, MigrationRate = 0 };
        var point = new WhatIfSweep(options, new ContainerHostSource()).RunPoint(400);

        var vpid = Variant(point, WhatIfSweep.VariantName(SparseWalk.HostWide));
        Assert.True(vpid.AllocationFailures > 3000, $"{vpid.AllocationFailures} allocation failures");
        // The nested kernel had host numbers for every container: all 400 are there at the end.
        Assert.Equal(400, Variant(point, WhatIfSweep.VariantName(KernelEra.Modern)).Memory.Containers);
        Assert.True(point.Divergences["Capacity"] > 3000, $"{point.Divergences["Capacity"]} capacity divergences");
    }
}
