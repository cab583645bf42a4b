using System.Runtime.CompilerServices;

namespace Replayer.Ingest.Formats.Tracepoints;

/// <summary>
/// The number spellings of kernel trace text: ftrace prints a syscall argument in decimal when it
/// is under 10 and as 0x-hex otherwise, perf as 0x%08lx, returns as 64-bit two's complement hex,
/// signal fields in signed decimal, task_newtask's clone_flags and signal_deliver's sa_handler as
/// hex without 0x. Each parser returns false on anything else, never throws.
/// </summary>
public static class Numbers
{
    /// <summary>0x-prefixed hex, or decimal (with an optional minus), as an unsigned 64-bit pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseValue(ReadOnlySpan<byte> s, out long value)
    {
        if (s.Length > 2 && s[0] == '0' && (s[1] | 0x20) == 'x') return TryParseHex(s[2..], out value);
        return TryParseDecimal(s, out value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseDecimal(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        bool negative = s.Length > 0 && s[0] == '-';
        if (negative) s = s[1..];
        if (s.IsEmpty || s.Length > 18) return false;
        long v = 0;
        foreach (byte b in s)
        {
            uint d = (uint)(b - '0');
            if (d > 9) return false;
            v = v * 10 + d;
        }
        value = negative ? -v : v;
        return true;
    }

    /// <summary>Hex digits without a prefix, up to 16 of them (the full 64-bit pattern).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseHex(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 16) return false;
        ulong v = 0;
        foreach (byte b in s)
        {
            uint d = (uint)(b - '0');
            if (d > 9)
            {
                d = (uint)((b | 0x20) - 'a');
                if (d > 5) return false;
                d += 10;
            }
            v = (v << 4) | d;
        }
        value = unchecked((long)v);
        return true;
    }

    /// <summary>A pid_t argument: the tracer zero-extends the 32-bit value, so take the low half, signed.</summary>
    public static int PidArg(long raw) => unchecked((int)(uint)raw);

    /// <summary>"secs.usecs" (or more fraction digits) into nanoseconds; a bare integer is taken as nanoseconds (counter clocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseTimestamp(ReadOnlySpan<byte> s, out long ns)
    {
        ns = 0;
        int dot = s.IndexOf((byte)'.');
        if (dot < 0) return TryParseDecimal(s, out ns) && ns >= 0;
        if (!TryParseDecimal(s[..dot], out long secs) || secs < 0 || secs > 9_000_000_000) return false;
        var frac = s[(dot + 1)..];
        if (frac.IsEmpty || frac.Length > 9) return false;
        long f = 0;
        foreach (byte b in frac)
        {
            uint d = (uint)(b - '0');
            if (d > 9) return false;
            f = f * 10 + d;
        }
        for (int i = frac.Length; i < 9; i++) f *= 10;
        ns = secs * 1_000_000_000 + f;
        return true;
    }
}
