using Replayer.Ingest.Synthetic;
using Replayer.Replay.Engine;
using Replayer.Replay.Synthetic;
using Xunit;

namespace Replayer.Tests.Replay.Engine;

/// <summary>A ledger rewound to a mark is the ledger as it was when the mark was taken: what a restarted container actor relies on.</summary>
public sealed class ContainerLedgerTests
{
    [Theory]
    [InlineData(0, 500)]
    [InlineData(1, 37)]
    [InlineData(300, 2_000)]
    [InlineData(2_500, 9_000)]
    public void A_ledger_rewound_to_a_mark_has_exactly_the_books_it_had_at_the_mark(int markAt, int bookedTo)
    {
        var events = NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Events = 12_000, Seed = 11, PidMax = 32768 }).ToList();
        var settings = new ReplaySettings();
        var host = new HostReplay(events[0].Host, settings, "t");
        // Every event in one ledger: the busiest books, with details, context after them and quarantines.
        var ledger = new ContainerLedger(events[0].Host, "c1", settings.Models);
        var mark = new LedgerMark();
        byte[]? atMark = null;
        int divergentAtEnd = 0;
        for (int i = 0; i < bookedTo; i++)
        {
            if (i == markAt)
            {
                ledger.Mark(mark);
                atMark = ledger.Snapshot();
            }
            var (_, booking) = host.Step(events[i]);
            if (i % 997 == 5) ledger.Quarantine(booking, "test");
            else ledger.Book(booking);
            if (booking.Categories != 0) divergentAtEnd++;
        }
        Assert.True(divergentAtEnd > 0, "the workload must diverge for the test to mean anything");
        Assert.NotEqual(atMark, ledger.Snapshot());

        ledger.Rewind(mark);

        Assert.Equal(atMark, ledger.Snapshot());
    }
}
