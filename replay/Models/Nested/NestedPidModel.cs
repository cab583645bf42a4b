using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>What the nested model assumes of the machine a capture came from.</summary>
public sealed record NestedOptions
{
    /// <summary>The initial namespace's pid_max (/proc/sys/kernel/pid_max); new namespaces inherit their parent's.</summary>
    public int PidMax { get; init; } = NestedPidModel.DefaultPidMax;

    /// <summary>Every task was ptraced (a strace capture): signals other than SIGKILL are never ignored at generation.</summary>
    public bool Ptraced { get; init; }

    /// <summary>Whose structures a lookup's probes are counted in: today's per-namespace idr, or 2.6.24's global pid hash.</summary>
    public KernelEra Kernel { get; init; } = KernelEra.Modern;

    /// <summary>2.6.24's pidhash_size: 16 up to 4096 buckets (4096 on a host with a gigabyte or more).</summary>
    public int PidHashBuckets { get; init; } = 4096;
}

/// <summary>
/// Linux nested pid namespaces (seed 004; kernel/pid.c, kernel/pid_namespace.c, kernel/signal.c,
/// kernel/exit.c, kernel/sys.c), replayed trace-driven: each event is predicted from the state,
/// then the state follows what the trace says happened (MODELS.md, "Divergence"). Where the
/// answer depends on what the capture cannot show, the verdict is UnknownState.
///
/// Assumptions a capture cannot check: those of <see cref="Creds"/> (a task without credentials
/// in the capture is root; an exec'd file is not set-user-ID), and, in a capture that does not
/// follow blocked masks (SigMask events), no signal is blocked, except around a vfork: glibc's
/// posix_spawn and CPython block every signal there, so a signal to a thread that has made a
/// vfork child and done nothing since has an unknown result (TaskStruct.MayBlockAll); and a
/// signal the snapshot read blocked, in the thread or the one it was forked from, may be blocked
/// still, so whether it is ignored is not known. Where the
/// capture follows masks, a thread's own (TaskStruct.Blocked) decides.
/// </summary>
public sealed partial class NestedPidModel : IPidModel
{
    /// <summary>MAX_PID_NS_LEVEL: level 0 plus at most 32 nested levels.</summary>
    public const int MaxLevel = 32;

    /// <summary>RESERVED_PIDS: the cursor wraps here, not to 1, once it has passed it.</summary>
    public const int ReservedPids = 300;

    /// <summary>pid_max on the machines the captures come from (max(32768, 1024 x CPUs) with 2 CPUs).</summary>
    public const int DefaultPidMax = 32768;

    private const int EPERM = 1, ESRCH = 3, EINTR = 4, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EEXIST = 17,
        EINVAL = 22, ENOSPC = 28, ERESTARTSYS = 512;

    private const int WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000, WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = unchecked((int)0x80000000);

    /// <summary>Answers of the internal lookups: found, names nothing, or depends on what the capture did not show.</summary>
    private enum Lookup : byte { Found, None, Unknown }

    /// <summary>Every namespace seen, by Id (index); never shrinks, so Ids stay stable.</summary>
    private readonly List<PidNamespace> _namespaces = [];

    /// <summary>
    /// The namespaces below the host still adding (PidNamespace.Adding), by Id: where an unnamed
    /// setns may have led. An array, not a list linked through the namespaces: a fork after such a
    /// setns reads every one of them, and the next is then known before the last is loaded.
    /// </summary>
    private readonly List<PidNamespace> _adding = [];

    /// <summary>Namespaces by inode, for snapshots and setns.</summary>
    private readonly Dictionary<ulong, PidNamespace> _byInode = new();

    /// <summary>A process the capture does not trace was seeded (SignalStruct.Untraced): <see cref="HearsUntraced"/> may hold.</summary>
    private bool _untracedSeeded;

    /// <summary>Released records, reused so that a steady fork/exit load allocates nothing.</summary>
    private readonly Stack<TaskStruct> _freeTasks = new();
    private readonly Stack<SignalStruct> _freeSignals = new();

    /// <summary>The task list for_each_process walks: group leaders in creation order.</summary>
    private TaskStruct? _firstProcess, _lastProcess;

    /// <summary>Processes on the task list (every one hashed, with its signal struct), and how many of them are unplaced.</summary>
    private int _processes, _unplacedProcesses;

    /// <summary>The last TaskStruct.ProcessSeq given.</summary>
    private long _processSeq;

    /// <summary>Snapshots taken: each one's walk marks the records it numbers with its own count.</summary>
    private long _snapshots;

    /// <summary>The initial namespace; its idr, by global tid, is every pid the model knows.</summary>
    private PidNamespace _host;

    private readonly NestedOptions _options;

    /// <summary>What find_pid_ns costs in the chosen kernel's structures; every idr reports to it.</summary>
    private readonly PidLookupTable _lookups;

    /// <summary>The arrays of dead namespaces' idrs, for the namespaces made after them.</summary>
    private readonly PidIdr.Shelf _idrArrays = new();

    /// <summary>Probes of the lookups made for the event being applied.</summary>
    private int _lookupProbes;

    /// <summary>Every task on the host is known: a full /proc snapshot began the capture and nothing unknown turned up since.</summary>
    private bool _allKnown;

    /// <summary>
    /// The capture's probe lost records (a <see cref="LastPid"/> marked lossy): a write to any
    /// namespace's ns_last_pid may have gone unrecorded, so no cursor below the host's is known.
    /// </summary>
    private bool _lastPidUnseen;

    /// <summary>The capture lost events (a <see cref="Lost"/> event): no answer from here on is judged.</summary>
    private bool _eventsLost;

    /// <summary>
    /// Some process's group was not shown (a snapshot block without one: forked in the window,
    /// where it may have called setsid): a kill of a group may reach it (<see cref="KillPgrpInfo"/>).
    /// </summary>
    private bool _groupsUnknown;

    /// <summary>Scratch for the walks that collect tasks (teardown, subreaper propagation), reused.</summary>
    private readonly List<TaskStruct> _scratch = new(64);
    private readonly List<int> _scratchNr = new(64);

    /// <summary>alloc_pid's numbers for the task being forked, by level; and which levels allocated cyclically.</summary>
    private readonly int[] _newNr = new int[MaxLevel + 1];
    private readonly bool[] _cyclic = new bool[MaxLevel + 1];

    public NestedPidModel(NestedOptions? options = null)
    {
        _options = options ?? new NestedOptions();
        _lookups = PidLookupTable.For(_options.Kernel, _options.PidHashBuckets);
        _host = NewNamespace(0, null);
    }

    public string Name => "nested";

    public void Apply(PidEvent ev, Outcome outcome)
    {
        outcome.Reset();
        _lookupProbes = 0;
        switch (ev)
        {
            case TaskSnapshot s: ApplySnapshot(s, outcome); break;
            case Fork f: ApplyFork(f, outcome); break;
            case Exec e: ApplyExec(e, outcome); break;
            case Exit x: ApplyExit(x, outcome); break;
            case SetPgid p: ApplySetPgid(p, outcome); break;
            case SetSid s: ApplySetSid(s, outcome); break;
            case SigAction a: ApplySigAction(a, outcome); break;
            case Prctl p: ApplyPrctl(p, outcome); break;
            case GetId g: ApplyGetId(g, outcome); break;
            case Kill k: ApplyKill(k, outcome); break;
            case Wait w: ApplyWait(w, outcome); break;
            case Unshare u: ApplyUnshare(u, outcome); break;
            case SetNs n: ApplySetNs(n, outcome); break;
            case Signal s: ApplySignal(s, outcome); break;
            case Deliver d: ApplyDeliver(d, outcome); break;
            case SetCred c: ApplySetCred(c, outcome); break;
            case SigMask m: ApplySigMask(m, outcome); break;
            case SigWait w: ApplySigWait(w, outcome); break;
            case Exiting: ApplyExiting(ev, outcome); break;
            case LastPid l: ApplyLastPid(l, outcome); break;
            case Lost:
                _eventsLost = true;
                outcome.Verdict = Verdict.NotApplicable;
                break;
            default: outcome.Verdict = Verdict.NotApplicable; break;
        }
        if (_eventsLost) NothingJudged(outcome);
        // pid_nr_ns is a level compare and one load in either era: one probe per number shown.
        outcome.Probes += _lookupProbes + outcome.TranslationsOut;
    }

    public int NumberOf(int viewer, int target, IdKind kind)
    {
        if (!_host.Idr.TryGetValue(viewer, out var v) || !_host.Idr.TryGetValue(target, out var t)) return -1;
        var pid = kind switch
        {
            IdKind.Pid => t,
            IdKind.Tgid => t.Signal?.Leader ?? t,
            IdKind.Pgid => Leader(t).Pgrp,
            _ => Leader(t).Session,
        };
        if (pid is null || !v.Placed) return -1;
        return PidNrNs(pid, v.Ns);
    }

    public int Resolve(int viewer, int number, IdKind kind)
    {
        if (!_host.Idr.TryGetValue(viewer, out var v) || !v.Placed) return 0;
        if (FindPidNs(number, v.Ns, out var pid) != Lookup.Found) return 0;
        return kind switch
        {
            IdKind.Pid => pid!.Hashed ? pid.Tid : 0,
            IdKind.Tgid => pid!.Hashed && pid.Signal is { } s ? s.Leader.Tid : 0,
            IdKind.Pgid => pid!.IsPgrp ? pid.Tid : 0,
            _ => pid!.SessionRefs > 0 ? pid.Tid : 0,
        };
    }

    public int ContainerOf(int tid)
    {
        if (!_host.Idr.TryGetValue(tid, out var t) || !t.Placed || t.Ns.Level == 0) return 0;
        return t.Ns.AncestorAt(1).Id;
    }

    /// <summary>The acting task of an event, when the model knows it and where it lives.</summary>
    private TaskStruct? Current(PidEvent ev, Outcome o)
    {
        if (_host.Idr.TryGetValue(ev.Tid, out var t) && t.Hashed && !t.Exited && t.Signal?.Leader is not null)
        {
            t.MayBlockAll = false; // it acts: its vfork has returned
            // A thread of a group exiting makes no new call (a wait begun before the trace only returns).
            if (t.Signal.MaybeGroupExit && ev is not Wait { EnterLost: true }) t.Signal.MaybeGroupExit = false;
            if (t.Placed) return t;
            Unknown(o, "the acting task's namespace is not known (first seen without a snapshot)");
            return null;
        }
        AdoptUnplaced(ev.Tid);
        Unknown(o, "the acting task was not known before this event");
        return null;
    }

    /// <summary>
    /// After the capture lost events: the model goes on following what the trace shows, but
    /// which tasks the lost events were of is not known, so none of its answers is held against
    /// the kernel's (a busy capture that lost 112,514 events had 1,830 answers disagree after
    /// them, a namespace's shell among them taken for the host's: its fork was lost).
    /// </summary>
    private static void NothingJudged(Outcome o)
    {
        if (o.Verdict is Verdict.NotApplicable or Verdict.Unsupported) return;
        o.Verdict = Verdict.UnknownState;
        o.HasRet = false;
        o.Note = LostNote;
        for (int i = 0; i < o.Signals.Count; i++)
        {
            if (!o.UnknownResults.Contains(i)) o.UnknownResults.Add(i);
            if (!o.MaybeSent.Contains(i)) o.MaybeSent.Add(i);
        }
    }

    internal const string LostNote = "the capture lost events before this (its ring buffer overran): which tasks' is not known";

    private static void Unknown(Outcome o, string why)
    {
        o.Verdict = Verdict.UnknownState;
        o.Note ??= why;
    }

    private static TaskStruct Leader(TaskStruct t) => t.Signal?.Leader ?? t;
}
