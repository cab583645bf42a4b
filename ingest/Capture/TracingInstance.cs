using System.Diagnostics;

namespace Replayer.Ingest.Capture;

/// <summary>What a capture needs and this machine lacks (root, tracefs, an event): said plainly, exit code 2.</summary>
public sealed class CaptureUnavailableException(string message) : Exception(message);

/// <summary>
/// A private ftrace instance, instances/replayer-&lt;pid&gt;: its own buffer, events and filters, so a
/// capture never touches the top-level buffer or anyone else's instance. Created stopped; removed
/// by <see cref="Remove"/>, which is idempotent and safe to call from any exit path.
/// </summary>
public sealed class TracingInstance
{
    public const string DefaultRoot = "/sys/kernel/tracing";

    // Guards Remove, which a signal handler, a finally block and process exit may all call.
    private readonly Lock _gate = new();
    private bool _removed;

    private TracingInstance(string root, string path)
    {
        Root = root;
        Path = path;
    }

    /// <summary>The tracefs mount.</summary>
    public string Root { get; }

    /// <summary>The instance directory, e.g. /sys/kernel/tracing/instances/replayer-4242.</summary>
    public string Path { get; }

    /// <summary>The name this process's instance gets: one per process, never another's.</summary>
    public static string NameFor(int pid) => $"replayer-{pid}";

    /// <summary>Mounts tracefs if needed and creates this process's instance, stopped and cleared.</summary>
    public static TracingInstance Create(string root = DefaultRoot)
    {
        if (!Environment.IsPrivilegedProcess)
            throw new CaptureUnavailableException("capture needs root: tracefs instances and the /proc of other users' tasks are root's (run it with sudo)");
        var instances = System.IO.Path.Combine(root, "instances");
        if (!Directory.Exists(instances)) Mount(root);
        if (!Directory.Exists(instances))
            throw new CaptureUnavailableException($"tracefs has no instances directory at {instances}: mount tracefs there (mount -t tracefs nodev {root}) on a kernel with ftrace instances");
        var path = System.IO.Path.Combine(instances, NameFor(Environment.ProcessId));
        if (Directory.Exists(path))
            throw new CaptureUnavailableException($"{path} already exists: a capture by this pid is still running or did not clean up; remove it with rmdir");
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CaptureUnavailableException($"cannot create the tracing instance {path}: {e.Message}");
        }
        var instance = new TracingInstance(root, path);
        // A new instance starts with tracing on: stop it before anything is enabled.
        instance.Write("tracing_on", "0");
        instance.Write("trace", "");
        return instance;
    }

    private static void Mount(string root)
    {
        try
        {
            using var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tracefs", "nodev", root])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            mount?.WaitForExit();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            throw new CaptureUnavailableException($"tracefs is not mounted at {root} and mount(8) could not be run: {e.Message}");
        }
    }

    public bool Has(string file) => File.Exists(System.IO.Path.Combine(Path, file));

    public void Write(string file, string text)
    {
        // tracefs control files take one write each; FileMode.Open, not Create (they cannot be truncated by open).
        using var f = new FileStream(System.IO.Path.Combine(Path, file), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        var bytes = System.Text.Encoding.ASCII.GetBytes(text + "\n");
        f.Write(bytes);
    }

    public string Read(string file) => File.ReadAllText(System.IO.Path.Combine(Path, file));

    /// <summary>
    /// Stops tracing, disables the events and removes the instance directory. rmdir fails with
    /// EBUSY while a file of the instance is open, so it is retried for a moment.
    /// </summary>
    public bool Remove()
    {
        lock (_gate)
        {
            if (_removed) return true;
            if (!Directory.Exists(Path)) return _removed = true;
            foreach (var (file, text) in new[] { ("tracing_on", "0"), ("events/enable", "0"), ("set_event_pid", "") })
            {
                try { Write(file, text); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            for (int attempt = 0; attempt < 25; attempt++)
            {
                try
                {
                    Directory.Delete(Path);
                    return _removed = true;
                }
                catch (IOException) when (Directory.Exists(Path))
                {
                    Thread.Sleep(40);
                }
                catch (DirectoryNotFoundException)
                {
                    return _removed = true;
                }
            }
            return false;
        }
    }
}
