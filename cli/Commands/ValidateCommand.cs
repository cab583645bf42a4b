using System.CommandLine;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Traces;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Spectre.Console;

namespace Replayer.Cli.Commands;

/// <summary>`replayer validate FILE...|--trace ID [--model nested] [--json]`: a model against every answer the kernel recorded.</summary>
public static class ValidateCommand
{
    /// <summary>How many disagreements the human output lists.</summary>
    private const int Shown = 20;

    public static Command Create()
    {
        var file = new Argument<string[]>("FILE")
        {
            Description = "A capture file (format recognised as ingest does; '-' reads standard input), or the per-task files of one strace -ff capture (PREFIX.PID); not stored",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var trace = new Option<string?>("--trace") { Description = "A trace in the store, instead of a file" };
        var model = new Option<string>("--model")
        {
            Description = $"The model to check: {string.Join(", ", ModelCatalog.Names)}",
            DefaultValueFactory = _ => "nested",
        };
        var cmd = new Command("validate", "Replay a trace through a model and compare every recorded kernel answer with its prediction; exit 1 on any disagreement")
        {
            file, trace, model, StoreOptions.Json,
        };
        cmd.Validators.Add(r =>
        {
            bool files = r.GetValue(file) is { Length: > 0 };
            if (files == (r.GetValue(trace) is not null)) r.AddError("give either FILE or --trace ID");
            else if (files && PerPidCaptures.Group(r.GetValue(file)!).Count > 1)
                r.AddError("validate reads one capture: one file, or the PREFIX.PID files of one strace -ff capture (ingest takes several, then validate --trace)");
        });
        cmd.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(model)!;
            ModelCatalog.Create(name);
            ValidationReport report;
            if (parse.GetValue(trace) is { } id)
            {
                await using var store = await StoreOptions.OpenAsync(parse, ct);
                var catalog = new TraceCatalog(store);
                var hosts = await catalog.HostStreamsAsync(id, ct);
                if (hosts.Count == 0) throw new KeyNotFoundException($"no trace '{id}' in {store.Description}");
                var sources = await catalog.SourcesAsync(id, ct);
                var settings = new ModelSettings { Ptraced = sources.Count > 0 && sources.All(s => s.Format == "strace") };
                var validator = new Validator(id, name, () => ModelCatalog.Create(name, settings));
                foreach (var h in hosts)
                {
                    TraceStreams.TryParse(h.Name, out _, out var host);
                    await foreach (var ev in catalog.ReadHostAsync(id, host, ct)) validator.Check(ev);
                }
                report = validator.Report;
            }
            else
            {
                report = ValidateFiles(PerPidCaptures.Group(parse.GetValue(file)!)[0], name, ct);
            }
            if (parse.GetValue(StoreOptions.Json)) Terminal.Json(report.WriteJson);
            else Print(report);
            return report.Clean ? ExitCodes.Ok : ExitCodes.Found;
        });
        return cmd;
    }

    /// <summary>Reads a capture (a file, or the files of one -ff capture) with the format its first bytes show, without the store.</summary>
    private static ValidationReport ValidateFiles(PerPidCaptures.Input capture, string model, CancellationToken ct)
    {
        var input = InputFile.Open(capture.Files[0]);
        using (input.Stream)
        {
            var reader = CaptureFormats.All.FirstOrDefault(r => r.Recognises(input.Head))
                ?? throw new TraceFormatException(input.Name, 1, $"not a capture format this replayer knows ({string.Join(", ", CaptureFormats.Names)})");
            var context = new ReadContext(lenient: false);
            IEnumerable<PidEvent> events;
            if (!capture.IsPerPid) events = reader.Read(input, context);
            else if (reader is IPerPidCaptureReader perPid) events = perPid.ReadPerPid(capture.Files, context);
            else throw new TraceFormatException(input.Name, 1, $"{capture.Files.Count} files named {Path.GetFileName(capture.Name)}.PID, but {reader.Format} captures are not written one file per task");
            // A native file's header, read with its first event, names the trace; else the file (or the -ff prefix) does.
            var name = Path.GetFileName(capture.Name);
            var settings = new ModelSettings { Ptraced = reader.Format == "strace" };
            Validator? validator = null;
            foreach (var ev in events)
            {
                ct.ThrowIfCancellationRequested();
                validator ??= new Validator(context.Header?.Trace ?? name, model, () => ModelCatalog.Create(model, settings));
                validator.Check(ev.Host.Length > 0 ? ev : ev with { Host = TraceIngest.DefaultHost });
            }
            return validator?.Report ?? new ValidationReport(context.Header?.Trace ?? name, model);
        }
    }

    private static void Print(ValidationReport r)
    {
        var t = r.Totals;
        Console.WriteLine($"trace {r.Trace}, model {r.Model}: {r.Events:N0} events, {t.Checked:N0} recorded answers: " +
            $"{t.Agreed:N0} agreed, {t.Disagreed:N0} disagreed, {t.UnknownState:N0} unknown state, {t.NotApplicable:N0} not applicable" +
            (t.Unrecorded > 0 ? $", {t.Unrecorded:N0} predicted signals not recorded" : "") +
            (t.AfterEnd > 0 ? $", {t.AfterEnd:N0} predicted after the trace's end (not checked)" : ""));
        if (r.ByKind.Count > 0)
        {
            var table = new Table().AddColumns("kind", "checked", "agreed", "disagreed", "unknown state", "not applicable");
            foreach (var (kind, c) in r.ByKind)
                table.AddRow(kind, c.Checked.ToString("N0"), c.Agreed.ToString("N0"), c.Disagreed.ToString("N0"), c.UnknownState.ToString("N0"), c.NotApplicable.ToString("N0"));
            Terminal.Out.Write(table);
        }
        var reasons = r.UnknownReasons;
        if (reasons.Count > 0)
        {
            Console.WriteLine(reasons.Count > Shown ? $"why answers are unknown (the {Shown} commonest of {reasons.Count} reasons; --json has all):" : "why answers are unknown:");
            foreach (var u in reasons.Take(Shown))
                Console.WriteLine($"  {u.Count,9:N0}  {u.Kind}: {u.Why}");
        }
        if (r.Disagreements.Count == 0) return;
        Console.WriteLine($"first {Math.Min(Shown, r.Disagreements.Count)} disagreements:");
        foreach (var d in r.Disagreements.Take(Shown))
            Console.WriteLine($"  {d.Host}#{d.Position} t={d.Time} {d.Comm}[{d.Tid}] {d.Kind}: recorded {d.Recorded}, predicted {d.Predicted} ({d.Why})");
    }
}
