using Replayer.Ingest.Events;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// A process whose threads' tids are not in the order they were made (tids wrap at pid_max).
/// traces/captures/af-thread-order.txt, a whole-system capture of traces/workloads/af-thread-order.py:
/// python3 423 made thread 301, then 302; once tracing was on, 302 forked 344 and exited; the
/// kernel handed 344 to the first live thread of the process's list, the leader, and 344's notice
/// went to 423 (find_alive_thread).
/// </summary>
public sealed class ThreadOrderTests
{
    private const string File = "af-thread-order.txt";

    [Fact]
    public void The_snapshot_lists_a_processs_threads_as_the_kernel_does_and_the_notice_is_predicted()
    {
        var events = CaptureFiles.Events(File);
        Assert.Equal([423, 301, 302], events.OfType<TaskSnapshot>().Where(s => s.Tgid == 423 && !s.Adopted).Select(s => s.Tid));
        var exit = events.OfType<Exit>().Single(x => x.Tid == 344);
        Assert.Equal([423], exit.Signals.Where(r => r.Sig == 17).Select(r => r.To));
        var report = Validator.Run("af", "nested", events);
        Assert.True(report.Clean, $"{report.Disagreed} disagreed: " + string.Join("; ", report.Disagreements));
    }

    [Fact]
    public void A_bundle_that_lists_threads_by_tid_still_has_the_leader_first()
    {
        // As captures made before the snapshot kept the kernel's order wrote it: 301, 302, then 423.
        var events = CaptureFiles.ReadEdited(CaptureFiles.Path_(File), lines =>
        {
            var all = lines.ToList();
            int start = all.IndexOf("task 423 tgid 423");
            int end = all.IndexOf("", start) + 1;
            var leader = all.GetRange(start, end - start);
            all.RemoveRange(start, end - start);
            int after = all.IndexOf("", all.IndexOf("task 302 tgid 423")) + 1;
            all.InsertRange(after, leader);
            return all;
        });
        Assert.Equal([301, 302, 423], events.OfType<TaskSnapshot>().Where(s => s.Tgid == 423 && !s.Adopted).Select(s => s.Tid));
        var report = Validator.Run("af", "nested", events);
        Assert.True(report.Clean, $"{report.Disagreed} disagreed: " + string.Join("; ", report.Disagreements));
    }
}
