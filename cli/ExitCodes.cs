namespace Replayer.Cli;

/// <summary>What the command's exit status means, for scripts and schedulers (README, "Exit codes").</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command worked and found what the user asked about: disagreements, divergences.</summary>
    public const int Found = 1;
    /// <summary>Bad input: a capture line, an argument, a file that cannot be read.</summary>
    public const int BadInput = 2;
    /// <summary>The store: unreachable, read-only, full, damaged, or a concurrency conflict.</summary>
    public const int Store = 3;
    /// <summary>The trace (or other named thing) does not exist.</summary>
    public const int NotFound = 4;
    /// <summary>Another batch holds the lock on this output folder or store: try later (sysexits.h EX_TEMPFAIL).</summary>
    public const int Busy = 75;
    public const int Interrupted = 130;
}
