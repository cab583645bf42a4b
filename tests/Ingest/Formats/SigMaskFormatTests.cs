using System.Buffers;
using System.Text;
using System.Text.Json;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>
/// The sigmask kind and the snapshot's blocked mask in both native forms: written as the capability
/// sets are (an unsigned decimal number), read back alike from JSON text and the binary form, absent
/// when the capture does not follow masks, and refused when missing or not a number.
/// </summary>
public sealed class SigMaskFormatTests
{
    private const string File = "masks.jsonl";

    private static string Json(PidEvent ev)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) NativeJson.WriteEvent(w, ev);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static byte[] Binary(PidEvent ev)
    {
        var buffer = new ArrayBufferWriter<byte>();
        NativeJson.WriteBinary(buffer, ev);
        return buffer.WrittenSpan.ToArray();
    }

    private static PidEvent FromJson(string line) => NativeJson.ParseEvent(Encoding.UTF8.GetBytes(line), File, 4);

    private static PidEvent FromBinary(PidEvent ev) => NativeJson.ParseBinary(Binary(ev), File, 4);

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x10002UL)]  // SIGINT and SIGCHLD
    [InlineData(ulong.MaxValue)]
    public void A_sigmask_event_reads_back_from_both_forms(ulong blocked)
    {
        var ev = new SigMask { Host = "h", Seq = 9, Time = 12, Tid = 4200, Comm = "su", Blocked = blocked };
        string line = Json(ev);
        Assert.Equal($"{{\"seq\":9,\"t\":12,\"host\":\"h\",\"tid\":4200,\"comm\":\"su\",\"kind\":\"sigmask\",\"blocked\":{blocked}}}", line);
        // The writer's own line is taken by the canonical scanner, twenty digits and all.
        Assert.Equal(line, Json(NativeJson.TryParseCanonical(Encoding.UTF8.GetBytes(line)) ?? throw new Xunit.Sdk.XunitException("the scanner gave up")));
        foreach (var back in new[] { FromJson(line), FromBinary(ev) })
        {
            var mask = Assert.IsType<SigMask>(back);
            Assert.Equal(EventKind.SigMask, mask.Kind);
            Assert.Equal(blocked, mask.Blocked);
            Assert.Equal(line, Json(mask));
        }
    }

    [Fact]
    public void The_snapshots_mask_is_written_like_the_capability_sets_and_kept_through_both_forms()
    {
        var snap = new TaskSnapshot { Tid = 7, Tgid = 7, CapPrm = 0x1ffffffffff, Blocked = 0x1ffffffffff };
        string line = Json(snap);
        Assert.Contains("\"cap_prm\":2199023255551", line);
        Assert.EndsWith(",\"blocked\":2199023255551}", line);
        Assert.Equal(0x1ffffffffffUL, ((TaskSnapshot)FromJson(line)).Blocked);
        Assert.Equal(0x1ffffffffffUL, ((TaskSnapshot)FromBinary(snap)).Blocked);
        // Nothing blocked is a mask the capture read, not an unknown one.
        var none = snap with { Blocked = 0 };
        Assert.EndsWith(",\"blocked\":0}", Json(none));
        Assert.Equal(0UL, ((TaskSnapshot)FromJson(Json(none))).Blocked);
        Assert.Equal(0UL, ((TaskSnapshot)FromBinary(none)).Blocked);
    }

    [Fact]
    public void A_snapshot_without_a_mask_writes_nothing_for_it_and_reads_back_without_one()
    {
        var snap = new TaskSnapshot { Tid = 7, Tgid = 7, PPid = 1, Uids = [0, 0, 0], NoNewPrivs = true };
        Assert.Null(snap.Blocked);
        string line = Json(snap);
        Assert.Equal("{\"t\":0,\"host\":\"\",\"tid\":7,\"comm\":\"\",\"kind\":\"snapshot\",\"tgid\":7,\"ppid\":1,\"pgid\":0,\"sid\":0,\"uids\":[0,0,0],\"no_new_privs\":true}", line);
        Assert.Null(((TaskSnapshot)FromJson(line)).Blocked);
        Assert.Null(((TaskSnapshot)FromBinary(snap)).Blocked);
        // Set, it is one more field, the last: key 55 and its value, before the end byte.
        Assert.Equal([.. Binary(snap)[..^1], 55, 5, 0xFF], Binary(snap with { Blocked = 5 }));
    }

    [Fact]
    public void The_binary_form_numbers_the_kind_17_and_the_blocked_key_55()
    {
        // tag, t 0, host "", tid 5, comm "", kind 17, key 55 with 0x10002 as a varint, end.
        byte[] expected = [NativeJson.BinaryTag, 1, 0, 2, 0, 3, 10, 4, 0, 5, 17, 55, 0x82, 0x80, 0x04, 0xFF];
        Assert.Equal(expected, Binary(new SigMask { Tid = 5, Blocked = 0x10002 }));
        Assert.Equal(0x10002UL, Assert.IsType<SigMask>(NativeJson.ParseBinary(expected, File, 4)).Blocked);
    }

    [Theory]
    [InlineData("""{"tid":5,"kind":"sigmask"}""", "sigmask without \"blocked\"")]
    [InlineData("""{"tid":5,"kind":"sigmask","ret":0}""", "sigmask without \"blocked\"")]
    [InlineData("""{"tid":5,"kind":"sigmask","blocked":"0x10002"}""", "(key \"blocked\")")]
    [InlineData("""{"tid":5,"kind":"sigmask","blocked":null}""", "(key \"blocked\")")]
    [InlineData("""{"tid":5,"kind":"sigmask","blocked":true}""", "(key \"blocked\")")]
    [InlineData("""{"tid":5,"kind":"sigmask","blocked":-1}""", "(key \"blocked\")")]
    [InlineData("""{"tid":5,"kind":"sigmask","blocked":1.5}""", "(key \"blocked\")")]
    [InlineData("""{"tid":5,"kind":"sigmask","blocked":18446744073709551616}""", "(key \"blocked\")")]
    [InlineData("""{"tid":5,"kind":"sigmask","blocked":[1]}""", "(key \"blocked\")")]
    [InlineData("""{"tid":5,"kind":"snapshot","blocked":"0"}""", "(key \"blocked\")")]
    public void A_garbled_mask_is_refused_with_file_line_and_reason(string line, string reason)
    {
        var e = Assert.Throws<TraceFormatException>(() => FromJson(line));
        Assert.Equal((File, 4L), (e.File, e.Line));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_binary_sigmask_without_its_mask_is_refused()
    {
        byte[] data = [NativeJson.BinaryTag, 3, 10, 5, 17, 0xFF];
        var e = Assert.Throws<TraceFormatException>(() => NativeJson.ParseBinary(data, File, 4));
        Assert.Contains("sigmask without \"blocked\"", e.Reason);
    }
}
