using System.CommandLine;
using Replayer.Replay.Reports;

namespace Replayer.Cli.Commands;

/// <summary>
/// `replayer report --trace ID --out DIR`: the replay (resumed from its snapshots, so a trace
/// already replayed costs no model work) written as report.html, report.json, divergences.csv and
/// summary.md.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "The folder to write report.html, report.json, divergences.csv and summary.md into", Required = true };
        var cmd = new Command("report", "Replay a stored trace (or take up its finished replay) and write the divergence report: report.html, report.json, divergences.csv, summary.md")
        {
            ReplayCommand.Trace, ReplayCommand.Models, ReplayCommand.Policy, ReplayCommand.PidMax, ReplayCommand.SnapshotEvery, ReplayCommand.FromStart, output, StoreOptions.Json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var (result, elapsed) = await ReplayCommand.RunAsync(parse, ct);
            var dir = parse.GetValue(output)!;
            ReportWriter.WriteAll(result.Report, dir);
            var r = result.Report;
            if (parse.GetValue(StoreOptions.Json))
                Terminal.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("out", Path.GetFullPath(dir));
                    w.WriteNumber("replayed", result.Replayed);
                    w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
                    w.WriteNumber("events", r.Events);
                    w.WriteNumber("divergent_events", r.DivergentEvents);
                    w.WriteNumber("quarantined", r.Quarantined.Count);
                    w.WriteEndObject();
                });
            else
                Console.WriteLine($"trace {r.Trace}: {r.Events:N0} events, {r.DivergentEvents:N0} divergent, {r.Quarantined.Count:N0} quarantined" +
                    $" ({(result.Replayed == 0 ? "nothing new to replay" : $"replayed {result.Replayed:N0} events")}); wrote {Path.Combine(dir, "report.html")}, report.json, divergences.csv, summary.md");
            return r.DivergentEvents > 0 ? ExitCodes.Found : ExitCodes.Ok;
        });
        return cmd;
    }
}
