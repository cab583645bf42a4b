using System.Text;
using Replayer.Ingest.Formats;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>
/// Damaged captures: every tracepoint, snapshot and bundle reader either reads a mutated real
/// capture or stops with a TraceFormatException naming file:line; never another exception,
/// never a hang. The mutations are seeded, so a failure repeats.
/// </summary>
public sealed class ReaderFuzzTests
{
    private const int Variants = 60;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static IEnumerable<object[]> Readers() =>
    [
        ["tracefs", "d-initdeath.txt"],
        ["tracefs", "g-threads.txt"],
        ["perf", "d-initdeath.perf.txt"],
        ["perf", "g-threads.perf.txt"],
        ["proc", "f-nsenter.txt"],
        ["capture", "e-kill1.txt"],
    ];

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Damaged_capture_is_read_or_rejected_with_file_and_line(string format, string capture)
    {
        var original = Section(format, File.ReadAllBytes(CaptureFiles.Path_(capture)));
        var random = new Random(format.GetHashCode(StringComparison.Ordinal) ^ capture.Length);
        var dir = Directory.CreateTempSubdirectory("replayer-fuzz-");
        try
        {
            for (int i = 0; i < Variants; i++)
            {
                var (what, bytes) = Mutate(original, random, i);
                var path = Path.Combine(dir.FullName, $"{format}-{i}.txt");
                File.WriteAllBytes(path, bytes);
                foreach (bool lenient in new[] { false, true })
                {
                    var read = Task.Run(() => ReadWith(format, path, lenient));
                    var first = await Task.WhenAny(read, Task.Delay(Limit));
                    Assert.True(first == read, $"{what}: the {format} reader did not finish within {Limit}");
                    var error = await read;
                    if (error is null) continue;
                    Assert.True(error is TraceFormatException, $"{what}: {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
                    Assert.StartsWith(path + ":", error.Message);
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static Exception? ReadWith(string format, string path, bool lenient)
    {
        try
        {
            var input = InputFile.Open(path);
            using (input.Stream)
            {
                var reader = CaptureFormats.All.Single(r => r.Format == format);
                foreach (var _ in reader.Read(input, new ReadContext(lenient))) { }
            }
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    // The part of a bundle a reader takes: the trace text for tracefs, the snapshot for proc.
    private static byte[] Section(string format, byte[] bundle)
    {
        var text = Encoding.UTF8.GetString(bundle);
        int trace = text.IndexOf("# tracer:", StringComparison.Ordinal);
        return format switch
        {
            "tracefs" when trace > 0 => Encoding.UTF8.GetBytes(text[trace..]),
            "proc" when trace > 0 => Encoding.UTF8.GetBytes(text[text.IndexOf("# proc snapshot", StringComparison.Ordinal)..trace]),
            _ => bundle,
        };
    }

    private static (string What, byte[] Bytes) Mutate(byte[] original, Random random, int i)
    {
        var b = (byte[])original.Clone();
        switch (i % 6)
        {
            case 0:
            {
                int at = random.Next(b.Length);
                return ($"truncated at byte {at}", b[..at]);
            }
            case 1:
            {
                int flips = 1 + random.Next(20);
                for (int k = 0; k < flips; k++) b[random.Next(b.Length)] = (byte)random.Next(256);
                return ($"{flips} bytes flipped", b);
            }
            case 2:
            {
                // Absurd numbers in place of a run of digits.
                string[] absurd = ["99999999999999999999999", "-1", "0xffffffffffffffffffff", "-9223372036854775808", "4294967296", "0", "1e9"];
                var s = Encoding.UTF8.GetString(b);
                var sb = new StringBuilder(s.Length + 256);
                int replaced = 0;
                for (int p = 0; p < s.Length; p++)
                {
                    if (char.IsAsciiDigit(s[p]) && random.Next(40) == 0)
                    {
                        int end = p;
                        while (end < s.Length && char.IsAsciiHexDigit(s[end])) end++;
                        sb.Append(absurd[random.Next(absurd.Length)]);
                        replaced++;
                        p = end - 1;
                        continue;
                    }
                    sb.Append(s[p]);
                }
                return ($"{replaced} numbers made absurd", Encoding.UTF8.GetBytes(sb.ToString()));
            }
            case 3:
            {
                // A line of about 1 MiB (under, at or over the line limit) spliced in at a line start.
                int at = Array.IndexOf(b, (byte)'\n', random.Next(b.Length)) + 1;
                int len = LineReader.MaxLineBytes + random.Next(-2, 3);
                var line = new byte[len + 1];
                random.NextBytes(line);
                for (int k = 0; k < len; k++) if (line[k] == '\n') line[k] = (byte)'x';
                line[len] = (byte)'\n';
                return ($"a {len}-byte line at byte {at}", [.. b[..at], .. line, .. b[at..]]);
            }
            case 4:
            {
                // Binary junk after the first line (so that the format's header still names the reader).
                int first = Array.IndexOf(b, (byte)'\n') + 1;
                var junk = new byte[1 + random.Next(1 << 16)];
                random.NextBytes(junk);
                return ($"{junk.Length} bytes of junk", [.. b[..first], .. junk]);
            }
            default:
            {
                // Lines shuffled within a stretch: out of order, duplicated, missing.
                var lines = Encoding.UTF8.GetString(b).Split('\n').ToList();
                int from = random.Next(lines.Count);
                int count = Math.Min(lines.Count - from, 1 + random.Next(200));
                var stretch = lines.GetRange(from, count);
                lines.RemoveRange(from, count);
                lines.InsertRange(from, stretch.OrderBy(_ => random.Next()).Where(_ => random.Next(10) > 0).Concat(stretch.Take(random.Next(5))));
                return ($"lines {from}..{from + count} shuffled", Encoding.UTF8.GetBytes(string.Join('\n', lines)));
            }
        }
    }
}
