using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

/// <summary>
/// The store's binary form of an event: the very fields WriteEvent writes as JSON, in the same
/// order and omitted at the same defaults, each a key byte and a value. It decodes through the
/// same Fields.Set and Build as a JSON line, so every range, limit and required field is checked
/// by one piece of code whichever form a stored event is in.
/// <code>
/// event   = 0x01 field* 0xFF      0x01 is BinaryTag, the form's version: no JSON text starts with it
/// field   = key value             key: the Key's number, one byte (seq 0, t 1, host 2, tid 3, ...)
/// signed  = varint of the zigzag  (n &lt;&lt; 1) ^ (n >> 63): seq, t, ret, every pid and small number
/// unsigned= varint                flags, pidns, sa_flags, arg2, nstype, target_ns, cap_*, arg3, blocked
/// string  = varint n, n bytes     UTF-8
/// enum    = one byte              kind, handler, action: the index in Names; call: the index in
///                                 fork's, getid's, kill's and wait's calls one after the other
/// flag    = one byte, 1           adopted, group, at_notice, ... (0, false, is read but never written)
/// numbers = varint n, n signed    nspid, nspgid, nssid, set_tid
/// signals = varint n, n signal
/// signal  = one byte of members (bit k: SignalKey k, sig 0, to 1, res 2, code 3, group 4),
///           then the members present, in that order, as signed numbers and a flag
/// </code>
/// A varint is LEB128, seven bits a byte, low first, in its shortest form. The end byte makes
/// every cut of an event an error, never a shorter event that happens to be whole.
/// </summary>
public static partial class NativeJson
{
    /// <summary>The first byte of every binary event: the form's version, and no byte a JSON text may start with.</summary>
    public const byte BinaryTag = 0x01;

    // Ends the fields: a byte no Key numbers.
    private const byte BinaryEnd = 0xFF;

    // A key and the longest varint, the most any number field takes.
    private const int MaxNumberField = 1 + 10;

    /// <summary>Appends the event's binary form: one event always gives the same bytes.</summary>
    public static void WriteBinary(IBufferWriter<byte> output, PidEvent ev)
    {
        var sink = new BinarySink(output);
        sink.Byte(BinaryTag);
        WriteFields(ref sink, ev);
        sink.Byte(BinaryEnd);
        sink.Flush();
    }

    /// <summary>A stored event in either form, told apart by its first byte.</summary>
    public static PidEvent ParseStored(ReadOnlySpan<byte> data, string file, long lineNo)
    {
        if (!data.IsEmpty && data[0] == (byte)'{') return ParseEvent(data, file, lineNo);
        if (!data.IsEmpty && data[0] == BinaryTag) return ParseBinary(data, file, lineNo);
        throw NeitherForm(data, file, lineNo);
    }

    /// <summary>Reads one event's binary form; every problem is reported as file:line, with the byte and key at fault.</summary>
    public static PidEvent ParseBinary(ReadOnlySpan<byte> data, string file, long lineNo)
    {
        if (data.IsEmpty || data[0] != BinaryTag) throw NotBinary(data, file, lineNo);
        var f = new Fields();
        var source = new BinarySource(data);
        int key = -1;
        try
        {
            // The keys met, one bit each: 0 to 63 in the first word, 64 on in the second.
            ulong seen = 0, seenHigh = 0;
            for (int next = source.NextKey(); next >= 0; next = source.NextKey(), key = -1)
            {
                key = next;
                // Fields keeps the last of a key met twice, as a JSON line may have it; the writer
                // never repeats one, so here a repeat is damage.
                ref ulong word = ref key < 64 ? ref seen : ref seenHigh;
                ulong bit = 1UL << (key & 63);
                if ((word & bit) != 0) throw Twice(source.At - 1);
                word |= bit;
                f.Set((Key)key, ref source);
            }
            if (!source.AtEnd) throw AfterEnd(data.Length - source.At, source.At);
            return f.Build();
        }
        catch (FormatException e)
        {
            throw Damaged(file, lineNo, e, key);
        }
    }

    // The messages are made out of line: their formatting would otherwise widen the frames
    // ParseStored and ParseBinary clear on every call.
    private static TraceFormatException NeitherForm(ReadOnlySpan<byte> data, string file, long lineNo) =>
        new(file, lineNo, data.IsEmpty
            ? "a stored event with no bytes"
            : $"a stored event begins with byte 0x{data[0]:x2}: neither a JSON object nor the binary form (0x{BinaryTag:x2})");

    private static TraceFormatException NotBinary(ReadOnlySpan<byte> data, string file, long lineNo) =>
        new(file, lineNo, data.IsEmpty
            ? "binary event: no bytes"
            : $"binary event: begins with byte 0x{data[0]:x2}, not the binary form's tag 0x{BinaryTag:x2}");

    private static FormatException Twice(int at) => new($"a second value at byte {at}");

    private static FormatException AfterEnd(int bytes, int at) => new($"{bytes} bytes after the event's end, at byte {at}");

    private static TraceFormatException Damaged(string file, long lineNo, FormatException e, int key) =>
        new(file, lineNo, $"binary event: {e.Message}{(key >= 0 ? $" (key \"{Spelling((Key)key)}\")" : "")}");

    /// <summary>
    /// The fields as bytes, straight into the output's memory: it asks for room only when the
    /// span it has is too short for the next field, so a whole event is usually one request.
    /// </summary>
    private ref struct BinarySink(IBufferWriter<byte> output) : IFieldSink
    {
        private readonly IBufferWriter<byte> _output = output;  // where the event goes
        private Span<byte> _span;                               // memory the output lent, not yet advanced over
        private int _at;                                        // bytes of _span written

        /// <summary>At least <paramref name="bytes"/> free bytes, the written ones handed over first.</summary>
        private Span<byte> Room(int bytes)
        {
            if (_span.Length - _at < bytes)
            {
                if (_at > 0) _output.Advance(_at);
                _span = _output.GetSpan(Math.Max(bytes, 256));
                _at = 0;
            }
            return _span[_at..];
        }

        public void Flush()
        {
            _output.Advance(_at);
            _span = default;
            _at = 0;
        }

        public void Byte(byte b)
        {
            Room(1)[0] = b;
            _at++;
        }

        private static int Varint(Span<byte> to, ulong v)
        {
            int n = 0;
            for (; v >= 0x80; v >>= 7) to[n++] = (byte)(v | 0x80);
            to[n++] = (byte)v;
            return n;
        }

        private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

        public void Number(Key key, long value) => Unsigned(key, ZigZag(value));

        public void Unsigned(Key key, ulong value)
        {
            var to = Room(MaxNumberField);
            to[0] = (byte)key;
            _at += 1 + Varint(to[1..], value);
        }

        public void String(Key key, string value)
        {
            // A lone surrogate becomes U+FFFD, as Utf8JsonWriter makes it: both forms read back alike.
            int bytes = Encoding.UTF8.GetByteCount(value);
            var to = Room(MaxNumberField + bytes);
            to[0] = (byte)key;
            int n = 1 + Varint(to[1..], (ulong)bytes);
            _at += n + Encoding.UTF8.GetBytes(value, to[n..]);
        }

        public void Name(Key key, Spellings names, int index)
        {
            var to = Room(2);
            to[0] = (byte)key;
            to[1] = (byte)index;
            _at += 2;
        }

        public void True(Key key)
        {
            var to = Room(2);
            to[0] = (byte)key;
            to[1] = 1;
            _at += 2;
        }

        public void Numbers(Key key, int[] values)
        {
            var to = Room(MaxNumberField);
            to[0] = (byte)key;
            _at += 1 + Varint(to[1..], (ulong)values.Length);
            foreach (var v in values)
            {
                // Room may hand the bytes over and start _at again: ask before adding to it.
                to = Room(10);
                _at += Varint(to, ZigZag(v));
            }
        }

        public void Signals(Key key, SignalRecord[] signals)
        {
            var to = Room(MaxNumberField);
            to[0] = (byte)key;
            _at += 1 + Varint(to[1..], (ulong)signals.Length);
            foreach (var s in signals) Signal(s);
        }

        public void Signal(Key key, SignalRecord signal)
        {
            Byte((byte)key);
            Signal(signal);
        }

        // The members JSON writes (code only when not 0, group only when set), flagged in one byte.
        private void Signal(SignalRecord s)
        {
            var to = Room(1 + 4 * 10 + 1);
            int members = 1 << (int)SignalKey.Sig | 1 << (int)SignalKey.To | 1 << (int)SignalKey.Res
                | (s.Code != 0 ? 1 << (int)SignalKey.Code : 0) | (s.Group ? 1 << (int)SignalKey.Group : 0);
            to[0] = (byte)members;
            int n = 1;
            n += Varint(to[n..], ZigZag(s.Sig));
            n += Varint(to[n..], ZigZag(s.To));
            n += Varint(to[n..], ZigZag((int)s.Result));
            if (s.Code != 0) n += Varint(to[n..], ZigZag(s.Code));
            if (s.Group) to[n++] = 1;
            _at += n;
        }
    }

    /// <summary>
    /// The binary form's values, for Fields: what type a value is follows from its key, so each
    /// getter just reads its encoding, and any byte that cannot be one is a FormatException
    /// that says where. A length is checked against the bytes left before anything is made of it.
    /// </summary>
    private ref struct BinarySource(ReadOnlySpan<byte> data) : IValueSource
    {
        private readonly ReadOnlySpan<byte> _data = data;  // the whole event, tag included
        private int _at = 1;                                // the next byte to read
        private int _elements;                              // elements of the array being read not yet moved onto
        private int _members;                               // members of the signal being read not yet read, one bit each

        /// <summary>The offset of the next byte.</summary>
        public readonly int At => _at;

        public readonly bool AtEnd => _at == _data.Length;

        /// <summary>The next field's key, or -1 at the end byte.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int NextKey()
        {
            int key = Byte();
            if (key < KeyCount) return key;
            return key == BinaryEnd ? -1 : throw NoKey(key, _at - 1);
        }

        private static FormatException NoKey(int key, int at) => new($"byte 0x{key:x2} at byte {at} is no key");

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private byte Byte()
        {
            int at = _at;
            if ((uint)at >= (uint)_data.Length) throw Truncated();
            _at = at + 1;
            return _data[at];
        }

        private readonly FormatException Truncated() => new($"the event is cut short after {_data.Length} bytes");

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong Varint()
        {
            int at = _at;
            if ((uint)at < (uint)_data.Length && _data[at] < 0x80)
            {
                _at = at + 1;
                return _data[at];
            }
            return LongVarint();
        }

        /// <summary>
        /// A varint of more than one byte. Where eight bytes are left, it is found in one word:
        /// its last byte is the first without the high bit, and its seven-bit groups are packed
        /// together in three steps, with no branch per byte for the branch predictor to miss.
        /// </summary>
        private ulong LongVarint()
        {
            var data = _data;
            int start = _at;
            if (data.Length - start >= 8)
            {
                ulong word = BinaryPrimitives.ReadUInt64LittleEndian(data[start..]);
                ulong ends = ~word & 0x8080808080808080UL;
                if (ends != 0)
                {
                    int bits = BitOperations.TrailingZeroCount(ends) + 1;  // through the last byte's high bit
                    if ((byte)(word >> (bits - 8)) == 0) throw NotShortest(start);
                    ulong v = word & (ulong.MaxValue >> (64 - bits)) & 0x7F7F7F7F7F7F7F7FUL;
                    v = (v & 0x007F007F007F007FUL) | (v & 0x7F007F007F007F00UL) >> 1;
                    v = (v & 0x00003FFF00003FFFUL) | (v & 0x3FFF00003FFF0000UL) >> 2;
                    v = (v & 0x000000000FFFFFFFUL) | (v & 0x0FFFFFFF00000000UL) >> 4;
                    _at = start + bits / 8;
                    return v;
                }
            }
            return SlowVarint();
        }

        /// <summary>A varint near the end of the event, or of nine or ten bytes: byte by byte.</summary>
        private ulong SlowVarint()
        {
            int start = _at;
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = Byte();
                // The tenth byte holds the 64th bit alone.
                if (shift == 63 && b > 1) throw new FormatException($"a number longer than 64 bits at byte {start}");
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return b == 0 && shift > 0 ? throw NotShortest(start) : v;
            }
        }

        private static FormatException NotShortest(int at) => new($"a number not in its shortest form at byte {at}");

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public long GetInt64()
        {
            ulong z = Varint();
            return (long)(z >> 1) ^ -(long)(z & 1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int GetInt32()
        {
            int start = _at;
            long v = GetInt64();
            return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw TooBig(v, start);
        }

        private static FormatException TooBig(long v, int at) => new($"{v} at byte {at} does not fit 32 bits");

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong GetUInt64() => Varint();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool GetBoolean() => Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw NotABoolean(b, _at - 1),
        };

        private static FormatException NotABoolean(byte b, int at) => new($"byte 0x{b:x2} at byte {at} is neither true (1) nor false (0)");

        /// <summary>The bytes left, as a bound on any count or length that claims to be in them.</summary>
        private readonly int Left => _data.Length - _at;

        public string GetString(int max)
        {
            int start = _at;
            ulong length = Varint();
            if (length > (ulong)Left) throw new FormatException($"a string of {length} bytes at byte {start}, where {Left} are left");
            var bytes = _data.Slice(_at, (int)length);
            _at += bytes.Length;
            // A char takes at most three bytes of UTF-8: more than that cannot be max chars.
            if (bytes.Length > 3 * max) throw TooLong(max);
            if (Ascii.IsValid(bytes))
            {
                if (bytes.Length > max) throw TooLong(max);
                return bytes.Length <= MaxComm ? Intern.Get(bytes) : Encoding.ASCII.GetString(bytes);
            }
            if (bytes.Length <= MaxComm)
            {
                Span<char> chars = stackalloc char[MaxComm];
                if (Utf8.ToUtf16(bytes, chars, out _, out int n, replaceInvalidSequences: false) != OperationStatus.Done)
                    throw NotUtf8(start);
                return n <= max ? Intern.Get(chars[..n]) : throw TooLong(max);
            }
            if (!Utf8.IsValid(bytes)) throw NotUtf8(start);
            var s = Encoding.UTF8.GetString(bytes);
            return s.Length <= max ? s : throw TooLong(max);
        }

        private static FormatException TooLong(int max) => new($"string longer than {max} characters");

        private static FormatException NotUtf8(int at) => new($"the string at byte {at} is not UTF-8");

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int GetName(Spellings names, string key)
        {
            int i = Byte();
            return i < names.Names.Length ? i : throw NoSuchName(names, key, i, _at - 1);
        }

        private static FormatException NoSuchName(Spellings names, string key, int i, int at) =>
            new($"\"{key}\" has no value number {i} at byte {at} (there are {names.Names.Length}: {string.Join(", ", names.Names)})");

        public bool StartArray()
        {
            int start = _at;
            ulong count = Varint();
            // Every element takes a byte at least.
            if (count > (ulong)Left) throw new FormatException($"an array of {count} elements at byte {start}, where {Left} bytes are left");
            _elements = (int)count;
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool NextElement()
        {
            if (_elements == 0) return false;
            _elements--;
            return true;
        }

        public bool StartObject()
        {
            int members = Byte();
            if (members >> SignalKeyCount != 0)
                throw new FormatException($"a signal's members 0x{members:x2} at byte {_at - 1} name members that do not exist");
            _members = members;
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool NextSignalKey(out int key)
        {
            key = BitOperations.TrailingZeroCount(_members);
            _members &= _members - 1;
            return key < SignalKeyCount;
        }
    }

    // How many keys and signal members there are (LostEvents and Group are the last): a byte or bit
    // beyond them is none. Constants, so that no read of them waits on NativeJson's statics.
    private const int KeyCount = (int)Key.LostEvents + 1;
    private const int SignalKeyCount = (int)SignalKey.Group + 1;
}
