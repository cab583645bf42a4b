using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>What the tracepoint assembler attaches to an exit, on real captures of traces/fresh.</summary>
public sealed class TracepointExitTests
{
    private static List<PidEvent> Read(string relative)
    {
        var input = InputFile.Open(Repo.PathOf(relative));
        using (input.Stream)
            return CaptureFormats.All.First(r => r.Recognises(input.Head)).Read(input, new ReadContext(false)).ToList();
    }

    [Fact]
    public void A_signal_to_a_task_that_has_exited_names_that_task_and_adopts_no_new_one()
    {
        // The dying init 26311 SIGKILLs its zombies 26315 and 26316 (res=1) after their exits.
        var events = Read("traces/fresh/nsenter-kill0.capture");
        Assert.DoesNotContain(events, e => e is TaskSnapshot { Adopted: true, Tid: 26311 or 26315 or 26316 });
        var init = Assert.Single(events.OfType<Exit>(), x => x.Tid == 26311);
        Assert.Equal(
            [(9, 26315, SignalResult.Ignored), (9, 26316, SignalResult.Ignored), (17, 26308, SignalResult.Ignored)],
            init.Signals.Select(r => (r.Sig, r.To, r.Result)));
    }

    [Fact]
    public void An_exit_waits_for_its_own_notice_not_a_reparented_zombies()
    {
        // sh-26567 tells init of its two zombie children it hands on, then its own parent 26565.
        var events = Read("traces/fresh/pgkill.capture");
        var exit = Assert.Single(events.OfType<Exit>(), x => x.Tid == 26567);
        Assert.Equal([(17, 1), (17, 1), (17, 26565)], exit.Signals.Select(r => (r.Sig, r.To)));
    }
}
