using System.Buffers.Text;

namespace Replayer.Ingest.Formats.Strace;

/// <summary>What one strace line is.</summary>
internal enum LineKind : byte
{
    /// <summary><c>name(args) = ret</c></summary>
    Call,
    /// <summary><c>name(args-so-far &lt;unfinished ...&gt;</c></summary>
    Unfinished,
    /// <summary><c>&lt;... name resumed&gt;rest) = ret</c></summary>
    Resumed,
    /// <summary><c>&lt;... name resumed&gt;rest &lt;unfinished ...&gt;</c>: interrupted again before its end was printed.</summary>
    ResumedUnfinished,
    /// <summary><c>--- SIGNAME {siginfo} ---</c></summary>
    Signal,
    /// <summary><c>--- stopped by SIGSTOP ---</c> and the like: a ptrace stop, no pid event.</summary>
    Stop,
    /// <summary><c>+++ exited with N +++</c></summary>
    Exited,
    /// <summary><c>+++ killed by SIGX [(core dumped)] +++</c></summary>
    Killed,
    /// <summary><c>+++ superseded by execve in pid N +++</c>: a non-leader thread exec'd and took this tid.</summary>
    Superseded,
}

/// <summary>How a call ended.</summary>
internal enum RetKind : byte
{
    Value,
    /// <summary><c>= ?</c>: the call never returned (exit, exit_group, or the task died in it).</summary>
    Unknown,
    /// <summary><c>= ? ERESTARTSYS</c> and the like: kernel-internal, the call is restarted or fails with EINTR later.</summary>
    Restart,
}

/// <summary>
/// One line of <c>strace -f</c> (or of a <c>-ff</c> per-pid file), split into its parts without
/// copying: <c>[PID[&lt;comm&gt;] ][TIME ]BODY</c>. TIME is -t (<c>HH:MM:SS</c>), -tt (<c>.micro</c>),
/// -ttt (<c>epoch.micro</c>) or absent; a -T duration <c>&lt;0.000123&gt;</c> at the end is dropped.
/// </summary>
internal ref struct StraceLine
{
    public const long NsPerSecond = 1_000_000_000;

    /// <summary>The leading pid (global tid); 0 when the line has none (-ff files, strace without -f).</summary>
    public int Tid;
    /// <summary>The -Y decoration of the leading pid, empty without -Y.</summary>
    public ReadOnlySpan<byte> Comm;
    public bool HasTime;
    /// <summary>True when TIME is a time of day (-t, -tt), false for seconds since the epoch (-ttt).</summary>
    public bool TimeOfDay;
    /// <summary>TIME in nanoseconds (since midnight, or since the epoch).</summary>
    public long Time;
    public LineKind Kind;
    /// <summary>The call's name, or the signal's name for Signal and Killed lines.</summary>
    public ReadOnlySpan<byte> Name;
    /// <summary>The arguments (all of them, the part before unfinished, or the part after resumed); the siginfo braces for Signal.</summary>
    public ReadOnlySpan<byte> Args;
    public RetKind RetKind;
    /// <summary>The return value: a negative errno when strace printed <c>-1 EXXX (...)</c>.</summary>
    public long Ret;
    /// <summary>
    /// What <c>--decode-pids=pidns</c> prints after a pid returned from inside a pid namespace:
    /// the same task's pid in strace's namespace (the initial one, where the leading pid is the
    /// tid), as in <c>= 3 /* 5987 in strace's PID NS */</c>; 0 when the line has none.
    /// </summary>
    public int RetPidInStraceNs;
    /// <summary>The exit status of Exited, the signal of Killed, the pid of Superseded.</summary>
    public int Number;
    public bool CoreDumped;

    /// <summary>Splits a line; returns null on success, else why it is not a strace line.</summary>
    public static string? TryParse(ReadOnlySpan<byte> line, out StraceLine parsed)
    {
        parsed = default;
        var s = line.TrimStart((byte)' ');
        int digits = s.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (digits > 0 && (s[digits] == (byte)' ' || s[digits] == (byte)'<'))
        {
            if (!Utf8Parser.TryParse(s[..digits], out int tid, out int used) || used != digits || tid <= 0)
                return "the pid at the start of the line is not a valid pid";
            parsed.Tid = tid;
            s = s[digits..];
            if (s[0] == (byte)'<')
            {
                int close = s.IndexOf((byte)'>');
                if (close < 0) return "the -Y decoration of the pid has no closing '>'";
                parsed.Comm = s[1..close];
                s = s[(close + 1)..];
            }
            s = s.TrimStart((byte)' ');
            digits = s.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        }
        if (digits > 0)
        {
            if (ParseTime(ref s, out parsed.Time, out parsed.TimeOfDay) is { } bad) return bad;
            parsed.HasTime = true;
        }
        else if (digits == 0 && s.Length > 0 && s[0] is >= (byte)'0' and <= (byte)'9')
        {
            return "a line of digits only is not a strace line";
        }
        return ParseBody(s, ref parsed);
    }

    // -t "HH:MM:SS", -tt "HH:MM:SS.ffffff", -ttt "SSSSSSSSSS.ffffff" (up to nanoseconds with --timestamps=ns).
    private static string? ParseTime(ref ReadOnlySpan<byte> s, out long time, out bool timeOfDay)
    {
        time = 0;
        timeOfDay = false;
        int end = s.IndexOf((byte)' ');
        if (end < 0) return "a timestamp with nothing after it";
        var t = s[..end];
        long seconds;
        int dot = t.IndexOf((byte)'.');
        var whole = dot < 0 ? t : t[..dot];
        if (whole.Length == 8 && whole[2] == (byte)':' && whole[5] == (byte)':')
        {
            if (!TwoDigits(whole[..2], out int h) || !TwoDigits(whole[3..5], out int m) || !TwoDigits(whole[6..8], out int sec)
                || h > 23 || m > 59 || sec > 60)
                return "the timestamp is not HH:MM:SS";
            seconds = h * 3600L + m * 60L + sec;
            timeOfDay = true;
        }
        else
        {
            if (!Utf8Parser.TryParse(whole, out seconds, out int used) || used != whole.Length || seconds < 0 || seconds > 1L << 40)
                return "the timestamp is neither HH:MM:SS[.frac] nor seconds[.frac]";
            if (dot < 0) return "a line of digits is not a strace line";
        }
        long ns = 0;
        if (dot >= 0)
        {
            var frac = t[(dot + 1)..];
            if (frac.Length is 0 or > 9 || frac.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
                return "the timestamp's fraction is not 1 to 9 digits";
            Utf8Parser.TryParse(frac, out ns, out _);
            for (int i = frac.Length; i < 9; i++) ns *= 10;
        }
        time = seconds * NsPerSecond + ns;
        s = s[end..].TrimStart((byte)' ');
        return null;
    }

    private static bool TwoDigits(ReadOnlySpan<byte> s, out int v)
    {
        v = 0;
        if (s[0] is < (byte)'0' or > (byte)'9' || s[1] is < (byte)'0' or > (byte)'9') return false;
        v = (s[0] - '0') * 10 + s[1] - '0';
        return true;
    }

    private static string? ParseBody(ReadOnlySpan<byte> s, ref StraceLine p)
    {
        if (s.IsEmpty) return "the line has no call";
        if (s.StartsWith("+++ "u8)) return ParseExit(s, ref p);
        if (s.StartsWith("--- "u8)) return ParseSignal(s, ref p);
        if (s.StartsWith("<... "u8))
        {
            int close = s.IndexOf(" resumed>"u8);
            if (close < 5) return "'<...' without ' resumed>'";
            p.Name = s[5..close];
            if (!IsName(p.Name)) return "the resumed call's name is not a syscall name";
            var rest = s[(close + 9)..];
            if (rest.EndsWith(" <unfinished ...>"u8) && rest.IndexOf(") = "u8) < 0)
            {
                p.Kind = LineKind.ResumedUnfinished;
                p.Args = rest[..^17];
                return null;
            }
            p.Kind = LineKind.Resumed;
            // "<... wait4 resumed> <unfinished ...>) = ?": the task died in the call.
            if (rest.StartsWith(" <unfinished ...>"u8)) rest = rest[17..];
            return ParseEnd(rest, ref p);
        }
        int open = s.IndexOf((byte)'(');
        if (open <= 0 || !IsName(s[..open])) return "expected 'name(', '<... name resumed>', '---' or '+++'";
        p.Name = s[..open];
        var after = s[(open + 1)..];
        if (after.EndsWith("<unfinished ...>"u8))
        {
            p.Kind = LineKind.Unfinished;
            p.Args = after[..^16].TrimEnd((byte)' ');
            return null;
        }
        p.Kind = LineKind.Call;
        return ParseEnd(after, ref p);
    }

    // "args) = ret[<comm>][ ERRNO (text)][ <duration>]"
    private static string? ParseEnd(ReadOnlySpan<byte> s, ref StraceLine p)
    {
        int eq = s.LastIndexOf(" = "u8);
        if (eq < 0) return "the call has no ' = ' return value (the line is cut?)";
        var args = s[..eq].TrimEnd((byte)' ');
        if (args.IsEmpty || args[^1] != (byte)')') return "the call's arguments do not end with ')'";
        p.Args = args[..^1];
        var ret = s[(eq + 3)..];
        if (ret.EndsWith(">"u8))
        {
            // -T: " <0.000123>"
            int lt = ret.LastIndexOf(" <"u8);
            if (lt > 0 && ret[(lt + 2)..^1].IndexOfAnyExcept("0123456789."u8) < 0) ret = ret[..lt];
        }
        int sp = ret.IndexOf((byte)' ');
        var value = sp < 0 ? ret : ret[..sp];
        var tail = sp < 0 ? default : ret[(sp + 1)..];
        if (value.SequenceEqual("?"u8))
        {
            p.RetKind = RetKind.Unknown;
            if (!tail.IsEmpty && tail.StartsWith("ERESTART"u8)) p.RetKind = RetKind.Restart;
            return null;
        }
        int lt2 = value.IndexOf((byte)'<');
        if (lt2 > 0) value = value[..lt2];
        if (!StraceArgs.TryNumber(value, out p.Ret)) return "the return value is not a number";
        if (p.Ret == -1 && !tail.IsEmpty && tail[0] == (byte)'E')
        {
            int end = tail.IndexOf((byte)' ');
            var name = end < 0 ? tail : tail[..end];
            if (!StraceNames.TryErrno(name, out int errno)) return "unknown errno name after '= -1'";
            p.Ret = -errno;
        }
        else if (!tail.IsEmpty && tail.StartsWith("/* "u8))
        {
            var note = tail[3..];
            int space = note.IndexOf((byte)' ');
            if (space > 0 && note[space..].StartsWith(" in strace's PID NS */"u8))
            {
                if (!StraceArgs.TryInt(note[..space], out p.RetPidInStraceNs) || p.RetPidInStraceNs <= 0)
                    return "the pid in strace's PID namespace after the return value is not a pid";
            }
        }
        return null;
    }

    private static string? ParseExit(ReadOnlySpan<byte> s, ref StraceLine p)
    {
        if (!s.EndsWith(" +++"u8) || s.Length < 8) return "'+++' line without its closing '+++'";
        var body = s[4..^4];
        if (body.StartsWith("exited with "u8))
        {
            if (!Utf8Parser.TryParse(body[12..], out int code, out int used) || used != body.Length - 12 || code is < 0 or > 255)
                return "'exited with' is not followed by a status 0-255";
            p.Kind = LineKind.Exited;
            p.Number = code;
            return null;
        }
        if (body.StartsWith("killed by "u8))
        {
            var sig = body[10..];
            if (sig.EndsWith(" (core dumped)"u8)) { p.CoreDumped = true; sig = sig[..^14]; }
            if (!StraceNames.TrySignal(sig, out p.Number) || p.Number == 0) return "'killed by' is not followed by a signal";
            p.Kind = LineKind.Killed;
            p.Name = sig;
            return null;
        }
        if (body.StartsWith("superseded by execve in pid "u8))
        {
            if (!Utf8Parser.TryParse(body[28..], out int pid, out int used) || used != body.Length - 28 || pid <= 0)
                return "'superseded by execve in pid' is not followed by a pid";
            p.Kind = LineKind.Superseded;
            p.Number = pid;
            return null;
        }
        return "unknown '+++' line";
    }

    private static string? ParseSignal(ReadOnlySpan<byte> s, ref StraceLine p)
    {
        if (!s.EndsWith(" ---"u8) || s.Length < 8) return "'---' line without its closing '---'";
        var body = s[4..^4];
        int sp = body.IndexOf((byte)' ');
        var name = sp < 0 ? body : body[..sp];
        if (name.StartsWith("SIG"u8) && sp > 0 && body[(sp + 1)..].StartsWith("{"u8))
        {
            if (!StraceNames.TrySignal(name, out p.Number)) return "unknown signal name";
            p.Kind = LineKind.Signal;
            p.Name = name;
            p.Args = body[(sp + 1)..];
            return null;
        }
        p.Kind = LineKind.Stop;
        return null;
    }

    private static bool IsName(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty || s.Length > 64) return false;
        foreach (byte c in s)
            if (!(c is >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'_' or >= (byte)'A' and <= (byte)'Z' or (byte)'?'))
                return false;
        return true;
    }
}
