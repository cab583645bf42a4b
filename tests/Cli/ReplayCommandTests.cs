using System.Text.Json;
using Replayer.Tests.Replay.Reports;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Cli;

/// <summary>`replayer replay` and `replayer report` as a user runs them, on real captures.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class ReplayCommandTests(HeadlessChromium chromium) : IDisposable
{
    /// <summary>The comm of the capture's markup-named shell, as the kernel recorded it.</summary>
    private const string HostileComm = "<script>&\"'";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string StoreWith(string capture)
    {
        var store = _dir.File($"{Guid.NewGuid():N}.db");
        var ingest = ReplayerProcess.Run(store, "ingest", Repo.PathOf(capture), "--trace", "t");
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        return store;
    }

    [Fact]
    public void Replay_json_reports_the_divergences_and_exits_1_when_the_designs_differ()
    {
        var store = StoreWith("traces/captures/d-initdeath.txt");
        var r = ReplayerProcess.Run(store, "replay", "--trace", "t", "--json");
        Assert.True(r.ExitCode == 1, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var report = doc.RootElement.GetProperty("report");
        Assert.True(doc.RootElement.GetProperty("complete").GetBoolean());
        Assert.True(report.GetProperty("divergent_events").GetInt64() > 0);
        Assert.Equal(["nested", "vpid"], report.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("openvz", report.GetProperty("policy").GetString());
        Assert.Empty(r.Stderr);
    }

    [Fact]
    public void An_unknown_trace_exits_4_and_an_unknown_model_exits_2()
    {
        var store = StoreWith("traces/captures/d-initdeath.txt");
        var missing = ReplayerProcess.Run(store, "replay", "--trace", "nope");
        Assert.Equal(4, missing.ExitCode);
        Assert.Contains("no trace 'nope'", missing.Stderr);
        var model = ReplayerProcess.Run(store, "replay", "--trace", "t", "--models", "nested,ibm");
        Assert.Equal(2, model.ExitCode);
        Assert.Contains("unknown model 'ibm'", model.Stderr);
    }

    [Fact]
    public void A_report_stopped_and_resumed_is_byte_identical_to_one_made_straight_through()
    {
        var straight = StoreWith("traces/captures/d-initdeath.txt");
        Assert.Equal(1, ReplayerProcess.Run(straight, "report", "--trace", "t", "--out", _dir.File("a")).ExitCode);
        Assert.Equal(1, ReplayerProcess.Run(straight, "report", "--trace", "t", "--out", _dir.File("b")).ExitCode);

        var resumed = StoreWith("traces/captures/d-initdeath.txt");
        var stop = ReplayerProcess.Run(resumed, "replay", "--trace", "t", "--stop-after", "120", "--snapshot-every", "50");
        Assert.Contains("stopped where asked", stop.Stdout);
        var report = ReplayerProcess.Run(resumed, "report", "--trace", "t", "--out", _dir.File("c"), "--snapshot-every", "50");
        Assert.Contains("replayed 134 events", report.Stdout);

        var a = File.ReadAllBytes(Path.Combine(_dir.File("a"), "report.json"));
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(_dir.File("b"), "report.json")));
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(_dir.File("c"), "report.json")));
    }

    [Fact]
    public async Task The_report_of_a_capture_whose_comm_is_markup_renders_in_chromium_and_shows_it_as_text()
    {
        var store = StoreWith("traces/captures/i-hostile-comm.txt");
        var out_ = _dir.File("report");
        var r = ReplayerProcess.Run(store, "report", "--trace", "t", "--out", out_);
        Assert.True(r.ExitCode == 1, r.Stderr);
        Assert.DoesNotContain(HostileComm, File.ReadAllText(Path.Combine(out_, "report.html")));

        await using var page = await chromium.OpenAsync(Path.Combine(out_, "report.html"));
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.Dialogs);
        var comms = await page.Page.Locator("#list tbody tr td:nth-child(5)").AllTextContentsAsync();
        Assert.Contains(HostileComm, comms);
        Assert.Equal(0, await page.Page.Locator("img").CountAsync());
        Assert.Equal(2, await page.Page.Locator("script").CountAsync());
        Assert.Equal("290", await page.TextAsync("#n-events"));
    }
}
