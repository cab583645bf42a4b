using System.Globalization;
using System.Text;
using Replayer.Ingest.Events;
using Replayer.Ingest.Formats.Tracepoints;

namespace Replayer.Ingest.Formats.Proc;

/// <summary>
/// Reads the /proc snapshot text (docs/trace-format.md, "/proc snapshot"), one block per thread:
/// "task TID tgid TGID", then /proc/TID/status lines (Name, Tgid, Pid, PPid, NStgid, NSpid,
/// NSpgid, NSsid, and Uid, CapPrm, CapEff, CapBnd, CapAmb in captures from version 2 on; SigBlk, taken
/// only where the capture follows masks; SigIgn and SigCgt, taken when both are there), "pgrp:" and "session:"
/// from /proc/TID/stat, "ns:" the pid namespace link, "user_ns:" the user namespace link (set
/// against the "# user_ns:" header, the capturing process's own), ended by a blank line. Lines are fed one at a time; a block comes out when it ends.
/// </summary>
public sealed class ProcSnapshotParser(string file)
{
    /// <summary>More levels than any kernel allows (MAX_PID_NS_LEVEL is 32).</summary>
    public const int MaxLevels = 33;

    // The block being read, or null between blocks.
    private Block? _block;

    // The snapshot was checked against the trace (a "# window:" header): a block without a Uid line had it taken out.
    private bool _reconciled;

    /// <summary>Real, effective and saved uid not known: the task's credentials were read but are not known as of the snapshot.</summary>
    private static int[] UnknownUids => [-1, -1, -1];

    // The capturing process's user namespace link, from the "# user_ns:" header; null when not given.
    private string? _userNs;

    /// <summary>The files the capture's tasks exec'd, as `replayer capture` found them ("# exec_file:" headers), by path.</summary>
    public Dictionary<string, (ExecFile Kind, int Uid)> ExecFiles { get; } = new(StringComparer.Ordinal);

    // "# exec_file: KIND UID PATH": plain, setuid (UID its owner), file_caps or unreadable; the path runs to the line's end.
    private void ExecFileLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        rest = rest.TrimStart((byte)' ');
        int a = rest.IndexOf((byte)' ');
        int b = a < 0 ? -1 : rest[(a + 1)..].IndexOf((byte)' ');
        if (b < 0) throw new TraceFormatException(file, lineNo, "an exec_file line that is not 'KIND UID PATH'");
        var kindText = rest[..a];
        var uidText = rest[(a + 1)..(a + 1 + b)];
        var path = rest[(a + 2 + b)..];
        ExecFile kind = kindText.SequenceEqual("plain"u8) ? ExecFile.Plain
            : kindText.SequenceEqual("setuid"u8) ? ExecFile.SetUid
            : kindText.SequenceEqual("file_caps"u8) ? ExecFile.FileCaps
            : kindText.SequenceEqual("unreadable"u8) ? ExecFile.Unreadable
            : throw new TraceFormatException(file, lineNo, "an exec_file kind that is not plain, setuid, file_caps or unreadable");
        if (!Numbers.TryParseDecimal(uidText, out long uid) || uid < 0 || uid > int.MaxValue)
            throw new TraceFormatException(file, lineNo, "an exec_file uid that is not a uid");
        if (path.IsEmpty) throw new TraceFormatException(file, lineNo, "an exec_file line without a path");
        ExecFiles[Encoding.UTF8.GetString(path)] = (kind, (int)uid);
    }

    /// <summary>
    /// What each rt_sigaction call of the trace installed, as `replayer capture` read it
    /// ("# sigaction:" headers), by (thread, time of its enter line, signal, the action's address).
    /// </summary>
    public Dictionary<SigactionKey, (Handler Handler, ulong Flags)> SignalActions { get; } = [];

    // "# sigaction: TID TIME SIG ACT HANDLER FLAGS" (ACT, HANDLER, FLAGS as 0x hex), or "... ACT unread".
    private void SigactionLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        Span<Range> parts = stackalloc Range[7];
        var text = rest.Trim((byte)' ');
        int n = Fields(text, parts);
        bool unread = n == 5 && text[parts[4]].SequenceEqual("unread"u8);
        if (n != 6 && !unread) throw new TraceFormatException(file, lineNo, "a sigaction line that is not 'TID TIME SIG ACT HANDLER FLAGS' or 'TID TIME SIG ACT unread'");
        int tid = Int(text[parts[0]], lineNo, "a sigaction's thread");
        if (!Numbers.TryParseTimestamp(text[parts[1]], out long time))
            throw new TraceFormatException(file, lineNo, "a sigaction time that is not 'seconds.fraction'");
        if (!Numbers.TryParseDecimal(text[parts[2]], out long sig) || sig < 0 || sig > 64)
            throw new TraceFormatException(file, lineNo, "a sigaction signal that is not a signal number");
        long act = Hex(text[parts[3]], lineNo, "action address");
        var key = new SigactionKey(tid, time, (int)sig, act);
        if (SignalActions.ContainsKey(key)) throw new TraceFormatException(file, lineNo, "a second sigaction line for the same call");
        if (unread)
        {
            SignalActions[key] = (Handler.Unknown, 0);
            return;
        }
        long handler = Hex(text[parts[4]], lineNo, "handler");
        long flags = Hex(text[parts[5]], lineNo, "sa_flags");
        // SIG_DFL is 0 and SIG_IGN 1 (include/uapi/asm-generic/signal-defs.h); anything else is a function.
        SignalActions[key] = (handler switch { 0 => Handler.Default, 1 => Handler.Ignore, _ => Handler.Catch }, (ulong)flags);
    }

    /// <summary>
    /// The capture follows every thread's blocked mask ("# signal_masks: bpftrace ..."): its
    /// snapshot's SigBlk lines and its "# sigmask:" lines are taken; otherwise neither is.
    /// </summary>
    public bool MasksFollowed { get; private set; }

    /// <summary>
    /// True when the capture traced only a command's descendants ("# follow: descendants"): the
    /// snapshot's tasks are not traced then, and one may exit without a line, so their exit
    /// signals are not taken (a wait that may find such a child a zombie stays unknown).
    /// </summary>
    public bool DescendantsOnly { get; private set; }

    /// <summary>Each thread's blocked mask wherever it changed ("# sigmask:" headers), in time order.</summary>
    public List<MaskRecord> SignalMasks { get; } = [];

    /// <summary>Each thread's first "# sigmask:" record's time, built at the first block that asks.</summary>
    private Dictionary<int, long>? _firstMask;

    /// <summary>
    /// A block of the window check's second read (<paramref name="readAt"/> &gt; 0) whose task has a
    /// mask record before the read, or within a millisecond after it began (the stamp is taken
    /// as the read of the task's files begins): its SigBlk is not the mask tracing began with,
    /// only one the task may still have.
    /// </summary>
    private bool MaskChangedBefore(int tid, long readAt)
    {
        if (readAt <= 0 || SignalMasks.Count == 0) return false;
        if (_firstMask is null)
        {
            _firstMask = [];
            foreach (var m in SignalMasks) _firstMask.TryAdd(m.Tid, m.Time);
        }
        return _firstMask.TryGetValue(tid, out long first) && first < readAt + 1_000_000;
    }

    // "# sigmask: TID TIME MASK" (MASK as 0x hex), in time order.
    private void SigmaskLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        if (!MasksFollowed) throw new TraceFormatException(file, lineNo, "a sigmask line in a capture whose signal_masks header does not say bpftrace");
        Span<Range> parts = stackalloc Range[4];
        int tid = TimedLine(rest, lineNo, "sigmask", "MASK", parts, out long time, out var text);
        if (ZeroXHex(text[parts[2]]) is not { } mask)
            throw new TraceFormatException(file, lineNo, "a sigmask mask that is not 0x hex");
        if (SignalMasks.Count > 0 && time < SignalMasks[^1].Time)
            throw new TraceFormatException(file, lineNo, "a sigmask line out of time order");
        SignalMasks.Add(new MaskRecord(tid, time, mask));
    }

    /// <summary>
    /// A "TID TIME X..." header line's thread and time (TIME as the trace prints it); the fields
    /// after them, as many as <paramref name="after"/> spells, are the caller's to read from
    /// <paramref name="text"/> at <paramref name="parts"/>[2] on (<paramref name="parts"/> holds one
    /// more, to find a field too many). <paramref name="what"/> names the line in the errors, and
    /// <paramref name="who"/> its first field ("PID" for a line of a process).
    /// </summary>
    private int TimedLine(ReadOnlySpan<byte> rest, long lineNo, string what, string after, Span<Range> parts, out long time, out ReadOnlySpan<byte> text,
        string who = "TID")
    {
        text = rest.Trim((byte)' ');
        if (Fields(text, parts) != parts.Length - 1) throw new TraceFormatException(file, lineNo, $"a {what} line that is not '{who} TIME{(after.Length > 0 ? " " + after : "")}'");
        int tid = Int(text[parts[0]], lineNo, $"a {what}'s thread");
        if (!Numbers.TryParseTimestamp(text[parts[1]], out time))
            throw new TraceFormatException(file, lineNo, $"a {what} time that is not 'seconds.fraction'");
        return tid;
    }

    /// <summary>
    /// The capture's probe of writes to ns_last_pid lost records ("# namespaces: bpftrace lost
    /// ..."; in a bundle made before the probe ran in parts, "# signal_masks: none (bpftrace lost
    /// ..."), headers that come before its "# last_pid:" lines: a write may be missing from them.
    /// </summary>
    public bool ProbeLost { get; private set; }

    /// <summary>The capture's namespaces part of the probe ran ("# namespaces: bpftrace ..."): the capturer has bpftrace children.</summary>
    private bool _namespacesProbed;

    /// <summary>Writes to ns_last_pid while tracing ran ("# last_pid:" headers), in time order.</summary>
    public List<LastPidWrite> LastPidWrites { get; } = [];

    // "# last_pid: TID TIME VALUE", in time order.
    private void LastPidLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        Span<Range> parts = stackalloc Range[4];
        int tid = TimedLine(rest, lineNo, "last_pid", "VALUE", parts, out long time, out var text);
        int value = Int(text[parts[2]], lineNo, "a last_pid's value");
        if (LastPidWrites.Count > 0 && time < LastPidWrites[^1].Time)
            throw new TraceFormatException(file, lineNo, "a last_pid line out of time order");
        LastPidWrites.Add(new LastPidWrite(tid, time, value) { Lossy = ProbeLost });
    }

    /// <summary>The capture's own bpftrace (its signal masks or namespaces header says it ran): the capturer's child of that name.</summary>
    private bool IsProbe(Block b) => (MasksFollowed || _namespacesProbed) && CapturePid != 0 && b.PPid == CapturePid && b.Comm == "bpftrace";

    /// <summary>Each setns's pid namespace for the caller's children ("# setns:" headers), in time order.</summary>
    public List<SetnsEntered> SetnsTargets { get; } = [];

    // "# setns: TID TIME INODE INIT", in time order.
    private void SetnsLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        Span<Range> parts = stackalloc Range[5];
        int tid = TimedLine(rest, lineNo, "setns", "INODE INIT", parts, out long time, out var text);
        if (!ulong.TryParse(text[parts[2]], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            throw new TraceFormatException(file, lineNo, "a setns's namespace inode that is not a number");
        int init = Int(text[parts[3]], lineNo, "a setns's init");
        if ((inode == 0) != (init == 0))
            throw new TraceFormatException(file, lineNo, "a setns line with an inode and no init, or an init and no inode");
        if (SetnsTargets.Count > 0 && time < SetnsTargets[^1].Time)
            throw new TraceFormatException(file, lineNo, "a setns line out of time order");
        SetnsTargets.Add(new SetnsEntered(tid, time, inode, init));
    }

    /// <summary>"0x" and one to sixteen hex digits as a 64-bit value; null for anything else.</summary>
    private static ulong? ZeroXHex(ReadOnlySpan<byte> s) =>
        s.Length >= 3 && s.Length <= 18 && s[0] == '0' && s[1] == 'x'
            && ulong.TryParse(s[2..], System.Globalization.NumberStyles.AllowHexSpecifier, null, out ulong v) ? v : null;

    /// <summary>The space-separated fields of <paramref name="text"/> into <paramref name="parts"/>; their number, at most its length (a line with more fills it, and is refused as one with too many).</summary>
    private static int Fields(ReadOnlySpan<byte> text, Span<Range> parts)
    {
        int n = 0, i = 0;
        while (i < text.Length && n < parts.Length)
        {
            while (i < text.Length && text[i] == ' ') i++;
            if (i == text.Length) break;
            int start = i;
            while (i < text.Length && text[i] != ' ') i++;
            parts[n++] = start..i;
        }
        return n;
    }

    private long Hex(ReadOnlySpan<byte> s, long lineNo, string what)
    {
        if (s.Length < 3 || s[0] != '0' || s[1] != 'x' || !Numbers.TryParseHex(s[2..], out long v))
            throw new TraceFormatException(file, lineNo, $"a sigaction {what} that is not 0x hex");
        return v;
    }

    /// <summary>
    /// The capture shows every way a signal leaves a queue without a signal_deliver line
    /// ("# dequeues: followed"): rt_sigtimedwait and signalfd are traced, and its
    /// "# silent_dequeue:" lines name the snapshot's processes that took signals some way it
    /// cannot show (a signalfd held, an rt_sigtimedwait entered before tracing began).
    /// </summary>
    public bool DequeuesFollowed { get; private set; }

    /// <summary>The capturing process ("# capture_pid:"): in a capture of a command's descendants, the one snapshot process traced.</summary>
    public int? CapturePid { get; private set; }

    /// <summary>The snapshot's processes that may take signals with no line in the trace ("# silent_dequeue:" lines).</summary>
    public HashSet<int> SilentDequeuers { get; } = [];

    // "# silent_dequeue: PID signalfd", "PID sigtimedwait TID" or "PID unreadable".
    private void SilentDequeueLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        if (!DequeuesFollowed) throw new TraceFormatException(file, lineNo, "a silent_dequeue line in a capture whose dequeues header does not say followed");
        Span<Range> parts = stackalloc Range[4];
        var text = rest.Trim((byte)' ');
        int n = Fields(text, parts);
        int pid = n >= 2 ? Int(text[parts[0]], lineNo, "a silent_dequeue process") : 0;
        var why = n >= 2 ? text[parts[1]] : default;
        bool ok = pid > 0 && (n == 2 && (why.SequenceEqual("signalfd"u8) || why.SequenceEqual("unreadable"u8))
            || n == 3 && why.SequenceEqual("sigtimedwait"u8) && Int(text[parts[2]], lineNo, "a silent_dequeue thread") > 0);
        if (!ok) throw new TraceFormatException(file, lineNo, "a silent_dequeue line that is not 'PID signalfd', 'PID sigtimedwait TID' or 'PID unreadable'");
        SilentDequeuers.Add(pid);
    }

    /// <summary>
    /// The sa_flags of a process's SIGCHLD action ("# sigchld_flags:" headers), by process id:
    /// /proc shows whether a signal is caught or ignored, not SA_NOCLDWAIT, so the capturing
    /// process reads its own with sigaction(2) as the snapshot is taken.
    /// </summary>
    public Dictionary<int, ulong> SigchldFlags { get; } = [];

    /// <summary>
    /// Whether a process caught or ignored SIGCHLD when tracing began ("# sigchld_flags:" lines
    /// with a third field, read from the kernel): bit 16 of SigIgn and SigCgt follows it, since
    /// the block may have been read before the process changed its action.
    /// </summary>
    private readonly Dictionary<int, (bool Ignored, bool Caught)> _sigchldHandlers = [];

    // "# sigchld_flags: PID FLAGS [dfl|ign|caught]" (FLAGS as 0x hex).
    private void SigchldFlagsLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        Span<Range> parts = stackalloc Range[4];
        var text = rest.Trim((byte)' ');
        int n = Fields(text, parts);
        if (n is not (2 or 3)) throw new TraceFormatException(file, lineNo, "a sigchld_flags line that is not 'PID FLAGS' or 'PID FLAGS dfl|ign|caught'");
        int pid = Int(text[parts[0]], lineNo, "a sigchld_flags process");
        if (pid <= 0) throw new TraceFormatException(file, lineNo, "a sigchld_flags process that is not positive");
        if (ZeroXHex(text[parts[1]]) is not { } flags)
            throw new TraceFormatException(file, lineNo, "sigchld_flags that are not 0x hex");
        if (!SigchldFlags.TryAdd(pid, flags)) throw new TraceFormatException(file, lineNo, "a second sigchld_flags line for the same process");
        if (n == 3)
        {
            var h = text[parts[2]];
            _sigchldHandlers[pid] = HandlerSpelled(h) ?? throw new TraceFormatException(file, lineNo, "a sigchld_flags handler that is not dfl, ign or caught");
        }
    }

    /// <summary>
    /// What a process of the first read did to its actions from that read to tracing_on ("#
    /// window_sigaction:" and "# window_exec:" lines), by process, in time order: Sig 0 for an
    /// exec, else the signal and its new action (null when its read may have failed).
    /// </summary>
    private readonly Dictionary<int, List<(long Time, int Sig, (bool Ignored, bool Caught)? Action)>> _windowFacts = [];

    /// <summary>A handler as the capture spells it (dfl, ign, caught): whether ignored, whether caught; null for another word.</summary>
    private static (bool Ignored, bool Caught)? HandlerSpelled(ReadOnlySpan<byte> h) =>
        h.SequenceEqual("dfl"u8) ? (false, false) : h.SequenceEqual("ign"u8) ? (true, false) : h.SequenceEqual("caught"u8) ? (false, true) : null;

    // "# window_sigaction: PID TIME SIG dfl|ign|caught|unread", in time order with the exec lines.
    private void WindowSigactionLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        Span<Range> parts = stackalloc Range[5];
        int pid = TimedLine(rest, lineNo, "window_sigaction", "SIG ACTION", parts, out long time, out var text, who: "PID");
        int sig = Int(text[parts[2]], lineNo, "a window_sigaction's signal");
        if (sig is < 1 or > 64 or 9 or 19) throw new TraceFormatException(file, lineNo, "a window_sigaction's signal that no action can be given");
        var h = text[parts[3]];
        (bool, bool)? action = h.SequenceEqual("unread"u8) ? null
            : HandlerSpelled(h) ?? throw new TraceFormatException(file, lineNo, "a window_sigaction's action that is not dfl, ign, caught or unread");
        WindowFact(pid, time, sig, action, lineNo, "window_sigaction");
    }

    // "# window_exec: PID TIME", in time order with the sigaction lines.
    private void WindowExecLine(ReadOnlySpan<byte> rest, long lineNo)
    {
        Span<Range> parts = stackalloc Range[3];
        int pid = TimedLine(rest, lineNo, "window_exec", "", parts, out long time, out _, who: "PID");
        WindowFact(pid, time, 0, null, lineNo, "window_exec");
    }

    private void WindowFact(int pid, long time, int sig, (bool, bool)? action, long lineNo, string what)
    {
        if (pid <= 0) throw new TraceFormatException(file, lineNo, $"a {what} process that is not positive");
        if (!_windowFacts.TryGetValue(pid, out var facts)) _windowFacts[pid] = facts = [];
        // Each kind of line is in time order.
        var key = (pid, sig == 0);
        if (_windowLast.TryGetValue(key, out long last) && time < last) throw new TraceFormatException(file, lineNo, $"a {what} line out of time order");
        _windowLast[key] = time;
        // Merged into the process's facts by time; an exec before an action of the same moment
        // (the new program's): the lines of one kind come in time order, so this is nearly always an append.
        int at = facts.Count;
        while (at > 0 && (facts[at - 1].Time > time || facts[at - 1].Time == time && facts[at - 1].Sig != 0 && sig == 0)) at--;
        facts.Insert(at, (time, sig, action));
    }

    /// <summary>The time of each process's last window line of each kind (exec or not), to refuse one out of order.</summary>
    private readonly Dictionary<(int Pid, bool Exec), long> _windowLast = [];

    /// <summary>
    /// A block of the first read (no read_at) whose process changed its actions before tracing
    /// began: the changes replayed in order onto what the read showed (replaying one the read
    /// already showed, with every later one, changes nothing). An exec sets every caught signal
    /// back to SIG_DFL; an action whose read may have failed leaves every action not known.
    /// </summary>
    private static void ReplayWindow(Block b, List<(long Time, int Sig, (bool Ignored, bool Caught)? Action)> facts)
    {
        foreach (var (_, sig, action) in facts)
        {
            if (b.SigIgn is not { } ign || b.SigCgt is not { } cgt) return;
            if (sig == 0)
            {
                b.SigCgt = 0;
                continue;
            }
            if (action is not { } a)
            {
                b.SigIgn = b.SigCgt = null;
                return;
            }
            ulong bit = 1UL << (sig - 1);
            b.SigIgn = a.Ignored ? ign | bit : ign & ~bit;
            b.SigCgt = a.Caught ? cgt | bit : cgt & ~bit;
        }
    }

    /// <summary>Boot-relative time of the snapshot, from its "# /proc/uptime:" header line (trace_clock local counts from boot too).</summary>
    public long Time { get; private set; }

    /// <summary>Blocks read so far.</summary>
    public long Tasks { get; private set; }

    /// <summary>True when the line belongs to the snapshot text (a block line, a blank, a '#' header).</summary>
    public static bool IsSnapshotLine(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty || text[0] == '#') return true;
        if (text.StartsWith("task "u8)) return true;
        int colon = text.IndexOf((byte)':');
        return colon > 0 && colon < 24 && text[..colon].IndexOfAny((byte)' ', (byte)'[') < 0;
    }

    /// <summary>Reads one line; returns the task whose block the line ended, if any.</summary>
    public TaskSnapshot? Line(ReadOnlySpan<byte> text, long lineNo)
    {
        if (text.StartsWith("#"u8))
        {
            Header(text, lineNo);
            return null;
        }
        if (text.Trim((byte)' ').IsEmpty) return End();
        if (text.StartsWith("task "u8))
        {
            var done = End();
            _block = StartBlock(text, lineNo);
            return done;
        }
        if (_block is null) throw new TraceFormatException(file, lineNo, "a snapshot line outside a 'task TID tgid TGID' block");
        int colon = text.IndexOf((byte)':');
        if (colon <= 0) throw new TraceFormatException(file, lineNo, "a snapshot line that is not 'Key: value'");
        var key = text[..colon];
        var value = text[(colon + 1)..].Trim("\t "u8);
        var b = _block;
        if (key.SequenceEqual("Name"u8)) b.Comm = Encoding.UTF8.GetString(value);
        else if (key.SequenceEqual("Tgid"u8)) b.Tgid = Int(value, lineNo, "Tgid");
        else if (key.SequenceEqual("PPid"u8)) b.PPid = Int(value, lineNo, "PPid");
        else if (key.SequenceEqual("NSpid"u8)) b.NsPid = Levels(value, lineNo, "NSpid");
        else if (key.SequenceEqual("NSpgid"u8)) b.NsPgid = Levels(value, lineNo, "NSpgid");
        else if (key.SequenceEqual("NSsid"u8)) b.NsSid = Levels(value, lineNo, "NSsid");
        else if (key.SequenceEqual("pgrp"u8)) b.Pgid = Int(value, lineNo, "pgrp");
        else if (key.SequenceEqual("session"u8)) b.Sid = Int(value, lineNo, "session");
        else if (key.SequenceEqual("ns"u8)) b.PidNs = Inode(value, lineNo);
        else if (key.SequenceEqual("ns_for_children"u8)) b.PidNsForChildren = Inode(value, lineNo);
        else if (key.SequenceEqual("Uid"u8)) b.Uids = Uids(value, lineNo);
        else if (key.SequenceEqual("CapPrm"u8)) b.CapPrm = CapSet(value, lineNo, "CapPrm");
        else if (key.SequenceEqual("CapEff"u8)) b.CapEff = CapSet(value, lineNo, "CapEff");
        else if (key.SequenceEqual("CapBnd"u8)) b.CapBnd = CapSet(value, lineNo, "CapBnd");
        else if (key.SequenceEqual("CapAmb"u8)) b.CapAmb = CapSet(value, lineNo, "CapAmb");
        else if (key.SequenceEqual("user_ns"u8)) b.UserNs = Encoding.ASCII.GetString(value);
        else if (key.SequenceEqual("NoNewPrivs"u8)) b.NoNewPrivs = value.SequenceEqual("1"u8);
        else if (key.SequenceEqual("SigBlk"u8)) b.Blocked = CapSet(value, lineNo, "SigBlk");
        else if (key.SequenceEqual("SigPnd"u8)) b.SigPnd = CapSet(value, lineNo, "SigPnd");
        else if (key.SequenceEqual("ShdPnd"u8)) b.ShdPnd = CapSet(value, lineNo, "ShdPnd");
        else if (key.SequenceEqual("SigIgn"u8)) b.SigIgn = CapSet(value, lineNo, "SigIgn");
        else if (key.SequenceEqual("SigCgt"u8)) b.SigCgt = CapSet(value, lineNo, "SigCgt");
        else if (key.SequenceEqual("exit_signal"u8)) b.ExitSignal = ExitSignal(value, lineNo);
        // "State: Z" (this snapshot's writer) or "State:\tZ (zombie)" (/proc/PID/status).
        else if (key.SequenceEqual("State"u8)) b.Zombie = value.Length > 0 && value[0] == 'Z';
        // The capture's window check: the number may have been another task's when tracing began.
        else if (key.SequenceEqual("reused"u8)) b.MaybeReused = value.SequenceEqual("maybe"u8);
        // The window check's "pending: unknown": a signal came to it before tracing began, after /proc read it.
        else if (key.SequenceEqual("pending"u8)) b.PendingUnknown = value.SequenceEqual("unknown"u8);
        // The window check's "read_at:": the block is the second read's, made then (trace clock, ns).
        else if (key.SequenceEqual("read_at"u8)) b.ReadAt = Long(value, lineNo, "read_at");
        // Pid, NStgid and anything a later version adds carry nothing the event keeps.
        return null;
    }

    /// <summary>Signals 1 to 31 but SIGKILL and SIGSTOP: what may be pending where the window check could not tell (bit sig-1 for signal sig).</summary>
    public const ulong MaybePending = 0x7fffffffUL & ~(1UL << 8) & ~(1UL << 18);

    /// <summary>At a block's end (blank line, next block, end of input): the finished task, if one was open.</summary>
    public TaskSnapshot? End()
    {
        if (_block is not { } b) return null;
        _block = null;
        Tasks++;
        // A task whose user namespace is not the capturer's (or not known to be) holds its
        // capabilities there only; one whose link could not be read (it was exiting) is taken
        // for the capturer's, as every task is in a capture without the header.
        bool foreign = _userNs is not null && b.UserNs is not null && b.UserNs.Length != 0 && b.UserNs != _userNs;
        bool dispositions = b.SigIgn.HasValue && b.SigCgt.HasValue;
        // The masks are followed, and this block's SigBlk is the one tracing began with.
        bool masksKnown = MasksFollowed && !MaskChangedBefore(b.Tid, b.ReadAt);
        if (dispositions && b.ReadAt == 0 && _windowFacts.TryGetValue(b.Tgid, out var facts))
        {
            ReplayWindow(b, facts);
            dispositions = b.SigIgn.HasValue && b.SigCgt.HasValue;
        }
        if (dispositions && _sigchldHandlers.TryGetValue(b.Tgid, out var sigchld))
        {
            const ulong Bit = 1UL << 16;
            b.SigIgn = sigchld.Ignored ? b.SigIgn | Bit : b.SigIgn & ~Bit;
            b.SigCgt = sigchld.Caught ? b.SigCgt | Bit : b.SigCgt & ~Bit;
        }
        return new TaskSnapshot
        {
            Seq = -1, Time = Time, Tid = b.Tid, Comm = b.Comm, Tgid = b.Tgid, PPid = b.PPid, Pgid = b.Pgid, Sid = b.Sid,
            NsPid = b.NsPid, NsPgid = b.NsPgid, NsSid = b.NsSid, PidNs = b.PidNs,
            // Unreadable with the task's own link read: unshared, not forked into yet (0); with neither: not known.
            PidNsForChildren = b.PidNsForChildren is { } forChildren && (forChildren != 0 || b.PidNs != 0) ? forChildren : null,
            Uids = b.Uids ?? (_reconciled ? UnknownUids : null), CapPrm = b.CapPrm, CapEff = b.CapEff, CapBnd = b.CapBnd, CapAmb = b.CapAmb, ForeignUserNs = foreign, NoNewPrivs = b.NoNewPrivs,
            Blocked = masksKnown ? b.Blocked : null,
            BlockedAtRead = masksKnown ? null : b.Blocked,
            // The actions are the process's (its threads share them); one without the other is not taken.
            SigIgn = dispositions ? b.SigIgn : null,
            SigCgt = dispositions ? b.SigCgt : null,
            SigchldFlags = dispositions && SigchldFlags.TryGetValue(b.Tgid, out var flags) ? flags : null,
            ExitSignal = DescendantsOnly ? null : b.ExitSignal,
            // A snapshot process is traced in a whole-system capture; of a command's, only the capturer is.
            DequeuesTraced = DequeuesFollowed && (!DescendantsOnly || b.Tgid == CapturePid) && !SilentDequeuers.Contains(b.Tgid),
            Zombie = b.Zombie,
            // Not known: any standard signal may be pending (none surely); SIGKILL and SIGSTOP are
            // left out, for they would say the process was dying or stopping.
            SigPnd = b.PendingUnknown ? MaybePending : b.SigPnd,
            ShdPnd = b.PendingUnknown ? MaybePending : b.ShdPnd,
            // Following a command's descendants, no snapshot process but the capturer is traced:
            // one may exit, and its number be taken again, with no line (a command's `kill -0` to
            // a process gone since the snapshot answered ESRCH).
            // The capturer's bpftrace is not traced either, but it lives through the capture (which
            // ends if it does), so its parent hears no SIGCHLD from it unseen.
            Untraced = DescendantsOnly && b.Tgid != CapturePid && !IsProbe(b),
            // The window check's "reused: maybe": a line that names the number may be of another task.
            MaybeReused = b.MaybeReused,
        };
    }

    private void Header(ReadOnlySpan<byte> text, long lineNo)
    {
        if (text.StartsWith("# exec_file:"u8))
        {
            ExecFileLine(text[12..], lineNo);
            return;
        }
        if (text.StartsWith("# sigaction:"u8))
        {
            SigactionLine(text[12..], lineNo);
            return;
        }
        if (text.StartsWith("# window:"u8))
        {
            // The check of the snapshot against the trace's first lines (docs/capture-formats.md):
            // its capture read every task's credentials, and took them out of a block where a line
            // showed them changed before the second read, so they are not known as of tracing_on.
            _reconciled = true;
            return;
        }
        if (text.StartsWith("# follow:"u8))
        {
            DescendantsOnly = text[9..].Trim((byte)' ').StartsWith("descendants"u8);
            return;
        }
        if (text.StartsWith("# signal_masks:"u8))
        {
            MasksFollowed = text[15..].Trim((byte)' ').StartsWith("bpftrace"u8);
            ProbeLost = text[15..].Trim((byte)' ').StartsWith("none (bpftrace lost"u8);
            return;
        }
        if (text.StartsWith("# namespaces:"u8))
        {
            // Written after "# signal_masks:", by captures whose probe runs in parts: the
            // namespaces' part has its own buffers, and says for itself whether it lost records.
            var status = text[13..].Trim((byte)' ');
            _namespacesProbed = status.StartsWith("bpftrace"u8);
            ProbeLost = status.StartsWith("bpftrace lost"u8);
            return;
        }
        if (text.StartsWith("# sigmask:"u8))
        {
            SigmaskLine(text[10..], lineNo);
            return;
        }
        if (text.StartsWith("# sigchld_flags:"u8))
        {
            SigchldFlagsLine(text[16..], lineNo);
            return;
        }
        if (text.StartsWith("# last_pid:"u8))
        {
            LastPidLine(text[11..], lineNo);
            return;
        }
        if (text.StartsWith("# window_sigaction:"u8))
        {
            WindowSigactionLine(text[19..], lineNo);
            return;
        }
        if (text.StartsWith("# window_exec:"u8))
        {
            WindowExecLine(text[14..], lineNo);
            return;
        }
        if (text.StartsWith("# setns:"u8))
        {
            SetnsLine(text[8..], lineNo);
            return;
        }
        if (text.StartsWith("# dequeues:"u8))
        {
            DequeuesFollowed = text[11..].Trim((byte)' ').SequenceEqual("followed"u8);
            return;
        }
        if (text.StartsWith("# silent_dequeue:"u8))
        {
            SilentDequeueLine(text[17..], lineNo);
            return;
        }
        if (text.StartsWith("# capture_pid:"u8))
        {
            int pid = Int(text[14..].Trim((byte)' '), lineNo, "capture_pid");
            CapturePid = pid > 0 ? pid : throw new TraceFormatException(file, lineNo, "a capture_pid that is not positive");
            return;
        }
        if (text.StartsWith("# user_ns:"u8))
        {
            var link = text[10..].Trim((byte)' ');
            _userNs = link.IsEmpty ? null : Encoding.ASCII.GetString(link);
            return;
        }
        // "# /proc/uptime: 346.95 612.30" (older captures: "# uptime 346.95 612.30 ...").
        ReadOnlySpan<byte> rest;
        if (text.StartsWith("# /proc/uptime:"u8)) rest = text[15..];
        else if (text.StartsWith("# uptime "u8)) rest = text[9..];
        else return;
        rest = rest.TrimStart((byte)' ');
        int sp = rest.IndexOf((byte)' ');
        if (!Numbers.TryParseTimestamp(sp < 0 ? rest : rest[..sp], out long ns))
            throw new TraceFormatException(file, lineNo, "an uptime that is not 'seconds.fraction'");
        Time = ns;
    }

    private Block StartBlock(ReadOnlySpan<byte> text, long lineNo)
    {
        // task TID tgid TGID
        var rest = text[5..].Trim((byte)' ');
        int sp = rest.IndexOf((byte)' ');
        if (sp < 0 || !rest[sp..].TrimStart((byte)' ').StartsWith("tgid "u8))
            throw new TraceFormatException(file, lineNo, "a block header that is not 'task TID tgid TGID'");
        int tid = Int(rest[..sp], lineNo, "task");
        int tgid = Int(rest[sp..].TrimStart((byte)' ')[5..].Trim((byte)' '), lineNo, "tgid");
        if (tid <= 0) throw new TraceFormatException(file, lineNo, "a task id that is not positive");
        return new Block { Tid = tid, Tgid = tgid };
    }

    private int Int(ReadOnlySpan<byte> s, long lineNo, string what)
    {
        if (!Numbers.TryParseDecimal(s, out long v) || v < 0 || v > int.MaxValue)
            throw new TraceFormatException(file, lineNo, $"{what} is not a pid number");
        return (int)v;
    }

    private long Long(ReadOnlySpan<byte> s, long lineNo, string what)
    {
        if (!Numbers.TryParseDecimal(s, out long v) || v < 0)
            throw new TraceFormatException(file, lineNo, $"{what} is not a time in nanoseconds");
        return v;
    }

    /// <summary>stat's exit_signal: -1 (a thread), 0 (none), or a signal number.</summary>
    private int ExitSignal(ReadOnlySpan<byte> s, long lineNo)
    {
        if (!Numbers.TryParseDecimal(s, out long v) || v is < -1 or > 64)
            throw new TraceFormatException(file, lineNo, "an exit_signal that is not -1, 0 or a signal number");
        return (int)v;
    }

    private int[] Levels(ReadOnlySpan<byte> s, long lineNo, string what)
    {
        var levels = new List<int>();
        while (!s.IsEmpty)
        {
            int end = s.IndexOfAny((byte)'\t', (byte)' ');
            var one = end < 0 ? s : s[..end];
            if (!one.IsEmpty)
            {
                if (levels.Count == MaxLevels) throw new TraceFormatException(file, lineNo, $"{what} has more levels than a kernel allows ({MaxLevels})");
                levels.Add(Int(one, lineNo, what));
            }
            s = end < 0 ? default : s[(end + 1)..];
        }
        if (levels.Count == 0) throw new TraceFormatException(file, lineNo, $"{what} lists no number");
        return [.. levels];
    }

    // "pid:[4026531836]"; empty when the link could not be read (a kernel thread, a task gone).
    private ulong Inode(ReadOnlySpan<byte> s, long lineNo)
    {
        if (s.IsEmpty) return 0;
        if (!s.StartsWith("pid:["u8) || s[^1] != ']' || !Numbers.TryParseDecimal(s[5..^1], out long v) || v < 0)
            throw new TraceFormatException(file, lineNo, "ns is not 'pid:[INODE]'");
        return (ulong)v;
    }

    // "Uid:\treal\teffective\tsaved\tfs": the first three. A uid past int's range (no id mapping
    // gives one) leaves the task's uids unknown rather than wrong.
    private int[]? Uids(ReadOnlySpan<byte> s, long lineNo)
    {
        var uids = new int[3];
        for (int i = 0; i < 3; i++)
        {
            s = s.TrimStart("\t "u8);
            int end = s.IndexOfAny((byte)'\t', (byte)' ');
            var one = end < 0 ? s : s[..end];
            if (!Numbers.TryParseDecimal(one, out long v) || v < 0 || v > uint.MaxValue)
                throw new TraceFormatException(file, lineNo, "Uid is not 'real effective saved fs'");
            if (v > int.MaxValue) return UnknownUids;
            uids[i] = (int)v;
            s = end < 0 ? default : s[end..];
        }
        return uids;
    }

    // "CapEff:\t000001ffffffffff", "SigBlk:\t0000000000010000": sixteen hex digits.
    private ulong CapSet(ReadOnlySpan<byte> s, long lineNo, string what)
    {
        if (s.IsEmpty || s.Length > 16 || !ulong.TryParse(s, System.Globalization.NumberStyles.AllowHexSpecifier, null, out ulong v))
            throw new TraceFormatException(file, lineNo, $"{what} is not a set in hex");
        return v;
    }

    /// <summary>One block's fields as read so far.</summary>
    private sealed class Block
    {
        public int Tid;
        public int Tgid;
        public string Comm = "";
        public int PPid;
        public int Pgid;
        public int Sid;
        public int[]? NsPid;
        public int[]? NsPgid;
        public int[]? NsSid;
        public ulong PidNs;
        public ulong? PidNsForChildren;
        public int[]? Uids;
        public ulong? CapPrm;
        public ulong? CapEff;
        public ulong? CapBnd;
        public ulong? CapAmb;
        public string? UserNs;
        public bool NoNewPrivs;
        public ulong? Blocked;
        public ulong? SigIgn;
        public ulong? SigCgt;
        public int? ExitSignal;
        public bool Zombie;
        public bool MaybeReused;
        public ulong? SigPnd;
        public bool PendingUnknown;
        public long ReadAt;
        public ulong? ShdPnd;
    }
}
