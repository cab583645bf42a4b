using Replayer.Ingest.Events;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Replayer.Tests.Replay.Nested;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// A zombie in the /proc snapshot (State Z). traces/captures/u-preexisting-zombie.txt: a whole-system
/// capture of a perl whose child exited before tracing began, reaped by perl's wait4 inside it.
/// </summary>
public sealed class SnapshotZombieTests
{
    private const string Name = "u-preexisting-zombie.txt";

    [Fact]
    public void A_zombie_older_than_the_capture_is_reaped_by_its_parents_wait_in_both_models()
    {
        var events = CaptureFiles.Events(Name);
        var zombie = Assert.Single(events.OfType<TaskSnapshot>(), s => s.Zombie);
        var wait = Assert.Single(events.OfType<Wait>(), w => w.Pid == zombie.Tid);
        Assert.Equal(zombie.Tid, wait.Ret);
        Assert.Equal(zombie.PPid, wait.Tid);
        var nested = Validator.Run("u", "nested", events);
        Assert.Equal(0, nested.Disagreed);
        // The virtual-pid model reaps it too; it calls it by its own number (the patch's global pid
        // space has no pid with bit 10 set, as 29748 has), a numbering divergence, not a wrong wait.
        var vpid = Validator.Run("u", "vpid", events);
        Assert.DoesNotContain(vpid.Disagreements, d => d.Kind == "wait" && d.Predicted.Contains("ERESTARTSYS", StringComparison.Ordinal));
        // Taken for alive (a snapshot before State was read), the nested model predicts a wait that blocks.
        var alive = CaptureFiles.ReadEdited(CaptureFiles.Path_(Name), lines => lines.Select(l => l == "State: Z" ? "State: S" : l));
        var wrong = Validator.Run("u", "nested", alive);
        Assert.Equal(1, wrong.Disagreed);
    }

    [Fact]
    public void A_zombie_leader_with_a_live_thread_is_a_live_process_and_one_without_is_dead()
    {
        foreach (bool threadFirst in (bool[])[false, true])
        {
            var s = new Scenario().WithHost();
            var leader = new TaskSnapshot
            {
                Tid = 200, Comm = "sh", Tgid = 200, PPid = 100, Pgid = 100, Sid = 100,
                NsPid = [200], NsPgid = [100], NsSid = [100], PidNs = Scenario.HostNs, Zombie = true, ExitSignal = 17,
            };
            var thread = leader with { Tid = 201, NsPid = [201], Zombie = false, ExitSignal = -1 };
            if (threadFirst) s.Apply(thread);
            s.Apply(leader);
            if (!threadFirst) s.Apply(thread);
            // WNOHANG: nothing to reap yet, the process runs on in its thread.
            Assert.Equal((Verdict.Predicted, 0L), Answer(s.Wait(100, pid: 200, options: 1, ret: 0)));
        }
        var dead = new Scenario().WithHost();
        dead.Apply(new TaskSnapshot
        {
            Tid = 200, Comm = "sh", Tgid = 200, PPid = 100, Pgid = 100, Sid = 100,
            NsPid = [200], NsPgid = [100], NsSid = [100], PidNs = Scenario.HostNs, Zombie = true, ExitSignal = 17,
        });
        Assert.Equal((Verdict.Predicted, 200L), Answer(dead.Wait(100, pid: 200, options: 1, ret: 200)));
    }

    private static (Verdict, long) Answer(Outcome o) => (o.Verdict, o.Ret);
}
