namespace Replayer.Actors.Runtime;

/// <summary>What a supervisor does with a child that threw.</summary>
public enum Directive : byte
{
    /// <summary>Keep the child and its state; drop the failed message.</summary>
    Resume,
    /// <summary>A fresh instance from the child's Props (its PostRestart may reload state); the mailbox is kept, the failed message dropped.</summary>
    Restart,
    /// <summary>Stop the child for good.</summary>
    Stop,
    /// <summary>Fail the supervisor itself, for its own supervisor to decide.</summary>
    Escalate,
}

/// <summary>
/// How a parent treats its children's failures: one child at a time, with a limit of restarts
/// within a window after which the child is stopped (a crash loop is a failure too).
/// </summary>
public sealed class SupervisorStrategy(Func<Exception, Directive> decider, int maxRestarts = 10, TimeSpan? window = null)
{
    public static readonly SupervisorStrategy RestartAlways = new(_ => Directive.Restart, maxRestarts: int.MaxValue);
    public static readonly SupervisorStrategy StopOnFailure = new(_ => Directive.Stop);
    public static readonly SupervisorStrategy EscalateAlways = new(_ => Directive.Escalate);

    public Func<Exception, Directive> Decider { get; } = decider;
    public int MaxRestarts { get; } = maxRestarts;
    public TimeSpan Window { get; } = window ?? TimeSpan.FromMinutes(1);
}

/// <summary>The recipe for an actor: how to make an instance (again, on restart), and its mailbox size.</summary>
public sealed record Props(Func<Actor> Factory, int MailboxCapacity = 1024)
{
    public static Props Create<T>(Func<T> factory, int mailboxCapacity = 1024) where T : Actor => new(factory, mailboxCapacity);
}
