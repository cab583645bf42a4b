using Replayer.Actors.Runtime;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Replay;

/// <summary>
/// Bookings for one container, in the order of its host's stream. The array is rented from the
/// shared pool and goes back to it, cleared (its bookings hold events), once booked.
/// </summary>
public sealed record BookBatch(Booking[] Bookings, int Count)
{
    /// <summary>
    /// The batches' arrays: the shared pool keeps a few dozen of a size, and a host with thousands
    /// of containers has thousands out at once, so most came back only to be dropped (100 MB of
    /// arrays over a 10M-event replay).
    /// </summary>
    public static readonly System.Buffers.ArrayPool<Booking> Pool = System.Buffers.ArrayPool<Booking>.Create(256, 16 * 1024);

    public void Release() => Pool.Return(Bookings, clearArray: true);
}

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
/// What outlives a container actor's incarnations (Akka.Persistence's journal and snapshot store,
/// in memory): the books, a mark of where they stood before the batch being booked (the
/// snapshot a restart goes back to), that batch, and the events set aside. Only the actor touches
/// it, one incarnation after another. Nothing of a batch is kept once it is booked: the events
/// it carries die young.
/// </summary>
public sealed class ContainerJournal(ContainerLedger ledger)
{
    /// <summary>The books.</summary>
    public ContainerLedger Ledger { get; } = ledger;

    /// <summary>Where the books stood before <see cref="Current"/>.</summary>
    public LedgerMark Mark { get; } = new();

    /// <summary>The batch being booked; null between batches.</summary>
    public BookBatch? Current { get; set; }

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
/// fails and its supervisor restarts it: the new incarnation rewinds the books to the mark taken
/// before the batch, sets the failed event aside (quarantine), and books the batch again, so the
/// replay goes on with nothing lost and nothing counted twice.
/// </summary>
public sealed class ContainerActor : Actor
{
    /// <summary>Called before each booking (the test seam for faults); whatever it throws fails that booking.</summary>
    public delegate void Inspector(string host, string container, in Booking booking);

    private readonly string _host;
    private readonly string _container;
    private readonly Inspector? _inspect;
    private readonly ContainerJournal _journal;

    public ContainerActor(string host, string container, ContainerJournal journal, Inspector? inspect)
    {
        _host = host;
        _container = container;
        _inspect = inspect;
        _journal = journal;
        Receive<BookBatch>(batch =>
        {
            _journal.Ledger.Mark(_journal.Mark);
            _journal.Current = batch;
            Book(batch);
            _journal.Current = null;
            batch.Release();
        });
        Receive<TakeSnapshot>(_ => Sender?.Tell(_journal.Ledger.Snapshot(), Self));
        Receive<HandOver>(_ =>
        {
            Sender?.Tell(_journal.Ledger, Self);
            Context.Stop(Self);
        });
    }

    /// <summary>The new incarnation: the books go back to the mark, the failed event is set aside, and the batch is booked again.</summary>
    protected internal override void PostRestart(Exception reason)
    {
        if (reason is BookingFailedException failed)
            _journal.Quarantine[failed.Position] = $"{failed.InnerException!.GetType().Name}: {failed.InnerException.Message}";
        if (_journal.Current is not { } batch) return;
        _journal.Ledger.Rewind(_journal.Mark);
        Book(batch);
        _journal.Current = null;
        batch.Release();
    }

    private void Book(BookBatch batch)
    {
        var ledger = _journal.Ledger;
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var b = ref batch.Bookings[i];
            if (_journal.Quarantine.Count > 0 && _journal.Quarantine.TryGetValue(b.Position, out var error))
            {
                ledger.Quarantine(b, error);
                continue;
            }
            try
            {
                _inspect?.Invoke(_host, _container, b);
                ledger.Book(b);
            }
            catch (Exception e)
            {
                throw new BookingFailedException(b.Position, e);
            }
        }
    }
}
