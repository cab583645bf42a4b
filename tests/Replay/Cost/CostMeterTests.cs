using Replayer.Replay.Cost;
using Replayer.Replay.Models;

namespace Replayer.Tests.Replay.Cost;

public sealed class CostMeterTests
{
    private static Outcome Made(int probes, int translationsIn)
    {
        var o = new Outcome();
        o.Probes = probes;
        o.TranslationsIn = translationsIn;
        return o;
    }

    [Fact]
    public void A_spike_is_kept_apart_from_the_means_and_the_tail_is_read_from_the_steady_events()
    {
        var meter = new CostMeter();
        for (int i = 0; i < 98; i++) meter.Count(i, CallerPlace.Container, Made(1, 1), spike: false);
        meter.Count(98, CallerPlace.SparseContainer, Made(40, 1), spike: false);
        meter.Count(99, CallerPlace.SparseContainer, Made(40, 1), spike: false);
        meter.Count(100, CallerPlace.Container, Made(1_000_000, 0), spike: true);

        Assert.Equal(101, meter.Events);
        Assert.Equal(1, meter.SpikeEvents);
        Assert.Equal(1_000_000, meter.SpikeProbes);
        Assert.Equal(40, meter.MaxProbes);
        Assert.Equal(1.0, meter[CallerPlace.Container].ProbesPerTranslation);
        Assert.Equal(40.0, meter[CallerPlace.SparseContainer].ProbesPerTranslation);
        Assert.Equal(1, meter.ProbesAtQuantile(0.5));
        Assert.Equal(63, meter.ProbesAtQuantile(0.99)); // 40 lies in [32, 63]
    }
}
