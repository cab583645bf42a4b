using System.Text;
using System.Text.Json;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

/// <summary>
/// The native line format, both ways. The writer emits keys in one fixed order and omits fields
/// at their defaults, so a line is canonical; the reader accepts keys in any order, rejects unknown
/// ones and numbers out of range, and says which key was wrong.
/// </summary>
public static class NativeJson
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
        if (ev.Seq >= 0) w.WriteNumber("seq"u8, ev.Seq);
        w.WriteNumber("t"u8, ev.Time);
        w.WriteString("host"u8, ev.Host);
        w.WriteNumber("tid"u8, ev.Tid);
        w.WriteString("comm"u8, ev.Comm);
        w.WriteString("kind"u8, KindName(ev.Kind));
        switch (ev)
        {
            case TaskSnapshot s:
                w.WriteNumber("tgid"u8, s.Tgid);
                w.WriteNumber("ppid"u8, s.PPid);
                w.WriteNumber("pgid"u8, s.Pgid);
                w.WriteNumber("sid"u8, s.Sid);
                Ints(w, "nspid"u8, s.NsPid);
                Ints(w, "nspgid"u8, s.NsPgid);
                Ints(w, "nssid"u8, s.NsSid);
                if (s.PidNs != 0) w.WriteNumber("pidns"u8, s.PidNs);
                if (s.Adopted) w.WriteBoolean("adopted"u8, true);
                break;
            case Fork f:
                w.WriteString("call"u8, Names.ForkCalls[(int)f.Call]);
                w.WriteNumber("child"u8, f.Child);
                w.WriteNumber("flags"u8, f.Flags);
                Ints(w, "set_tid"u8, f.SetTid);
                break;
            case Exec e:
                w.WriteString("file"u8, e.Filename);
                if (e.OldTid != 0) w.WriteNumber("old_tid"u8, e.OldTid);
                break;
            case Exit x:
                if (x.Code is int code) w.WriteNumber("code"u8, code);
                if (x.Group) w.WriteBoolean("group"u8, true);
                Signals(w, x.Signals);
                break;
            case SetPgid p:
                w.WriteNumber("pid"u8, p.Pid);
                w.WriteNumber("pgid"u8, p.Pgid);
                break;
            case SetSid:
                break;
            case SigAction a:
                w.WriteNumber("sig"u8, a.Sig);
                w.WriteString("handler"u8, Names.Handlers[(int)a.Handler]);
                if (a.SaFlags != 0) w.WriteNumber("sa_flags"u8, a.SaFlags);
                break;
            case Prctl p:
                w.WriteNumber("option"u8, p.Option);
                w.WriteNumber("arg2"u8, p.Arg2);
                break;
            case GetId g:
                w.WriteString("call"u8, Names.GetIdCalls[(int)g.Call]);
                if (g.Arg != 0) w.WriteNumber("arg"u8, g.Arg);
                break;
            case Kill k:
                w.WriteString("call"u8, Names.KillCalls[(int)k.Call]);
                w.WriteNumber("pid"u8, k.Pid);
                if (k.ThreadArg != 0) w.WriteNumber("thread"u8, k.ThreadArg);
                w.WriteNumber("sig"u8, k.Sig);
                Signals(w, k.Signals);
                break;
            case Wait wt:
                w.WriteString("call"u8, Names.WaitCalls[(int)wt.Call]);
                w.WriteNumber("pid"u8, wt.Pid);
                w.WriteNumber("options"u8, wt.Options);
                break;
            case Unshare u:
                w.WriteNumber("flags"u8, u.Flags);
                break;
            case SetNs n:
                w.WriteNumber("fd"u8, n.Fd);
                w.WriteNumber("nstype"u8, n.NsType);
                if (n.TargetNs != 0) w.WriteNumber("target_ns"u8, n.TargetNs);
                break;
            case Signal s:
                w.WritePropertyName("signal"u8);
                Signal(w, s.Record);
                break;
            case Deliver d:
                w.WriteNumber("sig"u8, d.Sig);
                w.WriteString("handler"u8, Names.Handlers[(int)d.Handler]);
                break;
            case Container c:
                w.WriteString("action"u8, Names.ContainerActions[(int)c.Action]);
                w.WriteString("id"u8, c.Id);
                if (c.Peer is not null) w.WriteString("peer"u8, c.Peer);
                if (c.Task != 0) w.WriteNumber("task"u8, c.Task);
                break;
            default:
                throw new InvalidOperationException($"no native encoding for {ev.GetType().Name}");
        }
        if (ev.Ret is long ret) w.WriteNumber("ret"u8, ret);
        w.WriteEndObject();
    }

    private static void Ints(Utf8JsonWriter w, ReadOnlySpan<byte> name, int[]? values)
    {
        if (values is null) return;
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void Signals(Utf8JsonWriter w, SignalRecord[] signals)
    {
        if (signals.Length == 0) return;
        w.WriteStartArray("signals"u8);
        foreach (var s in signals) Signal(w, s);
        w.WriteEndArray();
    }

    private static void Signal(Utf8JsonWriter w, SignalRecord s)
    {
        w.WriteStartObject();
        w.WriteNumber("sig"u8, s.Sig);
        w.WriteNumber("to"u8, s.To);
        w.WriteNumber("res"u8, (int)s.Result);
        if (s.Code != 0) w.WriteNumber("code"u8, s.Code);
        if (s.Group) w.WriteBoolean("group"u8, true);
        w.WriteEndObject();
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
    public static PidEvent ParseEvent(ReadOnlySpan<byte> line, string file, long lineNo)
    {
        var f = new Fields();
        var r = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 8 });
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
                f.Set(key[..keyLength], ref r);
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
        [ThreadStatic] private static HashSet<string>? t_pool;

        public static string Get(ReadOnlySpan<char> value)
        {
            var pool = t_pool ??= new HashSet<string>(StringComparer.Ordinal);
            var lookup = pool.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(value, out var s)) return s;
            if (pool.Count >= MaxEntries) pool.Clear();
            s = value.ToString();
            pool.Add(s);
            return s;
        }
    }

    /// <summary>Every field any kind may carry, filled as keys arrive in any order.</summary>
    private struct Fields
    {
        private long? _seq, _t, _ret, _code;
        private int? _tid;
        private string? _host, _comm, _file, _id, _peer;
        private int _kind, _call, _handler, _action;
        private int _tgid, _ppid, _pgid, _sid, _child, _oldTid, _pid, _sig, _option, _arg, _thread, _options, _fd, _task;
        private ulong _flags, _pidns, _saFlags, _arg2, _nstype, _targetNs;
        private int[]? _nspid, _nspgid, _nssid, _setTid;
        private bool _adopted, _group;
        private SignalRecord[]? _signals;
        private SignalRecord? _signal;
        private bool _sawFlags, _sawPid, _sawPgid, _sawSig, _sawChild;

        public Fields()
        {
            _kind = _call = _handler = _action = -1;
        }

        public void Set(scoped ReadOnlySpan<char> key, ref Utf8JsonReader r)
        {
            switch (key)
            {
                case "seq": _seq = NonNegative(ref r); break;
                case "t": _t = r.GetInt64(); break;
                case "host": _host = Str(ref r, MaxComm); break;
                case "tid": _tid = Pid(ref r); break;
                case "comm": _comm = Str(ref r, MaxComm); break;
                case "kind": _kind = Enum(ref r, Names.Kinds, "kind"); break;
                case "ret": _ret = r.GetInt64(); break;
                case "tgid": _tgid = Pid(ref r); break;
                case "ppid": _ppid = Pid(ref r); break;
                case "pgid": _pgid = r.GetInt32(); _sawPgid = true; break;
                case "sid": _sid = Pid(ref r); break;
                case "nspid": _nspid = IntArray(ref r, MaxLevels); break;
                case "nspgid": _nspgid = IntArray(ref r, MaxLevels); break;
                case "nssid": _nssid = IntArray(ref r, MaxLevels); break;
                case "pidns": _pidns = r.GetUInt64(); break;
                case "adopted": _adopted = r.GetBoolean(); break;
                case "call": _call = CallIndex(ref r); break;
                case "child": _child = Pid(ref r); _sawChild = true; break;
                case "flags": _flags = r.GetUInt64(); _sawFlags = true; break;
                case "set_tid": _setTid = IntArray(ref r, MaxLevels); break;
                case "file": _file = Str(ref r, 4096); break;
                case "old_tid": _oldTid = Pid(ref r); break;
                case "code": _code = r.GetInt32(); break;
                case "group": _group = r.GetBoolean(); break;
                case "signals": _signals = SignalArray(ref r); break;
                case "signal": _signal = ReadSignal(ref r); break;
                case "pid": _pid = r.GetInt32(); _sawPid = true; break;
                case "handler": _handler = Enum(ref r, Names.Handlers, "handler"); break;
                case "sa_flags": _saFlags = r.GetUInt64(); break;
                case "sig": _sig = Sig(ref r); _sawSig = true; break;
                case "option": _option = r.GetInt32(); break;
                case "arg2": _arg2 = r.GetUInt64(); break;
                case "arg": _arg = r.GetInt32(); break;
                case "thread": _thread = r.GetInt32(); break;
                case "options": _options = r.GetInt32(); break;
                case "fd": _fd = r.GetInt32(); break;
                case "nstype": _nstype = r.GetUInt64(); break;
                case "target_ns": _targetNs = r.GetUInt64(); break;
                case "action": _action = Enum(ref r, Names.ContainerActions, "action"); break;
                case "id": _id = Str(ref r, MaxComm); break;
                case "peer": _peer = Str(ref r, MaxComm); break;
                case "task": _task = Pid(ref r); break;
                default: throw new FormatException("unknown key");
            }
        }

        // "call" means a different enum for each kind, and keys come in any order: keep the
        // spelling's index in the union of all call names, and map it once the kind is known.
        private static int CallIndex(ref Utf8JsonReader r) => Enum(ref r, AllCalls, "call");

        private static readonly string[] AllCalls =
            [.. Names.ForkCalls, .. Names.GetIdCalls, .. Names.KillCalls, .. Names.WaitCalls];

        private readonly T Call<T>(string[] names, T fallback, string kind) where T : struct, System.Enum
        {
            if (_call < 0) return fallback;
            int i = Array.IndexOf(names, AllCalls[_call]);
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
                    NsSid = _nssid, PidNs = _pidns, Adopted = _adopted,
                },
                EventKind.Fork => new Fork
                {
                    Call = Call(Names.ForkCalls, ForkCall.Clone, "fork"),
                    Child = _sawChild ? _child : throw new FormatException("fork without \"child\""),
                    Flags = _flags, SetTid = _setTid,
                },
                EventKind.Exec => new Exec { Filename = _file ?? "", OldTid = _oldTid },
                EventKind.Exit => new Exit { Code = _code is long c ? (int)c : null, Group = _group, Signals = _signals ?? [] },
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
                EventKind.Prctl => new Prctl { Option = _option, Arg2 = _arg2 },
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
                },
                EventKind.Unshare => new Unshare { Flags = _sawFlags ? _flags : throw new FormatException("unshare without \"flags\"") },
                EventKind.SetNs => new SetNs { Fd = _fd, NsType = _nstype, TargetNs = _targetNs },
                EventKind.Signal => new Signal { Record = _signal ?? throw new FormatException("signal without \"signal\"") },
                EventKind.Deliver => new Deliver
                {
                    Sig = _sawSig ? _sig : throw new FormatException("deliver without \"sig\""),
                    Handler = _handler < 0 ? Handler.Unknown : (Handler)_handler,
                },
                EventKind.Container => new Container
                {
                    Action = _action >= 0 ? (ContainerAction)_action : throw new FormatException("container without \"action\""),
                    Id = _id ?? throw new FormatException("container without \"id\""),
                    Peer = _peer, Task = _task,
                },
                _ => throw new FormatException("unknown kind"),
            };
            // The envelope is set on the one object made, rather than copied into a second.
            ev.SetEnvelope(_host ?? "", _seq ?? -1, _t ?? 0, _tid.Value, _comm ?? "", _ret);
            return ev;
        }

        private static int Enum(ref Utf8JsonReader r, string[] names, string key)
        {
            if (r.TokenType != JsonTokenType.String) throw new FormatException("must be a string");
            Span<char> buf = stackalloc char[MaxKey];
            int n = r.ValueSpan.Length <= MaxKey ? r.CopyString(buf) : -1;
            if (n >= 0)
            {
                var value = buf[..n];
                for (int i = 0; i < names.Length; i++)
                    if (value.SequenceEqual(names[i])) return i;
            }
            throw new FormatException($"\"{key}\" has no value \"{Printable(r.GetString() ?? "")}\" (one of: {string.Join(", ", names)})");
        }

        private static long NonNegative(ref Utf8JsonReader r)
        {
            long v = r.GetInt64();
            if (v < 0) throw new FormatException("must not be negative");
            return v;
        }

        // A tid or pid the kernel could have made: 0 (idle, or none) up to PID_MAX_LIMIT, 4194304.
        private static int Pid(ref Utf8JsonReader r)
        {
            int v = r.GetInt32();
            if (v is < 0 or > 4194304) throw new FormatException($"{v} is not a pid (0 to 4194304)");
            return v;
        }

        private static int Sig(ref Utf8JsonReader r)
        {
            int v = r.GetInt32();
            if (v is < 0 or > 64) throw new FormatException($"{v} is not a signal number (0 to 64)");
            return v;
        }

        private static string Str(ref Utf8JsonReader r, int max)
        {
            if (r.TokenType != JsonTokenType.String) throw new FormatException("must be a string");
            if (r.ValueSpan.Length <= MaxComm)
            {
                Span<char> buf = stackalloc char[MaxComm];
                int n = r.CopyString(buf);
                if (n > max) throw new FormatException($"string longer than {max} characters");
                return Intern.Get(buf[..n]);
            }
            var s = r.GetString()!;
            if (s.Length > max) throw new FormatException($"string longer than {max} characters");
            return s;
        }

        private static int[] IntArray(ref Utf8JsonReader r, int max)
        {
            if (r.TokenType != JsonTokenType.StartArray) throw new FormatException("must be an array of numbers");
            Span<int> tmp = stackalloc int[MaxLevels];
            int n = 0;
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (n == max) throw new FormatException($"more than {max} numbers");
                tmp[n++] = r.GetInt32();
            }
            return tmp[..n].ToArray();
        }

        private static SignalRecord[] SignalArray(ref Utf8JsonReader r)
        {
            if (r.TokenType != JsonTokenType.StartArray) throw new FormatException("must be an array of signals");
            var first = default(SignalRecord);
            List<SignalRecord>? more = null;
            int n = 0;
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (n == MaxSignals) throw new FormatException($"more than {MaxSignals} signals");
                var s = ReadSignal(ref r);
                if (n == 0) first = s;
                else (more ??= [first]).Add(s);
                n++;
            }
            return n switch { 0 => [], 1 => [first], _ => [.. more!] };
        }

        private static SignalRecord ReadSignal(ref Utf8JsonReader r)
        {
            if (r.TokenType != JsonTokenType.StartObject) throw new FormatException("a signal must be an object");
            int sig = -1, to = -1, res = 0, code = 0;
            bool group = false;
            Span<char> k = stackalloc char[MaxKey];
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                int kn = r.ValueSpan.Length <= MaxKey ? r.CopyString(k) : 0;
                var key = k[..kn];
                r.Read();
                switch (key)
                {
                    case "sig": sig = Sig(ref r); break;
                    case "to": to = Pid(ref r); break;
                    case "res":
                        res = r.GetInt32();
                        if (res is < 0 or > 4) throw new FormatException($"signal res {res} is not 0 to 4");
                        break;
                    case "code": code = r.GetInt32(); break;
                    case "group": group = r.GetBoolean(); break;
                    default: throw new FormatException($"unknown key \"{Printable(key.ToString())}\" in a signal");
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
            ["snapshot", "fork", "exec", "exit", "setpgid", "setsid", "sigaction", "prctl", "getid", "kill", "wait", "unshare", "setns", "signal", "deliver", "container"];
        public static readonly string[] ForkCalls = ["clone", "clone3", "fork", "vfork"];
        public static readonly string[] Handlers = ["unknown", "default", "ignore", "catch"];
        public static readonly string[] GetIdCalls = ["getpid", "getppid", "getpgid", "getpgrp", "getsid", "gettid"];
        public static readonly string[] KillCalls = ["kill", "tkill", "tgkill"];
        public static readonly string[] WaitCalls = ["wait4", "waitid"];
        public static readonly string[] ContainerActions = ["create", "enter", "checkpoint", "restore", "stop"];
    }
}
