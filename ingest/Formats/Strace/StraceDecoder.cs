using System.Text;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats.Strace;

/// <summary>
/// Turns strace lines, in the order strace wrote them, into canonical events in an order a replay
/// can consume. strace shows a call when it enters and again when it returns, with other tasks'
/// lines in between; an event takes its place at the call's entry (a kill before the death it
/// causes, a fork before anything its child does), except wait4/waitid, which observe and so take
/// their place where they returned. An event whose answer is not known yet (a fork waiting for its
/// child, an exit waiting for its status) holds back the events after it, at most
/// <see cref="MaxHeldBack"/> of them.
/// </summary>
internal sealed class StraceDecoder
{
    /// <summary>How many events may wait behind an unfinished one before it goes out as it is.</summary>
    public const int MaxHeldBack = 1 << 16;

    /// <summary>The ingest numbers the events: a reader's own sequence would claim an order the capture does not give.</summary>
    private const long NoSeq = -1;

    /// <summary>CLONE_SIGHAND (include/uapi/linux/sched.h): the child shares its parent's dispositions.</summary>
    private const ulong CloneFlagsSigHand = 0x800;

    /// <summary>Tasks seen and not yet exited, by global tid.</summary>
    private readonly Dictionary<int, StraceTask> _tasks = [];
    /// <summary>Forks entered whose child has not shown itself yet, oldest first.</summary>
    private readonly List<PendingFork> _unpaired = [];
    /// <summary>Forks paired with a child by guess, among several that could have made it; settled by the child's own number.</summary>
    private readonly List<PendingFork> _unconfirmed = [];
    /// <summary>Forks entered and not returned, oldest first.</summary>
    private readonly List<PendingFork> _inCall = [];
    /// <summary>Forks returned with a number whose event has not gone out, in the order they entered.</summary>
    private readonly List<PendingFork> _numbered = [];
    /// <summary>Children that exited while taken for the child of a fork whose return then named another: their own fork's return will name them.</summary>
    private readonly HashSet<int> _dropped = [];
    /// <summary>Events that go out right behind the slot just taken (forks placed in allocation order).</summary>
    private readonly Queue<PidEvent> _behind = new();
    /// <summary>Counts forks entered and tasks first seen, to know which forks a new task could come from.</summary>
    private long _sightings;
    /// <summary>Events in output order; the head goes out once it is complete.</summary>
    private readonly Queue<Slot> _queue = new();
    /// <summary>(namespace, number in it) -> global tid, learned from fork returns and getpid/gettid; namespace 0 is the initial one.</summary>
    private readonly Dictionary<(int Ns, int Nr), int> _numbers = [];
    /// <summary>The next namespace id to hand out (ids only tell namespaces apart; 0 is the initial one).</summary>
    private int _nextNs = 1;
    /// <summary>True once a line was decoded: only the capture's first line can show strace starting its command.</summary>
    private bool _started;

    /// <summary>
    /// True when each line holds a whole call, shown at its entry time (-ff files merged by time):
    /// a fork's return is read with its entry, before the forks entered after it, so its event waits
    /// for its child's first line instead, by which time its number had been taken.
    /// </summary>
    public bool WholeCalls { get; init; }

    /// <summary>Forks whose events wait for their child's first line (<see cref="WholeCalls"/>), by the child's tid.</summary>
    private readonly Dictionary<int, PendingFork> _awaitingChild = [];

    /// <summary>The file being decoded, for errors.</summary>
    public string File { get; set; } = "";
    /// <summary>The line being decoded, for errors.</summary>
    public long Line { get; set; }

    /// <summary>A place in the output order, filled when its event is complete.</summary>
    private sealed class Slot
    {
        /// <summary>The event; null when it turned out to be nothing (a failed exec, a query of a disposition).</summary>
        public PidEvent? Event;
        /// <summary>True once nothing more will be learned about the event.</summary>
        public bool Done;
        /// <summary>True once the slot went out.</summary>
        public bool Out;
        /// <summary>Fork events moved behind this slot's own, in the order their numbers were allocated.</summary>
        public List<Fork>? Behind;
    }

    /// <summary>A clone/clone3/fork/vfork that has entered: its child and its return are learned separately, in either order.</summary>
    private sealed class PendingFork(StraceTask parent, Slot slot, ForkCall call, ulong flags, long time)
    {
        /// <summary>The calling thread.</summary>
        public readonly StraceTask Parent = parent;
        /// <summary>The Fork event's place: where the fork entered.</summary>
        public readonly Slot Slot = slot;
        public readonly ForkCall Call = call;
        /// <summary>Clone flags with clone's exit signal in the low byte (CSIGNAL), as the tracefs reader keeps them.</summary>
        public readonly ulong Flags = flags;
        /// <summary>When the fork entered (ns).</summary>
        public readonly long Time = time;
        /// <summary>clone3's set_tid array, as passed.</summary>
        public int[]? SetTid;
        /// <summary>The child's global tid, once seen.</summary>
        public int Child;
        /// <summary>The return in the parent, once seen: the child's number in the parent's namespace, or a negative errno.</summary>
        public long? Ret;
        /// <summary>True once the parent's return line was read (Ret stays null when it was "?").</summary>
        public bool Returned;
        /// <summary>The child's global tid as the return line named it (--decode-pids=pidns); 0 when it did not.</summary>
        public int RetTid;
        /// <summary>When the fork entered, in <see cref="_sightings"/>: only forks entered before a task first showed can have made it.</summary>
        public long Entered;
        /// <summary>False while the child was picked among several forks and nothing has borne the pick out yet.</summary>
        public bool Confirmed;
        /// <summary>Forks of the same namespace that entered after this one and are still in the call: its event waits for their numbers.</summary>
        public int Waiting;
        /// <summary>Forks whose events wait for this one's number.</summary>
        public List<PendingFork>? Waiters;
        /// <summary>The fork, entered later, whose number was allocated before this one's, last in the stream: this one's event goes behind it.</summary>
        public PendingFork? After;
        /// <summary>Forks whose events go behind this one's and wait for its place to be final.</summary>
        public List<PendingFork>? Dependents;
        /// <summary>True once the Fork event is built.</summary>
        public bool Completed;
        /// <summary>True once the event took its final place (its own slot, or behind another's).</summary>
        public bool Placed;
        /// <summary>The slot the event went out with: its own, or the one it was moved behind.</summary>
        public Slot? Home;
    }

    /// <summary>Signal dispositions, shared by the tasks that share a sighand_struct (CLONE_SIGHAND).</summary>
    private sealed class SigHand
    {
        /// <summary>Disposition by signal number (1-64); Unknown until the capture shows it.</summary>
        public readonly Handler[] Handlers = new Handler[65];

        public SigHand CopyForFork()
        {
            var copy = new SigHand();
            Handlers.CopyTo(copy.Handlers, 0);
            return copy;
        }
    }

    /// <summary>What threads of one process share.</summary>
    private sealed class ThreadGroup(SigHand sigHand)
    {
        /// <summary>Threads seen and not yet exited: the last one's exit is the group's.</summary>
        public int Live;
        /// <summary>The dispositions; replaced by a private copy at exec (de_thread unshares them).</summary>
        public SigHand SigHand = sigHand;
    }

    /// <summary>One task as this capture has shown it.</summary>
    private sealed class StraceTask(int tid, int tgid, ThreadGroup group, string comm, int ns, int childNs)
    {
        /// <summary>The global tid; changes only when an exec'ing thread takes over its leader's.</summary>
        public int Tid = tid;
        /// <summary>The thread group's id; changes only when the task is found to be another fork's child (<see cref="Rebind"/>).</summary>
        public int Tgid = tgid;
        /// <summary>What it shares with the other threads of its process.</summary>
        public ThreadGroup Group = group;
        /// <summary>The kernel's comm as far as the capture shows it: inherited at fork, the file's base name after exec.</summary>
        public string Comm = comm;
        /// <summary>The pid namespace the task is in (the view its numbers are in).</summary>
        public int Ns = ns;
        /// <summary>The namespace its next children go into (changed by unshare/setns of CLONE_NEWPID).</summary>
        public int ChildNs = childNs;
        /// <summary>The tid before a non-leader thread's exec made it the leader; else 0.</summary>
        public int OldTid;
        /// <summary>The fork that made this task, while that pairing is unconfirmed.</summary>
        public PendingFork? BornOf;
        /// <summary>The task's number in its own namespace, once getpid/gettid told it; else 0.</summary>
        public int Number;
        /// <summary>When the task first showed, in sightings (forks entered and tasks seen, counted together).</summary>
        public long SeenAt;
        /// <summary>True once a line of the task's own was read.</summary>
        public bool Shown;
        /// <summary>The call shown as unfinished, waiting for its resumed line.</summary>
        public StraceCall Pending;
        /// <summary>The event place the current call took when it entered (null for waits and calls that make no event).</summary>
        public Slot? PendingSlot;
        /// <summary>The current call when it is a fork.</summary>
        public PendingFork? PendingFork;
        /// <summary>When the current call entered (ns).</summary>
        public long PendingTime;
        /// <summary>The unfinished call's arguments so far: the line they came from is gone by the time it resumes.</summary>
        public byte[] PendingArgs = [];
        /// <summary>How much of PendingArgs holds them.</summary>
        public int PendingLength;
        /// <summary>The place of the exit the task asked for with exit/exit_group; the +++ line fills it.</summary>
        public Slot? ExitSlot;
        /// <summary>The status exit/exit_group asked for (code &lt;&lt; 8), used if the capture ends before the +++ line.</summary>
        public int ExitStatus;
        /// <summary>True when the exit asked for was exit_group.</summary>
        public bool ExitGroup;
    }

    /// <summary>Decodes one line of task <paramref name="tid"/> at <paramref name="time"/> (ns).</summary>
    public void Feed(in StraceLine line, int tid, long time)
    {
        bool first = !_started;
        _started = true;
        if (!_tasks.TryGetValue(tid, out var task)) task = FirstSight(tid, line, first, time);
        if (!task.Shown)
        {
            task.Shown = true;
            if (_awaitingChild.Count > 0 && _awaitingChild.Remove(tid, out var made)) ChildShown(made);
        }
        switch (line.Kind)
        {
            case LineKind.Call:
            {
                var call = StraceNames.Call(line.Name);
                if (call == StraceCall.Other) return;
                if (task.Pending != StraceCall.Other) CutShort(task);
                Enter(task, call, line.Args, time);
                Return(task, call, line.Args, line.RetKind, line.Ret, time, line.RetPidInStraceNs);
                break;
            }
            case LineKind.Unfinished:
            {
                var call = StraceNames.Call(line.Name);
                if (call == StraceCall.Other) return;
                if (task.Pending != StraceCall.Other) CutShort(task);
                Enter(task, call, line.Args, time);
                task.Pending = call;
                task.PendingLength = 0;
                Append(task, line.Args);
                break;
            }
            case LineKind.Resumed or LineKind.ResumedUnfinished:
            {
                var call = StraceNames.Call(line.Name);
                // A call strace had started before it attached, or one this reader passes over.
                if (call == StraceCall.Other || task.Pending == StraceCall.Other) return;
                if (call != task.Pending) throw Bad($"'{Encoding.ASCII.GetString(line.Name)}' resumed, but the unfinished call of {tid} is {task.Pending.ToString().ToLowerInvariant()}");
                Append(task, line.Args);
                if (line.Kind == LineKind.ResumedUnfinished) return;
                task.Pending = StraceCall.Other;
                Return(task, call, task.PendingArgs.AsSpan(0, task.PendingLength), line.RetKind, line.Ret, time, line.RetPidInStraceNs);
                break;
            }
            case LineKind.Signal:
                Emit(new Deliver { Seq = NoSeq, Time = time, Tid = tid, Comm = task.Comm, Sig = line.Number, Handler = task.Group.SigHand.Handlers[line.Number] });
                break;
            case LineKind.Exited:
                ExitTask(task, line.Number << 8, time);
                break;
            case LineKind.Killed:
                ExitTask(task, line.Number | (line.CoreDumped ? 0x80 : 0), time);
                break;
            case LineKind.Superseded:
                Supersede(task, line.Number);
                break;
        }
    }

    /// <summary>
    /// For per-pid files merged by time, where each line carries its entry time: the global tid of
    /// the child whose exit a wait on this line reaped, if that child has not exited yet; else 0.
    /// The merge holds the line back until that exit, so that the wait follows it as in the kernel.
    /// </summary>
    public int WaitsFor(in StraceLine line, int tid)
    {
        if (line.Kind != LineKind.Call || line.RetKind != RetKind.Value || !_tasks.TryGetValue(tid, out var task)) return 0;
        var call = StraceNames.Call(line.Name);
        long reaped = call switch
        {
            StraceCall.Wait4 => line.Ret,
            StraceCall.Waitid => WaitidChild(line.Args, line.Ret),
            _ => 0,
        };
        if (reaped <= 0 || reaped > int.MaxValue) return 0;
        // A stopped or continued child is reported, not reaped: it has not exited.
        if (StraceArgs.Nth(line.Args, call == StraceCall.Wait4 ? 1 : 2, out var status)
            && (status.IndexOf("WIFSTOPPED"u8) >= 0 || status.IndexOf("WIFCONTINUED"u8) >= 0
                || status.IndexOf("CLD_STOPPED"u8) >= 0 || status.IndexOf("CLD_CONTINUED"u8) >= 0 || status.IndexOf("CLD_TRAPPED"u8) >= 0))
            return 0;
        int child = task.Ns == 0 ? (int)reaped : _numbers.GetValueOrDefault((task.Ns, (int)reaped));
        return child != 0 && child != tid && _tasks.ContainsKey(child) ? child : 0;
    }

    /// <summary>Whether the task is still alive as far as the capture has shown.</summary>
    public bool IsLive(int tid) => _tasks.ContainsKey(tid);

    /// <summary>The next event whose place and answer are known.</summary>
    public bool TryTake(out PidEvent ev)
    {
        if (_behind.Count > 0)
        {
            ev = _behind.Dequeue();
            return true;
        }
        while (_queue.Count > 0)
        {
            var head = _queue.Peek();
            if (!head.Done)
            {
                if (_queue.Count <= MaxHeldBack) break;
                GiveUp(head);
            }
            _queue.Dequeue();
            head.Out = true;
            if (head.Behind is { } behind)
                foreach (var f in behind) _behind.Enqueue(f);
            if (head.Event is { } e) { ev = e; return true; }
            if (_behind.Count > 0) { ev = _behind.Dequeue(); return true; }
        }
        ev = null!;
        return false;
    }

    /// <summary>The end of the capture: what is still unfinished goes out with what is known.</summary>
    public void Finish()
    {
        foreach (var fork in _awaitingChild.Values) ChildShown(fork);
        _awaitingChild.Clear();
        foreach (var task in _tasks.Values)
        {
            if (task.Pending != StraceCall.Other) CutShort(task);
            if (task.ExitSlot is { } exit && !exit.Done)
            {
                exit.Event = new Exit { Seq = NoSeq, Time = exit.Event!.Time, Tid = task.Tid, Comm = task.Comm, Code = task.ExitStatus, Group = task.ExitGroup };
                exit.Done = true;
            }
        }
        foreach (var slot in _queue)
            if (!slot.Done) GiveUp(slot);
    }

    // A tid not seen before: the child of a fork entered earlier, or a task that existed before the capture.
    private StraceTask FirstSight(int tid, in StraceLine line, bool first, long time)
    {
        var fork = PairWithFork(tid);
        if (fork is not null) return Born(fork, tid);
        // strace started the traced command, or attached (-p): the task was already there. strace
        // runs in the initial namespace, where its leading pid is the tid; the numbers inside the
        // task's calls are in the initial namespace only for the command strace started itself. A
        // task attached to may be in any namespace: its view is one of its own, tied to tids only
        // by what its forks return and its getpid/gettid say.
        bool root = first && StartsTheCommand(line);
        int ns = root ? 0 : _nextNs++;
        var group = new ThreadGroup(new SigHand()) { Live = 1 };
        var task = new StraceTask(tid, tid, group, line.Comm.IsEmpty ? "" : Encoding.UTF8.GetString(line.Comm), ns, ns) { SeenAt = ++_sightings };
        _tasks[tid] = task;
        Emit(root
            ? new TaskSnapshot { Seq = NoSeq, Time = time, Tid = tid, Comm = task.Comm, Tgid = tid, NsPid = [tid], Adopted = true }
            : new TaskSnapshot { Seq = NoSeq, Time = time, Tid = tid, Comm = task.Comm, Tgid = tid, Adopted = true });
        return task;
    }

    /// <summary>
    /// Whether the capture's first line shows strace starting the traced command itself: strace
    /// forks a child in its own (the initial) namespace, where the child's tid is its pid, and
    /// the first thing it traces is that child's execve of the command. Such a root tracee is
    /// proven to live at level 0 with NSpid = [tid]; its parent (strace), group and session are
    /// strace's and appear nowhere in the capture, so they stay unknown. A task attached with -p
    /// may live in any namespace, and its first traced call is whatever it did next; strace
    /// writes "Process N attached" only to stderr, so the file cannot say it attached. The test
    /// is the best the text allows: -p captures begin mid-life, almost always with a call other
    /// than execve (a wait the task was blocked in shows first), and with -Y the child strace
    /// forked still bears strace's comm at its execve, which an attached task does not. The one
    /// capture it would misread is a -p one, recorded without -Y, whose first traced call is an execve.
    /// </summary>
    private static bool StartsTheCommand(in StraceLine line) =>
        line.Kind is LineKind.Call or LineKind.Unfinished
        && StraceNames.Call(line.Name) == StraceCall.Execve
        && (line.Comm.IsEmpty || line.Comm.SequenceEqual("strace"u8));

    /// <summary>
    /// Which entered fork <paramref name="tid"/> is the child of. A parent in the initial namespace
    /// returns the child's tid itself, so a return equal to it decides. Otherwise (a parent inside a
    /// namespace returns a number that is not the tid) the oldest fork still waiting for a child
    /// whose return cannot name another task: a child's first line always follows its parent's entry
    /// into the fork. When several forks could have made it, the pick stays unconfirmed until the
    /// child's getpid/gettid shows its number (see <see cref="Settle"/>), or the fork's return names
    /// the child's tid (see <see cref="Claim"/>). Only forks entered before sighting
    /// <paramref name="before"/> are considered.
    /// </summary>
    private PendingFork? PairWithFork(int tid, long before = long.MaxValue)
    {
        int pick = -1, candidates = 0;
        bool named = false;
        for (int i = 0; i < _unpaired.Count; i++)
        {
            var f = _unpaired[i];
            if (f.Entered >= before) continue;
            if (f.Returned && f.RetTid != 0)
            {
                if (f.RetTid == tid) { pick = i; candidates = 1; named = true; break; }
                continue;
            }
            if (f.Returned && f.Ret == tid) { pick = i; candidates = 1; break; }
            if (f.Returned && f.Parent.Ns == 0) continue;
            candidates++;
            if (pick < 0) pick = i;
        }
        if (pick < 0) return null;
        var fork = _unpaired[pick];
        _unpaired.RemoveAt(pick);
        // The only fork left may still trade children with a guessed sibling (allocation order, getpid).
        fork.Confirmed = named || (candidates == 1 && !_unconfirmed.Exists(u => u.Parent == fork.Parent && SameKind(u, fork)));
        if (!fork.Confirmed) _unconfirmed.Add(fork);
        return fork;
    }

    /// <summary>
    /// Checks a guessed pairing against the child's own number: in its parent's namespace the
    /// child's getpid is what the fork returned. A mismatch moves the child to the fork of the same
    /// parent that did return that number. A guess nothing can contradict any more is kept.
    /// </summary>
    private void Settle(PendingFork fork)
    {
        if (fork.Confirmed || fork.Child == 0) return;
        if (!_tasks.TryGetValue(fork.Child, out var child) || child.Ns != fork.Parent.Ns)
        {
            Confirm(fork);
            return;
        }
        if (fork.Returned && child.Number != 0)
        {
            if (child.Number != fork.Ret && Alternative(fork, other => other.Returned && other.Ret == child.Number) is { } right)
                Move(fork, right);
            else
                Confirm(fork);
            return;
        }
        if (Alternative(fork, other => InAllocationOrder(fork, other) == false) is { } inverted)
        {
            Swap(fork, inverted);
            Settle(inverted);
            Settle(fork);
            return;
        }
        // Every fork that could have made the child holds one in allocation order: the pairs stand.
        if (Alternative(fork, other => InAllocationOrder(fork, other) is null) is null) Confirm(fork);
    }

    /// <summary>
    /// Whether two forks of one thread hold their children in the order alloc_pid (kernel/pid.c)
    /// hands numbers out in; null when that order says nothing about them. alloc_pid takes numbers
    /// cyclically at every level: of two forks by one thread into one namespace, the one entered
    /// first gets the smaller number in the namespace and the smaller tid, unless a level's numbers
    /// wrapped at pid_max in between. Returns in entry order show that the namespace's did not; the
    /// children then go in tid order, which only a wrap of the global numbers between the two
    /// forks would contradict.
    /// </summary>
    private bool? InAllocationOrder(PendingFork a, PendingFork b)
    {
        if (!a.Returned || !b.Returned || a.Child == 0 || b.Child == 0) return null;
        if (!_tasks.TryGetValue(a.Child, out var ca) || !_tasks.TryGetValue(b.Child, out var cb) || ca.Ns != cb.Ns) return null;
        var (early, late) = a.Entered < b.Entered ? (a, b) : (b, a);
        if (early.Ret is not > 0 || !(early.Ret < late.Ret)) return null;
        return early.Child < late.Child;
    }

    /// <summary>
    /// Whether two forks make the same kind of child, so that a child can pass from one to the
    /// other: a thread or a process, sharing the dispositions or not, in a new namespace or not
    /// (what <see cref="Born"/> builds from the flags); the rest lives in the Fork event.
    /// </summary>
    private static bool SameKind(PendingFork a, PendingFork b)
    {
        const ulong kind = CloneFlags.Thread | CloneFlagsSigHand | CloneFlags.NewPid;
        return (a.Flags & kind) == (b.Flags & kind);
    }

    // Two guesses traded: each fork takes the other's child.
    private void Swap(PendingFork a, PendingFork b)
    {
        (a.Child, b.Child) = (b.Child, a.Child);
        _tasks[a.Child].BornOf = a;
        _tasks[b.Child].BornOf = b;
    }

    // Another fork that could have made fork's child: same parent and kind of child, entered before the child showed, not settled.
    private PendingFork? Alternative(PendingFork fork, Predicate<PendingFork> fits)
    {
        long seen = _tasks.TryGetValue(fork.Child, out var child) ? child.SeenAt : long.MaxValue;
        foreach (var list in (ReadOnlySpan<List<PendingFork>>)[_unpaired, _unconfirmed])
            foreach (var other in list)
                if (other != fork && other.Parent == fork.Parent && SameKind(other, fork) && other.Entered < seen && fits(other))
                    return other;
        return null;
    }

    // The child of wrong belongs to right; right's child, if it had one, goes back to wrong.
    private void Move(PendingFork wrong, PendingFork right)
    {
        int child = wrong.Child, other = right.Child;
        _unconfirmed.Remove(wrong);
        _unconfirmed.Remove(right);
        _unpaired.Remove(right);
        right.Child = child;
        _tasks[child].BornOf = null;
        Confirm(right);
        wrong.Child = other;
        if (other == 0)
        {
            _unpaired.Add(wrong);
            _unpaired.Sort((a, b) => a.Entered.CompareTo(b.Entered));
            return;
        }
        _tasks[other].BornOf = wrong;
        _unconfirmed.Add(wrong);
        Settle(wrong);
    }

    private void Confirm(PendingFork fork)
    {
        fork.Confirmed = true;
        _unconfirmed.Remove(fork);
        if (_tasks.TryGetValue(fork.Child, out var child) && child.BornOf == fork) child.BornOf = null;
        if (fork.Returned) Complete(fork);
    }

    private void SettleAll()
    {
        for (int i = _unconfirmed.Count - 1; i >= 0; i--)
            if (i < _unconfirmed.Count) Settle(_unconfirmed[i]);
    }

    // copy_process: what the child shares with, or copies from, its parent.
    private StraceTask Born(PendingFork fork, int tid)
    {
        var parent = fork.Parent;
        bool thread = (fork.Flags & CloneFlags.Thread) != 0;
        ThreadGroup group = thread
            ? parent.Group
            : new ThreadGroup((fork.Flags & CloneFlagsSigHand) != 0 ? parent.Group.SigHand : parent.Group.SigHand.CopyForFork());
        group.Live++;
        int ns = thread ? parent.Ns : (fork.Flags & CloneFlags.NewPid) != 0 ? _nextNs++ : parent.ChildNs;
        var child = new StraceTask(tid, thread ? parent.Tgid : tid, group, parent.Comm, ns, thread ? parent.ChildNs : ns) { SeenAt = ++_sightings };
        _tasks[tid] = child;
        fork.Child = tid;
        if (fork.Confirmed)
        {
            if (fork.Returned) Complete(fork);
        }
        else
        {
            child.BornOf = fork;
            SettleAll();
        }
        return child;
    }

    // The call entered: events that others can observe take their place here.
    private void Enter(StraceTask task, StraceCall call, ReadOnlySpan<byte> args, long time)
    {
        task.PendingTime = time;
        task.PendingSlot = null;
        task.PendingFork = null;
        switch (call)
        {
            case StraceCall.Clone or StraceCall.Clone3 or StraceCall.Fork or StraceCall.VFork:
            {
                ulong flags = ForkFlags(call, args);
                var fork = new PendingFork(task, Reserve(null), ForkCallOf(call), flags, time)
                {
                    SetTid = call == StraceCall.Clone3 ? SetTid(args) : null, Entered = ++_sightings,
                };
                _unpaired.Add(fork);
                _inCall.Add(fork);
                task.PendingFork = fork;
                break;
            }
            case StraceCall.Exit or StraceCall.Exit_Group:
                task.ExitSlot = Reserve(new Exit { Seq = NoSeq, Time = time, Tid = task.Tid, Comm = task.Comm });
                task.ExitStatus = StraceArgs.Nth(args, 0, out var code) && StraceArgs.TryInt(code, out int c) ? (c & 0xff) << 8 : 0;
                task.ExitGroup = call == StraceCall.Exit_Group;
                break;
            case StraceCall.Wait4 or StraceCall.Waitid:
                // Observes others: takes its place where it returns.
                break;
            default:
                task.PendingSlot = Reserve(null);
                break;
        }
    }

    // The call returned (or will never): its event is completed in the place Enter gave it.
    // retTid: the returned pid in strace's namespace, when --decode-pids=pidns printed it; else 0.
    private void Return(StraceTask task, StraceCall call, ReadOnlySpan<byte> args, RetKind kind, long ret, long time, int retTid = 0)
    {
        switch (call)
        {
            case StraceCall.Clone or StraceCall.Clone3 or StraceCall.Fork or StraceCall.VFork:
                if (task.PendingFork is { } fork) ReturnFromFork(fork, kind, ret, retTid);
                break;
            case StraceCall.Exit or StraceCall.Exit_Group:
                break;
            // A call cut short by death may have had only some of its arguments printed: then it is no event.
            case StraceCall.Wait4 or StraceCall.Waitid:
                try
                {
                    if (WaitEvent(task, call, args, kind, ret, time) is { } wait) Emit(wait);
                }
                catch (TraceFormatException) when (kind == RetKind.Unknown)
                {
                }
                break;
            default:
                if (task.PendingSlot is not { } slot) break;
                // Done first: a bad argument leaves an empty place, never one that holds the queue back.
                slot.Done = true;
                if (kind == RetKind.Restart) break;
                try
                {
                    slot.Event = CallEvent(task, call, args, kind == RetKind.Value ? ret : null, task.PendingTime);
                }
                catch (TraceFormatException) when (kind == RetKind.Unknown)
                {
                }
                break;
        }
        task.PendingSlot = null;
        task.PendingFork = null;
    }

    private void ReturnFromFork(PendingFork fork, RetKind kind, long ret, int retTid)
    {
        fork.Returned = true;
        bool none = kind == RetKind.Restart || (kind == RetKind.Unknown && fork.Child == 0);
        fork.Ret = kind == RetKind.Value && !none ? ret : null;
        Order(fork, retTid);
        if (none)
        {
            // No child came of it (restarted, or the parent died in the call before one showed).
            _unpaired.Remove(fork);
            fork.Slot.Done = true;
            fork.Slot.Event = null;
            fork.Placed = true;
            return;
        }
        if (ret < 0)
        {
            _unpaired.Remove(fork);
            fork.Confirmed = true;
            Complete(fork);
            return;
        }
        if (retTid > 0 && ret > 0)
        {
            Claim(fork, retTid);
            return;
        }
        if (fork.Child != 0)
        {
            if (fork.Confirmed) Complete(fork);
            else SettleAll();
            return;
        }
        // In the initial namespace the return is the child's tid: the child is known before it acts.
        if (fork.Parent.Ns == 0 && ret <= int.MaxValue && !_tasks.ContainsKey((int)ret))
        {
            _unpaired.Remove(fork);
            fork.Confirmed = true;
            Born(fork, (int)ret);
            return;
        }
        SettleAll();
    }

    /// <summary>
    /// The fork's return named its child's tid (strace's --decode-pids=pidns): that settles the
    /// pairing, whatever was guessed. A child this fork was given by guess goes to another fork
    /// that could have made it; the fork that was given this child by guess takes the child this
    /// fork gave up, or waits for one again. Each child moved takes what it has of its true
    /// parent (namespace, dispositions, comm), as far as it has not changed them itself.
    /// </summary>
    private void Claim(PendingFork fork, int tid)
    {
        fork.RetTid = tid;
        int guessed = fork.Child;
        _unpaired.Remove(fork);
        _unconfirmed.Remove(fork);
        fork.Confirmed = true;
        if (guessed == tid)
        {
            if (_tasks.TryGetValue(tid, out var same) && same.BornOf == fork) same.BornOf = null;
            Complete(fork);
            SettleAll();
            return;
        }
        var holder = Holder(tid, fork);
        if (_tasks.TryGetValue(tid, out var child))
        {
            Rebind(child, holder ?? child.BornOf, fork);
            child.BornOf = null;
            fork.Child = tid;
            Complete(fork);
        }
        else if (holder is null && !_dropped.Remove(tid))
        {
            // Not seen yet: the return is the first word of it.
            Born(fork, tid);
        }
        else
        {
            // Seen, taken for another fork's child, and gone already.
            fork.Child = tid;
            Complete(fork);
        }
        if (holder is not null)
        {
            _unconfirmed.Remove(holder);
            holder.Confirmed = false;
            holder.Child = 0;
            if (guessed != 0 && SameKind(holder, fork) && !(holder.Returned && holder.RetTid != 0))
            {
                // The two guesses were crossed: each fork takes the other's child.
                holder.Child = guessed;
                if (_tasks.TryGetValue(guessed, out var other))
                {
                    Rebind(other, fork, holder);
                    other.BornOf = holder;
                }
                _unconfirmed.Add(holder);
                guessed = 0;
            }
            else
            {
                _unpaired.Add(holder);
                _unpaired.Sort((a, b) => a.Entered.CompareTo(b.Entered));
            }
        }
        if (guessed != 0)
        {
            if (!_tasks.TryGetValue(guessed, out var orphan))
            {
                // Gone already: its own fork's return will name it.
                _dropped.Add(guessed);
            }
            else
            {
                // The child guessed for this fork came of another, entered before it showed.
                orphan.BornOf = null;
                if (PairWithFork(guessed, orphan.SeenAt) is { } real)
                {
                    Rebind(orphan, fork, real);
                    real.Child = guessed;
                    if (real.Confirmed)
                    {
                        if (real.Returned) Complete(real);
                    }
                    else
                    {
                        orphan.BornOf = real;
                        _unconfirmed.Add(real);
                    }
                }
            }
        }
        SettleAll();
    }

    /// <summary>The fork, other than <paramref name="except"/>, that holds <paramref name="tid"/> as its child and has not gone out yet.</summary>
    private PendingFork? Holder(int tid, PendingFork except)
    {
        if (_tasks.TryGetValue(tid, out var child) && child.BornOf is { } bornOf && bornOf != except && bornOf.Child == tid) return bornOf;
        foreach (var f in _unconfirmed)
            if (f != except && f.Child == tid) return f;
        // A guess the child's exit let stand, its parent still in the call.
        foreach (var t in _tasks.Values)
            if (t.PendingFork is { } f && f != except && f.Child == tid && !f.Slot.Done) return f;
        return null;
    }

    /// <summary>
    /// A task first taken for the child of <paramref name="from"/> came of <paramref name="to"/>:
    /// it takes from its true parent what copy_process gives (namespace, thread group or a copy of
    /// the dispositions, comm), wherever it still has what it took from the wrong one.
    /// </summary>
    private void Rebind(StraceTask child, PendingFork? from, PendingFork to)
    {
        var parent = to.Parent;
        // Without the fork it was taken for, what it took from whom is not known: it keeps what it has.
        if (from?.Parent is not { } was || parent == was) return;
        bool thread = (to.Flags & CloneFlags.Thread) != 0;
        int ns = thread ? parent.Ns : (to.Flags & CloneFlags.NewPid) != 0 ? child.Ns : parent.ChildNs;
        if (child.ChildNs == child.Ns) child.ChildNs = thread ? parent.ChildNs : ns;
        child.Ns = ns;
        if (thread && child.Group != parent.Group)
        {
            child.Group.Live--;
            parent.Group.Live++;
            child.Group = parent.Group;
            child.Tgid = parent.Tgid;
        }
        if (child.Comm == was.Comm) child.Comm = parent.Comm;
        if (!thread)
        {
            if ((to.Flags & CloneFlagsSigHand) != 0) child.Group.SigHand = parent.Group.SigHand;
            else if (child.Group.SigHand.Handlers.AsSpan().SequenceEqual(was.Group.SigHand.Handlers))
                child.Group.SigHand = parent.Group.SigHand.CopyForFork();
        }
    }

    private void Complete(PendingFork fork)
    {
        var p = fork.Parent;
        fork.Slot.Event = new Fork
        {
            Seq = NoSeq, Time = fork.Time, Tid = p.Tid, Comm = p.Comm, Ret = fork.Ret, Call = fork.Call,
            Child = fork.Ret < 0 ? 0 : fork.Child, Flags = fork.Flags, SetTid = fork.SetTid,
        };
        fork.Completed = true;
        if (fork.Ret is > 0 and <= int.MaxValue && fork.Child != 0) _numbers[(p.Ns, (int)fork.Ret.Value)] = fork.Child;
        Place(fork);
    }

    /// <summary>
    /// Orders the forks of one namespace as alloc_pid numbered them. A fork's event stands where it
    /// entered, but the kernel takes the child's number later in the call (copy_process, after
    /// copying the memory), so of two forks in the call at once the later one may get the smaller
    /// number; strace shows both entries before either number. A fork whose number came after that
    /// of a fork entered later goes behind it (behind the last such one): no child of it existed
    /// before that later entry, since its number was taken after the later fork's, itself taken
    /// after its entry. Called when the fork returns: its event waits for the numbers of the forks
    /// of its namespace entered after it and still in the call.
    /// </summary>
    private void Order(PendingFork fork, int retTid)
    {
        _inCall.Remove(fork);
        int ns = fork.Parent.Ns;
        if (fork.Waiters is { } waiters)
        {
            fork.Waiters = null;
            foreach (var w in waiters)
            {
                GoBehindIfFirst(w, fork);
                if (--w.Waiting == 0) Place(w);
            }
        }
        if (fork.Ret is not > 0 || ns == 0) return;
        while (_numbered.Count > 0 && (_numbered[0].Placed && (_numbered[0].Home?.Out ?? true))) _numbered.RemoveAt(0);
        FindAfter(fork);
        if (WholeCalls && retTid > 0 && !(_tasks.TryGetValue(retTid, out var child) && child.Shown) && _awaitingChild.TryAdd(retTid, fork))
            fork.Waiting++;
        foreach (var y in _inCall)
        {
            if (y.Entered <= fork.Entered || y.Parent.Ns != ns) continue;
            (y.Waiters ??= []).Add(fork);
            fork.Waiting++;
        }
        int at = _numbered.Count;
        while (at > 0 && _numbered[at - 1].Entered > fork.Entered) at--;
        _numbered.Insert(at, fork);
    }

    /// <summary>The last fork of the namespace, entered after this one and numbered already, whose number is smaller: this one's goes behind it.</summary>
    private void FindAfter(PendingFork fork)
    {
        for (int i = _numbered.Count - 1; i >= 0 && _numbered[i].Entered > fork.Entered; i--)
            GoBehindIfFirst(fork, _numbered[i]);
    }

    /// <summary>
    /// <paramref name="x"/>'s event goes behind <paramref name="y"/>'s when y, a fork of the same
    /// namespace entered after x, took its number first; of several such forks, behind the one
    /// entered last.
    /// </summary>
    private static void GoBehindIfFirst(PendingFork x, PendingFork y)
    {
        if (y.Parent.Ns == x.Parent.Ns && y.Entered > x.Entered && x.Ret is long xr && y.Ret is long yr
            && AllocatedBefore(yr, xr) && (x.After is null || x.After.Entered < y.Entered))
            x.After = y;
    }

    /// <summary>A fork's child read its first line (<see cref="WholeCalls"/>): every fork that took its number before the child's did has been read.</summary>
    private void ChildShown(PendingFork fork)
    {
        FindAfter(fork);
        if (--fork.Waiting == 0) Place(fork);
    }

    /// <summary>Whether number a was allocated before b in one namespace: smaller, and not so far below that the numbers wrapped around.</summary>
    private static bool AllocatedBefore(long a, long b) => a < b && b - a < 4096;

    /// <summary>Puts a complete fork's event in its final place once no fork it waits for is in the call.</summary>
    private void Place(PendingFork fork)
    {
        if (fork.Placed || !fork.Completed) return;
        if (fork.Slot.Done && fork.Slot.Event is not null)
        {
            // Given up on (held back too long): it stays where it entered.
            fork.After = null;
        }
        else if (fork.Waiting > 0)
        {
            return;
        }
        if (fork.After is { } after && !after.Placed)
        {
            (after.Dependents ??= []).Add(fork);
            return;
        }
        fork.Placed = true;
        fork.Home = fork.Slot;
        if (fork.After is { Home: { Out: false } home } && fork.Slot.Event is Fork moved)
        {
            var behind = home.Behind ??= [];
            int at = behind.Count;
            while (at > 0 && behind[at - 1].Ret > moved.Ret) at--;
            behind.Insert(at, moved);
            fork.Slot.Event = null;
            fork.Home = home;
        }
        fork.Slot.Done = true;
        if (fork.Dependents is { } dependents)
        {
            fork.Dependents = null;
            foreach (var d in dependents) Place(d);
        }
    }

    private PidEvent? CallEvent(StraceTask task, StraceCall call, ReadOnlySpan<byte> args, long? ret, long time)
    {
        int tid = task.Tid;
        string comm = task.Comm;
        switch (call)
        {
            case StraceCall.Execve:
                if (ret != 0) return null;
                if (!StraceArgs.Nth(args, 0, out var file) || !StraceArgs.TryString(file, out var filename)) throw Bad("execve's first argument is not a string");
                var exec = new Exec { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Filename = filename, OldTid = task.OldTid };
                Exec(task, filename);
                return exec;
            case StraceCall.SetPgid:
                return new SetPgid { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Pid = IntArg(args, 0, "setpgid's pid"), Pgid = IntArg(args, 1, "setpgid's pgid") };
            case StraceCall.SetSid:
                return new SetSid { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret };
            case StraceCall.GetPid or StraceCall.GetPpid or StraceCall.GetPgid or StraceCall.GetPgrp or StraceCall.GetSid or StraceCall.GetTid:
                if (ret is > 0 and <= int.MaxValue && call is StraceCall.GetPid or StraceCall.GetTid)
                {
                    _numbers[(task.Ns, (int)ret.Value)] = call == StraceCall.GetPid ? task.Tgid : tid;
                    if (call == StraceCall.GetTid || task.Tid == task.Tgid) task.Number = (int)ret.Value;
                    if (task.BornOf is not null) SettleAll();
                }
                return new GetId
                {
                    Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Call = GetIdCallOf(call),
                    Arg = call is StraceCall.GetPgid or StraceCall.GetSid ? IntArg(args, 0, "the pid argument") : 0,
                };
            case StraceCall.Kill or StraceCall.Tkill:
                return new Kill
                {
                    Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Call = call == StraceCall.Kill ? KillCall.Kill : KillCall.Tkill,
                    Pid = IntArg(args, 0, "the pid argument"), Sig = SignalArg(args, 1),
                };
            case StraceCall.Tgkill:
                return new Kill
                {
                    Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Call = KillCall.Tgkill,
                    Pid = IntArg(args, 0, "tgkill's tgid"), ThreadArg = IntArg(args, 1, "tgkill's tid"), Sig = SignalArg(args, 2),
                };
            case StraceCall.Unshare:
            {
                ulong flags = FlagsArg(args, 0);
                if (ret == 0 && (flags & CloneFlags.NewPid) != 0) task.ChildNs = _nextNs++;
                return new Unshare { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Flags = flags };
            }
            case StraceCall.SetNs:
            {
                ulong type = FlagsArg(args, 1);
                // Which namespace the fd names is not in the capture: a new id keeps it apart from the known ones.
                if (ret == 0 && (type & CloneFlags.NewPid) != 0) task.ChildNs = _nextNs++;
                return new SetNs { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Fd = IntArg(args, 0, "setns's fd"), NsType = type };
            }
            case StraceCall.Rt_Sigaction:
                return SigAction(task, args, ret, time);
            case StraceCall.Prctl:
            {
                if (!StraceArgs.Nth(args, 0, out var option)) throw Bad("prctl without an option");
                int number = PrctlOption(option);
                if (number == Prctl.SetChildSubreaper)
                {
                    if (!StraceArgs.Nth(args, 1, out var arg2) || !StraceArgs.TryNumber(StraceArgs.StripDecoration(arg2), out long a2)) throw Bad("prctl's second argument is not a number");
                    return new Prctl { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Option = number, Arg2 = (ulong)a2 };
                }
                if (!Prctl.IsCapabilityOption(number)) return null;
                // The capability options, with the arguments that say what changed.
                ulong arg2Value = PrctlArg(args, 1, number), arg3Value = number == Prctl.CapAmbient ? PrctlArg(args, 2, number) : 0;
                if (!Prctl.ChangesCapabilities(number, arg2Value)) return null;
                return new Prctl { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Option = number, Arg2 = arg2Value, Arg3 = arg3Value };
            }
            case StraceCall.SetUid:
                return Stamped(SetCred.FromArgs(CredCall.SetUid, -1, UidArg(args, 0), -1, ret), task, time);
            case StraceCall.SetReUid:
                return Stamped(SetCred.FromArgs(CredCall.SetReUid, UidArg(args, 0), UidArg(args, 1), -1, ret), task, time);
            case StraceCall.SetResUid:
                return Stamped(SetCred.FromArgs(CredCall.SetResUid, UidArg(args, 0), UidArg(args, 1), UidArg(args, 2), ret), task, time);
            case StraceCall.Capset:
                return new SetCred { Seq = NoSeq, Time = time, Tid = tid, Comm = comm, Ret = ret, Call = CredCall.Capset };
            default:
                return null;
        }
    }

    // fs/exec.c begin_new_exec: the comm becomes the file's base name, caught signals go back to default.
    private static void Exec(StraceTask task, string filename)
    {
        int slash = filename.LastIndexOf('/');
        var name = slash >= 0 ? filename[(slash + 1)..] : filename;
        task.Comm = Encoding.UTF8.GetByteCount(name) <= 15 ? name : TruncateComm(name);
        var fresh = task.Group.SigHand.CopyForFork();
        for (int i = 0; i < fresh.Handlers.Length; i++)
            if (fresh.Handlers[i] == Handler.Catch) fresh.Handlers[i] = Handler.Default;
        task.Group.SigHand = fresh;
    }

    private static string TruncateComm(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        return Encoding.UTF8.GetString(bytes, 0, 15);
    }

    private PidEvent? SigAction(StraceTask task, ReadOnlySpan<byte> args, long? ret, long time)
    {
        if (!StraceArgs.Nth(args, 1, out var act)) throw Bad("rt_sigaction without its new action");
        // NULL: a query of the disposition, which changes nothing.
        if (act.SequenceEqual("NULL"u8)) return null;
        int sig = SignalArg(args, 0);
        var handler = Handler.Unknown;
        if (StraceArgs.Field(act, "sa_handler"u8, out var h))
            handler = h.SequenceEqual("SIG_DFL"u8) ? Handler.Default : h.SequenceEqual("SIG_IGN"u8) ? Handler.Ignore : Handler.Catch;
        ulong saFlags = 0;
        if (StraceArgs.Field(act, "sa_flags"u8, out var f) && !StraceNames.TrySaFlags(f, out saFlags)) throw Bad("rt_sigaction's sa_flags are not flags");
        if (ret == 0 && sig is > 0 and < 65) task.Group.SigHand.Handlers[sig] = handler;
        return new SigAction { Seq = NoSeq, Time = time, Tid = task.Tid, Comm = task.Comm, Ret = ret, Sig = sig, Handler = handler, SaFlags = saFlags };
    }

    private Wait? WaitEvent(StraceTask task, StraceCall call, ReadOnlySpan<byte> args, RetKind kind, long ret, long time)
    {
        if (kind == RetKind.Restart) return null;
        long? answer = kind == RetKind.Value ? ret : null;
        int pid, options;
        if (call == StraceCall.Wait4)
        {
            pid = IntArg(args, 0, "wait4's pid");
            // Cut short by death before strace printed the options: the wait had no answer anyway.
            options = kind == RetKind.Unknown && !StraceArgs.Nth(args, 2, out _) ? 0 : (int)FlagsArg(args, 2, wait: true);
        }
        else
        {
            // waitid(idtype, id, infop, options): into wait4's convention, and the reaped child
            // (si_pid of infop, 0 when WNOHANG found none) as the answer, the way wait4 returns it.
            if (!StraceArgs.Nth(args, 0, out var idtype)) throw Bad("waitid without an idtype");
            int id = IntArg(args, 1, "waitid's id");
            if (idtype.SequenceEqual("P_ALL"u8) || idtype.SequenceEqual("0"u8)) pid = -1;
            else if (idtype.SequenceEqual("P_PID"u8) || idtype.SequenceEqual("1"u8)) pid = id;
            else if (idtype.SequenceEqual("P_PGID"u8) || idtype.SequenceEqual("2"u8)) pid = id == 0 ? 0 : -id;
            // P_PIDFD names the child by a file descriptor, which the capture does not resolve.
            else return null;
            options = (int)FlagsArg(args, 3, wait: true);
            if (answer == 0) answer = WaitidChild(args, 0);
        }
        if (answer is > 0 and <= int.MaxValue && (options & WNoWait) == 0) _numbers.Remove((task.Ns, (int)answer.Value));
        return new Wait { Seq = NoSeq, Time = time, Tid = task.Tid, Comm = task.Comm, Ret = answer, Call = call == StraceCall.Wait4 ? WaitCall.Wait4 : WaitCall.Waitid, Pid = pid, Options = options };
    }

    private const int WNoWait = 0x1000000;

    // si_pid in waitid's infop, 0 for "{}" (WNOHANG and no child ready); ret when the call failed.
    private static long WaitidChild(ReadOnlySpan<byte> args, long ret)
    {
        if (ret != 0) return ret;
        if (!StraceArgs.Nth(args, 2, out var info) || !StraceArgs.Field(info, "si_pid"u8, out var sp)) return 0;
        return StraceArgs.TryInt(sp, out int pid) ? pid : 0;
    }

    private void ExitTask(StraceTask task, int status, long time)
    {
        if (task.Pending != StraceCall.Other) CutShort(task);
        // It will show no number any more: its pairing stands as guessed.
        if (task.BornOf is { } bornOf) Confirm(bornOf);
        bool group = --task.Group.Live <= 0;
        var exit = new Exit { Seq = NoSeq, Time = time, Tid = task.Tid, Comm = task.Comm, Code = status, Group = group };
        if (task.ExitSlot is not { } slot)
        {
            Emit(exit);
        }
        else if (!slot.Done) // a place given up on (held back too long) already went out as it was
        {
            slot.Event = exit with { Time = slot.Event!.Time };
            slot.Done = true;
        }
        _tasks.Remove(task.Tid);
    }

    // fs/exec.c de_thread: the exec'ing thread takes over the leader's tid; the old leader is gone without a word.
    private void Supersede(StraceTask leader, int execTid)
    {
        if (!_tasks.TryGetValue(execTid, out var thread) || thread == leader) return;
        leader.Group.Live--;
        _tasks.Remove(execTid);
        thread.OldTid = execTid;
        thread.Tid = leader.Tid;
        _tasks[leader.Tid] = thread;
    }

    // The task's unfinished call will never be resumed (it died in it, or the capture ended).
    private void CutShort(StraceTask task)
    {
        var call = task.Pending;
        task.Pending = StraceCall.Other;
        Return(task, call, task.PendingArgs.AsSpan(0, task.PendingLength), RetKind.Unknown, 0, task.PendingTime);
    }

    private void GiveUp(Slot slot)
    {
        var fork = _unpaired.Find(f => f.Slot == slot) ?? _unconfirmed.Find(f => f.Slot == slot);
        if (fork is not null)
        {
            _unpaired.Remove(fork);
            _unconfirmed.Remove(fork);
            fork.Confirmed = true;
            Complete(fork);
        }
        // Out as it stands: a fork's event waiting for its place stays in its own.
        slot.Done = true;
    }

    private Slot Reserve(PidEvent? draft)
    {
        var slot = new Slot { Event = draft };
        _queue.Enqueue(slot);
        return slot;
    }

    private void Emit(PidEvent ev)
    {
        _queue.Enqueue(new Slot { Event = ev, Done = true });
    }

    private static void Append(StraceTask task, ReadOnlySpan<byte> args)
    {
        int need = task.PendingLength + args.Length;
        if (need > task.PendingArgs.Length) Array.Resize(ref task.PendingArgs, Math.Max(need, Math.Max(256, task.PendingArgs.Length * 2)));
        args.CopyTo(task.PendingArgs.AsSpan(task.PendingLength));
        task.PendingLength = need;
    }

    private static ForkCall ForkCallOf(StraceCall call) => call switch
    {
        StraceCall.Clone => ForkCall.Clone,
        StraceCall.Clone3 => ForkCall.Clone3,
        StraceCall.Fork => ForkCall.Fork,
        _ => ForkCall.VFork,
    };

    private static GetIdCall GetIdCallOf(StraceCall call) => call switch
    {
        StraceCall.GetPid => GetIdCall.GetPid,
        StraceCall.GetPpid => GetIdCall.GetPpid,
        StraceCall.GetPgid => GetIdCall.GetPgid,
        StraceCall.GetPgrp => GetIdCall.GetPgrp,
        StraceCall.GetSid => GetIdCall.GetSid,
        _ => GetIdCall.GetTid,
    };

    // The flags the kernel's copy_process sees (kernel/fork.c: fork is SIGCHLD alone, vfork
    // CLONE_VFORK|CLONE_VM|SIGCHLD), with the exit signal left in the low byte (CSIGNAL) where clone
    // passed it, and clone3's exit_signal put there: it decides whether a plain wait4 may reap the
    // child (eligible_child, kernel/exit.c), so a model needs it as the tracefs reader gives it.
    private ulong ForkFlags(StraceCall call, ReadOnlySpan<byte> args)
    {
        switch (call)
        {
            case StraceCall.Fork:
                return 0;
            case StraceCall.VFork:
                return 0x4000 | CloneFlags.Vm;
            case StraceCall.Clone3:
                if (!StraceArgs.Nth(args, 0, out var cl) || !StraceArgs.Field(cl, "flags"u8, out var f3)) throw Bad("clone3 without flags in its struct");
                if (!StraceNames.TryCloneFlags(f3, out ulong flags3)) throw Bad("clone3's flags are not clone flags");
                if (!StraceArgs.Field(cl, "exit_signal"u8, out var es)) return flags3;
                if (!StraceNames.TrySignal(StraceArgs.StripDecoration(es), out int exitSignal)) throw Bad("clone3's exit_signal is not a signal");
                return flags3 | (uint)exitSignal;
            default:
                var cursor = new StraceArgs(args);
                while (cursor.Next(out var arg))
                {
                    if (!arg.StartsWith("flags="u8)) continue;
                    if (!StraceNames.TryCloneFlags(arg[6..], out ulong flags)) throw Bad("clone's flags are not clone flags");
                    return flags;
                }
                throw Bad("clone without flags=");
        }
    }

    private static int[]? SetTid(ReadOnlySpan<byte> args)
    {
        if (!StraceArgs.Nth(args, 0, out var cl) || !StraceArgs.Field(cl, "set_tid"u8, out var list)) return null;
        list = list.Trim((byte)' ');
        if (list.Length < 2 || list[0] != (byte)'[' || list[^1] != (byte)']') return null;
        var tids = new List<int>();
        var cursor = new StraceArgs(list[1..^1]);
        while (cursor.Next(out var one))
            if (StraceArgs.TryInt(one, out int t)) tids.Add(t);
        return [.. tids];
    }

    private int IntArg(ReadOnlySpan<byte> args, int index, string what)
    {
        if (!StraceArgs.Nth(args, index, out var arg) || !StraceArgs.TryInt(arg, out int v)) throw Bad($"{what} is not a number");
        return v;
    }

    // A uid_t as strace prints it: decimal, or -1 for (uid_t)-1.
    private long UidArg(ReadOnlySpan<byte> args, int index)
    {
        if (!StraceArgs.Nth(args, index, out var arg) || !StraceArgs.TryNumber(StraceArgs.StripDecoration(arg), out long v)
            || v < -1 || v > uint.MaxValue)
            throw Bad("a uid argument is not a uid");
        return v;
    }

    // strace names what it knows: PR_CAP_AMBIENT_RAISE, CAP_KILL, SECBIT_KEEP_CAPS|...; a number otherwise.
    private ulong PrctlArg(ReadOnlySpan<byte> args, int index, int option)
    {
        if (!StraceArgs.Nth(args, index, out var arg)) throw Bad("a prctl argument is missing");
        arg = StraceArgs.StripDecoration(arg);
        if (StraceArgs.TryNumber(arg, out long n)) return (ulong)n;
        if (StraceNames.TryCapabilityWord(arg, out ulong v)) return v;
        throw Bad($"prctl's argument '{Encoding.ASCII.GetString(arg[..Math.Min(arg.Length, 60)])}' is not a number or a name");
    }

    private static SetCred Stamped(SetCred ev, StraceTask task, long time)
    {
        ev.SetEnvelope(ev.Host, NoSeq, time, task.Tid, task.Comm, ev.Ret);
        return ev;
    }

    private static int PrctlOption(ReadOnlySpan<byte> option) => option switch
    {
        _ when option.SequenceEqual("PR_SET_CHILD_SUBREAPER"u8) => Prctl.SetChildSubreaper,
        _ when option.SequenceEqual("PR_CAPBSET_DROP"u8) => Prctl.CapBsetDrop,
        _ when option.SequenceEqual("PR_SET_SECUREBITS"u8) => Prctl.SetSecureBits,
        _ when option.SequenceEqual("PR_CAP_AMBIENT"u8) => Prctl.CapAmbient,
        _ when option.SequenceEqual("PR_SET_NO_NEW_PRIVS"u8) => Prctl.SetNoNewPrivs,
        _ => StraceArgs.TryInt(option, out int o) ? o : -1,
    };

    private int SignalArg(ReadOnlySpan<byte> args, int index)
    {
        if (!StraceArgs.Nth(args, index, out var arg) || !StraceNames.TrySignal(StraceArgs.StripDecoration(arg), out int sig)) throw Bad("the signal argument is not a signal");
        return sig;
    }

    private ulong FlagsArg(ReadOnlySpan<byte> args, int index, bool wait = false)
    {
        if (!StraceArgs.Nth(args, index, out var arg)) throw Bad("a flags argument is missing");
        bool ok = wait ? StraceNames.TryWaitOptions(arg, out ulong v) : StraceNames.TryCloneFlags(arg, out v);
        if (!ok) throw Bad($"'{Encoding.ASCII.GetString(arg[..Math.Min(arg.Length, 60)])}' is not a flag word");
        return v;
    }

    private TraceFormatException Bad(string reason) => new(File, Line, reason);
}
