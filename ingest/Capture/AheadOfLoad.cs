using System.Runtime.InteropServices;

namespace Replayer.Ingest.Capture;

/// <summary>
/// Runs the calling thread ahead of the machine's other work (nice -11, as bpftrace runs) until
/// disposed, then gives it back its own nice value. On Linux a nice value belongs to a thread,
/// not a process: only this thread is raised, and a thread or a process it starts meanwhile
/// inherits the raise. Where the thread may not be raised (not root), it runs as it is.
/// </summary>
/// <remarks>
/// The capture reads /proc before tracing_on and again after it (<see cref="SnapshotWindow"/>);
/// what happens in between is in neither read nor in the trace. On a busy machine (a load of
/// about 16 on 2 cores, docs/capture-formats.md) the capture's thread waited its turn for every
/// file it read: 2.2 to 4.7 s from the first read to tracing_on, and 2 to 4 s for the second
/// read. Hundreds of tasks were forked and gone in that time, and a namespace made in it was
/// known to neither read, so every call of its tasks was left unknown.
/// </remarks>
internal sealed class AheadOfLoad : IDisposable
{
    /// <summary>The nice value the reads run at: bpftrace's (<see cref="SignalActionProbe.RaisePriority"/>).</summary>
    internal const int Nice = -11;

    private const int PrioProcess = 0;
    private readonly int _tid;
    private readonly int _was;
    private bool _disposed;

    /// <summary>Whether the thread was raised (root may; anyone else runs as it was).</summary>
    public bool Raised { get; }

    private AheadOfLoad(int tid, int was, bool raised)
    {
        _tid = tid;
        _was = was;
        Raised = raised;
    }

    /// <summary>Raises the calling thread; dispose on the same thread, with no await in between.</summary>
    public static AheadOfLoad Raise()
    {
        if (!OperatingSystem.IsLinux()) return new AheadOfLoad(0, 0, false);
        int tid = gettid();
        Marshal.SetLastPInvokeError(0);
        int was = getpriority(PrioProcess, (uint)tid);
        if (was == -1 && Marshal.GetLastPInvokeError() != 0) return new AheadOfLoad(tid, 0, false);
        bool raised = was > Nice && setpriority(PrioProcess, (uint)tid, Nice) == 0;
        return new AheadOfLoad(tid, was, raised);
    }

    public void Dispose()
    {
        // A higher nice value needs no privilege: the thread always gets its own back. A pool
        // thread left raised would run later work, and the command it may start, ahead too.
        if (_disposed) return;
        _disposed = true;
        if (Raised) _ = setpriority(PrioProcess, (uint)_tid, _was);
    }

    [DllImport("libc")]
    private static extern int gettid();

    [DllImport("libc", SetLastError = true)]
    private static extern int getpriority(int which, uint who);

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, uint who, int prio);
}
