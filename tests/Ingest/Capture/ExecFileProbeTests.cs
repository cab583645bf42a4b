using System.Diagnostics;
using System.Text;
using Replayer.Ingest.Capture;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Proc;
using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// The capture's look-up of exec'd files on this machine's real file systems: a plain file, a
/// set-user-ID copy, a copy given a capability with setcap, and names it cannot read; and the
/// header lines it writes, read back onto the exec events.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ExecFileProbeTests : IDisposable
{
    // Beside the test binaries, on the repository's file system: /tmp may be mounted nosuid.
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, $"exec-probe-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Copy(string name)
    {
        var path = Path.Combine(_dir, name);
        File.Copy("/usr/bin/true", path);
        return path;
    }

    /// <summary>A set-user-ID copy of true at <paramref name="path"/>, owned by whoever runs the tests (on a file system that honours the bit: not /tmp, which may be nosuid).</summary>
    internal static void SetUidCopy(string path)
    {
        File.Copy("/usr/bin/true", path);
        File.SetUnixFileMode(path, UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
    }

    [Fact]
    public void Each_kind_of_file_is_described_as_exec_would_treat_it()
    {
        Assert.Equal("plain 0 /usr/bin/true", ExecFileProbe.Describe("/usr/bin/true"));
        Assert.Equal("plain 0 /usr/bin/sh", ExecFileProbe.Describe("/usr/bin/sh")); // through the symlink, as exec goes

        var suid = Path.Combine(_dir, "suid");
        SetUidCopy(suid);
        string owner = RunText("stat", "-c", "%u", suid).Trim();
        Assert.Equal($"setuid {owner} {suid}", ExecFileProbe.Describe(suid));

        var capable = Copy("capable");
        var setcap = File.Exists("/usr/sbin/setcap") ? "/usr/sbin/setcap" : "/sbin/setcap";
        RunText(setcap, "cap_kill+ep", capable);
        Assert.Equal($"file_caps 0 {capable}", ExecFileProbe.Describe(capable));

        Assert.Equal("unreadable 0 bin/true", ExecFileProbe.Describe("bin/true"));
        Assert.Equal($"unreadable 0 {_dir}/gone", ExecFileProbe.Describe($"{_dir}/gone"));
    }

    [Fact]
    public void The_names_come_from_the_traces_exec_lines_only()
    {
        var trace = string.Join("\n",
            "# tracer: nop",
            "              sh-8306    [001] ..... 69130.661242: sched_process_exec: filename=/usr/bin/kill pid=8306 old_pid=8306",
            "              sh-8307    [001] ..... 69130.661243: sched_process_exec: filename=/tmp/a b pid=8307 old_pid=8307",
            "              sh-8308    [001] ..... 69130.661244: sched_process_exec: filename=/usr/bin/kill pid=8308 old_pid=8308",
            "              sh-8308    [001] ..... 69130.661245: sys_kill(pid: 0x2070, sig: 0xf)", "");
        var names = trace.Split('\n').Select(ExecFileProbe.NameIn).ToList();
        Assert.Equal([null, "/usr/bin/kill", "/tmp/a b", "/usr/bin/kill", null, null], names);
    }

    [Theory]
    [InlineData("# exec_file: setuid /tmp/x")]
    [InlineData("# exec_file: sticky 0 /tmp/x")]
    [InlineData("# exec_file: setuid -1 /tmp/x")]
    [InlineData("# exec_file: plain 0 ")]
    public void A_garbled_exec_file_line_is_an_error_naming_its_line(string line)
    {
        var parser = new ProcSnapshotParser("cap.txt");
        parser.Line("# replayer capture 1"u8, 1);
        var e = Assert.Throws<TraceFormatException>(() => parser.Line(Encoding.UTF8.GetBytes(line), 2));
        Assert.Equal(2, e.Line);
        Assert.Equal("cap.txt", e.File);
    }

    [Fact]
    public void The_header_lines_reach_the_exec_events_of_their_files()
    {
        var (events, _) = Replayer.Tests.Replay.Nested.RealCapturesValidateTests.Read("traces/captures/m-setuid.txt");
        var execs = events.OfType<Exec>().ToList();
        Assert.Contains(execs, e => e is { Filename: "/tmp/suid-kill", File: ExecFile.SetUid, FileUid: 0 });
        Assert.All(execs.Where(e => e.Filename != "/tmp/suid-kill"), e => Assert.Equal(ExecFile.Plain, e.File));
        // A capture made before the look-up has none: its execs are Unknown.
        var (older, _) = Replayer.Tests.Replay.Nested.RealCapturesValidateTests.Read("traces/captures/f-nsenter.txt");
        Assert.All(older.OfType<Exec>(), e => Assert.Equal(ExecFile.Unknown, e.File));
    }

    private static string RunText(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
        return output;
    }
}
