using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;

namespace Replayer.Tests.Actors.Fleet;

/// <summary>
/// A fleet built by code: hosts h00, h01, ... each with init, a login shell and vzctl; the shell
/// runs short-lived commands (fork, exec, exit, wait) and vzctl starts a VPS whose init forks
/// children. Each host checkpoints its VPS and the next host (in a ring) restores it, as in
/// VpidModel.Migration.cs; so every host but the first waits on another host's checkpoint, and
/// host h00's restore waits for the last host's.
/// </summary>
public static class FleetTrace
{
    private const int Init = 1, Shell = 100, Vzctl = 200, VpsInit = 400;

    public static string Host(int i) => $"h{i:D2}";

    /// <summary>Every host's events, in time order across the fleet.</summary>
    public static IReadOnlyList<PidEvent> Events(int hosts, int commandsPerHost)
    {
        var all = new List<PidEvent>();
        for (int i = 0; i < hosts; i++) all.AddRange(HostEvents(i, hosts, commandsPerHost));
        return all.OrderBy(e => e.Time).ThenBy(e => e.Host, StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<PidEvent> HostEvents(int i, int hosts, int commands)
    {
        string host = Host(i), vps = $"{101 + i}", next = Host((i + 1) % hosts), previous = Host((i + hosts - 1) % hosts);
        long t = 0;
        long Tick() => ++t * 1000 + i;
        yield return new TaskSnapshot { Host = host, Tid = Init, Tgid = Init, PPid = 0, Pgid = 1, Sid = 1, Comm = "init", NsPid = [Init], Time = Tick() };
        yield return new TaskSnapshot { Host = host, Tid = Shell, Tgid = Shell, PPid = Init, Pgid = Shell, Sid = Shell, Comm = "bash", NsPid = [Shell], Time = Tick() };
        yield return new TaskSnapshot { Host = host, Tid = Vzctl, Tgid = Vzctl, PPid = Shell, Pgid = Shell, Sid = Shell, Comm = "vzctl", NsPid = [Vzctl], Time = Tick() };
        yield return new Fork { Host = host, Tid = Vzctl, Comm = "vzctl", Child = VpsInit, Ret = VpsInit, Time = Tick() };
        yield return new Container { Host = host, Tid = Vzctl, Comm = "vzctl", Action = ContainerAction.Create, Id = vps, Task = VpsInit, Ret = 0, Time = Tick() };
        for (int c = 0; c < 3; c++)
            yield return new Fork { Host = host, Tid = VpsInit, Comm = "init", Child = VpsInit + 1 + c, Ret = VpsInit + 1 + c, Time = Tick() };
        int pid = 1000;
        for (int n = 0; n < commands; n++)
        {
            // The checkpoint comes a third of the way through, at the same time on every host; the restore from the previous host later.
            if (n == commands / 3)
                yield return new Container { Host = host, Tid = Vzctl, Comm = "vzctl", Action = ContainerAction.Checkpoint, Id = vps, Peer = next, Ret = 0, Time = Tick() };
            if (n == 2 * commands / 3)
                yield return new Container { Host = host, Tid = Vzctl, Comm = "vzctl", Action = ContainerAction.Restore, Id = $"{101 + (i + hosts - 1) % hosts}", Peer = previous, Ret = 0, Time = Tick() };
            int child = pid++;
            yield return new Fork { Host = host, Tid = Shell, Comm = "bash", Child = child, Ret = child, Time = Tick() };
            yield return new Exec { Host = host, Tid = child, Comm = "true", Filename = "/bin/true", OldTid = child, Time = Tick() };
            yield return new Exit { Host = host, Tid = child, Comm = "true", Code = n % 3, Group = true, Time = Tick() };
            yield return new Wait { Host = host, Tid = Shell, Comm = "bash", Pid = -1, Ret = child, Time = Tick() };
        }
    }

    /// <summary>Writes the events as a native file and ingests it into a store as trace <paramref name="trace"/>.</summary>
    public static async Task IngestAsync(IEventStore store, string file, string trace, IReadOnlyList<PidEvent> events)
    {
        using (var f = File.Create(file))
        using (var w = new NativeWriter(f))
        {
            w.WriteHeader(new TraceHeader(trace, []));
            foreach (var e in events) w.Write(e);
        }
        await new TraceIngest(store, CaptureFormats.All).RunAsync(new IngestRequest([file], Trace: trace));
    }
}
