using Replayer.Ingest.Formats;
using Replayer.Ingest.Synthetic;
using Replayer.Tests.Support;

namespace Replayer.Tests.Ingest.Synthetic;

/// <summary>Workloads by name and from YAML; a mistake in a file names the file and the line.</summary>
public sealed class WorkloadSpecTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Yaml(string text)
    {
        var path = _dir.File("w.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Mixed_is_a_built_in_workload_with_a_bit_of_everything()
    {
        var mixed = WorkloadSpec.Named("mixed");
        Assert.Equal("mixed", mixed.Workload);
        Assert.All(mixed.Mix.Weights(), w => Assert.True(w > 0));
        Assert.True(mixed.MigrationRate > 0);
        Assert.Null(mixed.Check());
        Assert.All(WorkloadSpec.Names, n => Assert.Null(WorkloadSpec.Named(n).Check()));
    }

    [Fact]
    public void An_unknown_workload_name_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => WorkloadSpec.Named("storm"));
        Assert.Contains("build-storm", e.Message);
    }

    [Fact]
    public void The_sample_file_is_the_built_in_mixed_workload_spelled_out()
    {
        var spec = WorkloadSpec.FromYaml(Path.Combine(Repo.Root, "traces/workloads/mixed.yaml"));
        Assert.Equal(WorkloadSpec.Named("mixed"), spec);
    }

    [Fact]
    public void A_file_starts_from_a_named_workload_and_changes_what_it_gives()
    {
        var spec = WorkloadSpec.FromYaml(Yaml("""
            hosts: 3
            mix:
              shell: 0.5
            workload: build-storm
            events: 1_000
            """));
        var storm = WorkloadSpec.Named("build-storm");
        Assert.Equal("w", spec.Workload);
        Assert.Equal(3, spec.Hosts);
        Assert.Equal(1_000, spec.Events);
        Assert.Equal(storm.Mix with { Shell = 0.5 }, spec.Mix);
        Assert.Equal(storm.TasksPerContainer, spec.TasksPerContainer);
    }

    [Theory]
    [InlineData("hosts: 2\ncontainer: 4\n", 2, "unknown key 'container'")]
    [InlineData("hosts: 2\nmix:\n  shell: 1\n  builds: 3\n", 4, "unknown mix weight 'builds'")]
    [InlineData("seed: 1\n\nevents: many\n", 3, "expected a whole number, not 'many'")]
    [InlineData("mix:\n  kill: -1\n", 2, "must not be negative")]
    [InlineData("workload: nope\n", 1, "unknown workload 'nope'")]
    [InlineData("hosts: [1, 2\n", 2, "not valid YAML")]
    [InlineData("hosts: 0\n", 1, "hosts must be between 1 and 999")]
    [InlineData("- hosts\n", 1, "a workload is a mapping")]
    public void A_mistake_in_a_workload_file_names_the_file_and_the_line(string text, int line, string reason)
    {
        var path = Yaml(text);
        var e = Assert.Throws<TraceFormatException>(() => WorkloadSpec.FromYaml(path));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith($"{path}:{line}: ", e.Message);
    }

    [Fact]
    public void Containers_that_cannot_fit_below_pid_max_are_refused()
    {
        var spec = WorkloadSpec.Named("mixed") with { Containers = 10_000, TasksPerContainer = 1_000 };
        Assert.Contains("do not fit", spec.Check());
        Assert.Throws<ArgumentException>(() => WorkloadGenerator.Generate(spec, _ => throw new InvalidOperationException()));
    }
}
