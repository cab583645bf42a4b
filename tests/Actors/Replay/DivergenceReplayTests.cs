using Replayer.Actors.Replay;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;
using Replayer.Replay.Models.Vpid;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Actors.Replay;

/// <summary>
/// The divergences MODELS.md predicts, found by the whole replay (store, host and container
/// actors, books) on real captures: what the pair tests of the models show event by event, here
/// as the report a user reads.
/// </summary>
public sealed class DivergenceReplayTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<ReplayReport> ReplayAsync(string capture, ReplaySettings settings)
    {
        await using var store = await SqliteEventStore.OpenAsync(_dir.File($"{Guid.NewGuid():N}.db"));
        await new TraceIngest(store, CaptureFormats.All).RunAsync(new IngestRequest([Repo.PathOf(capture)], Trace: "t"));
        var result = await TraceReplay.RunAsync(new ReplayJob { Store = store, Trace = "t", Settings = settings });
        Assert.True(result.Complete);
        Assert.Empty(result.Report.Quarantined);
        return result.Report;
    }

    [Fact]
    public async Task After_nsenter_getpgid_and_getsid_are_0_under_nested_and_the_hosts_numbers_under_virtual_pids()
    {
        var report = await ReplayAsync("traces/captures/f-nsenter.txt", new ReplaySettings());
        var container = Assert.Single(report.Containers, c => c.Id != "host");
        Assert.Equal(0, report.Containers.Single(c => c.Id == "host").DivergentEvents);
        foreach (var call in new[] { "getpgid(0) = 0", "getsid(0) = 0" })
        {
            var found = report.Details.Where(d => d.Event.Text == call).ToList();
            Assert.NotEmpty(found);
            foreach (var d in found)
            {
                Assert.Equal(DivergenceCategory.Visibility, d.Category);
                Assert.Equal(container.Id, d.Container);
                Assert.Equal("0", d.Left);
                // The host's group or session: a number under virtual pids, naming a task outside the namespace.
                Assert.Matches(@"^[1-9][0-9]* \(task [1-9][0-9]*\)$", d.Right);
                Assert.Contains(d.Causes, c => c.Text.StartsWith("setns(", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task Kill_minus_one_from_a_namespace_init_reaches_the_whole_host_under_the_patch_alone()
    {
        var patch = await ReplayAsync("traces/captures/e-kill1.txt", new ReplaySettings { Policy = KillPolicy.VpidOnly });
        var kill = patch.Details.First(d => d.Event.Text.StartsWith("kill(-1, SIGTERM) = 0", StringComparison.Ordinal));
        Assert.Equal(DivergenceCategory.SignalSet, kill.Category);
        Assert.True(patch.Divergences[DivergenceCategory.SignalSet] >= 1);

        // OpenVZ's access policy keeps kill(-1) inside the VPS, as the namespace does.
        var openvz = await ReplayAsync("traces/captures/e-kill1.txt", new ReplaySettings { Policy = KillPolicy.OpenVz });
        Assert.DoesNotContain(openvz.Details, d => d.Category == DivergenceCategory.SignalSet && d.Event.Text.StartsWith("kill(-1, SIGTERM) = 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kill_minus_one_from_the_host_shows_in_the_report_as_a_signal_set_divergence_at_the_namespace_init()
    {
        // Both kill(-1) calls from the host (SIGTERM, then SIGKILL) reach the namespace init under
        // nested and spare it under the patch, whatever the policy: the host is not fenced.
        foreach (var policy in new[] { KillPolicy.OpenVz, KillPolicy.VpidOnly })
        {
            var report = await ReplayAsync("traces/captures/j-hostkill1.txt", new ReplaySettings { Policy = policy });
            var c1 = report.Containers.Single(c => c.Id == "c1");
            foreach (var sig in new[] { "SIGTERM", "SIGKILL" })
            {
                var kill = report.Details.Single(d => d.Event.Text.StartsWith($"kill(-1, {sig}) = 0", StringComparison.Ordinal));
                Assert.Equal("host", kill.Container);
                Assert.Equal(DivergenceCategory.SignalSet, kill.Category);
                Assert.Contains($" to {c1.Init}", kill.Left);
                Assert.DoesNotContain($" to {c1.Init}", kill.Right);
            }
        }
    }

    [Fact]
    public async Task A_namespace_inits_exit_kills_its_tasks_under_nested_and_orphans_them_to_the_host_init_under_the_patch()
    {
        var report = await ReplayAsync("traces/strace/initdeath.txt", new ReplaySettings { Ptraced = true });
        var c1 = report.Containers.Single(c => c.Id == "c1");
        var exits = report.Details.Where(d => d.Container == "c1" && d.Event.Tid == c1.Init && d.Kind == "exit").ToList();
        var reaping = Assert.Single(exits, d => d.Category == DivergenceCategory.Reaping);
        Assert.Contains("killed", reaping.Left);
        Assert.Contains(" to 1", reaping.Right);
        var signals = Assert.Single(exits, d => d.Category == DivergenceCategory.SignalSet);
        Assert.StartsWith("sig 9 to ", signals.Left);
        Assert.True(report.Divergences[DivergenceCategory.Reaping] >= 1);
    }

    [Fact]
    public async Task A_capture_that_never_leaves_the_host_namespace_shows_no_divergence_but_numbering()
    {
        var report = await ReplayAsync("traces/captures/b-jobctl.txt", new ReplaySettings());
        foreach (var c in Enum.GetValues<DivergenceCategory>().Where(c => c != DivergenceCategory.Numbering))
            Assert.Equal(0, report.Divergences[c]);
        Assert.DoesNotContain(report.Containers, c => c.Id != "host");
    }
}
