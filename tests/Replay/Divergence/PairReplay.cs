using Replayer.Ingest.Events;
using Replayer.Replay.Divergence;
using Replayer.Replay.Models;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Tests.Replay.Divergence;

/// <summary>One event as the two designs answered it, and every way they differ (empty when they agree).</summary>
internal sealed record EventPair(long Position, PidEvent Event, Outcome Nested, Outcome Vpid, List<Difference> Differences)
{
    public bool Has(DivergenceCategory category) => Differences.Any(d => d.Category == category);

    public override string ToString() =>
        $"#{Position} {Event.Kind} by {Event.Tid} ({Event.Comm}): " + string.Join("; ", Differences.Select(d => $"{d.Category} [{d.Left}] vs [{d.Right}]"));
}

/// <summary>
/// The divergence replay in miniature: each host's events go through the nested model and the
/// vpid model side by side, and every event's two outcomes are compared with
/// <see cref="DivergenceClassifier.Compare"/> (nested on the left, vpid on the right).
/// </summary>
internal sealed class PairReplay(ModelSettings? settings = null, VpidOptions? vpid = null)
{
    private readonly Dictionary<string, (NestedPidModel Nested, VpidModel Vpid, long Position)> _hosts = new(StringComparer.Ordinal);
    private readonly ModelSettings _settings = settings ?? new ModelSettings();

    /// <summary>Every event replayed so far, with both outcomes.</summary>
    public List<EventPair> Events { get; } = [];

    /// <summary>The events on which the designs differ.</summary>
    public IEnumerable<EventPair> Divergences => Events.Where(e => e.Differences.Count > 0);

    /// <summary>The models of a host, to ask them where a task lives.</summary>
    public (NestedPidModel Nested, VpidModel Vpid) Models(string host = "") => (_hosts[host].Nested, _hosts[host].Vpid);

    public EventPair Step(PidEvent ev)
    {
        if (!_hosts.TryGetValue(ev.Host, out var h))
        {
            var nested = (NestedPidModel)ModelCatalog.Create("nested", _settings);
            h = (nested, new VpidModel((vpid ?? VpidOptions.Default) with { PidMax = _settings.PidMax, Ptraced = _settings.Ptraced }), 0);
        }
        _hosts[ev.Host] = (h.Nested, h.Vpid, h.Position + 1);
        var left = new Outcome();
        var right = new Outcome();
        h.Nested.Apply(ev, left);
        h.Vpid.Apply(ev, right);
        var differences = new List<Difference>();
        DivergenceClassifier.Compare(left, right, differences);
        var pair = new EventPair(h.Position, ev, left, right, differences);
        Events.Add(pair);
        return pair;
    }

    public static PairReplay Run(IEnumerable<PidEvent> events, ModelSettings? settings = null, VpidOptions? vpid = null)
    {
        var replay = new PairReplay(settings, vpid);
        foreach (var ev in events) replay.Step(ev);
        return replay;
    }
}
