using System.Text.Json;
using System.Text.RegularExpressions;
using Replayer.Replay.Engine;
using Replayer.Replay.Reports;

namespace Replayer.Tests.Replay.Reports;

/// <summary>report.html as a file: what it may contain at all. How it behaves is checked in Chromium (<see cref="ReportInChromiumTests"/>).</summary>
public sealed partial class HtmlReportTests
{
    internal static string Render(ReplayReport report)
    {
        var w = new StringWriter();
        HtmlReport.Write(report, w);
        return w.ToString();
    }

    private static string EmbeddedData(string html)
    {
        const string open = "<script type=\"application/json\" id=\"report-data\">";
        int start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        Assert.True(start >= open.Length, "no embedded report data");
        return html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void Nothing_in_the_page_points_outside_it()
    {
        var html = Render(SampleReports.TwoHosts());

        // The one "http" is the attribute name of the policy that forbids every fetch.
        Assert.Equal(1, Regex.Count(html, "http", RegexOptions.IgnoreCase));
        Assert.Contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';", html);
        Assert.DoesNotMatch(@"<[a-zA-Z][^<>]*\s(src|srcset|action|poster|data)\s*=", html);
        Assert.DoesNotMatch(@"<(link|iframe|object|embed|img|image|use|base)\b", html);
        Assert.DoesNotMatch(@"url\(|@import|//[a-z0-9]", html);
        foreach (Match href in Regex.Matches(html, "href=\"([^\"]*)\""))
            Assert.StartsWith("#", href.Groups[1].Value);
    }

    [Fact]
    public void Text_from_the_trace_never_appears_raw()
    {
        var html = Render(SampleReports.TwoHosts());

        Assert.DoesNotContain(SampleReports.HostileComm, html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;", html);
        Assert.Contains("<title>Divergence report: lab &lt;two-hosts&gt; &amp; co</title>", html);
        // Only the page's own two script elements.
        Assert.Equal(2, Regex.Count(html, "<script"));
    }

    [Fact]
    public void The_embedded_report_is_inert_inside_its_script_element_and_parses_to_the_report()
    {
        var report = SampleReports.TwoHosts();
        var data = EmbeddedData(Render(report));

        Assert.DoesNotContain('<', data);
        Assert.DoesNotContain('>', data);
        Assert.DoesNotContain('&', data);
        Assert.DoesNotContain('\u2028', data);
        Assert.DoesNotContain('\u2029', data);
        using var doc = JsonDocument.Parse(data);
        Assert.Equal(report.Details.Count, doc.RootElement.GetProperty("details").GetArrayLength());
        var unshare = doc.RootElement.GetProperty("details").EnumerateArray().Single(d => d.GetProperty("kind").GetString() == "unshare");
        Assert.Equal("line one\nline two\u2028after a separator", unshare.GetProperty("note").GetString());
    }

    [Fact]
    public void A_thousand_containers_start_collapsed_and_the_divergences_are_not_rendered_as_rows()
    {
        var report = SampleReports.Large(containers: 1000, details: 3000);
        var html = Render(report);

        Assert.Contains("<details><summary>1,000 containers</summary>", html);
        // One row per container and per host plus the summary's; the 3,000 divergences are drawn a page at a time.
        Assert.InRange(Regex.Count(html, "<tr"), 1000, 1000 + 40);
        Assert.Equal(3000, Regex.Count(html, "<rect class=\"mk "));
    }

    [Fact]
    public void A_few_containers_start_open()
    {
        Assert.Contains("<details open><summary>5 containers, plus each host's own tasks</summary>", Render(SampleReports.TwoHosts()));
    }
}
