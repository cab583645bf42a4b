using System.CommandLine;
using Replayer.Cli;
using Replayer.Cli.Commands;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Synthetic;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Cli;

/// <summary>`replayer validate FILE`: exit 0 when the model agrees with every recorded answer, 1 otherwise.</summary>
public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("replayer-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(IEnumerable<PidEvent> events)
    {
        var path = Path.Combine(_dir, "synthetic.jsonl");
        using var file = File.Create(path);
        using var writer = new NativeWriter(file);
        writer.WriteHeader(new TraceHeader("synthetic", []));
        foreach (var ev in events) writer.Write(ev);
        return path;
    }

    private static Task<int> Validate(params string[] args)
    {
        var root = new RootCommand { ValidateCommand.Create() };
        return Run.InvokeAsync(root, ["validate", .. args]);
    }

    [Fact]
    public async Task A_file_the_model_agrees_with_exits_0_and_one_it_contradicts_exits_1()
    {
        var events = NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Events = 3_000, Seed = 2 }).ToList();
        Assert.Equal(ExitCodes.Ok, await Validate(Write(events), "--json"));
        int i = events.FindIndex(e => e is GetId { Ret: > 0 });
        events[i] = events[i] with { Ret = events[i].Ret + 1 };
        Assert.Equal(ExitCodes.Found, await Validate(Write(events)));
    }

    [Fact]
    public void The_answers_left_unknown_are_counted_by_the_models_reason_in_text_and_in_json()
    {
        // traces/captures/n-sigchld.txt leaves two answers unknown; without its sigaction lines,
        // the parents' SIGCHLD actions are among the reasons.
        var capture = Repo.PathOf("traces/captures/n-sigchld.txt");
        var edited = Path.Combine(_dir, "no-actions.txt");
        File.WriteAllLines(edited, File.ReadLines(capture).Where(l => !l.StartsWith("# sigaction:", StringComparison.Ordinal)));
        var text = ReplayerProcess.Run(Path.Combine(_dir, "store.db"), "validate", edited);
        Assert.Contains("why answers are unknown:", text.Stdout);
        Assert.Matches(@"\n +5  exit: whether the parent ignores SIGCHLD is not known\n", text.Stdout);
        var json = ReplayerProcess.Run(Path.Combine(_dir, "store.db"), "validate", edited, "--json");
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        var reasons = doc.RootElement.GetProperty("unknown_reasons").EnumerateArray().ToList();
        Assert.Equal(doc.RootElement.GetProperty("unknown_state").GetInt64(), reasons.Sum(r => r.GetProperty("count").GetInt64()));
        Assert.Contains(reasons, r => r.GetProperty("kind").GetString() == "exit" && r.GetProperty("why").GetString() == "whether the parent ignores SIGCHLD is not known");
        // Most first.
        var counts = reasons.Select(r => r.GetProperty("count").GetInt64()).ToList();
        Assert.Equal(counts.OrderByDescending(c => c), counts);
    }

    [Fact]
    public async Task A_command_line_that_does_not_parse_is_bad_input_not_a_disagreement()
    {
        var path = Write(NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Events = 200 }));
        Assert.Equal(ExitCodes.BadInput, await Validate());
        Assert.Equal(ExitCodes.BadInput, await Validate(path, "--no-such-option"));
        Assert.Equal(ExitCodes.BadInput, await Validate(path, "--trace", "t"));
        Assert.Equal(ExitCodes.Ok, await Validate("--help"));
    }

    [Fact]
    public async Task The_files_of_one_strace_ff_capture_are_validated_together_and_two_captures_are_refused()
    {
        var files = Directory.GetFiles(Path.Combine(Replayer.Tests.Support.Repo.Root, "traces/strace/ff-storms"));
        Assert.Equal(ExitCodes.Ok, await Validate(files));
        // The -ff files and another file are two captures: validate reads one.
        Assert.Equal(ExitCodes.BadInput, await Validate([.. files, Path.Combine(Replayer.Tests.Support.Repo.Root, "traces/strace/jobctl.txt")]));
    }

    [Fact]
    public async Task An_unknown_model_is_bad_input()
    {
        var path = Write(NestedKernel.Trace(WorkloadSpec.Named("mixed") with { Events = 200 }));
        Assert.Equal(ExitCodes.BadInput, await Validate(path, "--model", "nope"));
    }
}
