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
}
