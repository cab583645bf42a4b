using System.Runtime.CompilerServices;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Perf;

/// <summary>
/// The `perf script` layout, default fields ("&lt;comm&gt; &lt;tid&gt; [&lt;cpu&gt;] &lt;secs.usecs&gt;: &lt;subsys:event&gt;: &lt;payload&gt;")
/// or `-F comm,pid,tid,cpu,time,event,trace` ("&lt;comm&gt; &lt;pid&gt;/&lt;tid&gt; [...]"); the CPU field is
/// absent when the recording was not system-wide. perf's comm is the comm at event time. A task
/// that has released its pid prints as ":-1 -1" (NOTES.md): tid -1, only its payload is reliable.
/// </summary>
public sealed class PerfLineParser(CommTable texts) : ITraceLineParser
{
    private readonly PayloadDecoder _decoder = new(texts);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Parse(ReadOnlySpan<byte> text, ref TraceLine line, out string? error)
    {
        error = null;
        var t = text.TrimStart((byte)' ');
        if (t.IsEmpty || t[0] == '#') return false;
        int ts = LineLayout.FindTimestamp(text, out line.Time, out int rest);
        if (ts < 0)
        {
            error = "not a perf script line: expected '<comm> <tid> [<cpu>] <secs.usecs>: <event>: <payload>'";
            return false;
        }
        var prefix = text[..ts].TrimEnd((byte)' ');
        if (prefix.Length > 0 && prefix[^1] == ']' && !LineLayout.TakeCpu(ref prefix, out line.Cpu))
        {
            error = "a '[<cpu>]' field that is not a number";
            return false;
        }
        int sp = prefix.LastIndexOf((byte)' ');
        var ids = prefix[(sp + 1)..];
        int slash = ids.IndexOf((byte)'/');
        if (slash >= 0)
        {
            if (!LineLayout.TryParseTid(ids[..slash], out line.Tgid)) { error = "a '<pid>/<tid>' field that is not numbers"; return false; }
            ids = ids[(slash + 1)..];
        }
        if (sp < 0 || !LineLayout.TryParseTid(ids, out line.Tid))
        {
            error = "no '<comm> <tid>' before the timestamp";
            return false;
        }
        if (line.Tgid < 0) line.Tgid = 0;
        line.Comm = texts.Intern(prefix[..sp].Trim((byte)' '));
        line.CommIsCurrent = line.Tid > 0;
        error = _decoder.Decode(text[rest..], ref line);
        return error is null;
    }

    /// <summary>Whether a line looks like perf script output: "&lt;comm&gt; &lt;tid&gt; ... secs.usecs: subsys:event:".</summary>
    public static bool LooksLikeLine(ReadOnlySpan<byte> text)
    {
        int ts = LineLayout.FindTimestamp(text, out _, out int rest);
        if (ts < 0) return false;
        var prefix = text[..ts].TrimEnd((byte)' ');
        if (prefix.Length > 0 && prefix[^1] == ']')
        {
            int open = prefix.LastIndexOf((byte)'[');
            if (open < 0) return false;
            prefix = prefix[..open].TrimEnd((byte)' ');
        }
        int sp = prefix.LastIndexOf((byte)' ');
        if (sp < 0) return false;
        var ids = prefix[(sp + 1)..];
        int slash = ids.IndexOf((byte)'/');
        if (slash >= 0) ids = ids[(slash + 1)..];
        if (!LineLayout.TryParseTid(ids, out _)) return false;
        var ev = text[rest..].TrimStart((byte)' ');
        int end = ev.IndexOf((byte)' ');
        var name = end < 0 ? ev : ev[..end];
        // perf names events "subsys:event:".
        return name.Length > 2 && name[^1] == ':' && name[..^1].IndexOf((byte)':') > 0;
    }
}
