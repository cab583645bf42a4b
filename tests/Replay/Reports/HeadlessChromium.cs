using Microsoft.Playwright;

namespace Replayer.Tests.Replay.Reports;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright: one browser for the browser tests, a fresh
/// context (profile) for each page. Without Chromium the tests fail, saying how to install it:
/// a report nobody opened in a browser is not a tested report.
/// </summary>
public sealed class HeadlessChromium : IAsyncLifetime
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary>The Playwright driver (its own node process).</summary>
    private IPlaywright? _playwright;
    /// <summary>The one browser process, shared by the tests of the collection.</summary>
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"{Executable} is missing: the report tests open report.html in Debian's Chromium (apt-get install -y chromium)");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--disable-gpu", "--no-first-run", "--disable-background-networking"],
        });
    }

    /// <summary>Opens <paramref name="file"/> in a fresh context, recording what a reader would never see.</summary>
    public async Task<OpenedPage> OpenAsync(string file, string fragment = "")
    {
        var context = await _browser!.NewContextAsync();
        var page = await context.NewPageAsync();
        string url = new Uri(file).AbsoluteUri;
        var opened = new OpenedPage(context, page, url);
        page.Console += (_, m) => { if (m.Type == "error") opened.ConsoleErrors.Add(m.Text); };
        page.PageError += (_, e) => opened.ConsoleErrors.Add(e);
        page.Request += (_, r) => opened.Requests.Add(r.Url);
        page.Dialog += (_, d) =>
        {
            opened.Dialogs.Add(d.Message);
            _ = d.DismissAsync();
        };
        await page.GotoAsync(url + fragment, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        return opened;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}

/// <summary>A report opened in the browser, with everything it logged, fetched or popped up.</summary>
public sealed class OpenedPage(IBrowserContext context, IPage page, string url) : IAsyncDisposable
{
    public IPage Page { get; } = page;
    /// <summary>The report's own file:// URL, without a fragment.</summary>
    public string Url { get; } = url;
    /// <summary>console.error lines, CSP violations and uncaught exceptions.</summary>
    public List<string> ConsoleErrors { get; } = [];
    /// <summary>Every URL the page requested, its own included.</summary>
    public List<string> Requests { get; } = [];
    /// <summary>alert/confirm/prompt messages: injected script would show here.</summary>
    public List<string> Dialogs { get; } = [];

    public async Task<string> TextAsync(string selector) => await Page.Locator(selector).TextContentAsync() ?? "";

    /// <summary>Waits until the drill-down shows divergence <paramref name="i"/> (it follows the URL's fragment, asynchronously).</summary>
    public Task DrillShowsAsync(int i) =>
        Page.WaitForFunctionAsync("i => document.querySelector('#drill h3')?.textContent.startsWith('Divergence #' + i + ':')", i);

    public ValueTask DisposeAsync() => context.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<HeadlessChromium>
{
    public const string Name = "headless Chromium";
}
