namespace Replayer.Actors.Runtime;

/// <summary>
/// The root of a tree of actors. Top-level actors are children of a guardian ("/user") whose
/// strategy the system's creator chooses; a failure nobody supervises is reported, not lost.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private sealed class Guardian(SupervisorStrategy strategy) : Actor
    {
        public override SupervisorStrategy SupervisorStrategy => strategy;
    }

    private readonly ActorCell _guardian;
    private long _deadLetters;

    private ActorSystem(string name, SupervisorStrategy strategy)
    {
        Name = name;
        _guardian = new ActorCell(this, null, new Props(() => new Guardian(strategy)), $"/{name}");
        _guardian.Start();
    }

    public string Name { get; }

    /// <summary>Messages sent to actors that had stopped, or that no handler took.</summary>
    public long DeadLetters => Interlocked.Read(ref _deadLetters);

    /// <summary>Failures of the guardian itself or of hooks run while stopping: where they go.</summary>
    public event Action<string, object?, Exception>? UnsupervisedFailure;

    public static ActorSystem Create(string name, SupervisorStrategy? topLevel = null) =>
        new(name, topLevel ?? SupervisorStrategy.RestartAlways);

    public IActorRef ActorOf(Props props, string name) => _guardian.ActorOf(props, name);

    /// <summary>Gets a <see cref="Terminated"/> message to <paramref name="watcher"/> when the actor stops.</summary>
    public void Watch(IActorRef actor, IActorRef watcher)
    {
        if (actor is not ActorCell cell) throw new ArgumentException($"{actor.Path} is not an actor of this system");
        cell.WatchFrom(watcher);
    }

    /// <summary>Stops a top-level actor (and its subtree) from outside.</summary>
    public void Stop(IActorRef actor)
    {
        if (actor is not ActorCell cell) throw new ArgumentException($"{actor.Path} is not an actor of this system");
        cell.StopFromOutside();
    }

    /// <summary>Completes when the actor has stopped and its PostStop has run.</summary>
    public static Task WhenTerminated(IActorRef actor) =>
        actor is ActorCell cell ? cell.WhenTerminated : throw new ArgumentException($"{actor.Path} is not an actor");

    internal void CountDeadLetter(object message) => Interlocked.Increment(ref _deadLetters);

    internal void ReportUnsupervised(string path, object? message, Exception cause) =>
        UnsupervisedFailure?.Invoke(path, message, cause);

    /// <summary>Stops every actor, children before parents, and waits for them.</summary>
    public async Task TerminateAsync()
    {
        _guardian.StopFromOutside();
        await _guardian.WhenTerminated;
    }

    public async ValueTask DisposeAsync() => await TerminateAsync();
}
