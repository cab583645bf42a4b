namespace Replayer.Actors.Runtime;

/// <summary>
/// An actor declares what it receives (<see cref="Receive{T}(Action{T})"/> in its constructor) and
/// handles one message at a time; its fields are touched by no one else. Lifecycle hooks follow
/// Akka.NET: PreStart before the first message, PostStop after the last, PreRestart and
/// PostRestart around a supervisor's restart.
/// </summary>
public abstract class Actor
{
    // Handlers by message type, in declaration order; the first whose type fits wins.
    private readonly List<(Type Type, Func<object, ValueTask> Handle)> _handlers = [];
    // The exact types seen so far, resolved to their handler, so dispatch is one lookup.
    private readonly Dictionary<Type, Func<object, ValueTask>?> _resolved = [];
    private ActorCell? _cell;

    /// <summary>This actor's view of the runtime: self, sender, parent, children, stash.</summary>
    protected IActorContext Context => _cell ?? throw new InvalidOperationException("an actor's context exists once the runtime has made it");

    protected IActorRef Self => Context.Self;

    /// <summary>Who sent the message being handled (null when nobody said).</summary>
    protected IActorRef? Sender => Context.Sender;

    /// <summary>Declares a handler for messages of type T (and its subtypes).</summary>
    protected void Receive<T>(Action<T> handler) =>
        _handlers.Add((typeof(T), m =>
        {
            handler((T)m);
            return ValueTask.CompletedTask;
        }));

    /// <summary>Declares an asynchronous handler: the next message waits until it completes.</summary>
    protected void ReceiveAsync<T>(Func<T, ValueTask> handler) => _handlers.Add((typeof(T), m => handler((T)m)));

    /// <summary>What happens to a message no handler takes: by default it counts as a dead letter
    /// (a child's <see cref="Failure"/> notice excepted: a supervisor need not listen for those).</summary>
    protected virtual void Unhandled(object message)
    {
        if (message is not Failure) Context.System.CountDeadLetter(message);
    }

    /// <summary>How this actor treats its children's failures.</summary>
    public virtual SupervisorStrategy SupervisorStrategy => SupervisorStrategy.RestartAlways;

    protected internal virtual void PreStart() { }

    protected internal virtual void PostStop() { }

    /// <summary>Called on the failed instance before it is replaced; by default stops its children.</summary>
    protected internal virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.Children) Context.Stop(child);
        PostStop();
    }

    /// <summary>Called on the new instance after a restart; by default runs PreStart.</summary>
    protected internal virtual void PostRestart(Exception reason) => PreStart();

    internal void Attach(ActorCell cell) => _cell = cell;

    internal ValueTask HandleAsync(object message)
    {
        var type = message.GetType();
        if (!_resolved.TryGetValue(type, out var handle))
        {
            handle = null;
            foreach (var (t, h) in _handlers)
            {
                if (!t.IsAssignableFrom(type)) continue;
                handle = h;
                break;
            }
            _resolved[type] = handle;
        }
        if (handle is not null) return handle(message);
        Unhandled(message);
        return ValueTask.CompletedTask;
    }
}

/// <summary>What an actor may do besides handling its message.</summary>
public interface IActorContext
{
    IActorRef Self { get; }
    IActorRef? Sender { get; }
    IActorRef? Parent { get; }
    ActorSystem System { get; }
    IReadOnlyCollection<IActorRef> Children { get; }

    /// <summary>Makes a child, supervised by this actor.</summary>
    IActorRef ActorOf(Props props, string name);

    /// <summary>Stops a child (or this actor) after the message being handled.</summary>
    void Stop(IActorRef actor);

    /// <summary>Asks for a <see cref="Terminated"/> message when the actor stops.</summary>
    void Watch(IActorRef actor);

    /// <summary>Keeps the current message aside, to be handled again after <see cref="UnstashAll"/>.</summary>
    void Stash();

    /// <summary>Puts every stashed message back in front of the mailbox, oldest first.</summary>
    void UnstashAll();
}
