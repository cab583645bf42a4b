using Replayer.Replay.Engine;

namespace Replayer.Tests.Replay.Engine;

public sealed class SnapshotBufferTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65535)]
    [InlineData(65536)]
    [InlineData(65537)]
    [InlineData(300_001)]
    public void Copies_out_every_byte_written_in_order_across_blocks(int length)
    {
        var rng = new Random(length);
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        using var buffer = new SnapshotBuffer();
        // Writes of every size, single bytes among them, so that some straddle a block's end.
        for (int at = 0; at < length;)
        {
            int n = Math.Min(length - at, rng.Next(0, 5) == 0 ? 1 : rng.Next(1, 40_000));
            if (n == 1) buffer.WriteByte(bytes[at]);
            else buffer.Write(bytes, at, n);
            at += n;
        }
        Assert.Equal(length, buffer.Length);
        var output = new MemoryStream();
        buffer.CopyOut(output);
        Assert.Equal(bytes, output.ToArray());
    }

    [Fact]
    public void A_disposed_buffer_holds_nothing()
    {
        var buffer = new SnapshotBuffer();
        buffer.Write(new byte[100_000]);
        buffer.Dispose();
        var output = new MemoryStream();
        buffer.CopyOut(output);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void Appended_parts_come_in_place_without_their_bytes_copied_and_the_whole_reads_back_in_order()
    {
        var rng = new Random(7);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            rng.NextBytes(b);
            return b;
        }
        var head = Bytes(10);
        var first = Bytes(70_000);
        var middle = Bytes(3);
        var second = Bytes(65_536);
        var tail = Bytes(100_000);
        using var whole = new SnapshotBuffer();
        whole.Write(head);
        using (var part = new SnapshotBuffer())
        {
            part.Write(first);
            whole.Append(part);
            Assert.Equal(0, part.Length);
            var empty = new MemoryStream();
            part.CopyOut(empty);
            Assert.Equal(0, empty.Length);
        }
        whole.Write(middle);
        whole.Append(Array.Empty<byte>());
        var handed = Bytes(1_000);
        whole.Append(handed);
        using (var part = new SnapshotBuffer())
        {
            part.Write(second);
            whole.Append(part);
        }
        whole.Write(tail);
        byte[] expected = [.. head, .. first, .. middle, .. handed, .. second, .. tail];
        Assert.Equal(expected.Length, whole.Length);

        var copied = new MemoryStream();
        whole.CopyOut(copied);
        Assert.Equal(expected, copied.ToArray());

        // Read as a store reads it: the length first, then in pieces of any size.
        using var read = whole.OpenRead();
        Assert.Equal(expected.Length, read.Length);
        Assert.Equal(0, read.Position);
        var got = new MemoryStream();
        var piece = new byte[50_000];
        for (int n; (n = read.Read(piece, 0, rng.Next(1, piece.Length))) > 0;) got.Write(piece, 0, n);
        Assert.Equal(expected, got.ToArray());
        Assert.Equal(expected.Length, read.Position);
        Assert.Equal(0, read.Read(piece, 0, piece.Length));
    }

    [Fact]
    public void A_buffer_cannot_be_appended_to_itself()
    {
        using var buffer = new SnapshotBuffer();
        buffer.Write(new byte[10]);
        Assert.Throws<ArgumentException>(() => buffer.Append(buffer));
        Assert.Equal(10, buffer.Length);
    }

    [Fact]
    public void Writes_between_handed_over_arrays_share_one_block_rather_than_taking_one_each()
    {
        // A host's snapshot: a length, then a container's books, thousands of times. A block per
        // length would be 64 KiB for 4 bytes: 350 MB at 5,400 containers.
        using var buffer = new SnapshotBuffer();
        var books = new byte[100];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            buffer.Write(BitConverter.GetBytes(i));
            buffer.Append(books);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1_000_000, $"{allocated:N0} bytes allocated for 1,000 lengths");
        var output = new MemoryStream();
        buffer.CopyOut(output);
        var bytes = output.ToArray();
        Assert.Equal(104_000, bytes.Length);
        for (int i = 0; i < 1_000; i++) Assert.Equal(i, BitConverter.ToInt32(bytes, i * 104));
    }
}
