using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Xunit;

namespace Replayer.Tests.Replay.Nested;

/// <summary>The host's idr is paged up to PID_MAX_LIMIT; a trace may still name any int.</summary>
public sealed class TidRangeTests
{
    [Fact]
    public void Tids_past_pid_max_limit_are_forked_signalled_and_reaped_like_any_other()
    {
        var s = new Scenario().WithHost();
        s.SigAction(100, Scenario.SIGCHLD, Handler.Catch);
        foreach (int child in new[] { 4_000, TidMap<object>.PidMaxLimit, int.MaxValue })
        {
            Assert.Equal(child, s.Fork(100, child).Ret);
            Assert.Equal(0, s.Kill(100, child, 0).Ret);
            s.Exit(child);
            Assert.Equal(child, s.Wait(100).Ret);
            Assert.Equal(-3, s.Kill(100, child, 0).Ret); // ESRCH: reaped
        }
    }

    [Fact]
    public void A_snapshot_of_tids_on_both_sides_of_the_limit_restores_to_the_same_bytes()
    {
        var s = new Scenario().WithHost();
        int[] children = [int.MaxValue, 300, TidMap<object>.PidMaxLimit + 7, 301, 5_000];
        foreach (int child in children) s.Fork(100, child);
        s.Exit(300);
        s.Wait(100);
        s.Exit(int.MaxValue);
        s.Wait(100);
        s.Fork(100, 302);
        s.Fork(100, int.MaxValue - 1);
        byte[] snapshot = s.Model.Snapshot();
        var restored = new NestedPidModel();
        restored.Restore(snapshot);
        Assert.Equal(snapshot, restored.Snapshot());
        Assert.Equal(s.Model.NumberOf(100, int.MaxValue - 1, IdKind.Pid), restored.NumberOf(100, int.MaxValue - 1, IdKind.Pid));
        Assert.Equal(int.MaxValue - 1, restored.NumberOf(100, int.MaxValue - 1, IdKind.Pid));
    }
}
