using System.Runtime.CompilerServices;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Tracefs;

/// <summary>
/// The ftrace text layout (the trace file, trace_pipe, trace-cmd report):
/// "&lt;comm&gt;-&lt;tid&gt; [(&lt;tgid&gt;)] [&lt;cpu&gt;] [&lt;flags&gt;] &lt;secs.usecs&gt;: &lt;event&gt;". The comm may hold
/// spaces and '-', so the tid is what follows the last '-' before the CPU. The comm printed is
/// looked up when the trace is read, not when the event fired (NOTES.md): the assembler prefers
/// the comm history it has seen.
/// </summary>
public sealed class TracefsLineParser(CommTable texts) : ITraceLineParser
{
    private readonly PayloadDecoder _decoder = new(texts);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Parse(ReadOnlySpan<byte> text, ref TraceLine line, out string? error)
    {
        error = null;
        var t = text.TrimStart((byte)' ');
        if (t.IsEmpty || t[0] == '#') return false;
        if (LostNote(t) is { } lost)
        {
            // "CPU:1 [LOST 801 EVENTS]": trace_pipe's reader found the ring overran. No time of
            // its own; the pipeline gives it the time of the line before it.
            line.Point = Tracepoint.Lost;
            (line.Cpu, line.A0) = lost;
            return true;
        }
        if (IsToolNote(t)) return false;
        int ts = LineLayout.FindTimestamp(text, out line.Time, out int rest);
        if (ts < 0)
        {
            error = "not a trace line: expected '<comm>-<tid> [<cpu>] <secs.usecs>: <event>'";
            return false;
        }
        var prefix = text[..ts].TrimEnd((byte)' ');
        if (!TakeFlags(ref prefix, out var flags))
        {
            error = "no '[<cpu>]' field before the timestamp";
            return false;
        }
        // irqs-off, need-resched, then hardirq/softirq: "d.h1." is a line from a timer's interrupt.
        line.InInterrupt = flags.Length >= 3 && flags[2] is (byte)'h' or (byte)'s' or (byte)'H' or (byte)'z' or (byte)'Z';
        if (!LineLayout.TakeCpu(ref prefix, out line.Cpu))
        {
            error = "no '[<cpu>]' field before the timestamp";
            return false;
        }
        // Optional record-tgid column: "(   3749)" or "(-------)".
        if (prefix.Length > 0 && prefix[^1] == ')')
        {
            int open = prefix.LastIndexOf((byte)'(');
            if (open < 0) { error = "an unbalanced '(tgid)' column"; return false; }
            var tgid = prefix[(open + 1)..^1].Trim((byte)' ');
            if (Numbers.TryParseDecimal(tgid, out long g) && g > 0 && g <= int.MaxValue) line.Tgid = (int)g;
            prefix = prefix[..open].TrimEnd((byte)' ');
        }
        int dash = prefix.LastIndexOf((byte)'-');
        if (dash < 0 || !LineLayout.TryParseTid(prefix[(dash + 1)..], out line.Tid))
        {
            error = "no '<comm>-<tid>' before the CPU field";
            return false;
        }
        line.Comm = texts.Intern(prefix[..dash].TrimStart((byte)' '));
        error = _decoder.Decode(text[rest..], ref line);
        return error is null;
    }

    /// <summary>"CPU:N [LOST M EVENTS]", as the kernel writes it where the ring overran (M above 0): the CPU and the count; null for any other line.</summary>
    internal static (int Cpu, long Count)? LostNote(ReadOnlySpan<byte> t)
    {
        if (!t.StartsWith("CPU:"u8) || !t.TrimEnd((byte)' ').EndsWith(" EVENTS]"u8)) return null;
        int open = t.IndexOf(" [LOST "u8);
        if (open < 0) return null;
        var rest = t[(open + 7)..];
        int space = rest.IndexOf((byte)' ');
        return space > 0 && Numbers.TryParseDecimal(t[4..open], out long cpu) && cpu is >= 0 and <= int.MaxValue
            && Numbers.TryParseDecimal(rest[..space], out long count) && count > 0
            ? ((int)cpu, count) : null;
    }

    /// <summary>The CPU of an event line, read as <see cref="Parse"/> reads it; null for a line that is not one.</summary>
    internal static int? CpuOf(ReadOnlySpan<byte> text)
    {
        int ts = LineLayout.FindTimestamp(text, out _, out _);
        if (ts < 0) return null;
        var prefix = text[..ts].TrimEnd((byte)' ');
        return TakeFlags(ref prefix, out _) && LineLayout.TakeCpu(ref prefix, out int cpu) ? cpu : null;
    }

    /// <summary>Takes the optional flags column ("d..2."), whatever token follows the "[cpu]", off the end of the prefix; false when a token is there and nothing before it.</summary>
    private static bool TakeFlags(ref ReadOnlySpan<byte> prefix, out ReadOnlySpan<byte> flags)
    {
        flags = default;
        if (prefix.Length == 0 || prefix[^1] == ']') return true;
        int sp = prefix.LastIndexOf((byte)' ');
        if (sp < 0) return false;
        flags = prefix[(sp + 1)..];
        prefix = prefix[..sp];
        return true;
    }

    // Lines the kernel or trace-cmd writes between events that carry none: trace-cmd's header, and
    // a lost-events note this reader could not read the numbers of.
    private static bool IsToolNote(ReadOnlySpan<byte> t) =>
        t.StartsWith("CPU:"u8) && t.IndexOf("[LOST "u8) > 0
        || t.StartsWith("cpus="u8) || t.StartsWith("version = "u8) || t.StartsWith("CPU "u8) && t.EndsWith(" is empty"u8);

    /// <summary>Whether a line looks like ftrace text: "&lt;comm&gt;-&lt;tid&gt; [cpu] ... secs.usecs: ".</summary>
    public static bool LooksLikeLine(ReadOnlySpan<byte> text)
    {
        int ts = LineLayout.FindTimestamp(text, out _, out _);
        if (ts < 0) return false;
        var prefix = text[..ts].TrimEnd((byte)' ');
        int open = prefix.LastIndexOf((byte)'[');
        if (open < 0) return false;
        var left = prefix[..open].TrimEnd((byte)' ');
        if (left.Length > 0 && left[^1] == ')') left = left[..Math.Max(0, left.LastIndexOf((byte)'('))].TrimEnd((byte)' ');
        int dash = left.LastIndexOf((byte)'-');
        return dash >= 0 && LineLayout.TryParseTid(left[(dash + 1)..], out _);
    }
}
