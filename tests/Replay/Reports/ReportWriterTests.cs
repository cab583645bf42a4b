using System.Text.Json;
using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;
using Replayer.Replay.Reports;
using Replayer.Tests.Support;

namespace Replayer.Tests.Replay.Reports;

public sealed class ReportWriterTests
{
    [Fact]
    public void Writes_the_four_files_and_report_json_round_trips()
    {
        using var tmp = new TempDir();
        var report = SampleReports.TwoHosts();
        string dir = tmp.File("out");

        ReportWriter.WriteAll(report, dir);

        Assert.Equal(ReportWriter.Files.Order(), Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        var json = File.ReadAllBytes(Path.Combine(dir, ReportWriter.Json));
        Assert.Equal(report.ToJson(), json);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(report.Trace, root.GetProperty("trace").GetString());
        Assert.Equal(report.Events, root.GetProperty("events").GetInt64());
        Assert.Equal(report.Details.Count, root.GetProperty("details").GetArrayLength());
        Assert.Equal(report.Containers.Count, root.GetProperty("containers").GetArrayLength());
        Assert.Equal(report.Quarantined.Count, root.GetProperty("quarantined").GetArrayLength());
        var hostile = root.GetProperty("details").EnumerateArray().Single(d => d.GetProperty("kind").GetString() == "kill");
        Assert.Equal(SampleReports.HostileComm, hostile.GetProperty("event").GetProperty("comm").GetString());
        Assert.Equal(report.Divergences[DivergenceCategory.Numbering], root.GetProperty("divergences").GetProperty("numbering").GetInt64());
        // Nothing of the staging is left beside the report.
        Assert.Equal([dir], Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void Writing_into_an_existing_folder_replaces_the_report_and_keeps_other_files()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("out");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(dir, ReportWriter.Markdown), "an old summary");

        ReportWriter.WriteAll(SampleReports.TwoHosts(), dir);

        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "notes.txt")));
        Assert.StartsWith("# Divergence report: ", File.ReadAllText(Path.Combine(dir, ReportWriter.Markdown)));
        Assert.Equal(ReportWriter.Files.Append("notes.txt").Order(), Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.Equal([dir], Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void A_report_that_fails_to_render_leaves_no_folder_and_no_staging()
    {
        using var tmp = new TempDir();
        var report = SampleReports.TwoHosts();
        report.Details.Add(new DivergenceRecord
        {
            Host = "node-a", Container = "c1", Event = SampleReports.Ev(3000, 1, "x", "exit(0)"), Kind = "exit",
            Category = (DivergenceCategory)42, Left = "a", Right = "b", Causes = [], Before = [],
        });
        string dir = tmp.File("out");

        Assert.ThrowsAny<Exception>(() => ReportWriter.WriteAll(report, dir));

        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void A_target_that_is_a_file_is_refused_and_left_as_it_was()
    {
        using var tmp = new TempDir();
        string target = tmp.File("out");
        File.WriteAllText(target, "not a folder");

        var e = Assert.Throws<IOException>(() => ReportWriter.WriteAll(SampleReports.TwoHosts(), target));

        Assert.Contains("is not a folder", e.Message);
        Assert.Equal("not a folder", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFileSystemEntries(tmp.Path));
    }
}
