using System.Buffers.Text;
using System.Text;

namespace Replayer.Ingest.Formats.Strace;

/// <summary>
/// Splits and reads the arguments strace prints: top-level commas outside brackets, braces,
/// parentheses, quoted strings and comments; numbers with their optional -Y/-y decoration
/// (<c>21173&lt;unshare&gt;</c>); struct fields; C strings. Nothing here allocates except the strings it is asked to decode.
/// </summary>
internal ref struct StraceArgs
{
    // The text not yet split.
    private ReadOnlySpan<byte> _rest;

    public StraceArgs(ReadOnlySpan<byte> args) => _rest = args;

    /// <summary>The next top-level argument, trimmed; false when none is left.</summary>
    public bool Next(out ReadOnlySpan<byte> arg)
    {
        var s = _rest.TrimStart((byte)' ');
        if (s.IsEmpty) { arg = default; _rest = default; return false; }
        int end = TopLevelComma(s);
        arg = s[..end].TrimEnd((byte)' ');
        _rest = end < s.Length ? s[(end + 1)..] : default;
        return true;
    }

    /// <summary>Skips <paramref name="n"/> arguments and returns the one after them.</summary>
    public static bool Nth(ReadOnlySpan<byte> args, int n, out ReadOnlySpan<byte> arg)
    {
        var cursor = new StraceArgs(args);
        arg = default;
        for (int i = 0; i <= n; i++)
            if (!cursor.Next(out arg)) return false;
        return true;
    }

    /// <summary>The value of <c>key=value</c> inside a struct <c>{...}</c> (top level of it).</summary>
    public static bool Field(ReadOnlySpan<byte> structText, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        value = default;
        var s = structText.Trim((byte)' ');
        if (s.IsEmpty || s[0] != (byte)'{') return false;
        int close = s.LastIndexOf((byte)'}');
        var inner = close > 0 ? s[1..close] : s[1..];
        var cursor = new StraceArgs(inner);
        while (cursor.Next(out var item))
        {
            if (item.Length > key.Length && item[key.Length] == (byte)'=' && item.StartsWith(key))
            {
                value = item[(key.Length + 1)..];
                return true;
            }
        }
        return false;
    }

    // The index of the first comma at depth 0, or the length when there is none.
    private static int TopLevelComma(ReadOnlySpan<byte> s)
    {
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            switch (s[i])
            {
                case (byte)'"':
                    i = StringEnd(s, i);
                    break;
                case (byte)'/' when i + 1 < s.Length && s[i + 1] == (byte)'*':
                    int close = s[(i + 2)..].IndexOf("*/"u8);
                    i = close < 0 ? s.Length : i + 2 + close + 1;
                    break;
                case (byte)'(' or (byte)'[' or (byte)'{':
                    depth++;
                    break;
                case (byte)')' or (byte)']' or (byte)'}':
                    if (depth > 0) depth--;
                    break;
                case (byte)',' when depth == 0:
                    return i;
            }
        }
        return s.Length;
    }

    // The index of the quote that closes the string opening at start (or the last index).
    private static int StringEnd(ReadOnlySpan<byte> s, int start)
    {
        for (int i = start + 1; i < s.Length; i++)
        {
            if (s[i] == (byte)'\\') { i++; continue; }
            if (s[i] == (byte)'"') return i;
        }
        return s.Length - 1;
    }

    /// <summary>A decimal (optionally negative) or 0x hex number, the whole span; no decoration.</summary>
    public static bool TryNumber(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.Length > 2 && s[0] == (byte)'0' && (s[1] | 0x20) == (byte)'x')
        {
            if (!Utf8Parser.TryParse(s[2..], out ulong u, out int used, 'x') || used != s.Length - 2) return false;
            value = (long)u;
            return true;
        }
        return Utf8Parser.TryParse(s, out value, out int n) && n == s.Length && n > 0;
    }

    /// <summary>A pid or other int argument as strace prints it, dropping a -Y/-y decoration and a comment.</summary>
    public static bool TryInt(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        s = StripDecoration(s);
        // strace prints pid_t and int arguments signed: anything outside int is not one.
        if (!TryNumber(s, out long n) || n < int.MinValue || n > int.MaxValue) return false;
        value = (int)n;
        return true;
    }

    /// <summary>Drops what strace appends to a number: <c>&lt;comm&gt;</c> or <c>&lt;/path&gt;</c> (-Y, -y) and <c>/* ... */</c>.</summary>
    public static ReadOnlySpan<byte> StripDecoration(ReadOnlySpan<byte> s)
    {
        s = s.Trim((byte)' ');
        int cut = s.IndexOfAny((byte)'<', (byte)' ');
        return cut > 0 ? s[..cut] : s;
    }

    /// <summary>Decodes a C string as strace quotes it (<c>"/usr/bin/sh"</c>, escapes, a trailing <c>...</c> when cut).</summary>
    public static bool TryString(ReadOnlySpan<byte> s, out string value)
    {
        value = "";
        s = s.Trim((byte)' ');
        if (s.Length < 2 || s[0] != (byte)'"') return false;
        int end = StringEnd(s, 0);
        if (end <= 0 || s[end] != (byte)'"') return false;
        var body = s[1..end];
        if (body.IndexOf((byte)'\\') < 0)
        {
            value = Encoding.UTF8.GetString(body);
            return true;
        }
        var bytes = new byte[body.Length];
        int n = 0;
        for (int i = 0; i < body.Length; i++)
        {
            byte c = body[i];
            if (c != (byte)'\\' || i + 1 == body.Length) { bytes[n++] = c; continue; }
            c = body[++i];
            switch (c)
            {
                case (byte)'n': bytes[n++] = (byte)'\n'; break;
                case (byte)'t': bytes[n++] = (byte)'\t'; break;
                case (byte)'r': bytes[n++] = (byte)'\r'; break;
                case (byte)'v': bytes[n++] = 0x0b; break;
                case (byte)'f': bytes[n++] = 0x0c; break;
                case (byte)'x' when i + 2 < body.Length && Utf8Parser.TryParse(body.Slice(i + 1, 2), out byte hex, out int used, 'x') && used == 2:
                    bytes[n++] = hex;
                    i += 2;
                    break;
                case >= (byte)'0' and <= (byte)'7':
                    int v = 0, k = 0;
                    while (k < 3 && i < body.Length && body[i] is >= (byte)'0' and <= (byte)'7') { v = v * 8 + body[i] - '0'; i++; k++; }
                    i--;
                    bytes[n++] = (byte)v;
                    break;
                default: bytes[n++] = c; break;
            }
        }
        value = Encoding.UTF8.GetString(bytes, 0, n);
        return true;
    }
}
