namespace Replayer.Replay.Models.Vpid;

/// <summary>One task of a checkpointed VPS: what restore needs to recreate it with do_fork_pid.</summary>
/// <param name="OldTid">Its global tid on the source host.</param>
/// <param name="Parent">Index of its parent in the image; -1 when the parent is outside the VPS.</param>
/// <param name="Leader">Index of its thread group leader in the image (itself for a leader).</param>
public readonly record struct ImageTask(int OldTid, int VPid, int VTgid, int VPgid, int VSid, int Parent, int Leader, bool Zombie);

/// <summary>A checkpointed VPS, tasks in creation order (every parent before its children, the init first).</summary>
public sealed record VpsImage(string Name, string SourceHost, ImageTask[] Tasks);

/// <summary>
/// Where checkpoints wait for their restore: shared by the models of the hosts of one replay, so
/// that a Container Checkpoint on host A and the Restore on host B meet.
/// </summary>
public sealed class VpsMigrations
{
    /// <summary>Images by VPS name, from checkpoint until restore.</summary>
    private readonly Dictionary<string, VpsImage> _images = new(StringComparer.Ordinal);

    public void Put(VpsImage image) => _images[image.Name] = image;

    public VpsImage? Take(string name) => _images.Remove(name, out var image) ? image : null;

    public int Pending => _images.Count;
}
