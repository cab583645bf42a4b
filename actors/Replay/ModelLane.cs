using System.Collections.Concurrent;
using System.Threading.Channels;
using Replayer.Ingest.Events;
using Replayer.Replay.Engine;

namespace Replayer.Actors.Replay;

/// <summary>
/// The stage between a host's decoded stream and its host actor: it cuts the stream into
/// segments and, when two models replay, runs the lane model (<see cref="HostReplay.Lane"/>) over
/// each segment ahead of the host actor, on a thread of its own, so that the two designs take
/// each event on two cores. The host actor then takes the other model's half of each event
/// (<see cref="HostReplay.Step(PidEvent, LaneSegment, int)"/>) and keeps the books as before.
///
/// The lane touches nothing but its model. Where the host must see or change every model's state
/// (a snapshot, a checkpoint or a restore, which pass images between the replay and the virtual
/// pid model; the stop position; a model's failure and the recovery after it), the lane parks:
/// it ends its segment before the event (a barrier event itself goes unrecorded, for the host to
/// step with every model) and waits until the host, having taken that segment, lets it
/// <see cref="Go"/>.
/// </summary>
internal sealed class ModelLane
{
    /// <summary>Events per segment, at most: about a tenth of a millisecond of a model's work.</summary>
    private const int SegmentSize = 1024;

    /// <summary>Segments made and not yet taken, at most: how far ahead the lane runs.</summary>
    private const int Ahead = 4;

    private readonly HostReplay _replay;
    private readonly ChannelReader<Task<PidEvent[]>> _decoded;
    private readonly Channel<LaneSegment> _segments = Channel.CreateBounded<LaneSegment>(
        new BoundedChannelOptions(Ahead) { SingleReader = true, SingleWriter = true });

    /// <summary>Segments the host has taken, to be filled again.</summary>
    private readonly ConcurrentBag<LaneSegment> _free = [];

    /// <summary>Released once per parking segment the host has taken.</summary>
    private readonly SemaphoreSlim _go = new(0);

    /// <summary>Whether the lane model runs here; false: the segments carry the events only, and the host steps them whole.</summary>
    private readonly bool _ahead;

    private readonly long _snapshotEvery;
    private readonly long? _stopAfter;

    /// <summary>The test seam: called before the lane model takes an event; what it throws is the model's failure.</summary>
    private readonly Action<PidEvent>? _before;

    /// <summary>The host asked the lane to park at its next event.</summary>
    private int _pause;

    /// <summary>The position of the next event the lane cuts, and the last position it parked at for a snapshot.</summary>
    private long _position, _parkedAt;

    public ModelLane(HostReplay replay, ChannelReader<Task<PidEvent[]>> decoded, bool ahead, long? stopAfter, Action<PidEvent>? before)
    {
        _before = before;
        _replay = replay;
        _decoded = decoded;
        _ahead = ahead && replay.Lane >= 0;
        _snapshotEvery = replay.Settings.SnapshotEvery;
        _stopAfter = stopAfter;
        _position = _parkedAt = replay.Position;
    }

    /// <summary>The segments, in the stream's order.</summary>
    public ChannelReader<LaneSegment> Segments => _segments.Reader;

    /// <summary>Lets the lane go on after a parking segment the host has taken.</summary>
    public void Go() => _go.Release();

    /// <summary>Gives back a segment the host has taken.</summary>
    public void Return(LaneSegment segment) => _free.Add(segment);

    /// <summary>
    /// Parks the lane at its next event and returns the segments it made that the host has not
    /// taken, the last one parking (none parks when the lane reached the end of the stream). The
    /// lane's outcomes in them are of no use once the host has gone back (a model's recovery):
    /// the host steps their events whole, then lets the lane <see cref="Go"/>.
    /// </summary>
    public async Task<List<LaneSegment>> DrainAsync(CancellationToken ct)
    {
        Volatile.Write(ref _pause, 1);
        var made = new List<LaneSegment>();
        while (await _segments.Reader.WaitToReadAsync(ct))
        {
            _segments.Reader.TryRead(out var segment);
            made.Add(segment!);
            if (segment!.Parks) break;
        }
        return made;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            PidEvent[] chunk = [];
            int next = 0;
            while (true)
            {
                if (next == chunk.Length)
                {
                    if (!await _decoded.WaitToReadAsync(ct)) break;
                    _decoded.TryRead(out var decoding);
                    chunk = await decoding!;
                    next = 0;
                    continue;
                }
                var segment = _free.TryTake(out var reused) ? reused : new LaneSegment(SegmentSize);
                segment.Reset(_position);
                while (next < chunk.Length && !segment.Full && !segment.Parks)
                {
                    if (MustPark())
                    {
                        segment.Parks = true;
                        break;
                    }
                    var ev = chunk[next];
                    segment.Add(ev);
                    next++;
                    _position++;
                    if (!_ahead) continue;
                    // The host steps a barrier event with every model, the lane parked.
                    if (IsBarrier(ev)) segment.Parks = true;
                    else Take(segment);
                }
                if (!segment.Parks && MustPark()) segment.Parks = true;
                if (segment.Parks) Volatile.Write(ref _pause, 0);
                await _segments.Writer.WriteAsync(segment, ct);
                if (segment.Parks) await _go.WaitAsync(ct);
            }
            _segments.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _segments.Writer.TryComplete(e);
        }
    }

    /// <summary>The lane model takes the segment's last event; what it throws stays with the event, for the host to quarantine, and the lane parks.</summary>
    private void Take(LaneSegment segment)
    {
        try
        {
            _before?.Invoke(segment.Events[segment.Recorded]);
            _replay.Ahead(segment);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            segment.Failure = e;
            segment.Parks = true;
        }
    }

    /// <summary>Whether the lane must stop before the event at <see cref="_position"/>: the host asked, or it is where the host snapshots or stops.</summary>
    private bool MustPark()
    {
        if (!_ahead) return false;
        if (Volatile.Read(ref _pause) != 0) return true;
        if (_stopAfter is long stop && _position >= stop) return true;
        if (_position % _snapshotEvery == 0 && _position != _parkedAt)
        {
            _parkedAt = _position;
            return true;
        }
        return false;
    }

    /// <summary>Checkpoints and restores pass images between the replay and the virtual pid model: the host takes them with the lane parked.</summary>
    private static bool IsBarrier(PidEvent ev) => ev is Container { Action: ContainerAction.Checkpoint or ContainerAction.Restore };
}
