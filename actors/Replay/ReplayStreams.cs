using System.Text;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Replay.Engine;
using Replayer.Replay.Models.Nested;
using Replayer.Replay.Models.Vpid;

namespace Replayer.Actors.Replay;

/// <summary>
/// Where a replay keeps its state in the store. Snapshots hang off the trace's own streams (a name
/// with '#'), so deleting a trace deletes them, and carry the replay settings' key, so a replay
/// under other settings never resumes from them.
/// </summary>
public static class ReplayStreams
{
    /// <summary>
    /// The type a host's snapshot is saved with: this layout and each model's state version. One
    /// of another type was written by another version of replayer and is not resumed from: the
    /// host's stream is replayed from its start instead, as a replay that has none (the events are
    /// the record; a snapshot only saves the work).
    /// </summary>
    public static readonly string SnapshotType = $"replay-host/1 nested/{NestedPidModel.StateVersion} vpid/{VpidModel.SnapshotVersion}";
    public const string ImageType = "vps-image/1";

    /// <summary>The snapshots of one host's replay under one set of settings.</summary>
    public static string Snapshot(string trace, string host, ReplaySettings settings) =>
        $"{TraceStreams.HostStream(trace, host)}#replay/{settings.Key}";

    /// <summary>A host's latest snapshot under <paramref name="stream"/>, or null when it has none this version can resume from (<see cref="SnapshotType"/>).</summary>
    public static async Task<Snapshot?> LoadHostAsync(IEventStore store, string stream, CancellationToken ct) =>
        await store.LoadSnapshotAsync(stream, ct) is { } s && s.Type == SnapshotType ? s : null;

    /// <summary>Where a checkpoint's image waits for its restore (kept with the trace's metadata).</summary>
    public static string Image(string trace, ReplaySettings settings, ImageKey key) =>
        $"{TraceStreams.MetaStream(trace)}#image/{settings.Key}/{key.Source}/{key.Destination}/{key.Name}/{key.Occurrence}";

    /// <summary>
    /// Puts together a host's replay state: the replay's own state (<see cref="HostReplay.WriteSnapshot"/>),
    /// the host's books, each container's books, each with its length first. Into blocks, every
    /// part moved in rather than copied (at 5,000 containers the state is 55 MB): the store reads
    /// it from there. <paramref name="replay"/> is left empty.
    /// </summary>
    public static void WriteHost(SnapshotBuffer output, SnapshotBuffer replay, byte[] hostLedger, IReadOnlyList<byte[]> containers)
    {
        using var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);
        w.Write(checked((int)replay.Length));
        w.Flush();
        output.Append(replay);
        Put(w, output, hostLedger);
        w.Write(containers.Count);
        foreach (var c in containers) Put(w, output, c);
    }

    /// <summary>An array's length, then the array itself, put in without copying it.</summary>
    private static void Put(BinaryWriter w, SnapshotBuffer output, byte[] bytes)
    {
        w.Write(bytes.Length);
        w.Flush();
        output.Append(bytes);
    }

    public static (byte[] Host, byte[] HostLedger, List<byte[]> Containers) DecodeHost(ReadOnlySpan<byte> state)
    {
        using var r = new BinaryReader(new MemoryStream(state.ToArray()), Encoding.UTF8);
        var host = Read(r);
        var hostLedger = Read(r);
        var containers = new List<byte[]>();
        for (int n = r.ReadInt32(), i = 0; i < n; i++) containers.Add(Read(r));
        return (host, hostLedger, containers);
    }

    /// <summary>A checkpoint image as the store keeps it; an empty state stands for "the checkpoint made none".</summary>
    public static byte[] EncodeImage(VpsImage? image)
    {
        if (image is null) return [];
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(image.Name);
            w.Write(image.SourceHost);
            w.Write(image.Tasks.Length);
            foreach (var t in image.Tasks)
            {
                w.Write(t.OldTid); w.Write(t.VPid); w.Write(t.VTgid); w.Write(t.VPgid); w.Write(t.VSid);
                w.Write(t.Parent); w.Write(t.Leader); w.Write(t.Zombie);
            }
        }
        return ms.ToArray();
    }

    public static VpsImage? DecodeImage(ReadOnlySpan<byte> state)
    {
        if (state.IsEmpty) return null;
        using var r = new BinaryReader(new MemoryStream(state.ToArray()), Encoding.UTF8);
        var name = r.ReadString();
        var source = r.ReadString();
        var tasks = new ImageTask[r.ReadInt32()];
        for (int i = 0; i < tasks.Length; i++)
            tasks[i] = new ImageTask(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadBoolean());
        return new VpsImage(name, source, tasks);
    }

    private static byte[] Read(BinaryReader r) => r.ReadBytes(r.ReadInt32());
}
