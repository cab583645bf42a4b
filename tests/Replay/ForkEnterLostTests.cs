using System.Globalization;
using Replayer.Ingest.Events;
using Replayer.Replay.Validation;
using Replayer.Tests.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Replay;

/// <summary>
/// A fork whose call's entry is not in the trace (entered before tracing_on, on a machine busy
/// enough that the clone took 80 ms: a capture of two dozen workloads had one): task_newtask's
/// flags carry no exit signal, so taking them whole made the child a "clone" child (exit signal 0)
/// that wait4 without __WALL passes over, and its parent's wait was predicted to reap a younger
/// sibling instead. The exit signal is not known there.
/// </summary>
public sealed class ForkEnterLostTests
{
    private const string Fixture = "b-jobctl.txt";

    /// <summary>The fixture without the entry of bash's first clone, whose child its later wait4 reaps; and that child.</summary>
    private static (List<PidEvent> Events, int Parent, int Child) WithoutCloneEntry()
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(Fixture)).ToList();
        for (int at = 0; at < lines.Count; at++)
        {
            if (!lines[at].Contains(": sys_clone(clone_flags: 0x1200011,", StringComparison.Ordinal)) continue;
            string who = lines[at].TrimStart()[..lines[at].TrimStart().IndexOf(' ')];
            int parent = int.Parse(who[(who.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
            var fork = lines.Skip(at).First(l => l.Contains($"-{parent} ", StringComparison.Ordinal) && l.Contains(": sched_process_fork: ", StringComparison.Ordinal));
            int child = int.Parse(fork[(fork.LastIndexOf("child_pid=", StringComparison.Ordinal) + 10)..], CultureInfo.InvariantCulture);
            if (!lines.Skip(at).Any(l => l.Contains($"-{parent} ", StringComparison.Ordinal) && l.EndsWith($": sys_wait4 -> 0x{child:x}", StringComparison.Ordinal))) continue;
            lines.RemoveAt(at);
            return (CaptureFiles.ReadEdited(CaptureFiles.Path_(Fixture), _ => lines), parent, child);
        }
        throw new InvalidOperationException($"{Fixture} has no clone whose child its parent's wait4 returns");
    }

    [Fact]
    public void A_fork_without_its_entry_says_so_and_its_child_is_still_waited_for()
    {
        var (events, parent, child) = WithoutCloneEntry();
        var fork = Assert.Single(events.OfType<Fork>(), f => f.Child == child);
        Assert.True(fork.EnterLost);
        Assert.False(CaptureFiles.Events(Fixture).OfType<Fork>().Single(f => f.Child == child).EnterLost);
        Assert.Equal(0UL, fork.Flags & 0xff); // task_newtask's flags: no exit signal
        Assert.Contains(events.OfType<Wait>(), w => w.Tid == parent && w.Ret == child);

        Assert.DoesNotContain(events.OfType<Fork>(), f => f.Tid == parent && f.Child != child && f.EnterLost);
        var report = Validator.Run("edited", "nested", events);
        Assert.True(report.Disagreed == 0, string.Join("; ", report.Disagreements));
        // Taken as a clone that asked for no exit signal, the child is no wait4's: its parent's wait disagrees.
        var asBefore = Validator.Run("edited", "nested", events.Select(e => e is Fork { EnterLost: true } f && f.Child == child ? f with { EnterLost = false } : e).ToList());
        Assert.Contains(asBefore.Disagreements, d => d.Tid == parent && d.Kind == "wait");
    }
}
