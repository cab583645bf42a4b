using System.Runtime.CompilerServices;

namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>Pieces of line layout both tools share: the "secs.usecs:" timestamp and the "[cpu]" field.</summary>
public static class LineLayout
{
    /// <summary>
    /// Finds the timestamp token, "217.734498:", the first token followed by ": " that is a number
    /// (a comm may hold ": " too, so every candidate is checked). Returns its start, or -1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int FindTimestamp(ReadOnlySpan<byte> text, out long ns, out int restStart)
    {
        ns = 0;
        restStart = 0;
        int from = 0;
        while (true)
        {
            int colon = text[from..].IndexOf(": "u8);
            if (colon < 0)
            {
                // "sys_enter_getpid:" at the very end has no space after its colon, but a timestamp always does.
                return -1;
            }
            colon += from;
            int start = text[..colon].LastIndexOf((byte)' ') + 1;
            var token = text[start..colon];
            if (token.Length > 0 && IsDigit(token[0]) && Numbers.TryParseTimestamp(token, out ns))
            {
                restStart = colon + 2;
                return start;
            }
            from = colon + 2;
        }
    }

    /// <summary>Reads "[001]" at the end of prefix (after trailing spaces); returns the prefix before it, or false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TakeCpu(ref ReadOnlySpan<byte> prefix, out int cpu)
    {
        cpu = 0;
        prefix = prefix.TrimEnd((byte)' ');
        if (prefix.Length < 3 || prefix[^1] != ']') return false;
        int open = prefix.LastIndexOf((byte)'[');
        if (open < 0 || !Numbers.TryParseDecimal(prefix[(open + 1)..^1], out long c) || c < 0 || c > 1 << 20) return false;
        cpu = (int)c;
        prefix = prefix[..open].TrimEnd((byte)' ');
        return true;
    }

    public static bool TryParseTid(ReadOnlySpan<byte> s, out int tid)
    {
        tid = 0;
        if (!Numbers.TryParseDecimal(s, out long v) || v < -1 || v > int.MaxValue) return false;
        tid = (int)v;
        return true;
    }

    public static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
