using System.Globalization;
using Replayer.Replay.Engine;

namespace Replayer.Replay.Reports;

/// <summary>
/// divergences.csv: one row per divergence kept with its details, for a spreadsheet or a script.
/// RFC 4180 (CRLF records, a field quoted when it holds a comma, a quote or a line break, quotes
/// doubled), and safe to open in a spreadsheet: a text cell that would start a formula is
/// prefixed with an apostrophe (OWASP, "CSV Injection"), since comms and names come from the trace.
/// </summary>
public static class DivergencesCsv
{
    public static readonly string[] Columns =
        ["detail", "host", "container", "container_name", "position", "time", "tid", "comm", "event", "kind", "category", "left", "right", "note", "causes"];

    public static void Write(ReplayReport report, TextWriter w)
    {
        var names = ContainerNames.Of(report);
        WriteRecord(w, Columns);
        var row = new string[Columns.Length];
        for (int i = 0; i < report.Details.Count; i++)
        {
            var d = report.Details[i];
            row[0] = Number(i);
            row[1] = Text(d.Host);
            row[2] = Text(d.Container);
            row[3] = Text(names.Name(d.Host, d.Container));
            row[4] = Number(d.Event.Position);
            row[5] = Number(d.Event.Time);
            row[6] = Number(d.Event.Tid);
            row[7] = Text(d.Event.Comm);
            row[8] = Text(d.Event.Text);
            row[9] = Text(d.Kind);
            row[10] = CategoryNames.Name(d.Category);
            row[11] = Text(d.Left);
            row[12] = Text(d.Right);
            row[13] = d.Note is null ? "" : Text(d.Note);
            // Positions in the same host's stream, so a script can look each one up.
            row[14] = string.Join(' ', d.Causes.Select(c => Number(c.Position)));
            WriteRecord(w, row);
        }
    }

    /// <summary>A text cell as a spreadsheet must show it: never as the start of a formula.</summary>
    public static string Text(string s) =>
        s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + s : s;

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static void WriteRecord(TextWriter w, string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) w.Write(',');
            WriteField(w, fields[i]);
        }
        w.Write("\r\n");
    }

    private static void WriteField(TextWriter w, string f)
    {
        if (f.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            w.Write(f);
            return;
        }
        w.Write('"');
        w.Write(f.Replace("\"", "\"\""));
        w.Write('"');
    }
}
