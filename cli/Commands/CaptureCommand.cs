using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Replayer.Ingest.Capture;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Traces;

namespace Replayer.Cli.Commands;

/// <summary>`replayer capture [--out FILE] [--ingest] [--trace ID] (--duration SECONDS | -- COMMAND ARGS...)`.</summary>
public static class CaptureCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--out") { Description = "The capture file to write (default: replayer-capture-<UTC time>.txt)" };
        var ingest = new Option<bool>("--ingest") { Description = "Ingest the capture into the store once written" };
        var trace = new Option<string?>("--trace") { Description = "The trace id to ingest it as (default: the file's name)" };
        var duration = new Option<double?>("--duration") { Description = "Capture the whole system for this many seconds instead of running a command" };
        var follow = new Option<bool>("--follow") { Description = "Trace only this process's descendants (set_event_pid + options/event-fork), not the whole system" };
        var bufferKb = new Option<int>("--buffer-kb") { Description = "Per-CPU ring buffer size in KiB: it holds what comes between two reads of trace_pipe (the capture reads it while tracing runs)", DefaultValueFactory = _ => 16384 };
        var signalActions = new Option<string>("--signal-actions")
        {
            Description = "Read what each rt_sigaction call installs (handler, SA_NOCLDWAIT), which the tracepoint shows only as an address, " +
                "and follow every thread's mask of blocked signals (a blocked signal is never ignored): " +
                "auto (with bpftrace when it is installed and works), bpftrace (fail without it), off",
            DefaultValueFactory = _ => "auto",
        };
        signalActions.AcceptOnlyFromAmong("auto", "bpftrace", "off");
        var command = new Argument<string[]>("COMMAND") { Description = "The command to run and trace, after --", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command("capture", """
            Record pid activity with ftrace into one capture file: a private tracing instance (instances/replayer-<pid>),
            a /proc snapshot, then the trace of COMMAND's life or of --duration seconds. Needs root and tracefs.
            """)
        {
            output, ingest, trace, duration, follow, bufferKb, signalActions, command, StoreOptions.Json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var args = parse.GetValue(command) ?? [];
            double? seconds = parse.GetValue(duration);
            if (args.Length > 0 == seconds.HasValue)
                throw new ArgumentException("give either --duration SECONDS or -- COMMAND ARGS..., not both and not neither");
            if (seconds is <= 0 or > 86400) throw new ArgumentException("--duration must be between 0 and 86400 seconds");
            if (parse.GetValue(bufferKb) is < 64 or > 1 << 22) throw new ArgumentException("--buffer-kb must be between 64 and 4194304");
            var path = parse.GetValue(output) ?? $"replayer-capture-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.txt";
            var request = new CaptureRequest(path, args.Length > 0 ? args : null, seconds is { } s ? TimeSpan.FromSeconds(s) : null,
                parse.GetValue(follow), parse.GetValue(bufferKb), SignalActions: parse.GetValue(signalActions) switch
                {
                    "bpftrace" => SignalActionsMode.Bpftrace,
                    "off" => SignalActionsMode.Off,
                    _ => SignalActionsMode.Auto,
                });

            // The instance must go on every way out: Ctrl-C and SIGTERM/SIGHUP cancel the capture
            // (whose finally removes it), and process exit removes it if anything was left.
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            Console.CancelKeyPress += onCtrlC;
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
            using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; cancel.Cancel(); });
            TracefsCapture.RemoveOnExit();
            CaptureResult result;
            try
            {
                result = await TracefsCapture.RunAsync(request, cancel.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCtrlC;
            }
            bool json = parse.GetValue(StoreOptions.Json);
            if (!json)
                Console.Error.WriteLine($"captured {result.TraceLines:N0} trace lines and {result.SnapshotTasks:N0} snapshot tasks into {result.Output}" +
                    (result.CommandExit is { } rc ? $" (command exit {rc})" : "") +
                    $"; signal actions: {result.SignalActions}; signal masks: {result.SignalMasks}; snapshot window: {result.Window}" +
                    (result.Overruns > 0 ? $"; WARNING: {result.Overruns:N0} events lost to buffer overruns, raise --buffer-kb" : "") +
                    (result.MissingEvents.Count > 0 ? $"; events this kernel lacks: {string.Join(' ', result.MissingEvents)}" : ""));
            IngestedSource? src = null;
            string? storeName = null;
            if (parse.GetValue(ingest))
            {
                await using var store = await StoreOptions.OpenAsync(parse, ct);
                var ingested = await new TraceIngest(store, CaptureFormats.All)
                    .RunAsync(new IngestRequest([result.Output], "capture", parse.GetValue(trace)), null, ct);
                src = ingested.Sources[0];
                storeName = store.Description;
            }
            if (json) Print(result, src, storeName);
            else if (src is null) Console.WriteLine(result.Output);
            else Console.WriteLine($"{result.Output}: {src.Lines:N0} lines, {src.Events:N0} events -> trace {src.Trace} in {storeName}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Print(CaptureResult r, IngestedSource? src, string? store) => Terminal.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("output", r.Output);
        if (r.CommandExit is { } rc) w.WriteNumber("command_exit", rc);
        else w.WriteNull("command_exit");
        w.WriteNumber("trace_lines", r.TraceLines);
        w.WriteNumber("snapshot_tasks", r.SnapshotTasks);
        w.WriteNumber("overruns", r.Overruns);
        w.WriteString("signal_actions", r.SignalActions);
        w.WriteString("signal_masks", r.SignalMasks);
        w.WriteString("snapshot_window", r.Window);
        w.WriteStartArray("missing_events");
        foreach (var e in r.MissingEvents) w.WriteStringValue(e);
        w.WriteEndArray();
        if (src is not null)
        {
            w.WriteStartObject("ingested");
            w.WriteString("store", store);
            IngestCommand.WriteSource(w, src);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    });
}
