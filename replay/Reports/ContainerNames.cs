using Replayer.Replay.Engine;

namespace Replayer.Replay.Reports;

/// <summary>The report's containers by (host, id), for the renderers that show a divergence's container by name.</summary>
internal sealed class ContainerNames
{
    /// <summary>Every container of the report, keyed by host and id.</summary>
    private readonly Dictionary<(string Host, string Id), ContainerReport> _byId;

    private ContainerNames(Dictionary<(string, string), ContainerReport> byId) => _byId = byId;

    public static ContainerNames Of(ReplayReport report)
    {
        var byId = new Dictionary<(string, string), ContainerReport>(report.Containers.Count);
        foreach (var c in report.Containers) byId.TryAdd((c.Host, c.Id), c);
        return new ContainerNames(byId);
    }

    /// <summary>The container's name; its id when the report does not list it.</summary>
    public string Name(string host, string id) => _byId.GetValueOrDefault((host, id))?.Name ?? id;
}
