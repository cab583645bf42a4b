using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

public static partial class NativeJson
{
    /// <summary>
    /// Reads a line exactly as NativeJson.WriteEvent writes it, straight from its bytes: the event,
    /// or null when the line is anything else or wrong in any way. ParseEvent then reads it again
    /// with the general reader, which alone words errors; so this path never has to be right about
    /// what is wrong, only sure of what it accepts.
    /// </summary>
    internal static PidEvent? TryParseCanonical(ReadOnlySpan<byte> line)
    {
        // One vectorised pass rules out escapes, control bytes and UTF-8 everywhere, so a string
        // is then just the bytes up to its closing quote.
        if (line.ContainsAnyExcept(CanonicalBytes)) return null;
        var s = new CanonicalScanner(line);
        var f = new Fields();
        try
        {
            if (!s.Take((byte)'{')) return null;
            while (s.NextKey(EventKeys, out int key))
                f.Set((Key)key, ref s);
            return s.Failed || !s.AtEnd ? null : f.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            // A value out of range, or a field missing: the general reader says which, and it
            // turns the same exceptions into its messages.
            return null;
        }
    }

    /// <summary>Printable ASCII but the backslash: the bytes of a canonical line.</summary>
    private static readonly SearchValues<byte> CanonicalBytes =
        SearchValues.Create([.. Enumerable.Range(0x20, 0x7F - 0x20).Where(b => b != '\\').Select(b => (byte)b)]);

    /// <summary>
    /// The canonical subset of JSON, which is all NativeJson.WriteEvent writes: no whitespace, keys
    /// and strings of printable ASCII (one char a byte) with no escape, integers as [-]digits with
    /// no leading zero, true and false. Anything else, and it stops with Failed set and hands out
    /// harmless values (0, "", false, no elements) until the caller sees Failed.
    /// </summary>
    private ref struct CanonicalScanner : IValueSource
    {
        private readonly ReadOnlySpan<byte> _line;  // the line, without its line end
        private int _at;                            // the next byte to read

        /// <summary>The line left the canonical subset: what was read from it means nothing.</summary>
        public bool Failed { get; private set; }

        public CanonicalScanner(ReadOnlySpan<byte> line) => _line = line;

        public readonly bool AtEnd => _at == _line.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Take(byte b)
        {
            if (_at >= _line.Length || _line[_at] != b) return false;
            _at++;
            return true;
        }

        private bool Take(ReadOnlySpan<byte> word)
        {
            if (!_line[_at..].StartsWith(word)) return false;
            _at += word.Length;
            return true;
        }

        private T Fail<T>(T harmless) where T : allows ref struct
        {
            Failed = true;
            return harmless;
        }

        /// <summary>Moves past the next "key": of the object the scanner is in; false at its end.</summary>
        public bool NextKey(Spellings keys, out int key)
        {
            key = -1;
            if (Failed || Take((byte)'}')) return false;
            // The first key follows the brace, every other one a comma.
            if (_line[_at - 1] != '{' && !Take((byte)',')) return Fail(false);
            key = Quoted(keys);
            return (key >= 0 && Take((byte)':')) || Fail(false);
        }

        /// <summary>
        /// The index of the quoted spelling (a key, or an enum's value) at the scanner, or -1. It
        /// is read as two words: its bytes, with the closing quote and all after it masked off,
        /// are the spelling packed as Spellings packs it (the line has no NUL to pass for padding).
        /// One of 16 bytes or more, or one near the line's end, is read byte by byte.
        /// </summary>
        private int Quoted(Spellings keys)
        {
            var line = _line;
            int at = _at + 1;
            if (line.Length - at >= 16 && line[_at] == '"')
            {
                ulong lo = BinaryPrimitives.ReadUInt64LittleEndian(line[at..]);
                int n = QuoteIn(lo);
                if (n < 8)
                {
                    _at = at + n + 1;
                    return keys.Find(lo & Below(n), 0);
                }
                ulong hi = BinaryPrimitives.ReadUInt64LittleEndian(line[(at + 8)..]);
                n = QuoteIn(hi);
                if (n < 8)
                {
                    _at = at + 8 + n + 1;
                    return keys.Find(lo, hi & Below(n));
                }
            }
            var name = Text();
            return Failed ? -1 : keys.Find(name);
        }

        // Where the first '"' is among a word's 8 bytes, 8 for none: the classic test for a zero
        // byte, on the word xor quotes. Borrows can mark bytes above the first zero, never below.
        private static int QuoteIn(ulong word)
        {
            ulong x = word ^ 0x2222222222222222UL;
            return BitOperations.TrailingZeroCount((x - 0x0101010101010101UL) & ~x & 0x8080808080808080UL) >> 3;
        }

        private static ulong Below(int bytes) => (1UL << (8 * bytes)) - 1;

        /// <summary>A string's bytes up to its closing quote (the line holds no backslash: none is escaped).</summary>
        private ReadOnlySpan<byte> Text()
        {
            // Locals, not fields, in the loops: the scanner lives in memory, passed by reference.
            var line = _line;
            int at = _at;
            if ((uint)at < (uint)line.Length && line[at] == '"')
            {
                for (int start = ++at; (uint)at < (uint)line.Length; at++)
                {
                    if (line[at] != '"') continue;
                    _at = at + 1;
                    return line[start..at];
                }
            }
            return Fail(ReadOnlySpan<byte>.Empty);
        }

        /// <summary>
        /// An integer's sign and magnitude. Utf8JsonWriter writes neither -0 nor a leading zero;
        /// a fraction, an exponent or a 20th digit is left unread for the caller's next Take to fail on
        /// (GetUInt64 takes a 20th itself: a 64-bit mask with its high bits set has one).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Integer(out ulong magnitude, out bool negative)
        {
            negative = Take((byte)'-');
            var line = _line;
            int start = _at, at = start;
            ulong v = 0;
            for (int end = Math.Min(line.Length, start + 19); at < end; at++)
            {
                uint d = (uint)(line[at] - '0');
                if (d > 9) break;
                v = v * 10 + d;
            }
            _at = at;
            magnitude = v;
            int digits = at - start;
            if (digits == 0 || (digits > 1 && line[start] == '0') || (negative && v == 0)) return Fail(false);
            return true;
        }

        public int GetInt32()
        {
            if (!Integer(out ulong m, out bool negative) || m > (negative ? 1UL << 31 : int.MaxValue)) return Fail(0);
            return negative ? (int)-(long)m : (int)m;
        }

        public long GetInt64()
        {
            if (!Integer(out ulong m, out bool negative) || m > long.MaxValue) return Fail(0L);
            return negative ? -(long)m : (long)m;
        }

        public ulong GetUInt64()
        {
            if (!Integer(out ulong m, out bool negative) || negative) return Fail(0UL);
            // A digit still there follows 19 others: take it if the whole fits, up to 18446744073709551615.
            if (_at < _line.Length && (uint)(_line[_at] - '0') is var d and <= 9)
            {
                if (m > (ulong.MaxValue - d) / 10) return Fail(0UL);
                m = m * 10 + d;
                _at++;
            }
            return m;
        }

        public bool GetBoolean()
        {
            if (Take("true"u8)) return true;
            if (Take("false"u8)) return false;
            return Fail(false);
        }

        public string GetString(int max)
        {
            var text = Text();
            if (Failed || text.Length > max) return Fail("");
            return text.Length <= MaxComm ? Intern.Get(text) : System.Text.Encoding.ASCII.GetString(text);
        }

        public int GetName(Spellings names, string key)
        {
            int i = Quoted(names);
            return i >= 0 ? i : Fail(0);
        }

        public bool StartArray() => Take((byte)'[') || Fail(false);

        public bool NextElement()
        {
            if (Failed || Take((byte)']')) return false;
            // The first element follows the bracket, every other one a comma.
            return _line[_at - 1] == '[' || Take((byte)',') || Fail(false);
        }

        public bool StartObject() => Take((byte)'{') || Fail(false);

        public bool NextSignalKey(out int key) => NextKey(SignalKeys, out key);
    }
}
