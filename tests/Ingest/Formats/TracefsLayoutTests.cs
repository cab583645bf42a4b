using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Xunit;

using Replayer.Tests.Support;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>
/// The same real trace in the other shapes tools give it: trace_pipe (no header), CPUs slightly
/// out of order, perf script's layout. Each is made by code from a capture in traces/ and must
/// give the events the original gives.
/// </summary>
public sealed partial class TracefsLayoutTests
{
    [GeneratedRegex(@"^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+)\.(\d{6}): (.*)$")]
    private static partial Regex Line();

    [Fact]
    public void Trace_pipe_text_without_its_header_gives_the_same_events()
    {
        var trace = TraceSection("d-initdeath.txt");
        var pipe = trace.Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(Canonical(Read("tracefs", trace)), Canonical(Read("tracefs", pipe)));
    }

    [Fact]
    public void Lines_of_two_CPUs_slightly_out_of_order_are_put_back_in_timestamp_order()
    {
        var trace = TraceSection("e-kill1.txt");
        var shuffled = new List<string>(trace);
        int swaps = 0;
        for (int i = 0; i + 1 < shuffled.Count; i++)
        {
            var a = Line().Match(shuffled[i]);
            var b = Line().Match(shuffled[i + 1]);
            if (!a.Success || !b.Success || a.Groups[3].Value == b.Groups[3].Value) continue;
            if (Time(a) >= Time(b)) continue;
            (shuffled[i], shuffled[i + 1]) = (shuffled[i + 1], shuffled[i]);
            swaps++;
            i++;
        }
        Assert.True(swaps > 10, $"only {swaps} cross-CPU neighbours to swap");
        Assert.Equal(Canonical(Read("tracefs", trace)), Canonical(Read("tracefs", shuffled)));
    }

    [Fact]
    public void Perf_layout_of_the_same_lines_gives_the_same_events()
    {
        // perf prints the comm at event time, ftrace the comm at read time: compare without comms.
        var trace = TraceSection("g-threads.txt");
        var perf = trace.Where(l => !l.StartsWith('#')).Select(ToPerf).ToList();
        Assert.Equal(Canonical(Read("tracefs", trace), withComm: false), Canonical(Read("perf", perf), withComm: false));
    }

    // ftrace "sh-5 [001] ..... 1.000001: sys_kill(pid: 2, sig: 0xf)" as perf prints it:
    // "sh 5 [001] 1.000001: syscalls:sys_enter_kill: pid: 0x00000002, sig: 0x0000000f".
    private static string ToPerf(string line)
    {
        var m = Line().Match(line);
        Assert.True(m.Success, line);
        var rest = m.Groups[7].Value;
        string ev;
        if (Regex.Match(rest, @"^sys_(\w+)\((.*)\)$") is { Success: true } enter)
        {
            var args = enter.Groups[2].Value.Length == 0 ? "" : string.Join(", ", enter.Groups[2].Value.Split(", ").Select(a =>
            {
                var (name, value) = (a[..a.IndexOf(": ", StringComparison.Ordinal)], a[(a.IndexOf(": ", StringComparison.Ordinal) + 2)..]);
                ulong v = value.StartsWith("0x", StringComparison.Ordinal) ? ulong.Parse(value[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : ulong.Parse(value, CultureInfo.InvariantCulture);
                return $"{name}: 0x{v:x8}";
            }));
            ev = $"syscalls:sys_enter_{enter.Groups[1].Value}: {args}";
        }
        else if (Regex.Match(rest, @"^sys_(\w+) -> (0x[0-9a-f]+)$") is { Success: true } exit)
        {
            ev = $"syscalls:sys_exit_{exit.Groups[1].Value}: {exit.Groups[2].Value}";
        }
        else
        {
            var name = rest[..rest.IndexOf(':', StringComparison.Ordinal)];
            var subsys = name.StartsWith("sched_", StringComparison.Ordinal) ? "sched" : name.StartsWith("signal_", StringComparison.Ordinal) ? "signal" : name.StartsWith("task_", StringComparison.Ordinal) ? "task" : "ftrace";
            ev = $"{subsys}:{rest}";
        }
        return $"{m.Groups[1].Value.Trim(),16} {m.Groups[2].Value,5} [{m.Groups[3].Value}] {m.Groups[5].Value}.{m.Groups[6].Value}: {ev}";
    }

    private static long Time(Match m) => long.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture) * 1_000_000 + long.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture);

    private static List<string> TraceSection(string capture)
    {
        var lines = File.ReadAllLines(CaptureFiles.Path_(capture));
        return lines.SkipWhile(l => !l.StartsWith("# tracer:", StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public void A_gzip_capture_cut_off_mid_line_is_reported_as_truncated_at_its_last_line()
    {
        var whole = Repo.PathOf("traces/captures/fork-storm.txt.gz");
        var cut = Path.Combine(Path.GetTempPath(), $"replayer-cut-{Guid.NewGuid():N}.txt.gz");
        File.WriteAllBytes(cut, File.ReadAllBytes(whole)[..20000]);
        try
        {
            var input = InputFile.Open(cut);
            using (input.Stream)
            {
                var e = Assert.Throws<TraceFormatException>(() => CaptureFormats.All.Single(r => r.Format == "capture").Read(input, new ReadContext(false)).Count());
                Assert.Contains("truncated?", e.Message);
                Assert.Equal(cut, e.File);
                Assert.True(e.Line > 1000);
            }
        }
        finally
        {
            File.Delete(cut);
        }
    }

    private static List<PidEvent> Read(string format, List<string> lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"replayer-layout-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        try
        {
            var input = InputFile.Open(path);
            using (input.Stream) return CaptureFormats.All.Single(r => r.Format == format).Read(input, new ReadContext(false)).ToList();
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Each event as its native JSON line (arrays compared by value), optionally without the comm.
    private static List<string> Canonical(List<PidEvent> events, bool withComm = true)
    {
        var result = new List<string>(events.Count);
        foreach (var e in events)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer)) NativeJson.WriteEvent(w, withComm ? e : e with { Comm = "" });
            result.Add(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        return result;
    }
}
