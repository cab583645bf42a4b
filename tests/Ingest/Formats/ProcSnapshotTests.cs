using System.Globalization;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Proc;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>The live /proc written as snapshot text reads back as this machine's tasks.</summary>
public sealed class ProcSnapshotTests
{
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
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<int> Threads() =>
        Directory.GetDirectories("/proc/self/task").Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture)).ToList();
}
