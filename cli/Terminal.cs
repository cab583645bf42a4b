using System.Text.Json;
using Spectre.Console;

namespace Replayer.Cli;

/// <summary>Where output goes: results on stdout, progress and errors on stderr, progress only on a terminal.</summary>
public static class Terminal
{
    /// <summary>Progress is drawn only when stderr is a terminal: a pipe or a log gets none.</summary>
    public static bool ShowsProgress => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    public static IAnsiConsole Err { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
    });

    public static IAnsiConsole Out { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Out),
        Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
    });

    public static void Error(string message) => Console.Error.WriteLine($"replayer: {message}");

    /// <summary>Writes one JSON document to stdout, indented, with a final newline.</summary>
    public static void Json(Action<Utf8JsonWriter> write)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            write(w);
        stdout.WriteByte((byte)'\n');
    }
}
