using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Synthetic;
using Replayer.Replay.Synthetic;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>
/// The canonical scanner in NativeJson reads the writer's own lines without Utf8JsonReader. It must
/// give the very event the general reader gives, and on any other line give up so that the general
/// reader's event or error is what ParseEvent returns.
/// </summary>
public sealed partial class CanonicalJsonTests
{
    private static byte[] Native(PidEvent ev)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) NativeJson.WriteEvent(w, ev);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Every event of every real capture, as the native line the store keeps.</summary>
    private static IEnumerable<(string Source, byte[] Line)> CaptureLines()
    {
        var files = CaptureFiles.All().Select(a => CaptureFiles.Path_((string)a[0]))
            .Concat(Directory.GetFiles(Path.Combine(CaptureFiles.Root, "traces", "fresh"), "*.capture").Order(StringComparer.Ordinal));
        foreach (var path in files)
            foreach (var ev in CaptureFiles.Read(path).Events)
                yield return (Path.GetFileName(path), Native(ev));
    }

    /// <summary>Every built-in workload, a few tens of thousands of events each.</summary>
    private static IEnumerable<(string Source, byte[] Line)> WorkloadLines(int events)
    {
        foreach (var name in WorkloadSpec.Names)
        {
            var spec = WorkloadSpec.Named(name) with { Events = events, Containers = 6, TasksPerContainer = 30, Seed = 11 };
            foreach (var ev in NestedKernel.Trace(spec))
                yield return (name, Native(ev));
        }
    }

    /// <summary>What a line reads as: its event spelled canonically, or the error message.</summary>
    private static string Outcome(Func<PidEvent> parse)
    {
        try
        {
            return "event " + Encoding.UTF8.GetString(Native(parse()));
        }
        catch (TraceFormatException e)
        {
            return "error " + e.Message;
        }
    }

    [Fact]
    public void Every_line_of_every_capture_and_workload_reads_the_same_on_both_paths_and_the_scanner_takes_all_without_an_escape()
    {
        var taken = new Dictionary<string, (int Lines, int Taken)>();
        long lineNo = 0;
        foreach (var (source, line) in CaptureLines().Concat(WorkloadLines(40_000)))
        {
            lineNo++;
            var general = NativeJson.ParseAny(line, source, lineNo);
            var fast = NativeJson.TryParseCanonical(line);
            // The writer escapes only what is not printable ASCII (a hostile comm): that alone is left to the general reader.
            bool escaped = line.Contains((byte)'\\');
            Assert.True(escaped == fast is null, $"{source}: the scanner {(fast is null ? "gave up on" : "took")} {Encoding.UTF8.GetString(line)}");
            if (fast is not null) Assert.Equal(Native(general), Native(fast));
            Assert.Equal(line, Native(general));
            var (n, t) = taken.GetValueOrDefault(source);
            taken[source] = (n + 1, t + (fast is null ? 0 : 1));
        }
        Assert.All(WorkloadSpec.Names, name => Assert.Equal(taken[name].Lines, taken[name].Taken));
        Assert.True(taken.Values.Sum(v => v.Lines) > 400_000, $"{taken.Values.Sum(v => v.Lines)} lines");
        Assert.True(taken["i-hostile-comm.txt"].Taken < taken["i-hostile-comm.txt"].Lines, "the hostile comms are escaped, and left to the general reader");
    }

    /// <summary>One line of each kind and shape, from the captures and the workloads.</summary>
    private static List<string> Samples()
    {
        static string Shape(string line) => Regex.Replace(Regex.Replace(line, "[0-9]+", "0"), ":\"[^\"]*\"", ":\"\"");
        return [.. CaptureLines().Concat(WorkloadLines(3_000))
            .Select(l => Encoding.UTF8.GetString(l.Line))
            .DistinctBy(Shape)];
    }

    [GeneratedRegex("(?<=[:\\[,])-?[0-9]+(?=[,\\]}])")]
    private static partial Regex Number();

    [GeneratedRegex("\"[^\"\\\\]*\"")]
    private static partial Regex Text();

    /// <summary>Lines a hand or a bug could make of a real one, each a step outside the writer's subset.</summary>
    private static IEnumerable<string> Mutations(string line)
    {
        for (int i = 0; i <= line.Length; i++)
        {
            yield return line[..i];
            yield return line.Insert(i, " ");
            if (i > 0) yield return line.Remove(i - 1, 1);
        }
        foreach (Match m in Number().Matches(line))
        {
            foreach (var n in new[]
                     {
                         "1.0", "1e3", "1E3", "-0", "01", "+1", "00", "-", "null", "true", "\"1\"", "[1]", "{}",
                         "2147483647", "2147483648", "-2147483648", "-2147483649", "4194304", "4194305", "64", "65", "-1",
                         "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                         "18446744073709551615", "18446744073709551616", "1234567890123456789", "12345678901234567890",
                     })
                yield return line[..m.Index] + n + line[(m.Index + m.Length)..];
        }
        foreach (Match m in Text().Matches(line))
        {
            string inner = m.Value[1..^1];
            string at = line[..m.Index], after = line[(m.Index + m.Length)..];
            if (inner.Length > 0)
            {
                yield return at + "\"\\u00" + ((int)inner[0]).ToString("x2") + inner[1..] + "\"" + after;
                yield return at + "\"" + inner[..1] + "\\/" + inner[1..] + "\"" + after;
            }
            foreach (var s in new[] { "é", "\t", "\u007f", "日本", new string('x', 17), new string('x', 257), "" })
                yield return at + "\"" + s + "\"" + after;
            yield return at + "null" + after;
            yield return at + "1" + after;
        }
        // Keys twice, unknown keys, and whatever trails the object.
        int firstComma = line.IndexOf(',');
        if (firstComma > 0)
        {
            string first = line[1..firstComma];
            yield return line[..^1] + "," + first + "}";
            yield return "{" + first + "," + line[1..];
        }
        yield return "{\"colour\":1," + line[1..];
        yield return line[..^1] + ",\"tid\":7}";
        yield return line[..^1] + ",\"kind\":\"setsid\"}";
        yield return line[..^1] + ",}";
        yield return line + " ";
        yield return line + "x";
        yield return line + "{}";
        yield return " " + line;
        yield return line.Replace("[", "[ ").Replace("{\"sig", "{ \"sig");
        yield return line.Replace("[", "[[").Replace("]", "]]");
        yield return line.Replace("},{", "},").Replace("]", ",]");
    }

    [Fact]
    public void A_mutated_line_gives_the_general_readers_event_or_its_error_word_for_word()
    {
        var samples = Samples();
        Assert.True(samples.Count > 50, $"{samples.Count} sample lines");
        int lines = 0, taken = 0, errors = 0;
        foreach (var sample in samples)
        {
            foreach (var mutated in Mutations(sample).Append(sample))
            {
                var bytes = Encoding.UTF8.GetBytes(mutated);
                var expected = Outcome(() => NativeJson.ParseAny(bytes, "m.jsonl", 3));
                Assert.True(expected == Outcome(() => NativeJson.ParseEvent(bytes, "m.jsonl", 3)), mutated);
                lines++;
                if (NativeJson.TryParseCanonical(bytes) is not null) taken++;
                if (expected.StartsWith("error", StringComparison.Ordinal)) errors++;
            }
        }
        // Duplicate keys, other numbers in range and the like are still canonical, and taken.
        Assert.True(taken > samples.Count && errors > lines / 2, $"{lines} lines, {taken} taken by the scanner, {errors} errors");
    }

    private static readonly byte[] Json = "{}[],:\"\\-0123456789.eE tfnul"u8.ToArray();

    [Fact]
    public void Random_bytes_in_real_lines_give_the_general_readers_event_or_error()
    {
        var rng = new Random(20261122);
        var samples = Samples().Select(Encoding.UTF8.GetBytes).ToList();
        for (int i = 0; i < 50_000; i++)
        {
            var bytes = (byte[])samples[rng.Next(samples.Count)].Clone();
            for (int n = rng.Next(1, 3); n > 0; n--)
            {
                if (rng.Next(2) == 0) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                else bytes[rng.Next(bytes.Length)] = Json[rng.Next(Json.Length)];
            }
            Assert.Equal(Outcome(() => NativeJson.ParseAny(bytes, "r.jsonl", i)), Outcome(() => NativeJson.ParseEvent(bytes, "r.jsonl", i)));
        }
    }
}
