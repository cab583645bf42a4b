using System.Text;
using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;
using Replayer.Replay.Reports;

namespace Replayer.Tests.Replay.Reports;

public sealed class DivergencesCsvTests
{
    private static string Render(ReplayReport report)
    {
        var w = new StringWriter();
        DivergencesCsv.Write(report, w);
        return w.ToString();
    }

    /// <summary>An RFC 4180 reader, strict: every record ends in CRLF, quotes only around whole fields.</summary>
    private static List<string[]> Parse(string csv)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (i < csv.Length)
        {
            if (csv[i] == '"')
            {
                for (i++; ; i++)
                {
                    Assert.True(i < csv.Length, "a quoted field runs to the end of the file");
                    if (csv[i] != '"') { field.Append(csv[i]); continue; }
                    if (i + 1 < csv.Length && csv[i + 1] == '"') { field.Append('"'); i++; continue; }
                    i++;
                    break;
                }
            }
            else
            {
                while (i < csv.Length && csv[i] is not (',' or '\r' or '\n' or '"')) field.Append(csv[i++]);
                Assert.False(i < csv.Length && csv[i] == '"', $"a quote inside an unquoted field at offset {i}");
            }
            fields.Add(field.ToString());
            field.Clear();
            Assert.True(i < csv.Length, "the last record does not end in CRLF");
            if (csv[i] == ',') { i++; continue; }
            Assert.Equal("\r\n", csv.Substring(i, 2));
            i += 2;
            records.Add([.. fields]);
            fields.Clear();
        }
        return records;
    }

    private static string Unguarded(string cell) =>
        cell.Length > 1 && cell[0] == '\'' && cell[1] is '=' or '+' or '-' or '@' ? cell[1..] : cell;

    [Fact]
    public void Every_kept_divergence_is_one_row_that_parses_back_to_its_fields()
    {
        var report = SampleReports.TwoHosts();
        var records = Parse(Render(report));

        Assert.Equal(DivergencesCsv.Columns, records[0]);
        Assert.Equal(report.Details.Count, records.Count - 1);
        for (int i = 0; i < report.Details.Count; i++)
        {
            var d = report.Details[i];
            var row = records[i + 1];
            Assert.Equal(DivergencesCsv.Columns.Length, row.Length);
            Assert.Equal(i.ToString(), row[0]);
            Assert.Equal(d.Host, row[1]);
            Assert.Equal(d.Container, row[2]);
            Assert.Equal(d.Event.Position.ToString(), row[4]);
            Assert.Equal(d.Event.Tid.ToString(), row[6]);
            Assert.Equal(d.Event.Comm, Unguarded(row[7]));
            Assert.Equal(d.Event.Text, row[8]);
            Assert.Equal(CategoryNames.Name(d.Category), row[10]);
            Assert.Equal(d.Left, row[11]);
            Assert.Equal(d.Right, row[12]);
            Assert.Equal(d.Note ?? "", row[13]);
            Assert.Equal(string.Join(' ', d.Causes.Select(c => c.Position)), row[14]);
        }
        // Counted by category from the file, the kept divergences are the report's.
        foreach (var c in Enum.GetValues<DivergenceCategory>())
            Assert.Equal(report.Details.Count(d => d.Category == c), records.Skip(1).Count(r => r[10] == CategoryNames.Name(c)));
    }

    [Fact]
    public void A_note_with_a_line_break_and_a_comm_with_a_comma_and_quotes_stay_one_field_each()
    {
        var records = Parse(Render(SampleReports.TwoHosts()));
        var unshare = Assert.Single(records, r => r[9] == "unshare");
        Assert.Equal("line one\nline two\u2028after a separator", unshare[13]);
        Assert.Equal("'+cmd,with\"quotes\"", unshare[7]);
    }

    [Fact]
    public void A_cell_from_the_trace_that_would_start_a_formula_gets_a_leading_apostrophe()
    {
        var records = Parse(Render(SampleReports.TwoHosts()));
        var rows = records.Skip(1).ToList();
        Assert.Contains(rows, r => r[7] == "'" + SampleReports.FormulaComm);
        Assert.Contains(rows, r => r[7] == "'@worker");
        Assert.Contains(rows, r => r[3] == "'-worker @2");
        foreach (var cell in rows.SelectMany(r => r))
            Assert.False(cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@', $"cell {cell} would start a formula");
    }

    [Fact]
    public void A_report_without_divergences_is_the_header_alone()
    {
        var report = new ReplayReport { Trace = "quiet", Models = ["nested", "vpid"], Policy = "openvz" };
        Assert.Equal(string.Join(',', DivergencesCsv.Columns) + "\r\n", Render(report));
    }
}
