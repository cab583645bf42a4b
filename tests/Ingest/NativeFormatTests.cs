using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Tests.Support;

namespace Replayer.Tests.Ingest;

public sealed class NativeFormatTests
{
    private static string Line(PidEvent ev)
    {
        using var ms = new MemoryStream();
        using (var w = new NativeWriter(ms)) w.Write(ev);
        return Encoding.UTF8.GetString(ms.ToArray()).TrimEnd('\n');
    }

    private static PidEvent Parse(string line) => NativeJson.ParseEvent(Encoding.UTF8.GetBytes(line), "t.jsonl", 7);

    [Fact]
    public void Every_kind_survives_a_round_trip_byte_for_byte()
    {
        foreach (var ev in SampleEvents.OfEveryKind())
        {
            var line = Line(ev);
            var back = Parse(line);
            Assert.Equal(ev.Kind, back.Kind);
            Assert.Equal(line, Line(back));
        }
    }

    [Fact]
    public void Every_kind_keeps_its_fields()
    {
        var kill = (Kill)Parse(Line(SampleEvents.OfEveryKind().OfType<Kill>().Single()));
        Assert.Equal((KillCall.Tgkill, 5, 6, 15, 0L), (kill.Call, kill.Pid, kill.ThreadArg, kill.Sig, kill.Ret!.Value));
        Assert.Equal(new SignalRecord(15, 105, SignalResult.AlreadyPending, -6, false), Assert.Single(kill.Signals));
        var snap = (TaskSnapshot)Parse(Line(SampleEvents.OfEveryKind().OfType<TaskSnapshot>().Single()));
        Assert.Equal([100, 1], snap.NsPid!);
        Assert.Equal(4026532178UL, snap.PidNs);
        Assert.True(snap.Adopted);
        var fork = (Fork)Parse(Line(SampleEvents.OfEveryKind().OfType<Fork>().Single()));
        Assert.True(fork.NewPidNs);
        Assert.Equal([1, 101], fork.SetTid!);
    }

    [Fact]
    public void Keys_in_any_order_give_the_canonical_line()
    {
        var a = Parse("""{"ret":101,"flags":17,"child":101,"kind":"fork","tid":100,"t":6}""");
        var b = Parse("""{"t":6,"tid":100,"kind":"fork","child":101,"flags":17,"ret":101}""");
        Assert.Equal(Line(a), Line(b));
    }

    [Theory]
    [InlineData("""{"t":1,"tid":5,"kind":"forx","child":2}""", "\"kind\" has no value \"forx\"")]
    [InlineData("""{"t":1,"tid":5,"kind":"fork","child":2,"colour":1}""", "unknown key (key \"colour\")")]
    [InlineData("""{"t":1,"tid":5,"kind":"fork"}""", "fork without \"child\"")]
    [InlineData("""{"t":1,"kind":"setsid"}""", "missing \"tid\"")]
    [InlineData("""{"t":1,"tid":99999999,"kind":"setsid"}""", "is not a pid")]
    [InlineData("""{"t":1,"tid":5,"kind":"kill","pid":1,"sig":65}""", "is not a signal number")]
    [InlineData("""{"t":1,"tid":5,"kind":"setsid","ret":123456789012345678901234567890}""", "(key \"ret\")")]
    [InlineData("""{"t":1,"tid":5,"kind":"fork","child":2""", "")]
    [InlineData("""[1,2,3]""", "one JSON object")]
    [InlineData("""{"t":1,"tid":5,"kind":"setsid"} trailing""", "")]
    [InlineData("""{"t":1,"tid":5,"kind":"getid","call":"kill"}""", "\"call\" of a getid")]
    public void A_bad_line_is_reported_with_file_line_and_reason(string line, string reason)
    {
        var e = Assert.Throws<TraceFormatException>(() => Parse(line));
        Assert.Equal("t.jsonl", e.File);
        Assert.Equal(7, e.Line);
        Assert.StartsWith("t.jsonl:7: ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Mangled_lines_give_an_event_or_a_format_error_and_nothing_else()
    {
        var rng = new Random(20261122);
        var lines = SampleEvents.OfEveryKind().Select(Line).ToList();
        for (int i = 0; i < 20000; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(lines[rng.Next(lines.Count)]);
            switch (rng.Next(4))
            {
                case 0: bytes = bytes[..rng.Next(bytes.Length)]; break;
                case 1: bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 2: bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256); break;
                default:
                    var junk = new byte[rng.Next(1, 64)];
                    rng.NextBytes(junk);
                    int at = rng.Next(bytes.Length);
                    bytes = [.. bytes[..at], .. junk, .. bytes[at..]];
                    break;
            }
            try
            {
                NativeJson.ParseEvent(bytes, "fuzz.jsonl", i + 1);
            }
            catch (TraceFormatException e)
            {
                Assert.Equal(i + 1, e.Line);
            }
        }
    }

    [Fact]
    public void A_line_over_one_mebibyte_is_an_error_and_reading_goes_on_after_it()
    {
        var text = "{\"t\":1,\"tid\":5,\"kind\":\"setsid\",\"comm\":\"" + new string('x', 2 << 20) + "\"}\n"
            + """{"t":2,"tid":5,"kind":"setsid"}""" + "\n";
        using var reader = new LineReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), "big.jsonl");
        var e = Assert.Throws<TraceFormatException>(() => reader.TryReadLine(out _));
        Assert.Equal(1, e.Line);
        Assert.True(reader.TryReadLine(out var second));
        Assert.Equal(2, reader.LineNumber);
        Assert.Equal(2, Parse(Encoding.UTF8.GetString(second)).Time);
    }

    [Fact]
    public void Lines_end_with_lf_or_crlf_and_the_last_may_lack_one()
    {
        var text = "a\r\nb\n\nc";
        using var reader = new LineReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), "x", bufferSize: 2);
        var got = new List<string>();
        while (reader.TryReadLine(out var l)) got.Add(Encoding.UTF8.GetString(l));
        Assert.Equal(["a", "b", "", "c"], got);
        Assert.True(reader.LastLineUnterminated);
    }
}
