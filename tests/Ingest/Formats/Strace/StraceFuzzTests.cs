using System.Text;
using System.Text.RegularExpressions;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Strace;
using Xunit;

namespace Replayer.Tests.Ingest.Formats.Strace;

/// <summary>
/// Damaged real captures: the reader either reads them or stops with a TraceFormatException that
/// names file:line; never another exception, never a hang. Deterministic (fixed seeds).
/// </summary>
public sealed class StraceFuzzTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly string[] Captures =
    [
        "traces/strace/clonens.txt", "traces/strace/nested.txt", "traces/strace/jobctl.txt", "traces/strace/kill1.txt",
        // --decode-pids=pidns: returns that name children, forks put in allocation order.
        "traces/strace/storms-pidns.txt.gz",
    ];
    private readonly string _dir = Directory.CreateTempSubdirectory("strace-fuzz-").FullName;
    private int _runs;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Truncation_anywhere_reads_or_names_the_line()
    {
        var small = Bytes("traces/strace/clonens.txt");
        for (int cut = 0; cut <= small.Length; cut++) Check(small[..cut]);
        var rng = new Random(1);
        foreach (var capture in Captures[1..])
        {
            var bytes = Bytes(capture);
            for (int i = 0; i < 150; i++) Check(bytes[..rng.Next(bytes.Length + 1)]);
        }
    }

    [Fact]
    public void Flipped_bytes_read_or_name_the_line()
    {
        var rng = new Random(2);
        foreach (var capture in Captures)
        {
            var original = Bytes(capture);
            for (int i = 0; i < 200; i++)
            {
                var bytes = (byte[])original.Clone();
                for (int k = rng.Next(1, 6); k > 0; k--) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                Check(bytes);
            }
        }
    }

    [Fact]
    public void Absurd_numbers_read_or_name_the_line()
    {
        string[] absurd = ["99999999999999999999", "-2147483649", "4294967296", "0", "-0", "2147483647", "0xffffffffffffffffff", "18446744073709551615"];
        var rng = new Random(3);
        var digits = new Regex("[0-9]+");
        foreach (var capture in Captures)
        {
            var text = Encoding.UTF8.GetString(Bytes(capture));
            var runs = digits.Matches(text);
            for (int i = 0; i < 200; i++)
            {
                var m = runs[rng.Next(runs.Count)];
                var mutated = text[..m.Index] + absurd[rng.Next(absurd.Length)] + text[(m.Index + m.Length)..];
                Check(Encoding.UTF8.GetBytes(mutated));
            }
        }
    }

    [Fact]
    public void Megabyte_lines_read_or_name_the_line()
    {
        var text = Encoding.UTF8.GetString(Bytes("traces/strace/nested.txt"));
        int second = text.IndexOf('\n') + 1;
        var over = new string('a', LineReader.MaxLineBytes + 1);
        var under = "21173 1795323281.786100 execve(\"/" + new string('x', LineReader.MaxLineBytes - 200) + "\", [], 0x0) = 0";
        var args = "21173 1795323281.786100 clone(child_stack=NULL, flags=" + string.Join("|", Enumerable.Repeat("CLONE_VM", 100_000)) + ") = 7";
        foreach (var line in new[] { over, under, args })
        {
            Check(Encoding.UTF8.GetBytes(text[..second] + line + "\n" + text[second..]));
            Check(Encoding.UTF8.GetBytes(text + line));
        }
    }

    [Fact]
    public void Binary_junk_reads_or_names_the_line()
    {
        var rng = new Random(4);
        var text = Bytes("traces/strace/jobctl.txt");
        for (int i = 0; i < 30; i++)
        {
            var junk = new byte[rng.Next(1, 200_000)];
            rng.NextBytes(junk);
            Check(junk);
            int at = rng.Next(text.Length);
            Check([.. text[..at], .. junk, .. text[at..]]);
            Assert.False(new StraceReader().Recognises(junk) && junk.Length > 100 && junk.Contains((byte)0), "binary junk recognised as strace");
        }
    }

    [Fact]
    public void Damaged_per_pid_files_read_or_name_the_line()
    {
        var rng = new Random(5);
        for (int i = 0; i < 160; i++)
        {
            // ff-storms: forks named by their returns, each waiting for its child's first line.
            var originals = Directory.GetFiles(StraceCaptures.PathOf(i % 4 == 3 ? "traces/strace/ff-storms" : "traces/strace/ff-orphan")).Order().ToArray();
            var dir = Path.Combine(_dir, "ff" + i);
            Directory.CreateDirectory(dir);
            var files = originals.Select(f => Path.Combine(dir, Path.GetFileName(f))).ToList();
            for (int k = 0; k < originals.Length; k++) File.Copy(originals[k], files[k]);
            var victim = files[rng.Next(files.Count)];
            var bytes = File.ReadAllBytes(victim);
            if (i % 3 == 0) bytes = bytes[..rng.Next(bytes.Length + 1)];
            else if (i % 3 == 1) for (int k = rng.Next(1, 4); k > 0; k--) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            else files.RemoveAt(rng.Next(files.Count));
            File.WriteAllBytes(victim, bytes);
            foreach (bool lenient in new[] { false, true })
                Guard(() => new StraceReader().ReadPerPid(files, new ReadContext(lenient)).Count(), dir);
        }
    }

    private void Check(byte[] bytes)
    {
        var path = Path.Combine(_dir, $"case{_runs++ % 8}.txt");
        File.WriteAllBytes(path, bytes);
        foreach (bool lenient in new[] { false, true })
        {
            Guard(() =>
            {
                var input = InputFile.Open(path);
                using (input.Stream) return new StraceReader().Read(input, new ReadContext(lenient)).Count();
            }, path);
        }
    }

    // Runs one read: it must finish within the limit, and fail only with a TraceFormatException naming file:line.
    private static void Guard(Func<int> read, string where)
    {
        var task = Task.Run(read);
        try
        {
            Assert.True(task.Wait(Limit), $"reading {where} did not finish within {Limit}");
        }
        catch (AggregateException e) when (e.InnerException is TraceFormatException tfe)
        {
            Assert.Matches(@"^.+:\d+: \S", tfe.Message);
        }
        catch (AggregateException e)
        {
            Assert.Fail($"reading {where} threw {e.InnerException}");
        }
    }

    private static byte[] Bytes(string capture)
    {
        var bytes = File.ReadAllBytes(StraceCaptures.PathOf(capture));
        if (!capture.EndsWith(".gz", StringComparison.Ordinal)) return bytes;
        using var unzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
        using var text = new MemoryStream();
        unzip.CopyTo(text);
        return text.ToArray();
    }
}
