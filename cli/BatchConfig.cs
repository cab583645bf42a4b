using System.Globalization;
using Replayer.Ingest.Formats;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Replayer.Cli;

/// <summary>
/// A batch's configuration file (docs/batch.md): a YAML mapping of known keys. Options given on
/// the command line win over the file. Every mistake names the file and the line at fault.
/// </summary>
public sealed record BatchConfig
{
    public static readonly string[] Keys = ["store", "out", "traces", "models", "policy", "pid_max", "snapshot_every", "lease_seconds"];

    /// <summary>The store, as --store takes it.</summary>
    public string? Store { get; init; }
    /// <summary>The folder the dated report folders go into.</summary>
    public string? Out { get; init; }
    /// <summary>The traces to report on; null: all.</summary>
    public IReadOnlyList<string>? Traces { get; init; }
    /// <summary>The models, comma-separated, left then right.</summary>
    public string? Models { get; init; }
    /// <summary>openvz or vpid-only.</summary>
    public string? Policy { get; init; }
    /// <summary>The hosts' pid_max.</summary>
    public int? PidMax { get; init; }
    /// <summary>Events of a host between snapshots.</summary>
    public long? SnapshotEvery { get; init; }
    /// <summary>How long a dead worker's lease holds its host.</summary>
    public int? LeaseSeconds { get; init; }

    public static BatchConfig Read(string path)
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
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArgumentException($"no batch configuration file '{path}'");
        }
        if (yaml.Documents.Count == 0) return new BatchConfig();
        if (yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new TraceFormatException(path, yaml.Documents[0].RootNode.Start.Line, $"a batch configuration is a mapping of keys ({string.Join(", ", Keys)}); see docs/batch.md");
        var config = new BatchConfig();
        foreach (var (key, value) in root.Children)
        {
            var name = key is YamlScalarNode { Value: { } k } ? k : throw new TraceFormatException(path, key.Start.Line, "a key must be a plain name");
            config = name switch
            {
                "store" => config with { Store = Scalar(path, value) },
                "out" => config with { Out = Scalar(path, value) },
                "traces" => config with { Traces = List(path, value) },
                "models" => config with { Models = string.Join(',', List(path, value)) },
                "policy" => config with { Policy = Scalar(path, value) },
                "pid_max" => config with { PidMax = (int)Number(path, value, 1, int.MaxValue) },
                "snapshot_every" => config with { SnapshotEvery = Number(path, value, 1, long.MaxValue) },
                "lease_seconds" => config with { LeaseSeconds = (int)Number(path, value, 3, 86_400) },
                _ => throw new TraceFormatException(path, key.Start.Line, $"unknown key '{name}' (known: {string.Join(", ", Keys)})"),
            };
        }
        return config;
    }

    private static string Scalar(string path, YamlNode node) =>
        node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw new TraceFormatException(path, node.Start.Line, "expected a value");

    /// <summary>A sequence of names, or one comma-separated scalar.</summary>
    private static IReadOnlyList<string> List(string path, YamlNode node) => node switch
    {
        YamlSequenceNode seq => seq.Children.Select(c => Scalar(path, c)).ToList(),
        YamlScalarNode => Scalar(path, node).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        _ => throw new TraceFormatException(path, node.Start.Line, "expected a list of names"),
    };

    private static long Number(string path, YamlNode node, long min, long max)
    {
        var text = Scalar(path, node);
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v < min || v > max)
            throw new TraceFormatException(path, node.Start.Line, $"'{text}' is not a whole number from {min} to {max}");
        return v;
    }
}
