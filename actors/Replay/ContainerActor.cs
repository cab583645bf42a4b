using Replayer.Actors.Runtime;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Replay;

/// <summary>Bookings for one container, in the order of its host's stream.</summary>
public sealed record BookBatch(Booking[] Bookings, int Count);

/// <summary>Asks a container actor for its books as of everything sent before: the reply is the ledger's snapshot (byte[]).</summary>
public sealed record TakeSnapshot
{
    public static readonly TakeSnapshot Instance = new();
}

/// <summary>Asks a container actor for its ledger once every batch is sent; it stops after replying.</summary>
public sealed record HandOver
{
    public static readonly HandOver Instance = new();
}

/// <summary>
/// What outlives a container actor's incarnations (Akka.Persistence's journal and snapshot store, in
/// memory): its books at the last snapshot, the batches taken since, and the events set aside. Only
/// the actor touches it, one incarnation after another.
/// </summary>
public sealed class ContainerJournal(byte[] snapshot)
{
    /// <summary>The ledger as of the last snapshot.</summary>
    public byte[] Snapshot { get; set; } = snapshot;

    /// <summary>Batches received since, the one being booked included.</summary>
    public List<BookBatch> Since { get; } = [];

    /// <summary>Bookings in <see cref="Since"/>.</summary>
    public int Bookings { get; set; }

    /// <summary>Events set aside, with the error that set them aside.</summary>
    public Dictionary<long, string> Quarantine { get; } = [];
}

/// <summary>A booking threw: which event, so the supervisor can quarantine it.</summary>
public sealed class BookingFailedException(long position, Exception inner)
    : Exception($"booking the event at position {position} failed: {inner.Message}", inner)
{
    public long Position { get; } = position;
}

/// <summary>
/// One container's books (a top-level pid namespace or a VPS): takes the bookings its host actor
/// sends, in order, and keeps its <see cref="ContainerLedger"/>. When a booking throws, the actor
/// fails and its supervisor restarts it: the new incarnation takes the books of the last snapshot
/// from the journal, sets the failed event aside (quarantine), and books again what came since, so
/// the replay goes on with nothing lost and nothing counted twice.
/// </summary>
public sealed class ContainerActor : Actor
{
    /// <summary>Bookings the journal holds at most before the actor snapshots its books into it: what bounds its memory.</summary>
    public const int JournalBound = 4096;

    /// <summary>
    /// Batches the journal holds at most: with a thousand containers each batch is small and few
    /// come, so a bound on bookings alone would let every container keep everything it was sent.
    /// </summary>
    public const int JournalBatches = 4;

    /// <summary>Called before each booking (the test seam for faults); whatever it throws fails that booking.</summary>
    public delegate void Inspector(string host, string container, in Booking booking);

    private readonly string _host;
    private readonly string _container;
    private readonly IReadOnlyList<string> _models;
    private readonly Inspector? _inspect;
    private readonly ContainerJournal _journal;
    /// <summary>The books.</summary>
    private ContainerLedger _ledger;

    public ContainerActor(string host, string container, IReadOnlyList<string> models, ContainerJournal journal, Inspector? inspect)
    {
        _host = host;
        _container = container;
        _models = models;
        _inspect = inspect;
        _journal = journal;
        _ledger = ContainerLedger.Restore(host, container, models, journal.Snapshot);
        Receive<BookBatch>(batch =>
        {
            _journal.Since.Add(batch);
            _journal.Bookings += batch.Count;
            Book(batch);
            // The journal keeps what a restart would book again; past a bound, the books themselves are kept instead.
            if (_journal.Bookings >= JournalBound || _journal.Since.Count >= JournalBatches) Checkpoint();
        });
        Receive<TakeSnapshot>(_ =>
        {
            Checkpoint();
            Sender?.Tell(_journal.Snapshot, Self);
        });
        Receive<HandOver>(_ =>
        {
            Sender?.Tell(_ledger, Self);
            Context.Stop(Self);
        });
    }

    /// <summary>The new incarnation: the failed event is set aside, and what came after the snapshot is booked again.</summary>
    protected internal override void PostRestart(Exception reason)
    {
        if (reason is BookingFailedException failed)
            _journal.Quarantine[failed.Position] = $"{failed.InnerException!.GetType().Name}: {failed.InnerException.Message}";
        foreach (var batch in _journal.Since) Book(batch);
    }

    private void Checkpoint()
    {
        _journal.Snapshot = _ledger.Snapshot();
        _journal.Since.Clear();
        _journal.Bookings = 0;
    }

    private void Book(BookBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var b = ref batch.Bookings[i];
            if (_journal.Quarantine.Count > 0 && _journal.Quarantine.TryGetValue(b.Position, out var error))
            {
                _ledger.Quarantine(b, error);
                continue;
            }
            try
            {
                _inspect?.Invoke(_host, _container, b);
                _ledger.Book(b);
            }
            catch (Exception e)
            {
                throw new BookingFailedException(b.Position, e);
            }
        }
    }
}
