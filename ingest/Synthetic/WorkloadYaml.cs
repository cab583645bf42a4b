using System.Globalization;
using Replayer.Ingest.Formats;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Replayer.Ingest.Synthetic;

/// <summary>
/// Reads a workload from YAML (docs/workloads.md): a mapping of known keys, `mix` a mapping of
/// weights. A file may start from a built-in workload (`workload: NAME`) and change some of it.
/// Every mistake names the file and the line of the key or value at fault.
/// </summary>
internal static class WorkloadYaml
{
    private static readonly string[] TopKeys =
        ["workload", "name", "hosts", "containers", "tasks_per_container", "events", "seed", "mix", "migration_rate", "nesting", "pid_max"];

    public static WorkloadSpec Read(string path)
    {
        YamlStream yaml = [];
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            throw new TraceFormatException(path, e.Start.Line, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        catch (FileNotFoundException)
        {
            throw new ArgumentException($"no workload file '{path}'");
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new TraceFormatException(path, yaml.Documents.Count == 0 ? 1 : yaml.Documents[0].RootNode.Start.Line,
                "a workload is a mapping of keys (hosts: 2, mix: ...); see docs/workloads.md");

        // A named base first, so that the other keys change it whatever their order.
        var spec = new WorkloadSpec();
        foreach (var (key, value) in root.Children)
        {
            if (Key(path, key) != "workload") continue;
            try { spec = WorkloadSpec.Named(Scalar(path, value)); }
            catch (ArgumentException e) { throw new TraceFormatException(path, value.Start.Line, e.Message); }
        }
        spec = spec with { Workload = Path.GetFileNameWithoutExtension(path) };
        foreach (var (key, value) in root.Children)
        {
            spec = Key(path, key) switch
            {
                "workload" => spec,
                "name" => spec with { Workload = Scalar(path, value) },
                "hosts" => spec with { Hosts = Int(path, value) },
                "containers" => spec with { Containers = Int(path, value) },
                "tasks_per_container" => spec with { TasksPerContainer = Int(path, value) },
                "events" => spec with { Events = Long(path, value) },
                "seed" => spec with { Seed = Int(path, value) },
                "migration_rate" => spec with { MigrationRate = Number(path, value) },
                "nesting" => spec with { Nesting = Int(path, value) },
                "pid_max" => spec with { PidMax = Int(path, value) },
                "mix" => spec with { Mix = Mix(path, value, spec.Mix) },
                var k => throw new TraceFormatException(path, key.Start.Line, $"unknown key '{k}' (known: {string.Join(", ", TopKeys)})"),
            };
        }
        if (spec.Check() is { } bad) throw new TraceFormatException(path, root.Start.Line, bad);
        return spec;
    }

    /// <summary>The weights given replace the base's; the ones not given keep its values.</summary>
    private static WorkloadMix Mix(string path, YamlNode node, WorkloadMix based)
    {
        if (node is not YamlMappingNode map)
            throw new TraceFormatException(path, node.Start.Line, $"mix is a mapping of weights ({string.Join(", ", WorkloadMix.Keys)})");
        var weights = based.Weights();
        foreach (var (key, value) in map.Children)
        {
            var name = Key(path, key);
            int i = Array.IndexOf(WorkloadMix.Keys, name);
            if (i < 0)
                throw new TraceFormatException(path, key.Start.Line, $"unknown mix weight '{name}' (known: {string.Join(", ", WorkloadMix.Keys)})");
            weights[i] = Number(path, value);
            if (weights[i] < 0) throw new TraceFormatException(path, value.Start.Line, $"mix weight '{name}' must not be negative");
        }
        return WorkloadMix.FromWeights(weights);
    }

    private static string Key(string path, YamlNode key) =>
        key is YamlScalarNode { Value: { } k } ? k : throw new TraceFormatException(path, key.Start.Line, "a key must be a plain word");

    private static string Scalar(string path, YamlNode value) =>
        value is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw new TraceFormatException(path, value.Start.Line, "expected a value here");

    private static int Int(string path, YamlNode value)
    {
        long v = Long(path, value);
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new TraceFormatException(path, value.Start.Line, $"{v} is out of range");
    }

    private static long Long(string path, YamlNode value)
    {
        var s = Scalar(path, value).Replace("_", "");
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new TraceFormatException(path, value.Start.Line, $"expected a whole number, not '{Scalar(path, value)}'");
    }

    private static double Number(string path, YamlNode value)
    {
        var s = Scalar(path, value);
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new TraceFormatException(path, value.Start.Line, $"expected a number, not '{s}'");
    }
}
