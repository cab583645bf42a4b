namespace Replayer.Actors.Runtime;

/// <summary>
/// The only way to talk to an actor: send it a message. An actor's state is reachable through
/// nothing else, so no actor code ever needs a lock. (Akka.NET's vocabulary: tell, ask, path.)
/// </summary>
public interface IActorRef
{
    /// <summary>Where the actor sits in its system's tree: "/user/host-a/container-3".</summary>
    string Path { get; }

    /// <summary>Sends without waiting. A full mailbox makes the send wait for room on a pool thread instead.</summary>
    void Tell(object message, IActorRef? sender = null);

    /// <summary>Sends and waits until the mailbox has room: the way backpressure travels upstream.</summary>
    ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken ct = default);
}

/// <summary>Sent to watchers when an actor has stopped for good.</summary>
public sealed record Terminated(IActorRef Actor);

/// <summary>Stops the actor that receives it, after the messages before it.</summary>
public sealed record PoisonPill
{
    public static readonly PoisonPill Instance = new();
}

/// <summary>Given to a supervisor when a child failed: who, on which message, and why.</summary>
public sealed record Failure(IActorRef Child, object? Message, Exception Cause);

/// <summary>A reply that was not a success: Ask raises the cause.</summary>
public sealed record Status(Exception Cause);

/// <summary>Ask's answer did not come in time.</summary>
public sealed class AskTimeoutException(string message) : TimeoutException(message);

public static class ActorRefExtensions
{
    /// <summary>Sends a message and waits for the reply (a <see cref="Status"/> reply raises its cause).</summary>
    public static async Task<T> Ask<T>(this IActorRef target, object message, TimeSpan timeout, CancellationToken ct = default)
    {
        var promise = new PromiseRef($"{target.Path}/$ask");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        await target.TellAsync(message, promise, cts.Token);
        object reply;
        try
        {
            reply = await promise.Task.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AskTimeoutException($"no reply from {target.Path} within {timeout.TotalMilliseconds:F0} ms to {message.GetType().Name}");
        }
        return reply switch
        {
            Status s => throw s.Cause,
            T t => t,
            _ => throw new InvalidCastException($"{target.Path} replied {reply.GetType().Name} to {message.GetType().Name}, not {typeof(T).Name}"),
        };
    }

    /// <summary>A one-shot reference whose first message completes a task: Ask's reply address.</summary>
    private sealed class PromiseRef(string path) : IActorRef
    {
        private readonly TaskCompletionSource<object> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Path { get; } = path;
        public Task<object> Task => _reply.Task;
        public void Tell(object message, IActorRef? sender = null) => _reply.TrySetResult(message);

        public ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken ct = default)
        {
            Tell(message, sender);
            return ValueTask.CompletedTask;
        }
    }
}
