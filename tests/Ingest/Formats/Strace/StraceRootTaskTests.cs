using Replayer.Ingest.Events;
using Replayer.Replay.Validation;
using Xunit;

namespace Replayer.Tests.Ingest.Formats.Strace;

/// <summary>
/// What a strace capture proves about the namespaces of its tasks: the command strace started lives
/// in the initial namespace; a task strace attached to (-p) may live anywhere. Fixtures are the
/// real captures of traces/strace, traces/pair and traces/fresh (see their READMEs for the commands).
/// </summary>
public sealed class StraceRootTaskTests
{
    /// <summary>Captures of commands strace started itself, single files, per-pid files and the pair.</summary>
    private static IEnumerable<(string Name, List<PidEvent> Events)> Started()
    {
        foreach (var c in StraceCaptures.All()) yield return c;
        yield return ("nest3.strace", StraceCaptures.Read("traces/fresh/nest3.strace"));
        yield return ("pipes.strace", StraceCaptures.Read("traces/fresh/pipes.strace"));
    }

    [Fact]
    public void The_command_strace_started_is_adopted_in_the_initial_namespace_with_its_tid_as_nspid()
    {
        foreach (var (name, events) in Started())
        {
            var root = Assert.IsType<TaskSnapshot>(events[0]);
            Assert.True(root.Adopted, name);
            Assert.Equal([root.Tid], root.NsPid!);
            Assert.Equal(root.Tid, root.Tgid);
            // strace is its parent, in strace's group and session: none of them is in the capture.
            Assert.Equal((0, 0, 0), (root.PPid, root.Pgid, root.Sid));
            Assert.Single(events.OfType<TaskSnapshot>());
        }
    }

    [Fact]
    public void A_task_strace_attached_to_is_adopted_without_a_namespace()
    {
        foreach (var file in (string[])["traces/fresh/attach-host.strace", "traces/fresh/attach-ns.strace"])
        {
            var events = StraceCaptures.Read(file);
            var root = Assert.IsType<TaskSnapshot>(events[0]);
            Assert.Null(root.NsPid);
            Assert.Equal(EventKind.Wait, events[1].Kind);
        }
    }

    [Fact]
    public void An_attached_task_whose_first_call_is_execve_is_not_taken_for_strace_s_child_when_its_comm_says_otherwise()
    {
        // strace -Y -p: python3 spun without calls, then exec'd sh, which is the init of its namespace (getpid 1).
        var events = StraceCaptures.Read("traces/fresh/attach-exec.strace");
        var root = Assert.IsType<TaskSnapshot>(events[0]);
        Assert.Equal("python3", root.Comm);
        Assert.Null(root.NsPid);
        Assert.Contains(events, e => e is GetId { Call: GetIdCall.GetPid, Ret: 1 } g && g.Tid == root.Tid);
    }

    [Fact]
    public void A_fork_by_a_task_attached_inside_a_namespace_returns_a_number_not_its_child_s_tid()
    {
        // The namespace init forks `sleep` (its number 4, tid 28929), which shows only after the fork returned.
        var events = StraceCaptures.Read("traces/fresh/attach-ns.strace");
        var fork = Assert.Single(events.OfType<Fork>(), f => f.Call == ForkCall.Clone);
        Assert.Equal((28929, 4L), (fork.Child, fork.Ret!.Value));
        Assert.Single(events.OfType<TaskSnapshot>());
    }

    [Fact]
    public void Children_that_show_out_of_order_are_paired_with_their_forks_in_allocation_order()
    {
        // The level-1 init forks `sleep 5` (2), the level-2 unshare (3) and vforks `sleep 0.5` (4);
        // the children first show as 26468, 26467, 26466 and none calls getpid. The SIGKILL to 2
        // ends 26466, which bears the pairing out.
        var events = StraceCaptures.Read("traces/fresh/nest3.strace");
        var forks = events.OfType<Fork>().Where(f => f.Tid == 26465).Select(f => (f.Ret!.Value, f.Child));
        Assert.Equal([(2L, 26466), (3L, 26467), (4L, 26468)], forks);
        var kill = Assert.Single(events.OfType<Kill>(), k => k.Tid == 26465 && k.Sig == 9);
        Assert.Equal(2, kill.Pid);
        Assert.Contains(events, e => e is Exit { Tid: 26466, Code: 9 });
    }

    [Fact]
    public void Clone_keeps_its_exit_signal_in_the_low_byte_and_clone3_its_exit_signal_field()
    {
        const ulong csignal = 0xff, sigchld = 17;
        var plain = StraceCaptures.Read("traces/strace/clonens.txt").OfType<Fork>().ToList();
        Assert.Equal([ForkCall.Clone, ForkCall.Clone3], plain.Select(f => f.Call));
        Assert.All(plain, f => Assert.Equal(sigchld, f.Flags & csignal));
        // Python's threads: clone3 with exit_signal=0 (a thread sends no signal at exit).
        var threads = StraceCaptures.Read("traces/strace/threads.txt").OfType<Fork>().Where(f => f.IsThread).ToList();
        Assert.NotEmpty(threads);
        Assert.All(threads, f => Assert.Equal(0UL, f.Flags & csignal));
    }

    [Theory]
    [InlineData("traces/strace/jobctl.txt")]
    [InlineData("traces/strace/orphan.txt")]
    [InlineData("traces/strace/kill1.txt")]
    [InlineData("traces/strace/daemon.txt")]
    [InlineData("traces/strace/initdeath.txt")]
    [InlineData("traces/strace/nested.txt")]
    [InlineData("traces/strace/threads.txt")]
    [InlineData("traces/strace/subreaper.txt")]
    [InlineData("traces/fresh/pipes.strace")]
    [InlineData("traces/fresh/nest3.strace")]
    public void Answers_in_a_capture_strace_started_are_checked_against_the_nested_model_and_agree(string file)
    {
        var report = Validator.Run(file, "nested", StraceCaptures.Read(file));
        Assert.True(report.Clean, string.Join("\n", report.Disagreements));
        Assert.True(report.Agreed > report.UnknownState, $"{file}: {report.Agreed} agreed, {report.UnknownState} unknown");
    }

    [Theory]
    [InlineData("traces/fresh/attach-host.strace")]
    [InlineData("traces/fresh/attach-ns.strace")]
    [InlineData("traces/fresh/attach-exec.strace")]
    public void Answers_in_a_capture_strace_attached_to_claim_nothing_the_capture_does_not_prove(string file)
    {
        var report = Validator.Run(file, "nested", StraceCaptures.Read(file));
        Assert.True(report.Clean, string.Join("\n", report.Disagreements));
        // rt_sigaction's answer needs no pid state (kernel/signal.c, do_sigaction): only those agree.
        Assert.Equal(report.ByKind.GetValueOrDefault("sigaction")?.Agreed ?? 0, report.Agreed);
    }
}
