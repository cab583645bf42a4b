using System.Globalization;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Proc;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>The live /proc written as snapshot text reads back as this machine's tasks.</summary>
public sealed class ProcSnapshotTests
{
    /// <summary>
    /// A process's threads are read in the order /proc/PID/task lists them, the kernel's thread
    /// list (the leader, then the others as they were created), not by tid: once tids wrap the
    /// two differ, and the kernel gives a dying thread's children to the first live thread of that
    /// list. A python3, the init of a pid namespace of its own (its counter set there, the host's
    /// untouched), starts thread 101 and then thread 11.
    /// </summary>
    [Fact]
    public void Live_scan_lists_a_processs_threads_in_the_kernels_order_not_by_tid()
    {
        // unshare and ns_last_pid need root; CI has it, and there a missing one fails.
        if (!Replayer.Tests.Ingest.Capture.CaptureInstanceTests.CaptureAvailable()) return;
        const string script = "import threading, sys\n" +
            "ev = threading.Event()\n" +
            "def at(n): open('/proc/sys/kernel/ns_last_pid', 'w').write(str(n))\n" +
            "at(100); a = threading.Thread(target=ev.wait); a.start()\n" +
            "at(10); b = threading.Thread(target=ev.wait); b.start()\n" +
            "print(a.native_id, b.native_id, flush=True)\n" +
            "sys.stdin.read(); ev.set()\n";
        var start = new System.Diagnostics.ProcessStartInfo("unshare", ["--pid", "--fork", "--mount-proc", "python3", "-c", script])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        using var unshare = System.Diagnostics.Process.Start(start)!;
        try
        {
            var ids = (unshare.StandardOutput.ReadLine() ?? "").Split(' ').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal([101, 11], ids);
            // The namespace's own /proc, mounted in the mount namespace unshare shares with python3.
            var scan = LiveProcSnapshot.Scan($"/proc/{unshare.Id}/root/proc");
            Assert.Equal([1, 101, 11], scan.Tasks.Where(t => t.Tgid == 1).Select(t => t.Tid));
        }
        finally
        {
            unshare.StandardInput.Close();
            if (!unshare.WaitForExit(10_000)) unshare.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// What the window check reads around the first read: the allocator's cursor, pid_max, the
    /// ticks since boot, and each task's fork time (stat's field 22), in the same unit.
    /// </summary>
    [Fact]
    public void The_live_read_gives_each_task_its_fork_time_in_the_ticks_the_uptime_gives()
    {
        long? ticks = LiveProcSnapshot.UptimeTicks();
        var scan = LiveProcSnapshot.Scan();
        var self = Assert.Single(scan.Tasks, t => t.Tid == Environment.ProcessId);
        Assert.InRange(self.Start, 1, ticks!.Value);
        Assert.Equal(long.Parse(File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[19], CultureInfo.InvariantCulture), self.Start);
        // Not in do_exit (stat's flags, field 9, without PF_EXITING), and the flags read as they are.
        Assert.False(self.Exiting);
        Assert.Equal((uint.Parse(File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[6], CultureInfo.InvariantCulture) & 4) != 0, self.Exiting);
        Assert.InRange(LiveProcSnapshot.PidCursor()!.Value, 1, LiveProcSnapshot.PidMax()!.Value);
        using var dir = new Replayer.Tests.Support.TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "uptime"), "10781.67 10125.79\n");
        Assert.Equal(1_078_167L, LiveProcSnapshot.UptimeTicks(dir.Path));
        Assert.Null(LiveProcSnapshot.PidCursor(dir.Path));
    }

    [Fact]
    public void Live_proc_snapshot_reads_back_with_this_process_and_all_its_threads()
    {
        var path = Path.Combine(Path.GetTempPath(), $"replayer-proc-{Guid.NewGuid():N}.txt");
        try
        {
            var before = Threads();
            int blocks;
            using (var w = new StreamWriter(path) { NewLine = "\n" }) blocks = LiveProcSnapshot.Write(w);
            var (format, events) = CaptureFiles.Read(path);
            Assert.Equal("proc", format);
            var tasks = events.Cast<TaskSnapshot>().ToList();
            Assert.Equal(blocks, tasks.Count);
            int pid = Environment.ProcessId;
            var mine = tasks.Where(t => t.Tgid == pid).ToList();
            var leader = Assert.Single(mine, t => t.Tid == pid);
            Assert.Equal(pid, leader.NsPid![0]);
            Assert.Equal(File.ReadAllText("/proc/self/stat").Split(' ')[4], leader.Pgid.ToString(CultureInfo.InvariantCulture));
            // Every thread alive both before and after the snapshot is in it.
            var steady = before.Intersect(Threads()).ToList();
            Assert.NotEmpty(steady);
            Assert.All(steady, tid => Assert.Contains(mine, t => t.Tid == tid));
            Assert.All(tasks, t => Assert.True(t.Time > 0, "the snapshot's time comes from /proc/uptime"));
            // Its credentials as /proc/self/status shows them, in the capturer's own user namespace.
            var status = File.ReadAllLines("/proc/self/status").ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..].Trim());
            Assert.Equal(status["Uid"].Split('\t').Take(3).Select(int.Parse), leader.Uids!);
            Assert.Equal(ulong.Parse(status["CapEff"], NumberStyles.HexNumber), leader.CapEff);
            Assert.Equal(ulong.Parse(status["CapBnd"], NumberStyles.HexNumber), leader.CapBnd);
            Assert.False(leader.ForeignUserNs);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Credentials_read_from_a_block_and_a_user_namespace_other_than_the_capturers_is_marked()
    {
        var text = string.Join("\n",
            "# proc snapshot 1.000000000 by pid 9 (pid:[4026531836])",
            "# /proc/uptime: 12.50 20.00",
            "# user_ns: user:[4026531837]",
            "task 40 tgid 40", "Name:\tsh", "Tgid:\t40", "PPid:\t1", "Uid:\t65534\t0\t65534\t65534", "NSpid:\t40",
            "CapPrm:\t000001ffffffffff", "CapEff:\t0000000000000020", "CapBnd:\t000001ffffffffff", "CapAmb:\t0000000000000000",
            "pgrp: 40", "session: 40", "ns: pid:[4026531836]", "user_ns: user:[4026531837]", "",
            "task 41 tgid 41", "Name:\tsh", "Tgid:\t41", "PPid:\t40", "Uid:\t100000\t100000\t100000\t100000", "NSpid:\t41",
            "pgrp: 40", "session: 40", "ns: pid:[4026531836]", "user_ns: user:[4026532500]", "",
            "task 42 tgid 42", "Name:\tsh", "Tgid:\t42", "PPid:\t40", "Uid:\t4294967294\t0\t0\t0", "NSpid:\t42",
            "pgrp: 40", "session: 40", "ns: pid:[4026531836]", "", "");
        var tasks = Parse(text);
        Assert.Equal([65534, 0, 65534], tasks[0].Uids!);
        Assert.Equal((0x1ffffffffffUL, 0x20UL, 0x1ffffffffffUL, 0UL), (tasks[0].CapPrm, tasks[0].CapEff, tasks[0].CapBnd, tasks[0].CapAmb));
        Assert.False(tasks[0].ForeignUserNs);
        Assert.True(tasks[1].ForeignUserNs);
        Assert.Null(tasks[1].CapEff);
        Assert.Equal([-1, -1, -1], tasks[2].Uids!); // past int's range: not known (not wrong, and not root's as a task without a Uid line)
        Assert.False(tasks[2].ForeignUserNs); // no link: the capturer's
    }

    [Theory]
    [InlineData("Uid:\t0\t0")]
    [InlineData("Uid:\t0\tx\t0\t0")]
    [InlineData("CapEff:\t00000000000000zz")]
    [InlineData("CapBnd:\t0000000000000000000")]
    public void A_garbled_credential_line_is_an_error_naming_its_line(string line)
    {
        var text = string.Join("\n", "# /proc/uptime: 1.00 1.00", "task 40 tgid 40", "Name:\tsh", line, "", "");
        var e = Assert.Throws<TraceFormatException>(() => Parse(text));
        Assert.Equal(4, e.Line);
    }

    private static List<TaskSnapshot> Parse(string text)
    {
        var parser = new ProcSnapshotParser("snap.txt");
        var tasks = new List<TaskSnapshot>();
        long n = 0;
        foreach (var line in text.Split('\n'))
            if (parser.Line(System.Text.Encoding.UTF8.GetBytes(line), ++n) is { } t) tasks.Add(t);
        if (parser.End() is { } last) tasks.Add(last);
        return tasks;
    }

    private static List<int> Threads() =>
        Directory.GetDirectories("/proc/self/task").Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture)).ToList();
}
