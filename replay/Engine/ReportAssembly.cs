using Replayer.Ingest.Events;
using Replayer.Replay.Divergence;

namespace Replayer.Replay.Engine;

/// <summary>A host's replay as it ends: its state and the books of each of its containers (index = container index).</summary>
public sealed record HostResult(HostReplay Replay, IReadOnlyList<ContainerLedger> Ledgers);

/// <summary>Puts the hosts' books together into one <see cref="ReplayReport"/>, the same way whatever order the hosts finished in.</summary>
public static class ReportAssembly
{
    public static ReplayReport Build(string trace, ReplaySettings settings, IEnumerable<HostResult> hosts)
    {
        var report = new ReplayReport { Trace = trace, Models = settings.Models, Policy = settings.PolicyName };
        var details = new List<(DivergenceRecord Record, bool First)>();
        var containerReports = new List<(ContainerReport Report, DivergenceRecord? First)>();
        foreach (var h in hosts.OrderBy(h => h.Replay.Host, StringComparer.Ordinal))
        {
            var replay = h.Replay;
            var hr = new HostReport { Host = replay.Host, Events = replay.Position, Containers = replay.Containers.Count - 1 };
            for (int m = 0; m < settings.Models.Count; m++)
            {
                hr.Costs.Add(new ModelCost { Model = settings.Models[m] });
                var o = replay.Oracle(m);
                hr.Oracle.Add(new OracleCounts { Model = settings.Models[m], Checked = o.Checked, Agreed = o.Agreed, Disagreed = o.Disagreed, UnknownState = o.UnknownState });
            }
            foreach (var info in replay.Containers)
            {
                var ledger = info.Index < h.Ledgers.Count ? h.Ledgers[info.Index] : null;
                var cr = new ContainerReport { Host = replay.Host, Id = info.Id, Name = replay.NameOf(info), Init = info.Init, Born = info.Born };
                for (int m = 0; m < settings.Models.Count; m++) cr.Costs.Add(new ModelCost { Model = settings.Models[m] });
                if (ledger is not null)
                {
                    cr.Events = ledger.Events;
                    cr.DivergentEvents = ledger.DivergentEvents;
                    cr.Divergences.Add(ledger.Divergences);
                    cr.Quarantined = ledger.Quarantined.Count;
                    for (int m = 0; m < settings.Models.Count; m++)
                    {
                        cr.Costs[m].Add(ledger.Costs[m]);
                        hr.Costs[m].Add(ledger.Costs[m]);
                    }
                    for (int i = 0; i < ledger.Details.Count; i++) details.Add((ledger.Details[i], i == 0));
                    report.Quarantined.AddRange(ledger.Quarantined);
                }
                if (info.Index == 0) hr.HostEvents = cr.Events;
                hr.DivergentEvents += cr.DivergentEvents;
                hr.Divergences.Add(cr.Divergences);
                hr.Quarantined += cr.Quarantined;
                containerReports.Add((cr, ledger is { Details.Count: > 0 } ? ledger.Details[0] : null));
            }
            report.Events += hr.Events;
            report.DivergentEvents += hr.DivergentEvents;
            report.Divergences.Add(hr.Divergences);
            report.Hosts.Add(hr);
        }

        // Every container's first divergence is kept; the rest fill what room is left, earliest first.
        var kept = details.Where(d => d.First)
            .Concat(details.Where(d => !d.First).OrderBy(d => d.Record.Host, StringComparer.Ordinal).ThenBy(d => d.Record.Event.Position)
                .Take(Math.Max(0, settings.DetailsPerReport - details.Count(d => d.First))))
            .Select(d => d.Record)
            .OrderBy(d => d.Host, StringComparer.Ordinal).ThenBy(d => d.Event.Position).ThenBy(d => d.Category)
            .ToList();
        report.Details.AddRange(kept);
        var index = new Dictionary<DivergenceRecord, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < kept.Count; i++) index[kept[i]] = i;
        foreach (var (cr, first) in containerReports)
        {
            if (first is not null) cr.FirstDivergence = index[first];
            report.Containers.Add(cr);
        }
        report.Quarantined.Sort((a, b) => string.CompareOrdinal(a.Host, b.Host) is var c && c != 0 ? c : a.Event.Position.CompareTo(b.Event.Position));
        return report;
    }
}

/// <summary>
/// The replay on one thread, hosts one after another: the reference the actor replay is checked
/// against, and what tests use to replay a capture without a store. Events are taken in the order
/// given (a trace's hosts interleaved in time), so a checkpoint comes before its restore.
/// </summary>
public sealed class SerialReplay
{
    private readonly string _trace;
    private readonly ReplaySettings _settings;
    private readonly SortedDictionary<string, (HostReplay Replay, List<ContainerLedger> Ledgers)> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<ImageKey, PublishedImage> _images = [];

    public SerialReplay(string trace, ReplaySettings settings)
    {
        _trace = trace;
        _settings = settings;
    }

    public static ReplayReport Run(string trace, ReplaySettings settings, IEnumerable<PidEvent> events)
    {
        var replay = new SerialReplay(trace, settings);
        foreach (var ev in events) replay.Step(ev);
        return replay.Report();
    }

    public void Step(PidEvent ev)
    {
        if (!_hosts.TryGetValue(ev.Host, out var host))
            _hosts[ev.Host] = host = (new HostReplay(ev.Host, _settings, _trace), []);
        if (host.Replay.ImageNeeded(ev) is { } key)
            host.Replay.Admit(key, _images.Remove(key, out var published) ? published.Image : null);
        var (container, booking) = host.Replay.Step(ev);
        foreach (var p in host.Replay.Emigrated) _images[p.Key] = p;
        host.Replay.Emigrated.Clear();
        while (host.Ledgers.Count < host.Replay.Containers.Count)
            host.Ledgers.Add(new ContainerLedger(ev.Host, host.Replay.Containers[host.Ledgers.Count].Id, _settings.Models));
        host.Ledgers[container].Book(booking);
    }

    public ReplayReport Report() => ReportAssembly.Build(_trace, _settings, _hosts.Values.Select(h => new HostResult(h.Replay, h.Ledgers)));
}
