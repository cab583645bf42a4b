using Replayer.Replay.Models.Vpid;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>
/// The vpid_hash's answers and probe counts against chains walked entry by entry, as
/// __lookup_vpid_mapping walks them: new entries at the head, a probe for the head and one for
/// every entry visited, the whole chain for a mapping that is not there.
/// </summary>
public sealed class VpidHashTests
{
    /// <summary>The patch's chains, walked one entry at a time.</summary>
    private sealed class Chains(VpidHash hash, int buckets)
    {
        private readonly List<(int Vnr, int Vps, int Pid)>[] _chains = Enumerable.Range(0, buckets).Select(_ => new List<(int, int, int)>()).ToArray();

        public int Lookup(int vnr, int vps, ref int probes)
        {
            probes++;
            foreach (var m in _chains[hash.Bucket(vnr, vps)])
            {
                probes++;
                if (m.Vnr == vnr && m.Vps == vps) return m.Pid;
            }
            return 0;
        }

        public void Add(int vnr, int vps, int pid) => _chains[hash.Bucket(vnr, vps)].Insert(0, (vnr, vps, pid));

        public bool Remove(int vnr, int vps, ref int probes)
        {
            var chain = _chains[hash.Bucket(vnr, vps)];
            probes++;
            for (int i = 0; i < chain.Count; i++)
            {
                probes++;
                if (chain[i].Vnr != vnr || chain[i].Vps != vps) continue;
                chain.RemoveAt(i);
                return true;
            }
            return false;
        }
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(4096, 2)]
    [InlineData(4096, 3)]
    public void Answers_and_probes_are_those_of_the_chains_walked(int buckets, int seed)
    {
        var hash = new VpidHash(buckets);
        var chains = new Chains(hash, buckets);
        var rng = new Random(seed);
        int pid = 1000;
        for (int step = 0; step < 40_000; step++)
        {
            int vnr = rng.Next(1, 200);
            // VPS ids whose id shifted by 16 fits in an int, and ones where it wraps.
            int vps = rng.Next(2) == 0 ? rng.Next(1, 3000) : rng.Next(262_000, 264_000);
            int got = 0, want = 0;
            switch (rng.Next(3))
            {
                case 0:
                    Assert.Equal(chains.Lookup(vnr, vps, ref want), hash.Lookup(vnr, vps, ref got));
                    break;
                case 1:
                    // As the patch adds a mapping: looked up first, added when absent.
                    int there = chains.Lookup(vnr, vps, ref want);
                    Assert.Equal(there, hash.Lookup(vnr, vps, ref got));
                    if (there != 0) break;
                    chains.Add(vnr, vps, ++pid);
                    hash.Add(vnr, vps, pid);
                    break;
                default:
                    Assert.Equal(chains.Remove(vnr, vps, ref want), hash.Remove(vnr, vps, ref got));
                    break;
            }
            Assert.Equal(want, got);
        }
        Assert.True(hash.Count > 1000, $"{hash.Count} mappings");

        // Written and read back, the chains keep their order: the same probes.
        var copy = new VpidHash(buckets);
        using (var buffer = new MemoryStream())
        {
            using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) hash.Write(w);
            buffer.Position = 0;
            using var r = new BinaryReader(buffer);
            copy.Read(r);
        }
        for (int vnr = 1; vnr < 200; vnr++)
            foreach (int vps in new[] { 1, 17, 2999, 262_001, 263_999 })
            {
                int a = 0, b = 0;
                Assert.Equal(hash.Lookup(vnr, vps, ref a), copy.Lookup(vnr, vps, ref b));
                Assert.Equal(a, b);
            }
    }

    [Fact]
    public void A_chain_that_keeps_turning_over_counts_as_one_walked()
    {
        // Thousands of mappings come and go in one chain while a few stay: its positions are renumbered many times.
        var hash = new VpidHash(64);
        var chains = new Chains(hash, 64);
        for (int vps = 1; vps <= 3; vps++)
        {
            chains.Add(5, vps, vps);
            hash.Add(5, vps, vps);
        }
        for (int vps = 4; vps < 20_000; vps++)
        {
            int got = 0, want = 0;
            chains.Add(5, vps, vps);
            hash.Add(5, vps, vps);
            if (vps > 10)
            {
                Assert.Equal(chains.Remove(5, vps - 6, ref want), hash.Remove(5, vps - 6, ref got));
                Assert.Equal(want, got);
            }
            foreach (int asked in new[] { 1, 2, 3, vps, vps - 2, vps - 7 })
            {
                want = got = 0;
                Assert.Equal(chains.Lookup(5, asked, ref want), hash.Lookup(5, asked, ref got));
                Assert.Equal(want, got);
            }
        }
    }

    [Fact]
    public void The_vps_id_moves_a_mapping_by_one_bucket_at_most()
    {
        // hash_long of 2.6.16 on a 64-bit host: GOLDEN_RATIO_PRIME_64 times any 32-bit vpsid << 16
        // changes the top bits by one at most, so every VPS's mapping of a number shares a chain.
        var hash = new VpidHash(4096);
        foreach (int vnr in new[] { 1, 7, 100, 30_000 })
        {
            var buckets = Enumerable.Range(0, 70_000).Select(vps => hash.Bucket(vnr, vps)).Distinct().Order().ToList();
            Assert.InRange(buckets.Count, 1, 2);
            Assert.Equal(buckets[0], buckets[^1] - (buckets.Count - 1));
        }
        Assert.NotEqual(hash.Bucket(1, 1), hash.Bucket(7, 1));
    }
}
