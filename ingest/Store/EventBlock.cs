namespace Replayer.Ingest.Store;

/// <summary>
/// Several events of one stream in one stored value, as an SQLite store of schema version 3 keeps
/// them: consecutive revisions from the block's first, each event's data as its length (a LEB128
/// varint, seven bits a byte, low first) and its bytes. A replay reads a stream a block at a time
/// instead of a row an event: SQLite's own work for a row (its opcodes, the cursor, the column
/// calls) was about 170 ns, a tenth of a 10M-event replay's CPU, and the rows themselves carried
/// an id, a type and a time the replay never reads (75 of their 120 bytes).
/// </summary>
internal static class EventBlock
{
    /// <summary>Events a block holds at most: a reader that wants revision r finds it in a block starting at r - (MaxEvents - 1) or later.</summary>
    public const int MaxEvents = 64;

    /// <summary>Bytes a block of more than one event holds at most, so that it stays within a page of the table.</summary>
    public const int MaxBytes = 8 << 10;

    /// <summary>Writes an event's length and data at the start of <paramref name="to"/>; the bytes written.</summary>
    public static int Write(Span<byte> to, ReadOnlySpan<byte> data)
    {
        int n = 0;
        uint v = (uint)data.Length;
        for (; v >= 0x80; v >>= 7) to[n++] = (byte)(v | 0x80);
        to[n++] = (byte)v;
        data.CopyTo(to[n..]);
        return n + data.Length;
    }

    /// <summary>The room one event takes in a block.</summary>
    public static int Size(int length)
    {
        int n = 1;
        for (uint v = (uint)length; v >= 0x80; v >>= 7) n++;
        return n + length;
    }

    /// <summary>
    /// The next event of a block from <paramref name="at"/>: its data, with <paramref name="at"/>
    /// moved past it. A length that is cut, too long, or runs past the block's end is damage.
    /// </summary>
    public static ReadOnlySpan<byte> Next(ReadOnlySpan<byte> block, ref int at)
    {
        uint length = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (at >= block.Length || shift > 28) throw Damaged(at);
            byte b = block[at++];
            length |= (uint)(b & 0x7F) << shift;
            if (b < 0x80) break;
        }
        if (length > (uint)(block.Length - at)) throw Damaged(at);
        var data = block.Slice(at, (int)length);
        at += (int)length;
        return data;
    }

    /// <summary>After the last of a block's <paramref name="count"/> events, at <paramref name="at"/>: any byte left is damage.</summary>
    public static void End(ReadOnlySpan<byte> block, int at, long first, long count)
    {
        if (at != block.Length)
            throw new InvalidDataException($"the block of revisions {first} to {first + count - 1} holds more than its {count} events");
    }

    private static InvalidDataException Damaged(int at) => new($"an event block is damaged at byte {at}");
}
