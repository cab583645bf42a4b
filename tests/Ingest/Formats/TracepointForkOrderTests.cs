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

    /// <summary>
    /// A busy capture: shells in two namespaces forked at once, a vfork (201 in its namespace)
    /// then a clone (43 in another); the vfork answered once its child had run, and that child's
    /// first change of its mask came between the two forks' lines (a mask read by the probe, which
    /// leaves the forks neighbours). Answers from two namespaces
    /// say nothing of which came first, and ordered by them the vfork went after its child's own
    /// event. A run whose order would put a child's event before its fork keeps its lines' order.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_run_is_not_ordered_past_an_event_of_a_child_of_its_forks(bool childActs)
    {
        long t = 1_000_000;
        // The shells block every signal around the fork; the vfork's child unblocks them at once.
        var a = new TracepointAssembler
        {
            SignalMasks = childActs ? [new MaskRecord(10, t - 5 * Us, ~0UL), new MaskRecord(110, t + 20 * Us, 0)] : [],
        };
        foreach (int parent in new[] { 10, 11 })
            a.Snapshot(new TaskSnapshot { Tid = parent, Comm = "sh", Tgid = parent, PPid = 1, NsPid = [parent, parent - 9] });
        a.Feed(Line(t, 10, Tracepoint.SysEnter, Syscall.VFork));
        a.Feed(Line(t + 1, 11, Tracepoint.SysEnter, Syscall.Clone, a0: 0x1200011));
        a.Feed(Line(t + 10 * Us, 10, Tracepoint.NewTask, a0: 110, a1: 0x4100));
        a.Feed(Line(t + 11 * Us, 10, Tracepoint.Fork, a1: 110));
        a.Feed(Line(t + 40 * Us, 11, Tracepoint.NewTask, a0: 111, a1: 0x1200000));
        a.Feed(Line(t + 41 * Us, 11, Tracepoint.Fork, a1: 111));
        a.Feed(Line(t + 42 * Us, 11, Tracepoint.SysExit, Syscall.Clone, a0: 43));
        a.Feed(Line(t + 90 * Us, 10, Tracepoint.SysExit, Syscall.VFork, a0: 201));
        a.Finish();
        var events = new List<PidEvent>();
        while (a.TryTake(out var ev)) events.Add(ev);
        Assert.Equal(childActs ? [10, 11] : [11, 10], events.OfType<Fork>().Select(f => f.Tid));
        if (childActs)
            Assert.True(events.FindIndex(e => e is Fork { Child: 110 }) < events.FindIndex(e => e is SigMask { Tid: 110 }));
    }

    [Fact]
    public void Forks_further_apart_than_the_window_keep_the_order_of_their_lines()
    {
        var events = ThreeVforks([0, 1, 2], [(10, 7), (11, 5), (12, 6)], gap: 2 * TracepointAssembler.ForkOrderNs);
        Assert.Equal([10, 11, 12], events.OfType<Fork>().Select(f => f.Tid));
    }

    /// <summary>
    /// A busy capture: two shells of a fork storm in one pid namespace. Shell 10's task_newtask
    /// came first; it was preempted 1.6 ms before its sched_process_fork, and shell 11's fork,
    /// whose lines both came in between, was allocated second (its return is the higher number).
    /// The forks stand at their task_newtask lines, where copy_process has allocated the pid; at
    /// sched_process_fork, 11's came first and was predicted the number 10 got.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_fork_stands_at_its_task_newtask_line_where_its_pid_is_allocated(bool newTaskLines)
    {
        var a = new TracepointAssembler();
        foreach (int parent in new[] { 10, 11 })
            a.Snapshot(new TaskSnapshot { Tid = parent, Comm = "sh", Tgid = parent, PPid = 1, NsPid = [parent, parent - 9] });
        long t = 1_000 * Us;
        a.Feed(Line(t, 10, Tracepoint.SysEnter, Syscall.Clone, a0: 0x1200011));
        a.Feed(Line(t + 1 * Us, 11, Tracepoint.SysEnter, Syscall.Clone, a0: 0x1200011));
        if (newTaskLines) a.Feed(Line(t + 10 * Us, 10, Tracepoint.NewTask, a0: 110, a1: 0x1200000));
        if (newTaskLines) a.Feed(Line(t + 1_300 * Us, 11, Tracepoint.NewTask, a0: 111, a1: 0x1200000));
        a.Feed(Line(t + 1_301 * Us, 11, Tracepoint.Fork, a1: 111));
        a.Feed(Line(t + 1_302 * Us, 11, Tracepoint.SysExit, Syscall.Clone, a0: 3));
        a.Feed(Line(t + 1_610 * Us, 10, Tracepoint.Fork, a1: 110));
        a.Feed(Line(t + 1_611 * Us, 10, Tracepoint.SysExit, Syscall.Clone, a0: 2));
        a.Finish();
        var events = new List<PidEvent>();
        while (a.TryTake(out var ev)) events.Add(ev);
        var forks = events.OfType<Fork>().Select(f => (f.Tid, f.Child, f.Ret ?? 0)).ToList();
        Assert.Equal(newTaskLines ? [(10, 110, 2L), (11, 111, 3L)] : [(11, 111, 3L), (10, 110, 2L)], forks);
    }

    /// <summary>
    /// A busy capture: a perl's SIGALRM, from the tick, came between two shells' forks in one
    /// namespace, 18 us apart, whose numbers came in the other order than their lines. The
    /// interrupt's signal is no one's call: the forks are still neighbours, put in the order of
    /// their answers. Another event between them (a call's) keeps them in the order of their lines.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_interrupts_signal_between_two_forks_leaves_them_neighbours(bool interrupt)
    {
        var a = new TracepointAssembler();
        foreach (int parent in new[] { 10, 11, 50 })
            a.Snapshot(new TaskSnapshot { Tid = parent, Comm = "sh", Tgid = parent, PPid = 1, NsPid = [parent, parent - 9] });
        long t = 1_000 * Us;
        a.Feed(Line(t, 10, Tracepoint.SysEnter, Syscall.Clone, a0: 0x1200011));
        a.Feed(Line(t + 1 * Us, 11, Tracepoint.SysEnter, Syscall.Clone, a0: 0x1200011));
        a.Feed(Line(t + 60 * Us, 11, Tracepoint.NewTask, a0: 111, a1: 0x1200000));
        a.Feed(Line(t + 62 * Us, 11, Tracepoint.Fork, a1: 111));
        a.Feed(Line(t + 63 * Us, 11, Tracepoint.SysExit, Syscall.Clone, a0: 3));
        if (interrupt)
            a.Feed(new TraceLine { Time = t + 70 * Us, Tid = 10, Comm = "sh", Point = Tracepoint.SignalGenerate, A0 = 14, A2 = 128, A3 = 50, A4 = 1, A5 = 0, InInterrupt = true });
        else
        {
            a.Feed(Line(t + 70 * Us, 50, Tracepoint.SysEnter, Syscall.GetPid));
            a.Feed(Line(t + 71 * Us, 50, Tracepoint.SysExit, Syscall.GetPid, a0: 50));
        }
        a.Feed(Line(t + 78 * Us, 10, Tracepoint.NewTask, a0: 110, a1: 0x1200000));
        a.Feed(Line(t + 80 * Us, 10, Tracepoint.Fork, a1: 110));
        a.Feed(Line(t + 81 * Us, 10, Tracepoint.SysExit, Syscall.Clone, a0: 2));
        a.Finish();
        var events = new List<PidEvent>();
        while (a.TryTake(out var ev)) events.Add(ev);
        var forks = events.OfType<Fork>().Select(f => (f.Tid, f.Ret ?? 0)).ToList();
        Assert.Equal(interrupt ? [(10, 2L), (11, 3L)] : [(11, 3L), (10, 2L)], forks);
    }
}
