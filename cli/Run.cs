using System.CommandLine;
using Microsoft.Data.Sqlite;
using Npgsql;
using Replayer.Ingest.Capture;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;

namespace Replayer.Cli;

/// <summary>Runs a command and turns the failures a user can cause into one line and an exit code.</summary>
public static class Run
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            var parsed = root.Parse(args);
            int code = await parsed.InvokeAsync(config);
            // A command line that does not parse (unknown option, missing argument, a validator's
            // error) is bad input, not "found": System.CommandLine itself would exit 1.
            return parsed.Errors.Count > 0 && code != ExitCodes.Ok ? ExitCodes.BadInput : code;
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    public static int Report(Exception e)
    {
        switch (e)
        {
            case TraceFormatException f:
                Terminal.Error(f.Message);
                return ExitCodes.BadInput;
            case CaptureUnavailableException c:
                Terminal.Error(c.Message);
                return ExitCodes.BadInput;
            case ArgumentException a:
                Terminal.Error(a.Message);
                return ExitCodes.BadInput;
            case WrongExpectedVersionException w:
                Terminal.Error(w.Message);
                return ExitCodes.Store;
            case StoreException s:
                Terminal.Error(s.Message);
                return ExitCodes.Store;
            case SqliteException s:
                Terminal.Error($"store: {s.Message}");
                return ExitCodes.Store;
            case NpgsqlException n:
                Terminal.Error($"store: {n.Message}");
                return ExitCodes.Store;
            case Replayer.Actors.Fleet.ReplayIncompleteException r:
                Terminal.Error(r.Message);
                return ExitCodes.Store;
            case KeyNotFoundException k:
                Terminal.Error(k.Message);
                return ExitCodes.NotFound;
            case OperationCanceledException:
                Terminal.Error("interrupted; nothing was written");
                return ExitCodes.Interrupted;
            case IOException io:
                Terminal.Error(io.Message);
                return ExitCodes.BadInput;
            default:
                // Not a failure a user can cause: a bug. Keep its stack for the report.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
                return ExitCodes.BadInput;
        }
    }
}
