using System.Runtime.InteropServices;
using System.Text;

namespace Replayer.Ingest.Capture;

/// <summary>
/// Empties a tracing instance's trace_pipe into a spool file for as long as the capture runs, on
/// a thread of its own. Read at the end instead, the ring buffer kept only its last
/// buffer_size_kb per CPU and overwrote the rest (a loop of 300 execs with --buffer-kb 64 lost
/// 1,805 events and a third of its execs). Drained as it fills, it loses nothing unless the
/// tasks outrun this thread. Each file the trace's tasks exec is looked up as soon as its
/// sched_process_exec line comes through (<see cref="ExecFileProbe"/>), not once the command
/// has ended: a file the command removes or changes later is read as it was, near enough.
/// </summary>
internal sealed class TracePipeDrain : IDisposable
{
    private static ReadOnlySpan<byte> ExecMarker => "sched_process_exec: filename="u8;
    private static ReadOnlySpan<byte> SigactionMarker => ": sys_rt_sigaction(sig: "u8;

    /// <summary>How long a read that found the pipe empty waits for more (poll wakes it sooner when the buffer fills).</summary>
    private const int PollMs = 50;

    private readonly int _fd;
    private readonly FileStream _spool;
    private readonly Thread _thread;
    private readonly Dictionary<string, string> _execFiles = new(StringComparer.Ordinal);
    private readonly List<byte> _partial = [];
    private readonly List<SigactionCall> _sigactions = [];
    private volatile bool _tracingOff, _abort;
    private Exception? _error;

    /// <summary>The spool file: the trace text as read, in order.</summary>
    public string SpoolPath { get; }

    /// <summary>Lines read.</summary>
    public long Lines { get; private set; }

    /// <summary>The lines up to the second /proc read, for the window check; null when it is not made.</summary>
    private readonly EarlyLines? _early;

    private TracePipeDrain(int fd, string spoolPath, EarlyLines? early)
    {
        _fd = fd;
        _early = early;
        SpoolPath = spoolPath;
        _spool = new FileStream(spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        // Started before tracing is on, so that this thread's own birth is not in the trace.
        _thread = new Thread(Run) { IsBackground = true, Name = "trace_pipe" };
        _thread.Start();
    }

    /// <summary>Opens the instance's trace_pipe and starts draining it into <paramref name="spoolPath"/> (a new file).</summary>
    public static TracePipeDrain Start(TracingInstance instance, string spoolPath, EarlyLines? early = null)
    {
        var pipe = Path.Combine(instance.Path, "trace_pipe");
        int fd = open(pipe, ORdOnly | ONonBlock | OCloExec);
        if (fd < 0) throw new IOException($"cannot open {pipe}: {Marshal.GetLastPInvokeErrorMessage()}");
        try
        {
            return new TracePipeDrain(fd, spoolPath, early);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            close(fd);
            throw new IOException($"cannot write {spoolPath}, where the trace is kept as it is read until the capture file is written: {e.Message}", e);
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    /// <summary>
    /// Tracing has been turned off: reads what is left, then stops. Rethrows what the drain met
    /// (a read or write error), so a capture never ends with part of its trace.
    /// </summary>
    public void Finish()
    {
        _tracingOff = true;
        _thread.Join();
        if (_error is not null) throw new IOException($"reading trace_pipe: {_error.Message}", _error);
        _spool.Flush();
    }

    /// <summary>One header line per exec'd file (<see cref="ExecFileProbe.Describe"/>), by name.</summary>
    public IEnumerable<string> ExecFiles => _execFiles.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value);

    /// <summary>The rt_sigaction calls that install an action, in the trace's order, for <see cref="SignalActionProbe.Pair"/>.</summary>
    public IReadOnlyList<SigactionCall> SigactionCalls => _sigactions;

    /// <summary>Copies the spool to <paramref name="to"/>.</summary>
    public void CopyTo(Stream to)
    {
        _spool.Position = 0;
        _spool.CopyTo(to, 1 << 16);
    }

    private void Run()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (!_abort)
            {
                // Read the flag first: an empty pipe after tracing was off means all is drained.
                bool last = _tracingOff;
                long n = read(_fd, buffer, buffer.Length);
                if (n > 0)
                {
                    Take(buffer.AsSpan(0, (int)n));
                    continue;
                }
                int errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
                if (n < 0 && errno == EIntr) continue;
                if (n < 0 && errno != EAgain) throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
                if (last) break;
                var fds = new PollFd { Fd = _fd, Events = PollIn };
                poll(ref fds, 1, PollMs);
            }
            if (_partial.Count > 0) Line([.. _partial]); // a last line without its newline stays as it is
        }
        catch (Exception e)
        {
            _error = e;
        }
    }

    private void Take(ReadOnlySpan<byte> data)
    {
        _spool.Write(data);
        while (!data.IsEmpty)
        {
            int nl = data.IndexOf((byte)'\n');
            if (nl < 0)
            {
                _partial.AddRange(data);
                return;
            }
            Lines++;
            if (_partial.Count > 0)
            {
                _partial.AddRange(data[..nl]);
                Line([.. _partial]);
                _partial.Clear();
            }
            else
            {
                Line(data[..nl]);
            }
            data = data[(nl + 1)..];
        }
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        _early?.Offer(line);
        if (line.IndexOf(SigactionMarker) >= 0)
        {
            if (SigactionCall.In(Encoding.UTF8.GetString(line)) is { } call) _sigactions.Add(call);
            return;
        }
        if (line.IndexOf(ExecMarker) < 0) return;
        if (ExecFileProbe.NameIn(Encoding.UTF8.GetString(line)) is { } name && !_execFiles.ContainsKey(name))
            _execFiles[name] = ExecFileProbe.Describe(name);
    }

    public void Dispose()
    {
        _abort = true;
        if (_thread.IsAlive) _thread.Join();
        close(_fd);
        _spool.Dispose();
        try { File.Delete(SpoolPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private const int ORdOnly = 0, ONonBlock = 0x800, OCloExec = 0x80000;
    private const int EIntr = 4, EAgain = 11;
    private const short PollIn = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int poll(ref PollFd fds, nuint count, int timeoutMs);

    [DllImport("libc")]
    private static extern int close(int fd);
}
