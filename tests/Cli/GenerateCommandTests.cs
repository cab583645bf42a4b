using Replayer.Cli;
using Replayer.Tests.Support;

namespace Replayer.Tests.Cli;

/// <summary>`replayer generate`, run as a user runs it: to a file that validates, or straight into the store.</summary>
public sealed class GenerateCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Store => _dir.File("store.db");

    [Fact]
    public void A_generated_file_validates_against_the_nested_model_and_ingests_as_any_capture()
    {
        var file = _dir.File("shells.jsonl");
        var gen = ReplayerProcess.Run(Store, "generate", "--workload", "shells", "--events", "5000", "--seed", "3", "--out", file);
        Assert.True(gen.ExitCode == ExitCodes.Ok, gen.Stderr);
        Assert.Contains("5,000 events", gen.Stdout);
        Assert.Equal(5000, File.ReadLines(file).Count());
        var validate = ReplayerProcess.Run(Store, "validate", file);
        Assert.True(validate.ExitCode == ExitCodes.Ok, validate.Stdout + validate.Stderr);
        var ingest = ReplayerProcess.Run(Store, "ingest", file);
        Assert.True(ingest.ExitCode == ExitCodes.Ok, ingest.Stderr);
        Assert.Contains("added 5,000 events", ingest.Stdout);
    }

    [Fact]
    public void Streaming_into_the_store_adds_the_trace_once_however_often_it_is_generated()
    {
        string[] args = ["generate", "--workload", "migration", "--events", "4000", "--ingest", "--trace", "mig", "--json"];
        var first = ReplayerProcess.Run(Store, args);
        Assert.True(first.ExitCode == ExitCodes.Ok, first.Stderr);
        Assert.Contains("\"events\": 4000", first.Stdout);
        var again = ReplayerProcess.Run(Store, args);
        Assert.True(again.ExitCode == ExitCodes.Ok, again.Stderr);
        var list = ReplayerProcess.Run(Store, "traces", "list", "--json");
        Assert.Contains("\"trace\": \"mig\"", list.Stdout);
        Assert.Contains("\"events\": 4000", list.Stdout);
        Assert.Contains("host-002", list.Stdout);
    }

    [Fact]
    public void A_mistake_in_a_workload_file_is_bad_input_naming_file_and_line()
    {
        var yaml = _dir.File("bad.yaml");
        File.WriteAllText(yaml, "hosts: 2\nmix:\n  shells: 1\n");
        var r = ReplayerProcess.Run(Store, "generate", "--workload", yaml, "--out", _dir.File("x.jsonl"));
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Contains($"{yaml}:3: unknown mix weight 'shells'", r.Stderr);
        var unknown = ReplayerProcess.Run(Store, "generate", "--workload", "nope", "--out", _dir.File("x.jsonl"));
        Assert.Equal(ExitCodes.BadInput, unknown.ExitCode);
        Assert.Contains("unknown workload 'nope'", unknown.Stderr);
    }
}
