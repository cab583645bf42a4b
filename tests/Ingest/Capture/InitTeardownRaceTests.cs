using Replayer.Ingest.Events;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// A namespace init that exits while an orphan of its dies: two races of
/// `unshare --pid --fork sh -c 'sleep 0.2 & sh -c "sleep 0.1 &"; kill -TERM -1; wait'`, each seen in
/// about one capture in three. The init (sh) kills its namespace with kill(-1), reaps its own
/// child and exits; the orphan (the inner sh's background child, handed to the init when the
/// inner sh exited) dies of the SIGTERM at about the same time.
/// </summary>
public sealed class InitTeardownRaceTests
{
    private const string Notice = "aa-notice-to-dying-init.txt";
    private const string Teardown = "ab-orphan-teardown.txt";
    private const string Parent = "ac-notice-to-exiting-parent.txt";

    [Fact]
    public void An_orphans_notice_that_comes_after_the_init_began_its_exit_is_dropped_and_so_predicted()
    {
        // The init 5440 calls exit_group at .780751 (sched_process_exit .780763); the orphan 5443's
        // notice comes at .781410 and finds it exiting (res=1); the teardown's SIGKILL to 5443 at
        // .781509. The init's exit comes after the orphan's (at that notice, nothing between it and
        // the teardown), and an Exiting event stands where the exit began.
        var events = CaptureFiles.Events(Notice);
        var exiting = Assert.Single(events.OfType<Exiting>());
        Assert.Equal((5440, 707_780_763_000L), (exiting.Tid, exiting.Time));
        var orphan = Assert.Single(events.OfType<Exit>(), x => x.Tid == 5443);
        Assert.Equal([(17, 5440, SignalResult.Ignored)], orphan.Signals.Select(r => (r.Sig, r.To, r.Result)));
        var init = Assert.Single(events.OfType<Exit>(), x => x.Tid == 5440);
        Assert.Contains(init.Signals, r => r is { Sig: 9, To: 5443, Code: 128 });
        int began = events.IndexOf(exiting), notice = events.IndexOf(orphan), teardown = events.IndexOf(init);
        Assert.True(began < notice && notice < teardown, $"exiting at {began}, the orphan's exit at {notice}, the init's at {teardown}");

        Assert.Equal(0, Validator.Run("aa", "nested", events).Disagreed);
        // The virtual-pid model drops it too: the init is its VPS's init, whose result it predicts.
        Assert.DoesNotContain(Validator.Run("aa", "vpid", events).Disagreements, d => d.Tid == 5443 && d.Kind == "exit");
        // Without the Exiting event the init looks alive to the notice, which the model delivers.
        var without = Validator.Run("aa", "nested", events.Where(e => e is not Exiting).ToList());
        Assert.Equal(1, without.Disagreed);
        Assert.Contains(without.Disagreements, d => d.Tid == 5443 && d.Predicted.Contains("delivered", StringComparison.Ordinal));
    }

    [Fact]
    public void An_init_whose_orphan_dies_between_its_exit_and_its_notice_tears_down_before_that()
    {
        // The init 5379 passes sched_process_exit at .377175; its orphan 5382 (whose parent 5381
        // died first) takes the SIGKILL its SIGTERM became at .377678 and exits at .377686; the
        // init's notice comes at .377943. The teardown found 5382 with SIGKILL pending and sent it
        // nothing, so it ran before .377678: the init's exit stays at its sched_process_exit, not
        // at its notice, where the model would SIGKILL the zombie.
        var events = CaptureFiles.Events(Teardown);
        var init = Assert.Single(events.OfType<Exit>(), x => x.Tid == 5379);
        Assert.Equal(705_377_175_000L, init.Time);
        Assert.Equal([(17, 5378)], init.Signals.Select(r => (r.Sig, r.To)));
        int dies = events.FindIndex(e => e is Deliver { Tid: 5382, Sig: 9 });
        Assert.True(events.IndexOf(init) < dies, $"the init's exit at {events.IndexOf(init)}, the orphan's SIGKILL taken at {dies}");
        Assert.Empty(events.OfType<Exiting>());
        var report = Validator.Run("ab", "nested", events);
        Assert.True(report.Clean, $"{report.Disagreed} disagreed, {report.Totals.Unrecorded} predicted signals not recorded");
    }

    [Fact]
    public void A_notice_to_a_parent_that_has_not_handed_its_children_on_yet_comes_before_its_exit()
    {
        // d-initdeath: the teardown SIGKILLs sh 9122 and unshare 9123 with their children, sleep
        // 9125 and the nested init 9126. 9122 and 9123 pass sched_process_exit first; their
        // children's notices come to them 2 to 3 ms later, dropped (res=1): their exit_notify,
        // which would have handed the children to the dying init (SIGCHLD ignored, so no notice at
        // all), had not run. Their exits move after those notices, an Exiting event where they were.
        var events = CaptureFiles.Events(Parent);
        foreach (var (parent, child) in ((int, int)[])[(9122, 9125), (9123, 9126)])
        {
            var notice = Assert.Single(events.OfType<Exit>(), x => x.Tid == child);
            Assert.Equal([(17, parent, SignalResult.Ignored)], notice.Signals.Select(r => (r.Sig, r.To, r.Result)));
            var exit = Assert.Single(events.OfType<Exit>(), x => x.Tid == parent);
            var exiting = Assert.Single(events.OfType<Exiting>(), x => x.Tid == parent);
            int began = events.IndexOf(exiting), told = events.IndexOf(notice), ended = events.IndexOf(exit);
            Assert.True(began < told && told < ended, $"{parent}: exiting at {began}, the child's notice at {told}, its exit at {ended}");
        }
        Assert.Equal(0, Validator.Run("ac", "nested", events).Disagreed);
    }

    [Fact]
    public void Through_perf_the_teardowns_SIGKILL_to_an_orphan_its_SIGTERM_may_have_killed_is_not_predicted()
    {
        // The ab race recorded by perf, which shows no rt_sigaction's action: the init 5058's
        // kill(-1) SIGTERMs the orphan 5061, whose action for it the capture cannot tell; the
        // init's exit (.270889) comes before 5061 takes the SIGKILL it became (.271121), and the
        // teardown sent it nothing.
        var events = CaptureFiles.Events("ad-teardown-unknown-action.perf.txt");
        var init = Assert.Single(events.OfType<Exit>(), x => x.Tid == 5058);
        Assert.DoesNotContain(init.Signals, r => r.Sig == 9);
        Assert.True(events.IndexOf(init) < events.FindIndex(e => e is Deliver { Tid: 5061, Sig: 9 }));
        var report = Validator.Run("ad", "nested", events);
        Assert.True(report.Clean, $"{report.Disagreed} disagreed, {report.Totals.Unrecorded} predicted signals not recorded");
    }
}
