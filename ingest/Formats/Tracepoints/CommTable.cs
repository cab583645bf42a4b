using System.Runtime.CompilerServices;
using System.Text;

namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>
/// Interns the few distinct texts a capture repeats on every line (comms, exec'd filenames), so
/// that decoding a line allocates nothing once a text has been seen. Open addressing on the
/// bytes; past <see cref="MaxEntries"/> (binary junk, a hostile input) texts are no longer kept
/// and each lookup allocates, which is slow but bounded.
/// </summary>
public sealed class CommTable
{
    public const int MaxEntries = 1 << 16;

    // Slots of the open-addressing table: the bytes and the string made from them, or null.
    private byte[]?[] _keys = new byte[]?[1024];
    private string?[] _values = new string?[1024];
    private int _count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string Intern(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty) return "";
        uint h = Hash(text);
        int mask = _keys.Length - 1;
        for (int i = (int)(h & (uint)mask); ; i = (i + 1) & mask)
        {
            var k = _keys[i];
            if (k is null)
            {
                var s = Encoding.UTF8.GetString(text);
                if (_count >= MaxEntries) return s;
                _keys[i] = text.ToArray();
                _values[i] = s;
                if (++_count * 2 > _keys.Length) Grow();
                return s;
            }
            if (text.SequenceEqual(k)) return _values[i]!;
        }
    }

    // FNV-1a: short keys, no need for anything stronger.
    private static uint Hash(ReadOnlySpan<byte> text)
    {
        uint h = 2166136261;
        foreach (byte b in text) h = (h ^ b) * 16777619;
        return h;
    }

    private void Grow()
    {
        var keys = _keys;
        var values = _values;
        _keys = new byte[]?[keys.Length * 2];
        _values = new string?[keys.Length * 2];
        int mask = _keys.Length - 1;
        for (int j = 0; j < keys.Length; j++)
        {
            if (keys[j] is not { } k) continue;
            int i = (int)(Hash(k) & (uint)mask);
            while (_keys[i] is not null) i = (i + 1) & mask;
            _keys[i] = k;
            _values[i] = values[j];
        }
    }
}
