using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Tracepoints;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>
/// Where the tracepoint assembler puts forks that happen at once on several CPUs: in the order
/// their callers' namespace allocated their numbers, which the returns show and the lines' order
/// need not (the pid is allocated a little before sched_process_fork, on each CPU).
/// </summary>
public sealed class TracepointForkOrderTests
{
    private const long Us = 1_000;

    private static TraceLine Line(long time, int tid, Tracepoint point, Syscall sys = Syscall.Other, long a0 = 0, long a1 = 0) =>
        new() { Time = time, Tid = tid, Comm = "sh", Point = point, Sys = sys, A0 = a0, A1 = a1 };

    /// <summary>Three shells vfork at once; each vfork returns a millisecond later, in an order that says which got its number first.</summary>
    private static List<PidEvent> ThreeVforks(long[] placed, (int Parent, long Ret)[] returns, long gap = 1 * Us)
    {
        var a = new TracepointAssembler();
        long t = 1_000_000;
        foreach (int parent in new[] { 10, 11, 12 })
            a.Snapshot(new TaskSnapshot { Tid = parent, Comm = "sh", Tgid = parent, PPid = 1, NsPid = [parent, parent - 9] });
        foreach (int parent in new[] { 10, 11, 12 }) a.Feed(Line(t++, parent, Tracepoint.SysEnter, Syscall.VFork));
        for (int i = 0; i < 3; i++)
        {
            int parent = 10 + (int)placed[i];
            a.Feed(Line(t, parent, Tracepoint.NewTask, a0: 100 + parent, a1: 0x4100));
            a.Feed(Line(t, parent, Tracepoint.Fork, a1: 100 + parent));
            t += gap;
        }
        t += 1_000 * Us;
        foreach (var (parent, ret) in returns) a.Feed(Line(t++, parent, Tracepoint.SysExit, Syscall.VFork, a0: ret));
        a.Finish();
        var events = new List<PidEvent>();
        while (a.TryTake(out var ev)) events.Add(ev);
        return events;
    }

    [Fact]
    public void A_run_of_forks_at_once_goes_in_the_order_of_their_answers()
    {
        // Lines in the order 10, 11, 12; numbers 7, 5, 6: 11 allocated first, then 12, then 10.
        var events = ThreeVforks([0, 1, 2], [(10, 7), (11, 5), (12, 6)]);
        Assert.Equal([(11, 5L), (12, 6L), (10, 7L)], events.OfType<Fork>().Select(f => (f.Tid, f.Ret ?? 0)));
        Assert.Equal([111, 112, 110], events.OfType<Fork>().Select(f => f.Child));
    }

    [Fact]
    public void Forks_further_apart_than_the_window_keep_the_order_of_their_lines()
    {
        var events = ThreeVforks([0, 1, 2], [(10, 7), (11, 5), (12, 6)], gap: 2 * TracepointAssembler.ForkOrderNs);
        Assert.Equal([10, 11, 12], events.OfType<Fork>().Select(f => f.Tid));
    }
}
