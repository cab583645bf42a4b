using Replayer.Ingest.Capture;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>The capture's reads of /proc run ahead of the machine's other work, and the thread gets its own nice value back.</summary>
public sealed class AheadOfLoadTests
{
    [Fact]
    public void A_thread_is_raised_as_root_may_and_gets_its_own_nice_value_back()
    {
        // A thread of its own: a nice value belongs to a thread, and the test's may be shared.
        (int Before, int During, bool Raised, int After, int AfterTwice) seen = default;
        var thread = new Thread(() =>
        {
            const string self = "/proc/thread-self/stat";
            int before = CaptureInstanceTests.NiceOf(self);
            var ahead = AheadOfLoad.Raise();
            int during = CaptureInstanceTests.NiceOf(self);
            ahead.Dispose();
            int after = CaptureInstanceTests.NiceOf(self);
            ahead.Dispose();
            seen = (before, during, ahead.Raised, after, CaptureInstanceTests.NiceOf(self));
        });
        thread.Start();
        thread.Join();
        // Not root: left as it was, and no error.
        bool root = Environment.IsPrivilegedProcess;
        Assert.Equal((0, root ? AheadOfLoad.Nice : 0, root, 0, 0), seen);
    }
}
