using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Replayer.Replay.Models.Nested;

/// <summary>
/// What a capture has shown of one signal's action (sighand->action[sig-1].sa_handler). Exact
/// values when strace or signal_deliver showed them; the two partial values come from exec, which
/// resets caught signals to SIG_DFL but keeps SIG_IGN (fs/exec.c, flush_signal_handlers), and from
/// a recorded generate result that rules one possibility out.
/// </summary>
internal enum Disposition : byte
{
    Unknown,
    Default,
    Ignore,
    Catch,
    /// <summary>SIG_DFL or SIG_IGN: what exec leaves of an unknown action.</summary>
    NotCaught,
    /// <summary>SIG_DFL or a handler: a generated signal was not ignored.</summary>
    NotIgnored,
}

/// <summary>Signal numbers and the kernel's masks over them (include/linux/signal.h).</summary>
internal static class Sig
{
    public const int SIGHUP = 1, SIGKILL = 9, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGWINCH = 28;
    public const int NSIG = 64;
    public const int SI_KERNEL = 128, SI_USER = 0, SI_TIMER = -2, SI_TKILL = -6, CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;

    /// <summary>SA_NOCLDWAIT: children are reaped at once, SIGCHLD still sent.</summary>
    public const ulong SA_NOCLDWAIT = 2;

    /// <summary>Signals whose default action is to ignore them (sig_kernel_ignore).</summary>
    public static bool KernelIgnore(int sig) => sig is SIGCHLD or SIGCONT or SIGURG or SIGWINCH;

    /// <summary>SIGKILL and SIGSTOP, which no handler can change (sig_kernel_only).</summary>
    public static bool KernelOnly(int sig) => sig is SIGKILL or SIGSTOP;

    /// <summary>Default-stop signals (sig_kernel_stop).</summary>
    public static bool KernelStop(int sig) => sig is SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU;

    public static bool Valid(int sig) => sig is >= 0 and <= NSIG;

    /// <summary>Standard signals queue once: a second one while pending is "already pending" (legacy_queue).</summary>
    public static bool Legacy(int sig) => sig < 32;

    public static ulong Bit(int sig) => 1UL << (sig - 1);

    /// <summary>What exec leaves of an action (flush_signal_handlers with force_default false).</summary>
    public static Disposition AfterExec(Disposition d) => d switch
    {
        Disposition.Ignore => Disposition.Ignore,
        Disposition.Unknown or Disposition.NotCaught => Disposition.NotCaught,
        _ => Disposition.Default,
    };

    /// <summary><see cref="AfterExec"/> over a run of actions, sixteen at a time: every exec flushes all 64.</summary>
    public static void FlushHandlers(Span<Disposition> actions)
    {
        var bytes = MemoryMarshal.AsBytes(actions);
        var ignore = Vector128.Create((byte)Disposition.Ignore);
        var unknown = Vector128.Create((byte)Disposition.Unknown);
        var notCaught = Vector128.Create((byte)Disposition.NotCaught);
        var dfl = Vector128.Create((byte)Disposition.Default);
        int i = 0;
        for (; i + Vector128<byte>.Count <= bytes.Length; i += Vector128<byte>.Count)
        {
            var d = Vector128.Create<byte>(bytes[i..]);
            var kept = Vector128.ConditionalSelect(Vector128.Equals(d, unknown) | Vector128.Equals(d, notCaught), notCaught, dfl);
            Vector128.ConditionalSelect(Vector128.Equals(d, ignore), ignore, kept).CopyTo(bytes[i..]);
        }
        for (; i < actions.Length; i++) actions[i] = AfterExec(actions[i]);
    }
}
