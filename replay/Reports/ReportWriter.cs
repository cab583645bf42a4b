using System.Text;
using Replayer.Replay.Engine;

namespace Replayer.Replay.Reports;

/// <summary>
/// Writes a replay's report as the files `replayer report --out DIR` promises: report.json (the
/// model itself), report.html (for a browser, offline), divergences.csv (for a spreadsheet) and
/// summary.md (for a terminal or a forge). All of them are written into a fresh folder beside DIR
/// and moved in only once every one is complete, so a failure leaves the old report, or none,
/// never half of a new one.
/// </summary>
public static class ReportWriter
{
    public const string Json = "report.json", Html = "report.html", Csv = "divergences.csv", Markdown = "summary.md";

    /// <summary>The files of a report, in the order they are written.</summary>
    public static readonly string[] Files = [Json, Html, Csv, Markdown];

    // UTF-8 without a byte-order mark: the files are read by browsers, scripts and terminals alike.
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAll(ReplayReport report, string dir)
    {
        string target = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"{dir} has no parent folder to write beside", nameof(dir));
        Directory.CreateDirectory(parent);
        // Beside DIR, so the moves below stay on one file system and are renames.
        string staging = Path.Combine(parent, $".{Path.GetFileName(target)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            File.WriteAllBytes(Path.Combine(staging, Json), report.ToJson());
            WriteText(Path.Combine(staging, Html), w => HtmlReport.Write(report, w));
            WriteText(Path.Combine(staging, Csv), w => DivergencesCsv.Write(report, w));
            WriteText(Path.Combine(staging, Markdown), w => SummaryMarkdown.Write(report, w));
            Publish(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static void WriteText(string path, Action<TextWriter> write)
    {
        using var w = new StreamWriter(path, append: false, Utf8, bufferSize: 1 << 16);
        write(w);
    }

    /// <summary>
    /// A new DIR is the staging folder renamed, in one step. Into an existing DIR (other files of
    /// the user's may live there) each file is renamed over its old version: every file is
    /// whole at every moment, though for an instant old and new ones sit side by side.
    /// </summary>
    private static void Publish(string staging, string target)
    {
        if (!Directory.Exists(target) && !File.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        if (!Directory.Exists(target)) throw new IOException($"{target} exists and is not a folder: cannot write a report into it");
        foreach (var name in Files)
            File.Move(Path.Combine(staging, name), Path.Combine(target, name), overwrite: true);
    }
}
