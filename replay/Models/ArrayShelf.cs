using System.Numerics;

namespace Replayer.Replay.Models;

/// <summary>
/// Arrays of a few sizes (powers of two) that maps gave back, for the next map that grows. A
/// namespace's idr grows its array as its numbers climb, up to 16 KiB, and a namespace lives for
/// seconds: its arrays reach the oldest generation, and once it dies the collector finds them only
/// in a full collection. Given back here when the namespace dies, they go to the next namespace
/// made instead. One shelf per model, used by one thread at a time; every array on it holds only
/// the default.
/// </summary>
internal sealed class ArrayShelf<T>
{
    /// <summary>Arrays kept of each size: the few namespaces that die between two that are made.</summary>
    private const int PerSize = 256;

    /// <summary>The arrays kept, by log2 of their length.</summary>
    private readonly Stack<T[]>?[] _bySize = new Stack<T[]>?[32];

    /// <summary>An array of <paramref name="length"/> defaults: one from the shelf when it has one.</summary>
    public T[] Take(int length)
    {
        if (BitOperations.IsPow2(length) && _bySize[BitOperations.Log2((uint)length)] is { Count: > 0 } kept)
            return kept.Pop();
        return new T[length];
    }

    /// <summary>Puts an array no map uses any more on the shelf, cleared; one of another length, or past the bound, is left to the collector.</summary>
    public void Give(T[] array)
    {
        if (!BitOperations.IsPow2(array.Length)) return;
        var kept = _bySize[BitOperations.Log2((uint)array.Length)] ??= new Stack<T[]>();
        if (kept.Count >= PerSize) return;
        Array.Clear(array);
        kept.Push(array);
    }
}
