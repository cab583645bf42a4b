using Replayer.Ingest.Events;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>An exit placed at its notice while its parent waits: the notices' order is known, the parent's view is not.</summary>
public sealed class NoticeOrderTests
{
    [Fact]
    public void An_exit_at_its_notice_during_its_parents_wait_still_orders_the_notices()
    {
        // b-jobctl: bash waits in wait4 while its jobs die; their exits stand at their notices
        // (notice_in_wait), so whether SIGCHLD was already pending at each is known. Taken for
        // exits placed anywhere before their notices, a sibling's notice might have come first.
        var events = CaptureFiles.Events("b-jobctl.txt");
        Assert.Contains(events, e => e is Exit { NoticeInWait: true });
        var with = Validator.Run("b", "nested", events);
        var without = Validator.Run("b", "nested", events.Select(e => e is Exit x ? x with { NoticeInWait = false } : e).ToList());
        Assert.Equal(0, with.Disagreed);
        Assert.Equal(0, without.Disagreed);
        const string Sibling = "whether the recipient already had this signal pending is not known: a sibling's exit notice may come first";
        Assert.DoesNotContain(with.UnknownReasons, r => r.Why == Sibling);
        Assert.Contains(without.UnknownReasons, r => r.Why == Sibling);
        Assert.True(with.UnknownState < without.UnknownState, $"{with.UnknownState} unknown with the flag, {without.UnknownState} without");
    }
}
