using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;
using Replayer.Replay.Reports;
using Replayer.Tests.Support;

namespace Replayer.Tests.Replay.Reports;

/// <summary>report.html opened in headless Chromium, as a reader opens it: offline, from the disk.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class ReportInChromiumTests(HeadlessChromium chromium) : IDisposable
{
    /// <summary>The folder the reports of one test are written to.</summary>
    private readonly TempDir _tmp = new();

    private async Task<OpenedPage> OpenAsync(ReplayReport report)
    {
        string dir = _tmp.File("report");
        ReportWriter.WriteAll(report, dir);
        return await chromium.OpenAsync(Path.Combine(dir, ReportWriter.Html));
    }

    /// <summary>What a reader would never see but must never happen: an error, a fetch, a dialog.</summary>
    private static void AssertQuiet(OpenedPage page)
    {
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.Dialogs);
        Assert.All(page.Requests, url => Assert.Equal(page.Url, url.Split('#')[0]));
    }

    [Fact]
    public async Task Renders_the_summary_with_no_console_error_and_no_request()
    {
        var report = SampleReports.TwoHosts();
        await using var page = await OpenAsync(report);

        Assert.Equal(report.Events.ToString("N0"), await page.TextAsync("#n-events"));
        Assert.Equal(report.DivergentEvents.ToString("N0"), await page.TextAsync("#n-divergent-events"));
        Assert.Equal(report.Divergences.Total.ToString("N0"), await page.TextAsync("#n-divergences"));
        Assert.Equal("2", await page.TextAsync("#n-quarantined"));
        foreach (var c in Enum.GetValues<DivergenceCategory>())
            Assert.Equal(report.Divergences[c].ToString("N0"), await page.TextAsync($"#categories tr[data-category={CategoryNames.Name(c)}] td.n"));
        Assert.Equal(report.Containers.Count, await page.Page.Locator("#container-table tbody tr").CountAsync());
        Assert.Equal(report.Details.Count, await page.Page.Locator("#list tbody tr").CountAsync());
        Assert.Equal(report.Details.Count, await page.Page.Locator("svg.timeline .mk").CountAsync());
        Assert.Equal(2 * 2 + 2, await page.Page.Locator("#oracle tbody tr").CountAsync());
        AssertQuiet(page);
    }

    [Fact]
    public async Task A_hostile_comm_and_container_name_show_as_text_everywhere()
    {
        var report = SampleReports.TwoHosts();
        int hostile = report.Details.FindIndex(d => d.Event.Comm == SampleReports.HostileComm);
        await using var page = await OpenAsync(report);

        Assert.Equal(SampleReports.HostileName, await page.TextAsync("#container-table tbody tr:nth-child(3) td.name"));
        Assert.Equal(SampleReports.HostileComm, await page.TextAsync("#quarantine-table tbody tr:first-child td.comm"));
        Assert.Equal(SampleReports.HostileComm, await page.TextAsync($"#list tbody tr[data-d=\"{hostile}\"] td:nth-child(5)"));

        await page.Page.Locator($"svg.timeline .mk[data-d=\"{hostile}\"]").ClickAsync();
        await page.DrillShowsAsync(hostile);

        Assert.Equal(SampleReports.HostileComm, await page.TextAsync("#drill dd[data-k=comm]"));
        Assert.Equal(SampleReports.HostileName, await page.TextAsync("#drill dd[data-k=container-name]"));
        Assert.Equal(0, await page.Page.Locator("img").CountAsync());
        Assert.Equal(2, await page.Page.Locator("script").CountAsync());
        Assert.Equal("Divergence report: lab <two-hosts> & co", await page.Page.TitleAsync());
        AssertQuiet(page);
    }

    [Fact]
    public async Task The_drill_down_shows_both_outcomes_the_note_the_causes_and_the_events_around()
    {
        var report = SampleReports.TwoHosts();
        int i = report.Details.FindIndex(d => d.Category == DivergenceCategory.Visibility);
        var d = report.Details[i];
        await using var page = await OpenAsync(report);

        await page.Page.Locator($"#list tbody tr[data-d=\"{i}\"]").ClickAsync();
        await page.DrillShowsAsync(i);

        Assert.Equal($"#d{i}", new Uri(page.Page.Url).Fragment);
        Assert.Equal(d.Left, await page.TextAsync("#drill dd[data-k=left]"));
        Assert.Equal(d.Right, await page.TextAsync("#drill dd[data-k=right]"));
        Assert.Equal("none", await page.TextAsync("#drill dd[data-k=note]"));
        Assert.Equal("nested (left) said", await page.Page.Locator("#drill dt").Nth(10).TextContentAsync());
        var tables = page.Page.Locator("#drill table");
        Assert.Equal(d.Causes.Count, await tables.Nth(0).Locator("tbody tr").CountAsync());
        Assert.Equal(d.Before.Count + 1 + d.After.Count, await tables.Nth(1).Locator("tbody tr").CountAsync());
        Assert.Equal(d.Event.Text, await tables.Nth(1).Locator("tr.this td").Nth(4).TextContentAsync());
        Assert.Equal(1, await page.Page.Locator($"svg.timeline .mk.sel[data-d=\"{i}\"]").CountAsync());

        await page.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "next \u2192" }).ClickAsync();
        await page.DrillShowsAsync(i + 1);
        Assert.Equal(report.Details[i + 1].Left, await page.TextAsync("#drill dd[data-k=left]"));
        AssertQuiet(page);
    }

    [Fact]
    public async Task A_link_to_a_divergence_opens_its_drill_down()
    {
        var report = SampleReports.TwoHosts();
        string dir = _tmp.File("report");
        ReportWriter.WriteAll(report, dir);
        int i = report.Details.FindIndex(d => d.Note is not null && d.Note.Contains('\n'));

        await using var page = await chromium.OpenAsync(Path.Combine(dir, ReportWriter.Html), $"#d{i}");
        await page.DrillShowsAsync(i);

        Assert.False(await page.Page.Locator("#drill").IsHiddenAsync());
        Assert.Equal(report.Details[i].Note, await page.TextAsync("#drill dd[data-k=note]"));
        AssertQuiet(page);
    }

    [Fact]
    public async Task A_thousand_containers_and_three_thousand_divergences_stay_usable()
    {
        var report = SampleReports.Large(containers: 1000, details: 3000);
        await using var page = await OpenAsync(report);

        Assert.Equal(100, await page.Page.Locator("#list tbody tr").CountAsync());
        Assert.Equal("1\u2013100 of 3,000", await page.TextAsync("#pager-text"));
        await page.Page.Locator("#next").ClickAsync();
        Assert.Equal("#100", await page.TextAsync("#list tbody tr:first-child td:first-child"));

        await page.Page.Locator("#f-cat").SelectOptionAsync("capacity");
        int capacity = report.Details.Count(d => d.Category == DivergenceCategory.Capacity);
        Assert.Equal($"1\u2013100 of {capacity:N0}", await page.TextAsync("#pager-text"));
        await page.Page.Locator("#f-text").FillAsync("task2999");
        Assert.Equal(report.Details[2999].Category == DivergenceCategory.Capacity ? 1 : 0, await page.Page.Locator("#list tbody tr").CountAsync());

        // Sorting the collapsed container table by divergences, most first.
        await page.Page.Locator("#containers summary").ClickAsync();
        var divergences = page.Page.Locator("#container-table thead th", new() { HasTextString = "divergences" }).First;
        await divergences.ClickAsync();
        var first = report.Containers.MaxBy(c => c.Divergences.Total)!;
        Assert.Equal(first.Divergences.Total.ToString("N0"), await page.TextAsync("#container-table tbody tr:first-child td:nth-child(8)"));
        AssertQuiet(page);
    }

    public void Dispose() => _tmp.Dispose();
}
