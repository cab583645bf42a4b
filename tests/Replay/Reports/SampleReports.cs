using Replayer.Replay.Divergence;
using Replayer.Replay.Engine;

namespace Replayer.Tests.Replay.Reports;

/// <summary>
/// Replay reports built in code the way the replay fills them: every count follows from the
/// divergences and quarantines added, so the renderers can be checked against the model's own totals.
/// </summary>
internal sealed class SampleReports
{
    public const string HostileComm = "<script>alert(1)</script>";
    public const string HostileName = "\"><img src=x onerror=alert(2)>";
    /// <summary>A comm a spreadsheet would take for a formula.</summary>
    public const string FormulaComm = "=HYPERLINK(\"x\")";

    /// <summary>The report being built.</summary>
    private readonly ReplayReport _report;
    /// <summary>(host, position) of every divergent event, so one event diverging in two categories counts once.</summary>
    private readonly HashSet<(string, long)> _divergent = [];

    public SampleReports(string trace = "two-hosts")
    {
        _report = new ReplayReport { Trace = trace, Models = ["nested", "vpid"], Policy = "openvz" };
    }

    public ReplayReport Report => _report;

    public HostReport Host(string name, long events, long hostEvents)
    {
        var h = new HostReport { Host = name, Events = events, HostEvents = hostEvents };
        foreach (var m in _report.Models)
        {
            h.Costs.Add(new ModelCost { Model = m, TranslationsOut = events / 3, TranslationsIn = events / 5, Probes = events * 2, UnknownState = 1 });
            h.Oracle.Add(new OracleCounts { Model = m, Checked = events / 2, Agreed = events / 2 - 2, Disagreed = m == "nested" ? 0 : 2, UnknownState = 0 });
        }
        _report.Hosts.Add(h);
        _report.Events += events;
        return h;
    }

    public ContainerReport Container(string host, string id, string name, int init, long born, long events)
    {
        var c = new ContainerReport { Host = host, Id = id, Name = name, Init = init, Born = born, Events = events };
        foreach (var m in _report.Models)
            c.Costs.Add(new ModelCost { Model = m, TranslationsOut = events, TranslationsIn = events / 2, Probes = events * 3 });
        _report.Containers.Add(c);
        if (id != "host") HostOf(host).Containers++;
        return c;
    }

    public static EventRef Ev(long position, int tid, string comm, string text) => new(position, 1_000_000 + position * 1000, tid, comm, text);

    /// <summary>A divergence kept with its details; the events around it are the container's neighbours.</summary>
    public DivergenceRecord Diverge(string host, string container, EventRef ev, string kind, DivergenceCategory category,
        string left, string right, string? note = null, EventRef[]? causes = null)
    {
        var d = new DivergenceRecord
        {
            Host = host, Container = container, Event = ev, Kind = kind, Category = category, Left = left, Right = right, Note = note,
            Causes = causes ?? [],
            Before = [Ev(ev.Position - 2, ev.Tid, ev.Comm, "exec /bin/sh"), Ev(ev.Position - 1, ev.Tid, ev.Comm, "setpgid(0, 0) = 0")],
        };
        d.After.Add(Ev(ev.Position + 1, ev.Tid, ev.Comm, "exit(0)"));
        var c = ContainerOf(host, container);
        c.FirstDivergence ??= _report.Details.Count;
        _report.Details.Add(d);
        Count(host, c, ev.Position, category);
        return d;
    }

    /// <summary>A divergence counted but not kept (the replay keeps only so many with details).</summary>
    public void DivergeUnkept(string host, string container, long position, DivergenceCategory category) =>
        Count(host, ContainerOf(host, container), position, category);

    public void Quarantine(string host, string container, EventRef ev, string kind, string error)
    {
        _report.Quarantined.Add(new QuarantineRecord(host, container, ev, kind, error));
        ContainerOf(host, container).Quarantined++;
        HostOf(host).Quarantined++;
    }

    private void Count(string host, ContainerReport c, long position, DivergenceCategory category)
    {
        c.Divergences[category]++;
        HostOf(host).Divergences[category]++;
        _report.Divergences[category]++;
        if (!_divergent.Add((host, position))) return;
        c.DivergentEvents++;
        HostOf(host).DivergentEvents++;
        _report.DivergentEvents++;
    }

    private HostReport HostOf(string host) => _report.Hosts.Single(h => h.Host == host);

    private ContainerReport ContainerOf(string host, string id) => _report.Containers.Single(c => c.Host == host && c.Id == id);

    /// <summary>
    /// Two hosts, five containers and the host's own tasks, every category, two quarantined
    /// events, and text a hostile or unlucky program could put in a trace.
    /// </summary>
    public static ReplayReport TwoHosts()
    {
        var s = new SampleReports("lab <two-hosts> & co");
        s.Host("node-a", events: 4000, hostEvents: 900);
        s.Host("node-b", events: 2500, hostEvents: 400);
        s.Container("node-a", "host", "host", 0, 0, 900);
        s.Container("node-a", "c1", "101", 4123, 57, 1500);
        s.Container("node-a", "c2", HostileName, 4300, 300, 1200);
        s.Container("node-a", "c3", "quiet, \"idle\" one", 4400, 410, 400);
        s.Container("node-b", "host", "host", 0, 0, 400);
        s.Container("node-b", "c1", "db|primary", 2001, 12, 1300);
        s.Container("node-b", "c2", "-worker @2", 2500, 90, 800);

        var birth = Ev(57, 4123, "lxc-start", "clone(CLONE_NEWPID) = 4123");
        s.Diverge("node-a", "c1", Ev(100, 4130, "bash", "getpgid(0) = 6879"), "getid", DivergenceCategory.Visibility, "0", "6879 (task 6879)", causes: [birth]);
        s.Diverge("node-a", "c1", Ev(120, 4131, "sh", "fork() = 4140"), "fork", DivergenceCategory.Numbering, "3 (task 4140)", "4140 (task 4140)");
        s.Diverge("node-a", "c1", Ev(120, 4131, "sh", "fork() = 4140"), "fork", DivergenceCategory.Capacity, "ok", "EAGAIN");
        s.Diverge("node-a", "c2", Ev(350, 4301, HostileComm, "kill(-1, SIGTERM) = 0"), "kill", DivergenceCategory.SignalSet,
            "sig 15 to 4302 delivered", "sig 15 to 4302 delivered, sig 15 to 4303 delivered", note: "kill -1 from a VPS reaches the VPS's init in OpenVZ");
        s.Diverge("node-a", "c2", Ev(900, 4302, FormulaComm, "exit(0)"), "exit", DivergenceCategory.Reaping, "4310 to 4300", "4310 to 1");
        s.DivergeUnkept("node-a", "c2", 950, DivergenceCategory.Numbering);
        s.DivergeUnkept("node-a", "c2", 960, DivergenceCategory.Numbering);
        s.Diverge("node-a", "host", Ev(2000, 812, "systemd", "wait4(-1) = 4300"), "wait", DivergenceCategory.Identity, "4300 (task 4300)", "ECHILD");
        s.Diverge("node-b", "c1", Ev(40, 2010, "+cmd,with\"quotes\"", "unshare(CLONE_NEWPID) = 0"), "unshare", DivergenceCategory.Unsupported,
            "ok", "unsupported: nesting under virtual pids", note: "line one\nline two\u2028after a separator");
        s.Diverge("node-b", "c2", Ev(700, 2501, "@worker", "setsid() = 2501"), "setsid", DivergenceCategory.Identity, "2501 (task 2501)", "EPERM");
        s.Diverge("node-b", "c2", Ev(701, 2501, "@worker", "getsid(0) = 2501"), "getid", DivergenceCategory.Numbering, "1 (task 2501)", "2501 (task 2501)");

        s.Quarantine("node-a", "c2", Ev(1200, 4305, HostileComm, "setns(7, CLONE_NEWPID) = 0"), "setns", "setns into a namespace the replay never saw");
        s.Quarantine("node-b", "host", Ev(20, 300, "=cmd|' /C calc'!A0", "kill(2001, SIGKILL) = 0"), "kill", "the target 2001 was not born in the trace");
        return s.Report;
    }

    /// <summary>A report the size a large capture gives: <paramref name="containers"/> containers on one host, <paramref name="details"/> kept divergences.</summary>
    public static ReplayReport Large(int containers, int details)
    {
        var s = new SampleReports("large");
        int perContainer = Math.Max(1, details / containers);
        s.Host("node-a", events: (long)containers * perContainer * 10 + 10, hostEvents: 10);
        for (int c = 0; c < containers; c++) s.Container("node-a", $"c{c + 1}", $"ct-{c + 1}", 1000 + c * 10, c * 10, perContainer * 10);
        var categories = Enum.GetValues<DivergenceCategory>();
        for (int i = 0; i < details; i++)
        {
            // Every container diverges once; the rest go to the first tenth, so some diverge far more than others.
            int c = i < containers ? i : i % (containers / 10 + 1);
            long position = 10 + (long)i * 10 + 3;
            s.Diverge("node-a", $"c{c + 1}", Ev(position, 1000 + c * 10 + 1, $"task{i}", $"kill({i}, SIGTERM) = 0"), "kill",
                categories[i % categories.Length], $"left {i}", $"right {i}");
        }
        return s.Report;
    }
}
