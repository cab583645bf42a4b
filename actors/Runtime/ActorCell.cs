using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace Replayer.Actors.Runtime;

/// <summary>A message and who sent it.</summary>
internal readonly record struct Envelope(object Message, IActorRef? Sender);

/// <summary>
/// The runtime's side of one actor: its mailboxes, its current instance, its children, and the
/// loop that hands it one message at a time. System messages (failures, supervision, stops) have
/// a mailbox of their own, unbounded and always read first, so a full user mailbox can never keep
/// a supervisor from acting.
/// </summary>
internal sealed class ActorCell : IActorRef, IActorContext
{
    private abstract record SystemMessage;
    private sealed record Failed(ActorCell Child, object? Message, Exception Cause) : SystemMessage;
    private sealed record Decided(Directive Directive, Exception Cause, object? Message) : SystemMessage;
    private sealed record StopSelf : SystemMessage;
    private sealed record ChildTerminated(ActorCell Child) : SystemMessage;
    private sealed record AddWatcher(IActorRef Watcher) : SystemMessage;

    // User messages, bounded: a sender that outruns the actor waits (backpressure).
    private readonly Channel<Envelope> _mailbox;
    // Runtime messages, unbounded, read before any user message.
    private readonly Channel<SystemMessage> _system = Channel.CreateUnbounded<SystemMessage>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The pending wait for a system message (<see cref="SystemWaiting"/>).</summary>
    private Task<bool>? _systemWaiting;
    // System messages that came while a handler awaited, handled before the next user message.
    private readonly Queue<SystemMessage> _deferred = new();
    // Messages put back by UnstashAll, handled before the mailbox.
    private Queue<Envelope> _unstashed = new();
    // Messages set aside by Stash, oldest first.
    private readonly List<Envelope> _stash = [];
    // Children by name; touched from the system's thread too (ActorSystem.ActorOf on the guardian).
    private readonly ConcurrentDictionary<string, ActorCell> _children = new();
    // Who gets Terminated when this actor stops.
    private readonly List<IActorRef> _watchers = [];
    // When this actor was restarted, for its supervisor's crash-loop limit.
    private readonly Queue<DateTime> _restarts = new();
    private readonly Props _props;
    private readonly ActorCell? _parent;
    private Actor _actor;
    private Envelope _current;
    private bool _suspended;
    private bool _stopping;
    private volatile bool _terminated;
    private readonly TaskCompletionSource _whenTerminated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ActorCell(ActorSystem system, ActorCell? parent, Props props, string path)
    {
        System = system;
        _parent = parent;
        _props = props;
        Path = path;
        _mailbox = Channel.CreateBounded<Envelope>(new BoundedChannelOptions(props.MailboxCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _actor = props.Factory();
        _actor.Attach(this);
    }

    public string Path { get; }
    public ActorSystem System { get; }
    public IActorRef Self => this;
    public IActorRef? Sender => _current.Sender;
    public IActorRef? Parent => _parent;
    public IReadOnlyCollection<IActorRef> Children => _children.Values.ToList();
    public Task WhenTerminated => _whenTerminated.Task;
    internal bool IsTerminated => _terminated;

    public void Start() => _ = Task.Run(RunAsync);

    public void Tell(object message, IActorRef? sender = null)
    {
        if (_terminated)
        {
            System.CountDeadLetter(message);
            return;
        }
        if (_mailbox.Writer.TryWrite(new Envelope(message, sender))) return;
        // Full: wait here rather than reorder this sender's messages. Actors that send in bulk
        // use TellAsync, which waits without holding a thread.
        TellAsync(message, sender).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken ct = default)
    {
        try
        {
            if (!_terminated)
            {
                await _mailbox.Writer.WriteAsync(new Envelope(message, sender), ct);
                return;
            }
        }
        catch (ChannelClosedException)
        {
        }
        System.CountDeadLetter(message);
    }

    public IActorRef ActorOf(Props props, string name)
    {
        if (name.Length == 0 || name.Contains('/')) throw new ArgumentException($"'{name}' is not an actor name");
        var child = new ActorCell(System, this, props, $"{Path}/{name}");
        if (!_children.TryAdd(name, child)) throw new InvalidOperationException($"{Path} already has a child named '{name}'");
        child.Start();
        return child;
    }

    public void Stop(IActorRef actor)
    {
        if (actor is not ActorCell cell) throw new ArgumentException($"{actor.Path} is not an actor of this system");
        Debug.Assert(cell == this || cell._parent == this, "an actor stops itself or its children");
        cell.SendSystem(new StopSelf());
    }

    public void Watch(IActorRef actor)
    {
        if (actor is not ActorCell cell) throw new ArgumentException($"{actor.Path} is not an actor of this system");
        cell.SendSystem(new AddWatcher(this));
    }

    /// <summary>From outside the actor: a watcher that is not an actor (a test probe, the system).</summary>
    internal void WatchFrom(IActorRef watcher) => SendSystem(new AddWatcher(watcher));

    public void Stash() => _stash.Add(_current);

    public void UnstashAll()
    {
        if (_stash.Count == 0) return;
        var front = new Queue<Envelope>(_stash.Count + _unstashed.Count);
        foreach (var e in _stash) front.Enqueue(e);
        foreach (var e in _unstashed) front.Enqueue(e);
        _stash.Clear();
        _unstashed = front;
    }

    internal void StopFromOutside() => SendSystem(new StopSelf());

    private void SendSystem(SystemMessage m)
    {
        if (!_system.Writer.TryWrite(m) && m is Failed or ChildTerminated) System.CountDeadLetter(m);
    }

    private async Task RunAsync()
    {
        Guard(_actor.PreStart, null);
        while (!_terminated)
        {
            if (_deferred.TryDequeue(out var sys) || _system.Reader.TryRead(out sys))
            {
                Handle(sys);
                continue;
            }
            if (_stopping)
            {
                if (_children.IsEmpty) Finish();
                else await SystemWaiting();
                continue;
            }
            if (_suspended)
            {
                await SystemWaiting();
                continue;
            }
            Envelope next;
            if (_unstashed.Count > 0) next = _unstashed.Dequeue();
            else if (!_mailbox.Reader.TryRead(out next))
            {
                var user = _mailbox.Reader.WaitToReadAsync();
                if (!user.IsCompleted)
                {
                    var system = SystemWaiting();
                    if (!system.IsCompleted) await Task.WhenAny(user.AsTask(), system);
                }
                continue;
            }
            await InvokeAsync(next);
        }
    }

    private async ValueTask InvokeAsync(Envelope envelope)
    {
        if (envelope.Message is PoisonPill)
        {
            BeginStop();
            return;
        }
        _current = envelope;
        try
        {
            var handled = _actor.HandleAsync(envelope.Message);
            if (!handled.IsCompleted) await SuperviseWhileAwaitingAsync(handled.AsTask());
            else await handled;
        }
        catch (Exception e)
        {
            Fail(envelope.Message, e);
        }
        finally
        {
            _current = default;
        }
    }

    /// <summary>
    /// A handler that awaits (an ask to a child, a store write) must not keep its children waiting
    /// for a supervision decision, or a child that failed while the parent asks it something would
    /// never answer: failures are decided at once, the other system messages wait for the handler.
    /// Deciders are pure functions of the exception, so deciding beside the running handler is safe.
    /// </summary>
    private async Task SuperviseWhileAwaitingAsync(Task handled)
    {
        while (!handled.IsCompleted)
        {
            await Task.WhenAny(handled, SystemWaiting());
            while (!handled.IsCompleted && _system.Reader.TryRead(out var m))
            {
                if (m is Failed f) Supervise(f);
                else _deferred.Enqueue(m);
            }
        }
        await handled;
    }

    /// <summary>
    /// The wait for a system message, one at a time: the system channel has a single reader, and
    /// a second wait cancels the first, which costs an exception per idle spell of every actor.
    /// The wait left pending by the last spell is the one the next spell awaits.
    /// </summary>
    private Task<bool> SystemWaiting()
    {
        if (_systemWaiting is not { IsCompleted: false }) _systemWaiting = _system.Reader.WaitToReadAsync().AsTask();
        return _systemWaiting;
    }

    private void Guard(Action hook, object? message)
    {
        try { hook(); }
        catch (Exception e) { Fail(message, e); }
    }

    /// <summary>This actor threw: it takes no more user messages until its supervisor has decided.</summary>
    private void Fail(object? message, Exception cause)
    {
        _suspended = true;
        if (_parent is null)
        {
            System.ReportUnsupervised(Path, message, cause);
            BeginStop();
            return;
        }
        _parent.SendSystem(new Failed(this, message, cause));
    }

    private void Handle(SystemMessage m)
    {
        switch (m)
        {
            case Failed f:
                Supervise(f);
                break;
            case Decided s:
                Apply(s);
                break;
            case StopSelf:
                BeginStop();
                break;
            case ChildTerminated t:
                _children.TryRemove(new KeyValuePair<string, ActorCell>(t.Child.Path[(Path.Length + 1)..], t.Child));
                break;
            case AddWatcher w:
                if (_terminated) w.Watcher.Tell(new Terminated(this));
                else _watchers.Add(w.Watcher);
                break;
        }
    }

    private void Supervise(Failed f)
    {
        if (f.Child.IsTerminated) return;
        var strategy = _actor.SupervisorStrategy;
        Directive d;
        try { d = strategy.Decider(f.Cause); }
        catch (Exception e) { d = Directive.Escalate; f = f with { Cause = new AggregateException(f.Cause, e) }; }
        if (d == Directive.Restart && !f.Child.MayRestart(strategy)) d = Directive.Stop;
        if (d == Directive.Escalate)
        {
            Fail(f.Message, f.Cause);
            return;
        }
        f.Child.SendSystem(new Decided(d, f.Cause, f.Message));
        // The supervisor's own code hears of it too, after the directive, if it has a handler
        // for Failure: the replay reports a quarantined event this way.
        var notice = new Failure(f.Child, f.Message, f.Cause);
        if (!_mailbox.Writer.TryWrite(new Envelope(notice, f.Child))) _ = TellAsync(notice, f.Child);
    }

    private bool MayRestart(SupervisorStrategy strategy)
    {
        var now = DateTime.UtcNow;
        while (_restarts.Count > 0 && now - _restarts.Peek() > strategy.Window) _restarts.Dequeue();
        return _restarts.Count < strategy.MaxRestarts;
    }

    private void Apply(Decided s)
    {
        switch (s.Directive)
        {
            case Directive.Resume:
                _suspended = false;
                break;
            case Directive.Restart:
                _restarts.Enqueue(DateTime.UtcNow);
                try { _actor.PreRestart(s.Cause, s.Message); }
                catch (Exception e) { System.ReportUnsupervised(Path, s.Message, e); }
                _stash.Clear();
                _actor = _props.Factory();
                _actor.Attach(this);
                _suspended = false;
                Guard(() => _actor.PostRestart(s.Cause), s.Message);
                break;
            default:
                BeginStop();
                break;
        }
    }

    private void BeginStop()
    {
        if (_stopping) return;
        _stopping = true;
        foreach (var child in _children.Values) child.SendSystem(new StopSelf());
    }

    private void Finish()
    {
        try { _actor.PostStop(); }
        catch (Exception e) { System.ReportUnsupervised(Path, null, e); }
        _terminated = true;
        _mailbox.Writer.TryComplete();
        while (_mailbox.Reader.TryRead(out var left)) System.CountDeadLetter(left.Message);
        foreach (var w in _watchers) w.Tell(new Terminated(this));
        _parent?.SendSystem(new ChildTerminated(this));
        _whenTerminated.TrySetResult();
    }

    public override string ToString() => Path;
}
