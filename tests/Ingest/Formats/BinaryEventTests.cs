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
/// The store's binary form of an event (NativeJson.WriteBinary, ParseBinary, ParseStored): it
/// must read back as the very event the native JSON line reads back as, one event must always
/// give the same bytes, and any damaged bytes must end in a TraceFormatException naming the
/// file and line, never another exception, a hang or an allocation a hostile length asked for.
/// </summary>
public sealed partial class BinaryEventTests
{
    private const string File = "store.db";

    private static byte[] Json(PidEvent ev)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) NativeJson.WriteEvent(w, ev);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Binary(PidEvent ev)
    {
        var buffer = new ArrayBufferWriter<byte>();
        NativeJson.WriteBinary(buffer, ev);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>What bytes read as: the event spelled as its JSON line, or "error".</summary>
    private static string Outcome(Func<PidEvent> parse)
    {
        try
        {
            return Encoding.UTF8.GetString(Json(parse()));
        }
        catch (TraceFormatException e)
        {
            Assert.Equal(File, e.File);
            Assert.Equal(7, e.Line);
            return "error";
        }
    }

    private static string ThroughJson(PidEvent ev) => Outcome(() => NativeJson.ParseEvent(Json(ev), File, 7));

    private static string ThroughBinary(PidEvent ev) => Outcome(() => NativeJson.ParseBinary(Binary(ev), File, 7));

    [Fact]
    public void An_exit_at_its_notice_is_the_flag_at_notice_key_56_written_only_when_true() =>
        AnExitFlag("at_notice", 56, x => x with { AtNotice = true }, x => x.AtNotice, x => x.NoticeInWait);

    [Fact]
    public void An_exit_at_its_notice_during_a_wait_is_the_flag_notice_in_wait_key_66_written_only_when_true() =>
        AnExitFlag("notice_in_wait", 66, x => x with { NoticeInWait = true }, x => x.NoticeInWait, x => x.AtNotice);

    [Fact]
    public void An_exit_whose_notice_the_trace_ended_before_is_the_flag_notice_after_end_key_68_written_only_when_true() =>
        AnExitFlag("notice_after_end", 68, x => x with { NoticeAfterEnd = true }, x => x.NoticeAfterEnd, x => x.AtNotice);

    /// <summary>
    /// A flag of an exit: written only when true, in JSON after "group", in the binary form as its
    /// key and one byte 1 before the signals' key; read back alone (the other flag stays false);
    /// a value not a boolean is refused, naming the key.
    /// </summary>
    private static void AnExitFlag(string name, byte key, Func<Exit, Exit> set, Func<Exit, bool> flag, Func<Exit, bool> other)
    {
        var exit = new Exit { Tid = 5, Code = 0, Group = true, Signals = [new SignalRecord(17, 4, SignalResult.Delivered, 1, true)] };
        string plain = Encoding.UTF8.GetString(Json(exit));
        Assert.DoesNotContain(name, plain);
        Assert.Equal(plain.Replace(",\"signals\"", $",\"{name}\":true,\"signals\""), Encoding.UTF8.GetString(Json(set(exit))));
        byte[] without = Binary(exit), with = Binary(set(exit));
        int at = Array.IndexOf(without, (byte)24);  // the signals key
        Assert.Equal([.. without[..at], key, 1, .. without[at..]], with);
        var read = (Exit)NativeJson.ParseBinary(with, File, 7);
        Assert.True(flag(read));
        Assert.False(other(read));
        Assert.False(flag((Exit)NativeJson.ParseBinary(without, File, 7)));
        foreach (var garbled in new[] { $$"""{"tid":5,"kind":"exit","{{name}}":1}""", $$"""{"tid":5,"kind":"exit","{{name}}":"true"}""" })
        {
            var e = Assert.Throws<TraceFormatException>(() => NativeJson.ParseEvent(Encoding.UTF8.GetBytes(garbled), File, 7));
            Assert.Contains($"(key \"{name}\")", e.Message);
        }
    }

    /// <summary>Every kind, with each optional field at its default and away from it, numbers at their extremes.</summary>
    private static IEnumerable<PidEvent> Built()
    {
        int[] levels = [.. Enumerable.Range(1, 33).Select(i => i * 1000)];
        SignalRecord[] signals =
        [
            new(17, 4194304, SignalResult.Delivered, 1, false),
            new(9, 0, SignalResult.LostInfo, int.MinValue, true),
            new(64, 12, SignalResult.Ignored, int.MaxValue, false),
            new(0, 1, SignalResult.AlreadyPending, -6, true),
        ];
        PidEvent[] bare =
        [
            new TaskSnapshot(), new Fork(), new Exec(), new Exit(), new SetPgid(), new SetSid(), new SigAction(), new Prctl(),
            new GetId(), new Kill(), new Wait(), new Unshare(), new SetNs(), new Signal(), new Deliver(), new Container { Id = "" },
            new SetCred(), new SigMask(), new SigWait(), new Exiting(), new LastPid(),
        ];
        PidEvent[] full =
        [
            new TaskSnapshot { Tgid = 4194304, PPid = 1, Pgid = -7, Sid = 3, NsPid = levels, NsPgid = [], NsSid = [0], PidNs = ulong.MaxValue, Adopted = true },
            new TaskSnapshot { Uids = [0, int.MaxValue, 65534], CapPrm = ulong.MaxValue, CapEff = 0, CapBnd = 0x1ffffffffff, CapAmb = 1, ForeignUserNs = true },
            new SetCred { Call = CredCall.SetResUid, Ruid = int.MaxValue, Euid = 0, Suid = -1 },
            new SetCred { Call = CredCall.SetUid, Euid = 65534 },
            new SetCred { Call = CredCall.Capset },
            new Exec { Filename = "/tmp/suid-kill", File = ExecFile.SetUid, FileUid = int.MaxValue },
            new Exec { Filename = "rel", File = ExecFile.Unreadable },
            new TaskSnapshot { NoNewPrivs = true },
            new TaskSnapshot { Blocked = 0 },
            new TaskSnapshot { Uids = [0, 0, 0], CapPrm = 0, NoNewPrivs = true, Blocked = ulong.MaxValue },
            new TaskSnapshot { Uids = [-1, -1, -1] },
            new TaskSnapshot { SigIgn = 0x1000, SigCgt = 0x344ff, SigchldFlags = 0x14000004 },
            new TaskSnapshot { SigIgn = ulong.MaxValue, SigCgt = 0 },
            new TaskSnapshot { Blocked = 1, SigIgn = 0, SigCgt = ulong.MaxValue, SigchldFlags = 2 },
            new TaskSnapshot { ExitSignal = -1 },
            new TaskSnapshot { SigIgn = 0, SigCgt = 0x10000, ExitSignal = 17 },
            new TaskSnapshot { ExitSignal = 0 },
            new Wait { Call = WaitCall.Wait4, Ret = 4194304, EnterLost = true },
            new SigMask { Blocked = ulong.MaxValue },
            new SigMask { Blocked = 1UL << 16 | 1UL << 1 },
            new LastPid { Value = int.MaxValue },
            new TaskSnapshot { DequeuesTraced = true },
            new TaskSnapshot { Zombie = true, ExitSignal = 17 },
            new TaskSnapshot { SigPnd = 0, ShdPnd = 1UL << 16 },
            new TaskSnapshot { PidNs = 4026531836, PidNsForChildren = ulong.MaxValue },
            new TaskSnapshot { PidNs = 4026531836, PidNsForChildren = 0 },
            new TaskSnapshot { Untraced = true, DequeuesTraced = false, ExitSignal = 17 },
            new TaskSnapshot { MaybeReused = true },
            new TaskSnapshot { Blocked = 1UL << 16, SigPnd = ulong.MaxValue, ShdPnd = 0, DequeuesTraced = true },
            new TaskSnapshot { SigIgn = 0, SigCgt = 0x10000, ExitSignal = 17, DequeuesTraced = true },
            new SigWait { Call = SigWaitCall.SignalFd },
            new SigWait { Call = SigWaitCall.TimedWait, Ret = 17 },
            new Prctl { Option = Prctl.CapAmbient, Arg2 = Prctl.AmbientRaise, Arg3 = ulong.MaxValue },
            new Fork { Call = ForkCall.VFork, Child = 4194304, Flags = ulong.MaxValue, SetTid = [int.MinValue, int.MaxValue, 0] },
            new Fork { Call = ForkCall.Clone, Child = 7, Flags = 0x1200000, EnterLost = true },
            new Exec { Filename = new string('f', 4096), OldTid = 4194304 },
            new Exec { Filename = "/usr/bin/" + string.Concat(Enumerable.Repeat("日本é", 300)) },
            new Exit { Code = int.MinValue, Group = true, Signals = signals },
            new Exit { Code = 0, Signals = [signals[0]] },
            new Exit { Code = 9, Group = true, AtNotice = true, Signals = [signals[0]] },
            new SetPgid { Pid = int.MinValue, Pgid = int.MaxValue },
            new SigAction { Sig = 64, Handler = Handler.Catch, SaFlags = ulong.MaxValue },
            new Prctl { Option = int.MinValue, Arg2 = ulong.MaxValue },
            new GetId { Call = GetIdCall.GetTid, Arg = int.MinValue },
            new Kill { Call = KillCall.Tgkill, Pid = int.MinValue, ThreadArg = int.MaxValue, Sig = 64, Signals = signals },
            new Wait { Call = WaitCall.Waitid, Pid = -1, Options = int.MinValue },
            new Unshare { Flags = CloneFlags.NewPid },
            new SetNs { Fd = -1, NsType = ulong.MaxValue, TargetNs = 4026531836 },
            new SetNs { Fd = 3, NsType = CloneFlags.NewPid, TargetNs = 4026532176, TargetInit = 4194304 },
            new Signal { Record = signals[1] },
            new Deliver { Sig = 9, Handler = Handler.Ignore },
            new Deliver { Sig = 17, Handler = Handler.Catch, SaFlags = ulong.MaxValue },
            new Deliver { Sig = 17, Handler = Handler.Catch, SaFlags = 0 },
            new Container { Action = ContainerAction.Stop, Id = "ct-ü", Peer = "host-b", Task = 4194304 },
            new LastPid { Value = int.MaxValue, Lossy = true },
        ];
        foreach (var ev in bare) yield return ev;
        foreach (var ev in full)
        {
            yield return ev with { Host = "host-日本", Seq = long.MaxValue, Time = long.MinValue, Tid = 4194304, Comm = "kworker/ü:1é", Ret = long.MinValue };
            yield return ev with { Host = new string('h', 256), Seq = 0, Time = long.MaxValue, Tid = 0, Comm = new string('c', 256), Ret = long.MaxValue };
        }
    }

    /// <summary>Every magnitude a varint can have, from one byte to ten, signed and not, with and without its neighbours.</summary>
    private static IEnumerable<PidEvent> Magnitudes()
    {
        for (int bits = 0; bits <= 64; bits++)
        {
            ulong u = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            foreach (ulong value in new[] { u, u + 1, u / 2 + 1 })
            {
                long signed = (long)value;
                yield return new Prctl { Option = (int)value, Arg2 = value, Time = signed, Ret = -signed, Seq = signed & long.MaxValue };
                // Last before the end byte, where fewer than eight bytes are left.
                yield return new Prctl { Arg2 = value };
                yield return new SetSid { Ret = signed };
            }
        }
    }

    /// <summary>Events both forms refuse: the same rules, checked once, reject them either way.</summary>
    private static IEnumerable<PidEvent> Refused() =>
    [
        new SetSid { Tid = -1 },
        new SetSid { Tid = 4194305 },
        new SetSid { Comm = new string('c', 257) },
        new SetSid { Comm = new string('日', 257) },
        new Exec { Filename = new string('f', 4097) },
        new Kill { Sig = 65 },
        new TaskSnapshot { NsPid = new int[34] },
        new Signal { Record = new SignalRecord(9, 1, (SignalResult)5, 0, false) },
        new Signal { Record = new SignalRecord(9, -1, SignalResult.Delivered, 0, false) },
        new Fork { Child = -1 },
        new SetCred { Call = CredCall.SetReUid, Ruid = -2 },
        new TaskSnapshot { Uids = [0, 0] },
        new TaskSnapshot { Uids = [0, -2, 0] },
        new Exec { File = ExecFile.SetUid, FileUid = -1 },
    ];

    [Fact]
    public void Every_kind_with_and_without_its_optional_fields_reads_back_from_binary_as_from_json()
    {
        int events = 0;
        foreach (var ev in Built())
        {
            string json = ThroughJson(ev);
            Assert.Equal(Encoding.UTF8.GetString(Json(ev)), json);
            Assert.Equal(json, ThroughBinary(ev));
            events++;
        }
        Assert.Equal(21 + 2 * 55, events);
        foreach (var ev in Magnitudes())
            Assert.Equal(Encoding.UTF8.GetString(Json(ev)), ThroughBinary(ev));
    }

    [Fact]
    public void An_event_the_json_reader_refuses_the_binary_reader_refuses_too()
    {
        foreach (var ev in Refused())
        {
            Assert.Equal("error", ThroughJson(ev));
            Assert.Equal("error", ThroughBinary(ev));
        }
    }

    [Fact]
    public void A_lone_surrogate_reads_back_from_both_forms_as_the_replacement_character()
    {
        var ev = new SetSid { Comm = "a\ud800b" };
        Assert.Equal("a\ufffdb", NativeJson.ParseEvent(Json(ev), File, 7).Comm);
        Assert.Equal("a\ufffdb", NativeJson.ParseBinary(Binary(ev), File, 7).Comm);
    }

    /// <summary>Every event of every real capture and of every built-in workload (a big mixed one among them).</summary>
    private static IEnumerable<(string Source, PidEvent Event)> RealEvents()
    {
        var files = CaptureFiles.All().Select(a => CaptureFiles.Path_((string)a[0]))
            .Concat(Directory.GetFiles(Path.Combine(CaptureFiles.Root, "traces", "fresh"), "*.capture").Order(StringComparer.Ordinal));
        foreach (var path in files)
            foreach (var ev in CaptureFiles.Read(path).Events)
                yield return (Path.GetFileName(path), ev);
        foreach (var name in WorkloadSpec.Names)
        {
            var spec = WorkloadSpec.Named(name) with { Events = name == "mixed" ? 200_000 : 5_000, Containers = 6, TasksPerContainer = 30, Seed = 11 };
            foreach (var ev in NestedKernel.Trace(spec))
                yield return (name, ev);
        }
    }

    [Fact]
    public void Every_event_of_every_capture_and_workload_reads_back_from_binary_as_from_json()
    {
        var counts = new Dictionary<string, int>();
        long jsonBytes = 0, binaryBytes = 0;
        foreach (var (source, ev) in RealEvents())
        {
            var json = Json(ev);
            var binary = Binary(ev);
            var fromJson = Json(NativeJson.ParseStored(json, source, 1));
            Assert.Equal(json, fromJson);
            var fromBinary = Json(NativeJson.ParseStored(binary, source, 1));
            Assert.True(json.AsSpan().SequenceEqual(fromBinary), $"{source}: {Encoding.UTF8.GetString(json)} came back as {Encoding.UTF8.GetString(fromBinary)}");
            counts[source] = counts.GetValueOrDefault(source) + 1;
            jsonBytes += json.Length;
            binaryBytes += binary.Length;
        }
        Assert.True(counts.Count > 20 && counts["mixed"] == 200_000 && counts.Values.Sum() > 250_000, string.Join(", ", counts));
        Assert.True(binaryBytes * 2 < jsonBytes, $"{binaryBytes} bytes of binary for {jsonBytes} of JSON");
    }

    /// <summary>A buffer writer that lends exactly the bytes asked for, so every field finds the span full.</summary>
    private sealed class Stingy : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _lent = [];

        public byte[] Written => [.. _written];

        public void Advance(int count)
        {
            _written.AddRange(_lent.AsSpan(0, count));
            _lent = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _lent = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    [Fact]
    public void One_event_always_gives_the_same_bytes_whatever_the_buffer_and_after_a_round_trip()
    {
        foreach (var ev in Built().Concat(RealEvents().Take(20_000).Select(r => r.Event)))
        {
            var bytes = Binary(ev);
            Assert.Equal(bytes, Binary(ev));
            var stingy = new Stingy();
            NativeJson.WriteBinary(stingy, ev);
            Assert.Equal(bytes, stingy.Written);
            Assert.Equal(bytes, Binary(NativeJson.ParseBinary(bytes, File, 7)));
        }
    }

    [Fact]
    public void A_decoded_comm_and_host_are_the_strings_met_before_and_nothing_else_is_allocated_beyond_the_json_readers()
    {
        var events = Built().Concat(RealEvents().Take(5_000).Select(r => r.Event)).Where(e => e.Comm.Length < 100).ToList();
        foreach (var ev in events)
        {
            var first = NativeJson.ParseBinary(Binary(ev), File, 7);
            var again = NativeJson.ParseBinary(Binary(ev), File, 7);
            Assert.Same(first.Comm, again.Comm);
            Assert.Same(first.Host, again.Host);
        }
        // The JSON reader's canonical path allocates the event and its arrays alone: the lines it takes, with no escape.
        var forms = events.Select(e => (Json: Json(e), Binary: Binary(e))).Where(f => !f.Json.Contains((byte)'\\')).ToList();
        Assert.True(forms.Count > 4_000);
        foreach (var (json, binary) in forms)
        {
            NativeJson.ParseEvent(json, File, 7);
            NativeJson.ParseBinary(binary, File, 7);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var (json, _) in forms) NativeJson.ParseEvent(json, File, 7);
        long byJson = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var (_, binary) in forms) NativeJson.ParseBinary(binary, File, 7);
        long byBinary = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(byJson, byBinary);
    }

    [Fact]
    public void A_stored_event_is_read_as_json_or_binary_by_its_first_byte_and_anything_else_is_refused()
    {
        var ev = new Kill { Host = "h", Seq = 3, Tid = 5, Comm = "sh", Pid = 2, Sig = 15, Ret = 0 };
        string expected = Encoding.UTF8.GetString(Json(ev));
        Assert.Equal(expected, Outcome(() => NativeJson.ParseStored(Json(ev), File, 7)));
        Assert.Equal(expected, Outcome(() => NativeJson.ParseStored(Binary(ev), File, 7)));
        Assert.Equal(NativeJson.BinaryTag, Binary(ev)[0]);
        foreach (var bad in new[] { ""u8.ToArray(), " {}"u8.ToArray(), "[]"u8.ToArray(), [0x00], [0x02, 0xFF], [0xFF] })
        {
            var e = Assert.Throws<TraceFormatException>(() => NativeJson.ParseStored(bad, File, 7));
            Assert.StartsWith($"{File}:7: ", e.Message);
        }
    }

    /// <summary>The reason ParseBinary gives for bytes written by hand, after the tag.</summary>
    private static string Reason(params byte[] afterTag)
    {
        byte[] data = [NativeJson.BinaryTag, .. afterTag];
        return Assert.Throws<TraceFormatException>(() => NativeJson.ParseBinary(data, File, 7)).Reason;
    }

    // Keys by their number (NativeJson's Key), and the end byte.
    private const byte Tid = 3, Comm = 4, Kind = 5, NsPid = 11, Adopted = 15, File_ = 20, Signal_ = 25, End = 0xFF;

    [Fact]
    public void Each_kind_of_damage_is_named_in_the_reason()
    {
        Assert.Contains("begins with byte 0x7b", Assert.Throws<TraceFormatException>(() => NativeJson.ParseBinary("{}"u8, File, 7)).Reason);
        Assert.Contains("no bytes", Assert.Throws<TraceFormatException>(() => NativeJson.ParseBinary([], File, 7)).Reason);
        // A whole setsid: tid 5, kind setsid (5).
        Assert.Equal(5, NativeJson.ParseBinary([NativeJson.BinaryTag, Tid, 10, Kind, 5, End], File, 7).Tid);
        Assert.Contains("cut short", Reason(Tid, 10, Kind, 5));
        Assert.Contains("cut short", Reason(Tid, 0x80));
        Assert.Contains("2 bytes after the event's end", Reason(Tid, 10, Kind, 5, End, 0, 0));
        Assert.Contains("byte 0x4d at byte 1 is no key", Reason(77, 0, End));
        Assert.Contains("a second value", Reason(Tid, 10, Tid, 10, Kind, 5, End));
        // Keys from 64 on are kept in a second word: a repeat there is found too, and key 0 is not taken for one.
        Assert.Contains("a second value", Reason(Tid, 10, Kind, 0, 64, 2, 64, 2, End));
        Assert.Equal(4UL, Assert.IsType<TaskSnapshot>(NativeJson.ParseBinary([NativeJson.BinaryTag, 0, 0, Tid, 10, Kind, 0, 64, 4, End], File, 7)).SigPnd);
        Assert.Contains("longer than 64 bits", Reason([Tid, .. Enumerable.Repeat((byte)0xFF, 9), 0x02, End]));
        Assert.Contains("not in its shortest form", Reason(Tid, 0x8A, 0x00, Kind, 5, End));
        Assert.Contains("not in its shortest form at byte 2", Reason([Tid, 0x8A, 0x80, 0x00, Comm, 8, .. "abcdefgh"u8, Kind, 5, End]));
        Assert.Equal(64, NativeJson.ParseBinary([NativeJson.BinaryTag, Tid, 0x80, 0x01, Comm, 8, .. "abcdefgh"u8, Kind, 5, End], File, 7).Tid);
        Assert.Contains("does not fit 32 bits", Reason(Tid, 0x80, 0x80, 0x80, 0x80, 0x10, Kind, 5, End));
        Assert.Contains("is not a pid", Reason(Tid, 1, Kind, 5, End));
        Assert.Contains("missing \"tid\"", Reason(Kind, 5, End));
        Assert.Contains("missing \"kind\"", Reason(Tid, 10, End));
        Assert.Contains("has no value number 22", Reason(Tid, 10, Kind, 22, End));
        Assert.Contains("lost without \"cpu\"", Reason(Tid, 10, Kind, 21, End));
        Assert.Contains("sigwait without \"call\"", Reason(Tid, 10, Kind, 18, End));
        Assert.Contains("(key \"kind\")", Reason(Tid, 10, Kind, 22, End));
        Assert.Contains("not UTF-8", Reason(Tid, 10, Comm, 2, 0xC3, 0x28, Kind, 5, End));
        Assert.Contains("where 1 are left", Reason(Tid, 10, Comm, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, End));
        Assert.Contains("neither true (1) nor false (0)", Reason(Tid, 10, Adopted, 2, Kind, 0, End));
        Assert.Contains("name members that do not exist", Reason(Tid, 10, Signal_, 0x20, End));
        Assert.Contains("needs \"sig\" and \"to\"", Reason(Tid, 10, Signal_, 0x01, 18, End));
        Assert.Contains("elements at byte", Reason(Tid, 10, Kind, 0, NsPid, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, End));
        Assert.Contains("more than 33 numbers", Reason([Tid, 10, Kind, 0, NsPid, 34, .. new byte[34], End]));
    }

    [Fact]
    public void A_hostile_length_allocates_nothing_it_asks_for()
    {
        byte[] data = [NativeJson.BinaryTag, Tid, 10, File_, 0xFE, 0xFF, 0xFF, 0xFF, 0x07, .. new byte[1000], End];
        Assert.Throws<TraceFormatException>(() => NativeJson.ParseBinary(data, File, 7));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<TraceFormatException>(() => NativeJson.ParseBinary(data, File, 7));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    /// <summary>One encoding of each shape (kind and fields present) among the built, captured and generated events.</summary>
    private static List<byte[]> Samples() =>
        [.. Built().Concat(RealEvents().Take(60_000).Select(r => r.Event))
            .DistinctBy(ev => Shape().Replace(Number().Replace(Encoding.UTF8.GetString(Json(ev)), "0"), "\"\""))
            .Select(Binary)];

    [GeneratedRegex("-?[0-9]+")]
    private static partial Regex Number();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"(?!:)")]
    private static partial Regex Shape();

    /// <summary>Parses, and fails the test on any exception but a TraceFormatException naming the file and line.</summary>
    private static PidEvent? ParseOrRefuse(byte[] data, long line, string what)
    {
        try
        {
            return NativeJson.ParseBinary(data, File, line);
        }
        catch (TraceFormatException e)
        {
            Assert.True(e.File == File && e.Line == line && e.Message.StartsWith($"{File}:{line}: binary event", StringComparison.Ordinal), $"{what}: {e.Message}");
            return null;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {Convert.ToHexString(data)} threw {e}");
            return null;
        }
    }

    [Fact]
    public void Every_cut_of_a_valid_encoding_is_refused_with_file_and_line()
    {
        var samples = Samples();
        Assert.True(samples.Count > 100, $"{samples.Count} samples");
        long line = 0;
        foreach (var sample in samples)
        {
            Assert.NotNull(ParseOrRefuse(sample, ++line, "whole"));
            for (int length = 0; length < sample.Length; length++)
                Assert.Null(ParseOrRefuse(sample[..length], ++line, $"cut to {length} of {sample.Length}"));
        }
    }

    [Fact]
    public void Seeded_mutations_and_random_bytes_are_read_or_refused_with_file_and_line_and_what_is_read_is_an_event()
    {
        var samples = Samples();
        var rng = new Random(20261122);
        int read = 0, refused = 0;
        for (int i = 1; i <= 200_000; i++)
        {
            byte[] data;
            if (i % 10 == 0)
            {
                data = new byte[rng.Next(0, 64)];
                rng.NextBytes(data);
                if (data.Length > 0 && i % 20 == 0) data[0] = NativeJson.BinaryTag;
            }
            else
            {
                var bytes = new List<byte>(samples[rng.Next(samples.Count)]);
                for (int n = rng.Next(1, 4); n > 0 && bytes.Count > 0; n--)
                {
                    int at = rng.Next(bytes.Count);
                    switch (rng.Next(4))
                    {
                        case 0: bytes[at] = (byte)rng.Next(256); break;
                        case 1: bytes[at] ^= (byte)(1 << rng.Next(8)); break;
                        case 2: bytes.Insert(at, (byte)rng.Next(256)); break;
                        default: bytes.RemoveAt(at); break;
                    }
                }
                data = [.. bytes];
            }
            var ev = ParseOrRefuse(data, i, $"variant {i}");
            if (ev is null)
            {
                refused++;
                continue;
            }
            // What the reader accepts is an event, written again as it was read.
            read++;
            Assert.Equal(Json(ev), Json(NativeJson.ParseBinary(Binary(ev), File, i)));
        }
        Assert.True(read > 10_000 && refused > 100_000, $"{read} read, {refused} refused");
    }
}
