using System.Diagnostics;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

/// <summary>
/// The native line format, both ways. The writer emits keys in one fixed order and omits fields
/// at their defaults, so a line is canonical; the reader accepts keys in any order, rejects unknown
/// ones and numbers out of range, and says which key was wrong.
/// </summary>
public static partial class NativeJson
{
    private const int MaxComm = 256;
    private const int MaxLevels = 33;
    private const int MaxSignals = 1 << 16;

    // ---- writing ----------------------------------------------------------------------------

    public static void WriteHeader(Utf8JsonWriter w, TraceHeader h)
    {
        w.WriteStartObject();
        w.WriteNumber("replayer_trace"u8, TraceHeader.Version);
        w.WriteString("trace"u8, h.Trace);
        w.WriteStartArray("sources"u8);
        foreach (var s in h.Sources)
        {
            w.WriteStartObject();
            w.WriteString("file"u8, s.File);
            w.WriteString("format"u8, s.Format);
            w.WriteString("host"u8, s.Host);
            w.WriteNumber("events"u8, s.Events);
            w.WriteNumber("lines"u8, s.Lines);
            w.WriteNumber("skipped"u8, s.Skipped);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteEvent(Utf8JsonWriter w, PidEvent ev)
    {
        w.WriteStartObject();
        var sink = new JsonSink(w);
        WriteFields(ref sink, ev);
        w.WriteEndObject();
    }

    /// <summary>
    /// Where WriteFields puts an event's fields: JSON text (WriteEvent) or the store's binary form
    /// (WriteBinary). One walk feeds both, so the two can never carry different fields.
    /// </summary>
    private interface IFieldSink
    {
        void Number(Key key, long value);
        void Unsigned(Key key, ulong value);
        void String(Key key, string value);

        /// <summary>An enum's value: the <paramref name="index"/>th of <paramref name="names"/>.</summary>
        void Name(Key key, Spellings names, int index);

        /// <summary>A flag that is set (a flag at its default, false, is omitted).</summary>
        void True(Key key);

        void Numbers(Key key, int[] values);
        void Signals(Key key, SignalRecord[] signals);
        void Signal(Key key, SignalRecord signal);
    }

    /// <summary>
    /// An event's fields in the writer's one order, each omitted at its default as the native
    /// format says, so one event always gives the same fields in the same order.
    /// </summary>
    private static void WriteFields<TSink>(ref TSink sink, PidEvent ev) where TSink : IFieldSink, allows ref struct
    {
        if (ev.Seq >= 0) sink.Number(Key.Seq, ev.Seq);
        sink.Number(Key.T, ev.Time);
        sink.String(Key.Host, ev.Host);
        sink.Number(Key.Tid, ev.Tid);
        sink.String(Key.Comm, ev.Comm);
        sink.Name(Key.Kind, Kinds, (int)ev.Kind);
        switch (ev)
        {
            case TaskSnapshot s:
                sink.Number(Key.Tgid, s.Tgid);
                sink.Number(Key.PPid, s.PPid);
                sink.Number(Key.Pgid, s.Pgid);
                sink.Number(Key.Sid, s.Sid);
                if (s.NsPid is not null) sink.Numbers(Key.NsPid, s.NsPid);
                if (s.NsPgid is not null) sink.Numbers(Key.NsPgid, s.NsPgid);
                if (s.NsSid is not null) sink.Numbers(Key.NsSid, s.NsSid);
                if (s.PidNs != 0) sink.Unsigned(Key.PidNs, s.PidNs);
                if (s.Adopted) sink.True(Key.Adopted);
                if (s.Uids is not null) sink.Numbers(Key.Uids, s.Uids);
                if (s.CapPrm is { } capPrm) sink.Unsigned(Key.CapPrm, capPrm);
                if (s.CapEff is { } capEff) sink.Unsigned(Key.CapEff, capEff);
                if (s.CapBnd is { } capBnd) sink.Unsigned(Key.CapBnd, capBnd);
                if (s.CapAmb is { } capAmb) sink.Unsigned(Key.CapAmb, capAmb);
                if (s.ForeignUserNs) sink.True(Key.ForeignUserNs);
                if (s.NoNewPrivs) sink.True(Key.NoNewPrivs);
                if (s.Blocked is { } blocked) sink.Unsigned(Key.Blocked, blocked);
                if (s.SigIgn is { } sigIgn) sink.Unsigned(Key.SigIgn, sigIgn);
                if (s.SigCgt is { } sigCgt) sink.Unsigned(Key.SigCgt, sigCgt);
                if (s.SigchldFlags is { } sigchldFlags) sink.Unsigned(Key.SigchldFlags, sigchldFlags);
                if (s.ExitSignal is { } exitSignal) sink.Number(Key.ExitSignal, exitSignal);
                if (s.DequeuesTraced) sink.True(Key.DequeuesTraced);
                if (s.Zombie) sink.True(Key.Zombie);
                if (s.SigPnd is { } sigPnd) sink.Unsigned(Key.SigPnd, sigPnd);
                if (s.ShdPnd is { } shdPnd) sink.Unsigned(Key.ShdPnd, shdPnd);
                if (s.PidNsForChildren is { } forChildren) sink.Unsigned(Key.NsForChildren, forChildren);
                if (s.Untraced) sink.True(Key.Untraced);
                if (s.MaybeReused) sink.True(Key.MaybeReused);
                if (s.BlockedAtRead is { } blockedAtRead) sink.Unsigned(Key.BlockedAtRead, blockedAtRead);
                break;
            case Fork f:
                sink.Name(Key.Call, AllCalls, ForkCallsAt + (int)f.Call);
                sink.Number(Key.Child, f.Child);
                sink.Unsigned(Key.Flags, f.Flags);
                if (f.SetTid is not null) sink.Numbers(Key.SetTid, f.SetTid);
                if (f.EnterLost) sink.True(Key.EnterLost);
                break;
            case Exec e:
                sink.String(Key.File, e.Filename);
                if (e.OldTid != 0) sink.Number(Key.OldTid, e.OldTid);
                if (e.File != ExecFile.Unknown) sink.Name(Key.FileKind, ExecFiles, (int)e.File);
                if (e.FileUid != 0) sink.Number(Key.FileUid, e.FileUid);
                break;
            case Exit x:
                if (x.Code is int code) sink.Number(Key.Code, code);
                if (x.Group) sink.True(Key.Group);
                if (x.AtNotice) sink.True(Key.AtNotice);
                if (x.NoticeInWait) sink.True(Key.NoticeInWait);
                if (x.NoticeAfterEnd) sink.True(Key.NoticeAfterEnd);
                if (x.Signals.Length != 0) sink.Signals(Key.Signals, x.Signals);
                break;
            case SetPgid p:
                sink.Number(Key.Pid, p.Pid);
                sink.Number(Key.Pgid, p.Pgid);
                break;
            case SetSid:
                break;
            case SigAction a:
                sink.Number(Key.Sig, a.Sig);
                sink.Name(Key.Handler, Handlers, (int)a.Handler);
                if (a.SaFlags != 0) sink.Unsigned(Key.SaFlags, a.SaFlags);
                break;
            case Prctl p:
                sink.Number(Key.Option, p.Option);
                sink.Unsigned(Key.Arg2, p.Arg2);
                if (p.Arg3 != 0) sink.Unsigned(Key.Arg3, p.Arg3);
                break;
            case GetId g:
                sink.Name(Key.Call, AllCalls, GetIdCallsAt + (int)g.Call);
                if (g.Arg != 0) sink.Number(Key.Arg, g.Arg);
                break;
            case Kill k:
                sink.Name(Key.Call, AllCalls, KillCallsAt + (int)k.Call);
                sink.Number(Key.Pid, k.Pid);
                if (k.ThreadArg != 0) sink.Number(Key.Thread, k.ThreadArg);
                sink.Number(Key.Sig, k.Sig);
                if (k.Signals.Length != 0) sink.Signals(Key.Signals, k.Signals);
                break;
            case Wait wt:
                sink.Name(Key.Call, AllCalls, WaitCallsAt + (int)wt.Call);
                sink.Number(Key.Pid, wt.Pid);
                sink.Number(Key.Options, wt.Options);
                if (wt.EnterLost) sink.True(Key.EnterLost);
                break;
            case Unshare u:
                sink.Unsigned(Key.Flags, u.Flags);
                break;
            case SetNs n:
                sink.Number(Key.Fd, n.Fd);
                sink.Unsigned(Key.NsType, n.NsType);
                if (n.TargetNs != 0) sink.Unsigned(Key.TargetNs, n.TargetNs);
                if (n.TargetInit != 0) sink.Number(Key.TargetInit, n.TargetInit);
                break;
            case Signal s:
                sink.Signal(Key.Signal, s.Record);
                break;
            case Deliver d:
                sink.Number(Key.Sig, d.Sig);
                sink.Name(Key.Handler, Handlers, (int)d.Handler);
                if (d.SaFlags is { } saFlags) sink.Unsigned(Key.SaFlags, saFlags);
                break;
            case SetCred c:
                sink.Name(Key.Call, AllCalls, CredCallsAt + (int)c.Call);
                if (c.Ruid != -1) sink.Number(Key.Ruid, c.Ruid);
                if (c.Euid != -1) sink.Number(Key.Euid, c.Euid);
                if (c.Suid != -1) sink.Number(Key.Suid, c.Suid);
                break;
            case SigMask m:
                sink.Unsigned(Key.Blocked, m.Blocked);
                break;
            case SigWait sw:
                sink.Name(Key.Call, AllCalls, SigWaitCallsAt + (int)sw.Call);
                break;
            case Exiting:
                break;
            case LastPid lp:
                sink.Number(Key.LastPid, lp.Value);
                if (lp.Lossy) sink.True(Key.Lossy);
                break;
            case Lost l:
                sink.Number(Key.Cpu, l.Cpu);
                sink.Number(Key.LostEvents, l.Count);
                break;
            case Container c:
                sink.Name(Key.Action, ContainerActions, (int)c.Action);
                sink.String(Key.Id, c.Id);
                if (c.Peer is not null) sink.String(Key.Peer, c.Peer);
                if (c.Task != 0) sink.Number(Key.Task, c.Task);
                break;
            default:
                throw new InvalidOperationException($"no native encoding for {ev.GetType().Name}");
        }
        if (ev.Ret is long ret) sink.Number(Key.Ret, ret);
    }

    /// <summary>The fields as JSON members, the keys and enum values spelled once, ahead of time.</summary>
    private readonly struct JsonSink(Utf8JsonWriter w) : IFieldSink
    {
        private readonly Utf8JsonWriter _w = w;   // positioned inside the event's object

        public void Number(Key key, long value) => _w.WriteNumber(KeyNames[(int)key], value);
        public void Unsigned(Key key, ulong value) => _w.WriteNumber(KeyNames[(int)key], value);
        public void String(Key key, string value) => _w.WriteString(KeyNames[(int)key], value);
        public void Name(Key key, Spellings names, int index) => _w.WriteString(KeyNames[(int)key], names.Json[index]);
        public void True(Key key) => _w.WriteBoolean(KeyNames[(int)key], true);

        public void Numbers(Key key, int[] values)
        {
            _w.WriteStartArray(KeyNames[(int)key]);
            foreach (var v in values) _w.WriteNumberValue(v);
            _w.WriteEndArray();
        }

        public void Signals(Key key, SignalRecord[] signals)
        {
            _w.WriteStartArray(KeyNames[(int)key]);
            foreach (var s in signals) Signal(s);
            _w.WriteEndArray();
        }

        public void Signal(Key key, SignalRecord signal)
        {
            _w.WritePropertyName(KeyNames[(int)key]);
            Signal(signal);
        }

        private void Signal(SignalRecord s)
        {
            _w.WriteStartObject();
            _w.WriteNumber(SignalKeyNames[(int)SignalKey.Sig], s.Sig);
            _w.WriteNumber(SignalKeyNames[(int)SignalKey.To], s.To);
            _w.WriteNumber(SignalKeyNames[(int)SignalKey.Res], (int)s.Result);
            if (s.Code != 0) _w.WriteNumber(SignalKeyNames[(int)SignalKey.Code], s.Code);
            if (s.Group) _w.WriteBoolean(SignalKeyNames[(int)SignalKey.Group], true);
            _w.WriteEndObject();
        }
    }

    public static string KindName(EventKind kind) => Names.Kinds[(int)kind];

    // ---- reading ----------------------------------------------------------------------------

    /// <summary>True when the line is a header line (its first key is replayer_trace).</summary>
    public static bool IsHeader(ReadOnlySpan<byte> line)
    {
        var t = line.TrimStart(" \t"u8);
        return t.StartsWith("{\"replayer_trace\""u8);
    }

    public static TraceHeader ParseHeader(ReadOnlySpan<byte> line, string file, long lineNo)
    {
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var root = doc.RootElement;
            int version = root.GetProperty("replayer_trace").GetInt32();
            if (version != TraceHeader.Version)
                throw new TraceFormatException(file, lineNo, $"native trace version {version} is not supported (this replayer reads version {TraceHeader.Version})");
            var trace = root.GetProperty("trace").GetString() ?? "";
            var sources = new List<TraceSource>();
            if (root.TryGetProperty("sources", out var arr))
            {
                foreach (var s in arr.EnumerateArray())
                {
                    sources.Add(new TraceSource(
                        s.GetProperty("file").GetString() ?? "",
                        s.GetProperty("format").GetString() ?? "",
                        s.GetProperty("host").GetString() ?? "",
                        s.GetProperty("events").GetInt64(),
                        s.GetProperty("lines").GetInt64(),
                        s.GetProperty("skipped").GetInt64()));
                }
            }
            return new TraceHeader(trace, sources);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new TraceFormatException(file, lineNo, $"bad header line: {e.Message}");
        }
    }

    private const int MaxKey = 16;

    /// <summary>Parses one event line; every problem is reported as file:line and the key at fault.</summary>
    public static PidEvent ParseEvent(ReadOnlySpan<byte> line, string file, long lineNo) =>
        TryParseCanonical(line) ?? ParseAny(line, file, lineNo);

    /// <summary>
    /// The general reader: any JSON Utf8JsonReader takes. It alone words the errors, so a line the
    /// canonical scanner gave up on is read again here from its first byte.
    /// </summary>
    internal static PidEvent ParseAny(ReadOnlySpan<byte> line, string file, long lineNo)
    {
        var f = new Fields();
        var value = new JsonValue(new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 8 }));
        ref var r = ref value.Reader;
        Span<char> key = stackalloc char[MaxKey];
        int keyLength = 0;
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
                throw new FormatException("a line must be one JSON object");
            while (r.Read())
            {
                if (r.TokenType == JsonTokenType.EndObject) break;
                keyLength = r.ValueSpan.Length <= MaxKey ? r.CopyString(key) : 0;
                if (keyLength == 0) throw new FormatException("unknown key");
                r.Read();
                f.Set((Key)EventKeys.Find(key[..keyLength]), ref value);
            }
            if (r.TokenType != JsonTokenType.EndObject)
                throw new FormatException("the object is not closed (truncated line?)");
            keyLength = 0;
            if (r.Read()) throw new FormatException("text after the object");
            return f.Build();
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            string where = keyLength > 0 ? $" (key \"{Printable(key[..keyLength].ToString())}\")" : "";
            throw new TraceFormatException(file, lineNo, $"{Clean(e.Message)}{where}");
        }
    }

    private static string Clean(string message)
    {
        // Utf8JsonReader's messages end with "LineNumber: 0 | BytePositionInLine: 12." which means
        // nothing to a user who reads file:line already; keep the byte position.
        int i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (i < 0) return message;
        int b = message.IndexOf("BytePositionInLine:", i, StringComparison.Ordinal);
        string pos = b >= 0 ? " at byte " + message[(b + 19)..].Trim().TrimEnd('.') : "";
        return message[..i].TrimEnd() + pos;
    }

    internal static string Printable(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 64));
        foreach (var c in s.Length > 64 ? s[..64] : s)
            sb.Append(char.IsControl(c) ? '?' : c);
        if (s.Length > 64) sb.Append('…');
        return sb.ToString();
    }

    /// <summary>
    /// Comms and host names repeat on almost every line: one string each per thread, not one per
    /// line. The table is dropped when it grows past a bound, so hostile input cannot grow it forever.
    /// </summary>
    private static class Intern
    {
        private const int MaxEntries = 1 << 16;
        private const int RecentSlots = 256;
        [ThreadStatic] private static HashSet<string>? t_pool;
        // The last string met from bytes in each slot, shared by all threads: a slot another thread
        // overwrites meanwhile is a miss, never a wrong hit, since a hit compares the whole string.
        private static readonly string?[] s_recent = new string?[RecentSlots];

        private static HashSet<string> Pool
        {
            get
            {
                var pool = t_pool ??= new HashSet<string>(AsciiOrdinal.Instance);
                if (pool.Count >= MaxEntries) pool.Clear();
                return pool;
            }
        }

        public static string Get(ReadOnlySpan<char> value)
        {
            var lookup = Pool.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(value, out var s)) return s;
            s = value.ToString();
            lookup.Set.Add(s);
            return s;
        }

        /// <summary>
        /// The same, from ASCII bytes. The few comms and hosts of the moment are found first among
        /// the last strings met, by the length and three bytes of each: a compare, and no hash.
        /// </summary>
        public static string Get(ReadOnlySpan<byte> ascii)
        {
            if (ascii.IsEmpty) return "";
            int slot = (ascii.Length * 7 + ascii[0] * 31 + ascii[^1] * 17 + ascii[ascii.Length >> 1]) & (RecentSlots - 1);
            var s = s_recent[slot];
            if (s is not null && Ascii.Equals(ascii, s)) return s;
            var lookup = Pool.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!lookup.TryGetValue(ascii, out s))
            {
                s = Encoding.ASCII.GetString(ascii);
                lookup.Set.Add(s);
            }
            Volatile.Write(ref s_recent[slot], s);
            return s;
        }
    }

    /// <summary>
    /// Ordinal string equality that also finds a string by its chars or by its ASCII bytes. The
    /// bytes hash as the chars they widen to, so all three spellings of a string meet in one bucket.
    /// </summary>
    private sealed class AsciiOrdinal : IEqualityComparer<string>,
        IAlternateEqualityComparer<ReadOnlySpan<char>, string>, IAlternateEqualityComparer<ReadOnlySpan<byte>, string>
    {
        public static readonly AsciiOrdinal Instance = new();

        public bool Equals(string? x, string? y) => string.Equals(x, y);
        public int GetHashCode(string s) => string.GetHashCode(s.AsSpan());

        public bool Equals(ReadOnlySpan<char> chars, string s) => chars.SequenceEqual(s);
        public int GetHashCode(ReadOnlySpan<char> chars) => string.GetHashCode(chars);
        public string Create(ReadOnlySpan<char> chars) => chars.ToString();

        public bool Equals(ReadOnlySpan<byte> ascii, string s) => Ascii.Equals(ascii, s);

        // Intern takes at most MaxComm bytes: the chars fit on the stack.
        public int GetHashCode(ReadOnlySpan<byte> ascii)
        {
            Span<char> chars = stackalloc char[ascii.Length];
            Ascii.ToUtf16(ascii, chars, out _);
            return string.GetHashCode(chars);
        }
        public string Create(ReadOnlySpan<byte> ascii) => Encoding.ASCII.GetString(ascii);
    }

    /// <summary>
    /// Every key of an event line: Fields.Set keeps each one's value. The binary form stores a key
    /// as its number in one byte and marks the keys met in a 64-bit mask: append, never renumber,
    /// and keep LostEvents the last or move NativeJson.Binary's KeyCount with it.
    /// </summary>
    private enum Key
    {
        Seq, T, Host, Tid, Comm, Kind, Ret, Tgid, PPid, Pgid, Sid, NsPid, NsPgid, NsSid, PidNs, Adopted, Call, Child, Flags,
        SetTid, File, OldTid, Code, Group, Signals, Signal, Pid, Handler, SaFlags, Sig, Option, Arg2, Arg, Thread, Options,
        Fd, NsType, TargetNs, Action, Id, Peer, Task, Ruid, Euid, Suid, Uids, CapPrm, CapEff, CapBnd, CapAmb, Arg3, ForeignUserNs, FileKind, FileUid, NoNewPrivs,
        Blocked, AtNotice, SigIgn, SigCgt, SigchldFlags, ExitSignal, EnterLost, DequeuesTraced, Zombie, SigPnd, ShdPnd, NoticeInWait,
        NsForChildren, NoticeAfterEnd, Untraced, MaybeReused, BlockedAtRead, LastPid, TargetInit, Lossy, Cpu, LostEvents,
    }

    private static string Spelling(Key key) => key switch
    {
        Key.Seq => "seq", Key.T => "t", Key.Host => "host", Key.Tid => "tid", Key.Comm => "comm", Key.Kind => "kind",
        Key.Ret => "ret", Key.Tgid => "tgid", Key.PPid => "ppid", Key.Pgid => "pgid", Key.Sid => "sid", Key.NsPid => "nspid",
        Key.NsPgid => "nspgid", Key.NsSid => "nssid", Key.PidNs => "pidns", Key.Adopted => "adopted", Key.Call => "call",
        Key.Child => "child", Key.Flags => "flags", Key.SetTid => "set_tid", Key.File => "file", Key.OldTid => "old_tid",
        Key.Code => "code", Key.Group => "group", Key.Signals => "signals", Key.Signal => "signal", Key.Pid => "pid",
        Key.Handler => "handler", Key.SaFlags => "sa_flags", Key.Sig => "sig", Key.Option => "option", Key.Arg2 => "arg2",
        Key.Arg => "arg", Key.Thread => "thread", Key.Options => "options", Key.Fd => "fd", Key.NsType => "nstype",
        Key.TargetNs => "target_ns", Key.Action => "action", Key.Id => "id", Key.Peer => "peer", Key.Task => "task",
        Key.Ruid => "ruid", Key.Euid => "euid", Key.Suid => "suid", Key.Uids => "uids", Key.CapPrm => "cap_prm",
        Key.CapEff => "cap_eff", Key.CapBnd => "cap_bnd", Key.CapAmb => "cap_amb", Key.Arg3 => "arg3", Key.ForeignUserNs => "foreign_user_ns",
        Key.FileKind => "file_kind", Key.FileUid => "file_uid", Key.NoNewPrivs => "no_new_privs",
        Key.Blocked => "blocked", Key.AtNotice => "at_notice", Key.SigIgn => "sig_ign", Key.SigCgt => "sig_cgt",
        Key.SigchldFlags => "sigchld_flags", Key.ExitSignal => "exit_signal", Key.EnterLost => "enter_lost",
        Key.DequeuesTraced => "dequeues_traced", Key.Zombie => "zombie", Key.SigPnd => "sig_pnd", Key.ShdPnd => "shd_pnd", Key.NoticeInWait => "notice_in_wait",
        Key.NsForChildren => "ns_for_children", Key.NoticeAfterEnd => "notice_after_end",
        Key.Untraced => "untraced", Key.MaybeReused => "maybe_reused", Key.BlockedAtRead => "blocked_at_read", Key.LastPid => "last_pid",
        Key.TargetInit => "target_init", Key.Lossy => "lossy", Key.Cpu => "cpu", Key.LostEvents => "lost_events",
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };

    private static readonly Spellings EventKeys = new([.. Enum.GetValues<Key>().Select(Spelling)]);

    /// <summary>Each key's JSON name, by Key.</summary>
    private static readonly JsonEncodedText[] KeyNames = EventKeys.Json;

    /// <summary>Every key of a signal record, spelled as its name in lower case; the binary form flags each by its number (Group the last).</summary>
    private enum SignalKey { Sig, To, Res, Code, Group }

    private static readonly Spellings SignalKeys = new([.. Enum.GetNames<SignalKey>().Select(n => n.ToLowerInvariant())]);

    /// <summary>Each signal key's JSON name, by SignalKey: the spellings the reader finds them by.</summary>
    private static readonly JsonEncodedText[] SignalKeyNames = SignalKeys.Json;

    private static readonly Spellings Kinds = new(Names.Kinds);
    private static readonly Spellings Handlers = new(Names.Handlers);
    private static readonly Spellings ContainerActions = new(Names.ContainerActions);
    private static readonly Spellings ExecFiles = new(Names.ExecFiles);

    // "call" means a different enum for each kind, and keys come in any order: keep the
    // spelling's index in the union of all call names, and map it once the kind is known.
    private static readonly Spellings AllCalls =
        new([.. Names.ForkCalls, .. Names.GetIdCalls, .. Names.KillCalls, .. Names.WaitCalls, .. Names.CredCalls, .. Names.SigWaitCalls]);

    // Where each kind's calls begin in AllCalls.
    private const int ForkCallsAt = 0;
    private static readonly int GetIdCallsAt = Names.ForkCalls.Length;
    private static readonly int KillCallsAt = GetIdCallsAt + Names.GetIdCalls.Length;
    private static readonly int WaitCallsAt = KillCallsAt + Names.KillCalls.Length;
    private static readonly int CredCallsAt = WaitCallsAt + Names.WaitCalls.Length;
    private static readonly int SigWaitCallsAt = CredCallsAt + Names.CredCalls.Length;

    /// <summary>
    /// A fixed set of ASCII spellings (keys, enum names) found by their UTF-8 bytes or their chars
    /// alike, with no transcoding: a spelling of up to 16 bytes packs into two words, hashed into a
    /// table with linear probing, so a look-up is one multiply and a compare of two words.
    /// </summary>
    private sealed class Spellings
    {
        private const int Slots = 256;              // a power of two, over twice the most spellings (66 keys)
        private readonly ulong[] _lo = new ulong[Slots];  // each slot's spelling, bytes 1 to 8, little-endian
        private readonly ulong[] _hi = new ulong[Slots];  // and bytes 9 to 16; zero past its end
        private readonly int[] _index = new int[Slots];   // its index in Names, plus one; 0 marks a free slot

        /// <summary>The spellings, by index.</summary>
        public string[] Names { get; }

        /// <summary>The same, as the JSON writer spells them.</summary>
        public JsonEncodedText[] Json { get; }

        public Spellings(string[] names)
        {
            Names = names;
            Json = [.. names.Select(n => JsonEncodedText.Encode(n))];
            for (int i = 0; i < names.Length; i++)
            {
                bool ascii = Pack(names[i].AsSpan(), out ulong lo, out ulong hi);
                Debug.Assert(ascii && Find(lo, hi) < 0, $"\"{names[i]}\" is not a distinct ASCII spelling of at most {MaxKey} bytes");
                int s = Slot(lo, hi);
                while (_index[s] != 0) s = (s + 1) & (Slots - 1);
                (_lo[s], _hi[s], _index[s]) = (lo, hi, i + 1);
            }
        }

        /// <summary>The index of the spelling, or -1.</summary>
        public int Find(ReadOnlySpan<byte> utf8) => Pack(utf8, out ulong lo, out ulong hi) ? Find(lo, hi) : -1;

        public int Find(ReadOnlySpan<char> chars) => Pack(chars, out ulong lo, out ulong hi) ? Find(lo, hi) : -1;

        /// <summary>The index of a spelling packed as Pack packs it, or -1.</summary>
        public int Find(ulong lo, ulong hi)
        {
            for (int s = Slot(lo, hi); _index[s] != 0; s = (s + 1) & (Slots - 1))
                if (_lo[s] == lo && _hi[s] == hi) return _index[s] - 1;
            return -1;
        }

        private static int Slot(ulong lo, ulong hi) => (int)(((lo ^ (hi * 31)) * 0x9E3779B97F4A7C15UL) >> 57);

        // Zero pads a short spelling, so a NUL could pass for padding: no spelling has one, and a
        // byte over 0x7F (UTF-8, or a char that is not ASCII) is in none either.
        private static bool Pack<T>(ReadOnlySpan<T> s, out ulong lo, out ulong hi) where T : unmanaged, IBinaryInteger<T>
        {
            lo = hi = 0;
            if (s.Length > MaxKey) return false;
            for (int i = 0; i < s.Length; i++)
            {
                ulong c = ulong.CreateTruncating(s[i]);
                if (c - 1 >= 0x7F) return false;
                if (i < 8) lo |= c << (8 * i);
                else hi |= c << (8 * (i - 8));
            }
            return true;
        }
    }

    /// <summary>
    /// Where Fields takes each value from, named after Utf8JsonReader's own getters: the general
    /// reader (any JSON) or the canonical scanner (the writer's bytes only). Both feed the same
    /// setters, so every range check and limit is written once.
    /// </summary>
    private interface IValueSource
    {
        int GetInt32();
        long GetInt64();
        ulong GetUInt64();
        bool GetBoolean();

        /// <summary>A string of at most <paramref name="max"/> chars, interned when short.</summary>
        string GetString(int max);

        /// <summary>The index of a string value among <paramref name="names"/>, the values of <paramref name="key"/>.</summary>
        int GetName(Spellings names, string key);

        /// <summary>True when the value is an array; NextElement then moves onto each element in turn.</summary>
        bool StartArray();
        bool NextElement();

        /// <summary>True when the value is an object; NextSignalKey then moves onto each value in turn.</summary>
        bool StartObject();
        bool NextSignalKey(out int key);
    }

    /// <summary>The general reader's values: the token Utf8JsonReader stands on.</summary>
    private ref struct JsonValue(Utf8JsonReader reader) : IValueSource
    {
        /// <summary>The reader, on a value's first token when Fields.Set is called.</summary>
        public Utf8JsonReader Reader = reader;

        public int GetInt32() => Reader.GetInt32();
        public long GetInt64() => Reader.GetInt64();
        public ulong GetUInt64() => Reader.GetUInt64();
        public bool GetBoolean() => Reader.GetBoolean();

        public string GetString(int max)
        {
            if (Reader.TokenType != JsonTokenType.String) throw new FormatException("must be a string");
            if (Reader.ValueSpan.Length <= MaxComm)
            {
                Span<char> buf = stackalloc char[MaxComm];
                int n = Reader.CopyString(buf);
                if (n > max) throw new FormatException($"string longer than {max} characters");
                return Intern.Get(buf[..n]);
            }
            var s = Reader.GetString()!;
            if (s.Length > max) throw new FormatException($"string longer than {max} characters");
            return s;
        }

        public int GetName(Spellings names, string key)
        {
            if (Reader.TokenType != JsonTokenType.String) throw new FormatException("must be a string");
            Span<char> buf = stackalloc char[MaxKey];
            int n = Reader.ValueSpan.Length <= MaxKey ? Reader.CopyString(buf) : -1;
            int i = n >= 0 ? names.Find(buf[..n]) : -1;
            if (i >= 0) return i;
            throw new FormatException($"\"{key}\" has no value \"{Printable(Reader.GetString() ?? "")}\" (one of: {string.Join(", ", names.Names)})");
        }

        public bool StartArray() => Reader.TokenType == JsonTokenType.StartArray;
        public bool NextElement() => Reader.Read() && Reader.TokenType != JsonTokenType.EndArray;
        public bool StartObject() => Reader.TokenType == JsonTokenType.StartObject;

        public bool NextSignalKey(out int key)
        {
            key = -1;
            if (!Reader.Read() || Reader.TokenType == JsonTokenType.EndObject) return false;
            Span<char> k = stackalloc char[MaxKey];
            var name = k[..(Reader.ValueSpan.Length <= MaxKey ? Reader.CopyString(k) : 0)];
            Reader.Read();
            key = SignalKeys.Find(name);
            if (key < 0) throw new FormatException($"unknown key \"{Printable(name.ToString())}\" in a signal");
            return true;
        }
    }

    /// <summary>Every field any kind may carry, filled as keys arrive in any order.</summary>
    private struct Fields
    {
        private long? _seq, _t, _ret, _code;
        private int? _tid;
        private string? _host, _comm, _file, _id, _peer;
        private int _kind, _call, _handler, _action, _fileKind, _fileUid;
        private int _tgid, _ppid, _pgid, _sid, _child, _oldTid, _pid, _sig, _option, _arg, _thread, _options, _fd, _task;
        private int _ruid, _euid, _suid;
        private ulong _flags, _pidns, _saFlags, _arg2, _arg3, _nstype, _targetNs;
        private ulong? _capPrm, _capEff, _capBnd, _capAmb, _blocked, _sigIgn, _sigCgt, _sigchldFlags, _sigPnd, _shdPnd, _nsForChildren, _blockedAtRead;
        private int? _exitSignal;
        private int[]? _nspid, _nspgid, _nssid, _setTid, _uids;
        private bool _adopted, _group, _foreignUserNs, _noNewPrivs, _atNotice, _noticeInWait, _noticeAfterEnd, _enterLost, _dequeuesTraced, _zombie, _untraced, _maybeReused;
        private SignalRecord[]? _signals;
        private SignalRecord? _signal;
        private int? _lastPid;
        private bool _lossy;
        private int? _cpu;
        private long? _lostEvents;
        private int _targetInit;
        private bool _sawFlags, _sawPid, _sawPgid, _sawSig, _sawChild, _sawSaFlags;

        public Fields()
        {
            _kind = _call = _handler = _action = -1;
            _ruid = _euid = _suid = -1;
        }

        public void Set<T>(Key key, ref T v) where T : IValueSource, allows ref struct
        {
            switch (key)
            {
                case Key.Seq: _seq = NonNegative(v.GetInt64()); break;
                case Key.T: _t = v.GetInt64(); break;
                case Key.Host: _host = v.GetString(MaxComm); break;
                case Key.Tid: _tid = Pid(v.GetInt32()); break;
                case Key.Comm: _comm = v.GetString(MaxComm); break;
                case Key.Kind: _kind = v.GetName(Kinds, "kind"); break;
                case Key.Ret: _ret = v.GetInt64(); break;
                case Key.Tgid: _tgid = Pid(v.GetInt32()); break;
                case Key.PPid: _ppid = Pid(v.GetInt32()); break;
                case Key.Pgid: _pgid = v.GetInt32(); _sawPgid = true; break;
                case Key.Sid: _sid = Pid(v.GetInt32()); break;
                case Key.NsPid: _nspid = IntArray(ref v, MaxLevels); break;
                case Key.NsPgid: _nspgid = IntArray(ref v, MaxLevels); break;
                case Key.NsSid: _nssid = IntArray(ref v, MaxLevels); break;
                case Key.PidNs: _pidns = v.GetUInt64(); break;
                case Key.Adopted: _adopted = v.GetBoolean(); break;
                case Key.Call: _call = v.GetName(AllCalls, "call"); break;
                case Key.Child: _child = Pid(v.GetInt32()); _sawChild = true; break;
                case Key.Flags: _flags = v.GetUInt64(); _sawFlags = true; break;
                case Key.SetTid: _setTid = IntArray(ref v, MaxLevels); break;
                case Key.File: _file = v.GetString(4096); break;
                case Key.OldTid: _oldTid = Pid(v.GetInt32()); break;
                case Key.Code: _code = v.GetInt32(); break;
                case Key.Group: _group = v.GetBoolean(); break;
                case Key.Signals: _signals = SignalArray(ref v); break;
                case Key.Signal: _signal = ReadSignal(ref v); break;
                case Key.Pid: _pid = v.GetInt32(); _sawPid = true; break;
                case Key.Handler: _handler = v.GetName(Handlers, "handler"); break;
                case Key.SaFlags: _saFlags = v.GetUInt64(); _sawSaFlags = true; break;
                case Key.Sig: _sig = Sig(v.GetInt32()); _sawSig = true; break;
                case Key.Option: _option = v.GetInt32(); break;
                case Key.Arg2: _arg2 = v.GetUInt64(); break;
                case Key.Arg3: _arg3 = v.GetUInt64(); break;
                case Key.Arg: _arg = v.GetInt32(); break;
                case Key.Thread: _thread = v.GetInt32(); break;
                case Key.Options: _options = v.GetInt32(); break;
                case Key.Fd: _fd = v.GetInt32(); break;
                case Key.NsType: _nstype = v.GetUInt64(); break;
                case Key.TargetNs: _targetNs = v.GetUInt64(); break;
                case Key.TargetInit: _targetInit = Pid(v.GetInt32()); break;
                case Key.Action: _action = v.GetName(ContainerActions, "action"); break;
                case Key.Id: _id = v.GetString(MaxComm); break;
                case Key.Peer: _peer = v.GetString(MaxComm); break;
                case Key.Task: _task = Pid(v.GetInt32()); break;
                case Key.Ruid: _ruid = Uid(v.GetInt32()); break;
                case Key.Euid: _euid = Uid(v.GetInt32()); break;
                case Key.Suid: _suid = Uid(v.GetInt32()); break;
                case Key.Uids:
                    _uids = IntArray(ref v, 3);
                    if (_uids.Length != 3 || Array.Exists(_uids, u => u < -1)) throw new FormatException("\"uids\" is three uids: real, effective, saved (-1: not known)");
                    break;
                case Key.CapPrm: _capPrm = v.GetUInt64(); break;
                case Key.CapEff: _capEff = v.GetUInt64(); break;
                case Key.CapBnd: _capBnd = v.GetUInt64(); break;
                case Key.CapAmb: _capAmb = v.GetUInt64(); break;
                case Key.ForeignUserNs: _foreignUserNs = v.GetBoolean(); break;
                case Key.FileKind: _fileKind = v.GetName(ExecFiles, "file_kind"); break;
                case Key.FileUid: _fileUid = v.GetInt32() is >= 0 and var owner ? owner : throw new FormatException("\"file_uid\" is a uid, not negative"); break;
                case Key.NoNewPrivs: _noNewPrivs = v.GetBoolean(); break;
                case Key.Blocked: _blocked = v.GetUInt64(); break;
                case Key.AtNotice: _atNotice = v.GetBoolean(); break;
                case Key.SigIgn: _sigIgn = v.GetUInt64(); break;
                case Key.SigCgt: _sigCgt = v.GetUInt64(); break;
                case Key.SigchldFlags: _sigchldFlags = v.GetUInt64(); break;
                case Key.ExitSignal: _exitSignal = v.GetInt32(); break;
                case Key.EnterLost: _enterLost = v.GetBoolean(); break;
                case Key.DequeuesTraced: _dequeuesTraced = v.GetBoolean(); break;
                case Key.Zombie: _zombie = v.GetBoolean(); break;
                case Key.SigPnd: _sigPnd = v.GetUInt64(); break;
                case Key.ShdPnd: _shdPnd = v.GetUInt64(); break;
                case Key.BlockedAtRead: _blockedAtRead = v.GetUInt64(); break;
                case Key.NsForChildren: _nsForChildren = v.GetUInt64(); break;
                case Key.NoticeInWait: _noticeInWait = v.GetBoolean(); break;
                case Key.NoticeAfterEnd: _noticeAfterEnd = v.GetBoolean(); break;
                case Key.Untraced: _untraced = v.GetBoolean(); break;
                case Key.MaybeReused: _maybeReused = v.GetBoolean(); break;
                case Key.LastPid: _lastPid = v.GetInt32() is >= 0 and var last ? last : throw new FormatException("\"last_pid\" is a pid number, not negative"); break;
                case Key.Lossy: _lossy = v.GetBoolean(); break;
                case Key.Cpu: _cpu = v.GetInt32() is >= 0 and var cpu ? cpu : throw new FormatException("\"cpu\" is a CPU number, not negative"); break;
                case Key.LostEvents: _lostEvents = v.GetInt64() is > 0 and var n ? n : throw new FormatException("\"lost_events\" is a count, above 0"); break;
                default: throw new FormatException("unknown key");
            }
        }

        private readonly T Call<T>(string[] names, T fallback, string kind) where T : struct, System.Enum
        {
            if (_call < 0) return fallback;
            int i = Array.IndexOf(names, AllCalls.Names[_call]);
            if (i < 0) throw new FormatException($"\"call\" of a {kind} is one of: {string.Join(", ", names)}");
            return (T)(object)(byte)i;
        }

        public readonly PidEvent Build()
        {
            if (_kind < 0) throw new FormatException("missing \"kind\"");
            if (_tid is null) throw new FormatException("missing \"tid\"");
            var kind = (EventKind)_kind;
            PidEvent ev = kind switch
            {
                EventKind.Snapshot => new TaskSnapshot
                {
                    Tgid = _tgid, PPid = _ppid, Pgid = _pgid, Sid = _sid, NsPid = _nspid, NsPgid = _nspgid,
                    NsSid = _nssid, PidNs = _pidns, Adopted = _adopted, Uids = _uids, CapPrm = _capPrm, CapEff = _capEff, CapBnd = _capBnd, CapAmb = _capAmb,
                    ForeignUserNs = _foreignUserNs, NoNewPrivs = _noNewPrivs, Blocked = _blocked,
                    SigIgn = _sigIgn, SigCgt = _sigCgt, SigchldFlags = _sigchldFlags, ExitSignal = _exitSignal,
                    DequeuesTraced = _dequeuesTraced, Zombie = _zombie, Untraced = _untraced, MaybeReused = _maybeReused, SigPnd = _sigPnd, ShdPnd = _shdPnd, BlockedAtRead = _blockedAtRead,
                    PidNsForChildren = _nsForChildren,
                },
                EventKind.Fork => new Fork
                {
                    Call = Call(Names.ForkCalls, ForkCall.Clone, "fork"),
                    Child = _sawChild ? _child : throw new FormatException("fork without \"child\""),
                    Flags = _flags, SetTid = _setTid, EnterLost = _enterLost,
                },
                EventKind.Exec => new Exec { Filename = _file ?? "", OldTid = _oldTid, File = (ExecFile)_fileKind, FileUid = _fileUid },
                EventKind.Exit => new Exit { Code = _code is long c ? (int)c : null, Group = _group, AtNotice = _atNotice, NoticeInWait = _noticeInWait, NoticeAfterEnd = _noticeAfterEnd, Signals = _signals ?? [] },
                EventKind.SetPgid => new SetPgid
                {
                    Pid = _sawPid ? _pid : throw new FormatException("setpgid without \"pid\""),
                    Pgid = _sawPgid ? _pgid : throw new FormatException("setpgid without \"pgid\""),
                },
                EventKind.SetSid => new SetSid(),
                EventKind.SigAction => new SigAction
                {
                    Sig = _sawSig ? _sig : throw new FormatException("sigaction without \"sig\""),
                    Handler = _handler < 0 ? Handler.Unknown : (Handler)_handler, SaFlags = _saFlags,
                },
                EventKind.Prctl => new Prctl { Option = _option, Arg2 = _arg2, Arg3 = _arg3 },
                EventKind.GetId => new GetId
                {
                    Call = _call >= 0 ? Call(Names.GetIdCalls, GetIdCall.GetPid, "getid") : throw new FormatException("getid without \"call\""),
                    Arg = _arg,
                },
                EventKind.Kill => new Kill
                {
                    Call = Call(Names.KillCalls, KillCall.Kill, "kill"),
                    Pid = _sawPid ? _pid : throw new FormatException("kill without \"pid\""),
                    ThreadArg = _thread,
                    Sig = _sawSig ? _sig : throw new FormatException("kill without \"sig\""),
                    Signals = _signals ?? [],
                },
                EventKind.Wait => new Wait
                {
                    Call = Call(Names.WaitCalls, WaitCall.Wait4, "wait"),
                    Pid = _sawPid ? _pid : throw new FormatException("wait without \"pid\""),
                    Options = _options,
                    EnterLost = _enterLost,
                },
                EventKind.Unshare => new Unshare { Flags = _sawFlags ? _flags : throw new FormatException("unshare without \"flags\"") },
                EventKind.SetNs => new SetNs { Fd = _fd, NsType = _nstype, TargetNs = _targetNs, TargetInit = _targetInit },
                EventKind.Signal => new Signal { Record = _signal ?? throw new FormatException("signal without \"signal\"") },
                EventKind.Deliver => new Deliver
                {
                    Sig = _sawSig ? _sig : throw new FormatException("deliver without \"sig\""),
                    Handler = _handler < 0 ? Handler.Unknown : (Handler)_handler,
                    SaFlags = _sawSaFlags ? _saFlags : null,
                },
                EventKind.Container => new Container
                {
                    Action = _action >= 0 ? (ContainerAction)_action : throw new FormatException("container without \"action\""),
                    Id = _id ?? throw new FormatException("container without \"id\""),
                    Peer = _peer, Task = _task,
                },
                EventKind.SetCred => new SetCred
                {
                    Call = _call >= 0 ? Call(Names.CredCalls, CredCall.SetUid, "setcred") : throw new FormatException("setcred without \"call\""),
                    Ruid = _ruid, Euid = _euid, Suid = _suid,
                },
                EventKind.Exiting => new Exiting(),
                EventKind.LastPid => new LastPid { Value = _lastPid ?? throw new FormatException("lastpid without \"last_pid\""), Lossy = _lossy },
                EventKind.Lost => new Lost
                {
                    Cpu = _cpu ?? throw new FormatException("lost without \"cpu\""),
                    Count = _lostEvents ?? throw new FormatException("lost without \"lost_events\""),
                },
                EventKind.SigMask => new SigMask { Blocked = _blocked ?? throw new FormatException("sigmask without \"blocked\"") },
                EventKind.SigWait => new SigWait
                {
                    Call = _call >= 0 ? Call(Names.SigWaitCalls, SigWaitCall.TimedWait, "sigwait") : throw new FormatException("sigwait without \"call\""),
                },
                _ => throw new FormatException("unknown kind"),
            };
            // The envelope is set on the one object made, rather than copied into a second.
            ev.SetEnvelope(_host ?? "", _seq ?? -1, _t ?? 0, _tid.Value, _comm ?? "", _ret);
            return ev;
        }

        private static long NonNegative(long v)
        {
            if (v < 0) throw new FormatException("must not be negative");
            return v;
        }

        // A tid or pid the kernel could have made: 0 (idle, or none) up to PID_MAX_LIMIT, 4194304.
        // The message is built out of line, so that the check itself is small enough to inline.
        private static int Pid(int v) => v is >= 0 and <= 4194304 ? v : throw NotA(v, "pid (0 to 4194304)");

        // A uid as a call passes it: -1 (leave it) or a uid; (uid_t)-1 itself is never a uid.
        private static int Uid(int v) => v >= -1 ? v : throw NotA(v, "uid (-1 to 2147483647)");

        private static int Sig(int v) => v is >= 0 and <= 64 ? v : throw NotA(v, "signal number (0 to 64)");

        private static FormatException NotA(int v, string what) => new($"{v} is not a {what}");

        private static int[] IntArray<T>(ref T v, int max) where T : IValueSource, allows ref struct
        {
            if (!v.StartArray()) throw new FormatException("must be an array of numbers");
            Span<int> tmp = stackalloc int[MaxLevels];
            int n = 0;
            while (v.NextElement())
            {
                if (n == max) throw new FormatException($"more than {max} numbers");
                tmp[n++] = v.GetInt32();
            }
            return tmp[..n].ToArray();
        }

        private static SignalRecord[] SignalArray<T>(ref T v) where T : IValueSource, allows ref struct
        {
            if (!v.StartArray()) throw new FormatException("must be an array of signals");
            var first = default(SignalRecord);
            List<SignalRecord>? more = null;
            int n = 0;
            while (v.NextElement())
            {
                if (n == MaxSignals) throw new FormatException($"more than {MaxSignals} signals");
                var s = ReadSignal(ref v);
                if (n == 0) first = s;
                else (more ??= [first]).Add(s);
                n++;
            }
            return n switch { 0 => [], 1 => [first], _ => [.. more!] };
        }

        private static SignalRecord ReadSignal<T>(ref T v) where T : IValueSource, allows ref struct
        {
            if (!v.StartObject()) throw new FormatException("a signal must be an object");
            int sig = -1, to = -1, res = 0, code = 0;
            bool group = false;
            while (v.NextSignalKey(out int key))
            {
                switch ((SignalKey)key)
                {
                    case SignalKey.Sig: sig = Sig(v.GetInt32()); break;
                    case SignalKey.To: to = Pid(v.GetInt32()); break;
                    case SignalKey.Res:
                        res = v.GetInt32();
                        if (res is < 0 or > 4) throw new FormatException($"signal res {res} is not 0 to 4");
                        break;
                    case SignalKey.Code: code = v.GetInt32(); break;
                    case SignalKey.Group: group = v.GetBoolean(); break;
                }
            }
            if (sig < 0 || to < 0) throw new FormatException("a signal needs \"sig\" and \"to\"");
            return new SignalRecord(sig, to, (SignalResult)res, code, group);
        }
    }

    /// <summary>The spelling of every enum in the native format, indexed by the enum's value.</summary>
    public static class Names
    {
        public static readonly string[] Kinds =
            ["snapshot", "fork", "exec", "exit", "setpgid", "setsid", "sigaction", "prctl", "getid", "kill", "wait", "unshare", "setns", "signal", "deliver", "container", "setcred", "sigmask", "sigwait", "exiting", "lastpid", "lost"];
        public static readonly string[] ForkCalls = ["clone", "clone3", "fork", "vfork"];
        public static readonly string[] Handlers = ["unknown", "default", "ignore", "catch"];
        public static readonly string[] GetIdCalls = ["getpid", "getppid", "getpgid", "getpgrp", "getsid", "gettid"];
        public static readonly string[] KillCalls = ["kill", "tkill", "tgkill"];
        public static readonly string[] WaitCalls = ["wait4", "waitid"];
        public static readonly string[] CredCalls = ["setuid", "setreuid", "setresuid", "capset"];
        public static readonly string[] SigWaitCalls = ["sigtimedwait", "signalfd"];
        public static readonly string[] ExecFiles = ["unknown", "plain", "setuid", "file_caps", "unreadable"];
        public static readonly string[] ContainerActions = ["create", "enter", "checkpoint", "restore", "stop"];
    }
}
