using Replayer.Actors.Runtime;

namespace Replayer.Tests.Actors;

public sealed class ActorRuntimeTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("test");
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.TerminateAsync();

    private sealed record Add(int N);
    private sealed record Get;
    private sealed record Boom(string Why);
    private sealed record Hold(TaskCompletionSource Gate);
    private sealed record Open;

    /// <summary>Sums what it is told; replies with the sum; throws on Boom; reports its lifecycle to a probe.</summary>
    private sealed class Counter : Actor
    {
        private int _sum;

        public Counter(IActorRef events)
        {
            Receive<Add>(m => _sum += m.N);
            Receive<Get>(_ => Sender?.Tell(_sum, Self));
            Receive<Boom>(m => throw new InvalidOperationException(m.Why));
            ReceiveAsync<Hold>(async m => await m.Gate.Task);
            Events = events;
        }

        private IActorRef Events { get; }
        protected internal override void PreStart() => Events.Tell("started");
        protected internal override void PostStop() => Events.Tell("stopped");
        protected internal override void PostRestart(Exception reason) => Events.Tell($"restarted: {reason.Message}");
    }

    /// <summary>Supervises one Counter with a given strategy and forwards every Failure notice to a probe.</summary>
    private sealed class Parent : Actor
    {
        private readonly SupervisorStrategy _strategy;

        public Parent(SupervisorStrategy strategy, IActorRef events)
        {
            _strategy = strategy;
            Receive<Props>(p => Sender?.Tell(Context.ActorOf(p, "child")));
            Receive<Failure>(f => events.Tell(f));
        }

        public override SupervisorStrategy SupervisorStrategy => _strategy;
    }

    private async Task<(IActorRef Child, TestProbe Events, TestProbe Failures)> ChildOf(SupervisorStrategy strategy)
    {
        var events = new TestProbe("events");
        var failures = new TestProbe("failures");
        var parent = _system.ActorOf(new Props(() => new Parent(strategy, failures)), "parent-" + Guid.NewGuid().ToString("N")[..6]);
        var child = await parent.Ask<IActorRef>(new Props(() => new Counter(events)), TimeSpan.FromSeconds(5));
        Assert.Equal("started", await events.ExpectMsgAsync<string>());
        return (child, events, failures);
    }

    [Fact]
    public async Task Messages_from_one_sender_arrive_in_order_and_ask_gets_the_reply()
    {
        var events = new TestProbe();
        var counter = _system.ActorOf(new Props(() => new Counter(events)), "counter");
        for (int i = 1; i <= 1000; i++) await counter.TellAsync(new Add(i));
        Assert.Equal(500500, await counter.Ask<int>(new Get(), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Ask_without_a_reply_times_out_with_the_actor_named()
    {
        var counter = _system.ActorOf(new Props(() => new Counter(new TestProbe())), "silent");
        var e = await Assert.ThrowsAsync<AskTimeoutException>(() => counter.Ask<int>(new Add(1), TimeSpan.FromMilliseconds(100)));
        Assert.Contains("/test/silent", e.Message);
    }

    [Fact]
    public async Task A_restarted_child_is_a_fresh_instance_and_its_mailbox_survives()
    {
        var (child, events, failures) = await ChildOf(SupervisorStrategy.RestartAlways);
        child.Tell(new Add(5));
        child.Tell(new Boom("bad event"));
        child.Tell(new Add(7));
        // As in Akka.NET, the old instance's PostStop runs before the new one's PostRestart.
        Assert.Equal("stopped", await events.ExpectMsgAsync<string>());
        Assert.Equal("restarted: bad event", await events.ExpectMsgAsync<string>());
        Assert.Equal(7, await child.Ask<int>(new Get(), TimeSpan.FromSeconds(5)));
        var failure = await failures.ExpectMsgAsync<Failure>();
        Assert.Equal(new Boom("bad event"), failure.Message);
        Assert.Same(child, failure.Child);
    }

    [Fact]
    public async Task A_resumed_child_keeps_its_state_and_drops_the_failed_message()
    {
        var (child, events, _) = await ChildOf(new SupervisorStrategy(_ => Directive.Resume));
        child.Tell(new Add(5));
        child.Tell(new Boom("x"));
        child.Tell(new Add(1));
        Assert.Equal(6, await child.Ask<int>(new Get(), TimeSpan.FromSeconds(5)));
        await events.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task A_stopped_child_runs_its_post_stop_tells_its_watchers_and_takes_no_more_mail()
    {
        var (child, events, _) = await ChildOf(SupervisorStrategy.StopOnFailure);
        var watcher = new TestProbe("watcher");
        _system.Watch(child, watcher);
        child.Tell(new Boom("fatal"));
        Assert.Equal("stopped", await events.ExpectMsgAsync<string>());
        Assert.Same(child, (await watcher.ExpectMsgAsync<Terminated>()).Actor);
        long before = _system.DeadLetters;
        child.Tell(new Add(1));
        Assert.Equal(before + 1, _system.DeadLetters);
    }

    [Fact]
    public async Task A_child_that_keeps_failing_is_stopped_after_the_restart_limit()
    {
        var (child, events, _) = await ChildOf(new SupervisorStrategy(_ => Directive.Restart, maxRestarts: 2));
        for (int i = 0; i < 3; i++) child.Tell(new Boom($"#{i}"));
        foreach (var expected in new[] { "stopped", "restarted: #0", "stopped", "restarted: #1", "stopped" })
            Assert.Equal(expected, await events.ExpectMsgAsync<string>());
        await events.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task An_escalated_failure_fails_the_supervisor_in_turn()
    {
        var events = new TestProbe("events");
        var top = new TestProbe("top");
        var system = ActorSystem.Create("escalation", SupervisorStrategy.StopOnFailure);
        await using var _ = system;
        var parent = system.ActorOf(new Props(() => new Parent(SupervisorStrategy.EscalateAlways, top)), "parent");
        var child = await parent.Ask<IActorRef>(new Props(() => new Counter(events)), TimeSpan.FromSeconds(5));
        Assert.Equal("started", await events.ExpectMsgAsync<string>());
        var watcher = new TestProbe();
        system.Watch(parent, watcher);
        child.Tell(new Boom("up"));
        Assert.Equal("stopped", await events.ExpectMsgAsync<string>());
        await watcher.ExpectMsgAsync<Terminated>();
    }

    [Fact]
    public async Task A_full_mailbox_makes_tell_async_wait_until_there_is_room()
    {
        var gate = new TaskCompletionSource();
        var counter = _system.ActorOf(new Props(() => new Counter(new TestProbe()), MailboxCapacity: 2), "narrow");
        await counter.TellAsync(new Hold(gate));
        // The actor is busy with Hold; the mailbox takes two more, the third send must wait.
        await counter.TellAsync(new Add(1));
        await counter.TellAsync(new Add(2));
        var third = counter.TellAsync(new Add(3)).AsTask();
        await Task.Delay(Quiet);
        Assert.False(third.IsCompleted);
        gate.SetResult();
        await third;
        Assert.Equal(6, await counter.Ask<int>(new Get(), TimeSpan.FromSeconds(5)));
    }

    /// <summary>Stashes Adds until Open, then handles them in their order, before anything newer.</summary>
    private sealed class Latch : Actor
    {
        private readonly List<int> _seen = [];
        private bool _open;

        public Latch()
        {
            Receive<Add>(m =>
            {
                if (_open) _seen.Add(m.N);
                else Context.Stash();
            });
            Receive<Open>(_ =>
            {
                _open = true;
                Context.UnstashAll();
            });
            Receive<Get>(_ => Sender?.Tell(_seen.ToArray()));
        }
    }

    [Fact]
    public async Task Stashed_messages_come_back_in_order_before_newer_ones()
    {
        var latch = _system.ActorOf(new Props(() => new Latch()), "latch");
        latch.Tell(new Add(1));
        latch.Tell(new Add(2));
        latch.Tell(new Open());
        latch.Tell(new Add(3));
        var seen = await latch.Ask<int[]>(new Get(), TimeSpan.FromSeconds(5));
        Assert.Equal([1, 2, 3], seen);
    }

    [Fact]
    public async Task A_poison_pill_stops_the_actor_after_the_messages_before_it()
    {
        var events = new TestProbe();
        var counter = _system.ActorOf(new Props(() => new Counter(events)), "pill");
        Assert.Equal("started", await events.ExpectMsgAsync<string>());
        var reply = new TestProbe("reply");
        counter.Tell(new Add(2));
        counter.Tell(new Get(), reply);
        counter.Tell(PoisonPill.Instance);
        Assert.Equal(2, await reply.ExpectMsgAsync<int>());
        Assert.Equal("stopped", await events.ExpectMsgAsync<string>());
        await ActorSystem.WhenTerminated(counter);
    }

    [Fact]
    public async Task Terminating_the_system_stops_children_before_their_parents()
    {
        var events = new TestProbe("events");
        var system = ActorSystem.Create("order");
        var parent = system.ActorOf(new Props(() => new Parent(SupervisorStrategy.RestartAlways, new TestProbe())), "parent");
        await parent.Ask<IActorRef>(new Props(() => new Counter(events)), TimeSpan.FromSeconds(5));
        Assert.Equal("started", await events.ExpectMsgAsync<string>());
        await system.TerminateAsync();
        Assert.Equal("stopped", await events.ExpectMsgAsync<string>());
        Assert.True(ActorSystem.WhenTerminated(parent).IsCompleted);
    }
}
