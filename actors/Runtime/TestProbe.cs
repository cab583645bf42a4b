using System.Threading.Channels;

namespace Replayer.Actors.Runtime;

/// <summary>
/// A reference that records what it is told, for tests: send an actor a message with the probe
/// as sender, then expect what comes back (Akka.TestKit's probe, in small).
/// </summary>
public sealed class TestProbe(string name = "probe") : IActorRef
{
    private readonly Channel<(object Message, IActorRef? Sender)> _received = Channel.CreateUnbounded<(object, IActorRef?)>();

    public string Path { get; } = $"/test/{name}";

    /// <summary>The sender of the message last taken by an Expect call.</summary>
    public IActorRef? LastSender { get; private set; }

    public void Tell(object message, IActorRef? sender = null) => _received.Writer.TryWrite((message, sender));

    public ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken ct = default)
    {
        Tell(message, sender);
        return ValueTask.CompletedTask;
    }

    /// <summary>The next message, which must be a T and arrive within the timeout.</summary>
    public async Task<T> ExpectMsgAsync<T>(TimeSpan? timeout = null)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(5);
        using var cts = new CancellationTokenSource(wait);
        (object Message, IActorRef? Sender) next;
        try
        {
            next = await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Path}: no {typeof(T).Name} within {wait.TotalMilliseconds:F0} ms");
        }
        LastSender = next.Sender;
        return next.Message is T t
            ? t
            : throw new InvalidOperationException($"{Path}: expected {typeof(T).Name}, got {next.Message.GetType().Name}: {next.Message}");
    }

    /// <summary>Fails if any message arrives within the duration.</summary>
    public async Task ExpectNoMsgAsync(TimeSpan duration)
    {
        using var cts = new CancellationTokenSource(duration);
        try
        {
            var m = await _received.Reader.ReadAsync(cts.Token);
            throw new InvalidOperationException($"{Path}: expected no message, got {m.Message.GetType().Name}: {m.Message}");
        }
        catch (OperationCanceledException)
        {
        }
    }
}
