using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Xunit;

namespace Replayer.Tests.Replay.Vpid;

/// <summary>The model's tasks are paged by trace tid up to PID_MAX_LIMIT; a trace may still name any int.</summary>
public sealed class VpidTidRangeTests
{
    [Fact]
    public void Tids_past_pid_max_limit_are_forked_and_reaped_like_any_other()
    {
        var host = new VpidHost().Boot();
        foreach (int child in new[] { 4_000, TidMap<object>.PidMaxLimit, int.MaxValue })
        {
            host.Fork(100, child);
            Assert.Equal(3, host.Model.TaskCount);
            Assert.NotEqual(0, host.Model.GlobalPidOf(child));
            host.Exit(child);
            host.Wait(100);
            Assert.Equal(2, host.Model.TaskCount);
            Assert.Equal(0, host.Model.GlobalPidOf(child));
        }
    }

    [Fact]
    public void A_caller_first_seen_with_a_negative_tid_is_adopted_and_found_again()
    {
        var host = new VpidHost().Boot();
        foreach (int tid in new[] { -7, int.MinValue })
        {
            Assert.Equal(Verdict.UnknownState, host.Get(tid, GetIdCall.GetPid).Verdict);
            int pid = host.Model.GlobalPidOf(tid);
            Assert.NotEqual(0, pid);
            Assert.Equal(Verdict.Predicted, host.Get(tid, GetIdCall.GetPid).Verdict);
            Assert.Equal(pid, host.Model.GlobalPidOf(tid));
        }
        Assert.Equal(4, host.Model.TaskCount);
    }
}
