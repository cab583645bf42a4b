namespace Replayer.Ingest.Synthetic;

/// <summary>What a task is for, which decides what it does next and how it answers a signal.</summary>
internal enum Role : byte
{
    HostInit, Vzctl, HostTool, Entered,
    Init, Daemon, Supervisor, Service, Thread, Shell, Job, Make, Compiler, Worker, NestManager, Helper,
}

/// <summary>
/// One task as the generator knows it: enough of the kernel's state to pick the next step and to
/// know who reaps whom. The kernel's own answers (numbers, recipients, reparentings) keep it true.
/// Records are pooled: a steady fork/exit load allocates none.
/// </summary>
internal sealed class SimTask
{
    /// <summary>Global tid.</summary>
    public int Tid;
    /// <summary>The thread group leader (itself for a process).</summary>
    public SimTask Leader = null!;
    /// <summary>The parent process (its leader); null for a host's init.</summary>
    public SimTask? Parent;
    /// <summary>Global numbers of the process group and the session (a leader's tid, alive or not).</summary>
    public int Pgid, Sid;
    /// <summary>The container the task lives in; null on the host.</summary>
    public SimContainer? Container;
    /// <summary>What it is for.</summary>
    public Role Role;
    /// <summary>The command name the kernel shows (changed by exec).</summary>
    public string Comm = "";
    /// <summary>Signals with a handler, and signals ignored (bit sig - 1).</summary>
    public ulong Catch, Ignore;
    /// <summary>The process's other threads (leaders only).</summary>
    public readonly List<SimTask> Threads = new(4);
    /// <summary>make: compilations left.</summary>
    public int Work;
    /// <summary>A shell: the pgid (global) of its foreground job, 0 when none.</summary>
    public int Job;
    /// <summary>Creation order on its host: a parent is always older than its children.</summary>
    public long Born;
    /// <summary>Index in the container's process list (processes only).</summary>
    public int Slot = -1;
    /// <summary>The exit status it will die with (0, or the killing signal).</summary>
    public int DeathSig;
    /// <summary>Has exited: a zombie until reaped (a process) or gone (a thread).</summary>
    public bool Exited;
    /// <summary>Will exit in the current step (a fatal signal or a teardown reached it).</summary>
    public bool Doomed;
    /// <summary>PR_SET_CHILD_SUBREAPER is set.</summary>
    public bool Subreaper;

    public bool IsThread => Leader != this;

    public bool Catches(int sig) => (Catch & Bit(sig)) != 0;
    public bool Ignores(int sig) => (Ignore & Bit(sig)) != 0;
    public static ulong Bit(int sig) => 1UL << (sig - 1);

    public void Clear()
    {
        Tid = 0;
        Leader = null!;
        Parent = null;
        Pgid = Sid = 0;
        Container = null;
        Comm = "";
        Catch = Ignore = 0;
        Threads.Clear();
        Work = Job = 0;
        Born = 0;
        Slot = -1;
        DeathSig = 0;
        Exited = Doomed = Subreaper = false;
    }
}

/// <summary>A container: a pid namespace with its init; top-level ones are vzctl's VEs, nested ones are made inside.</summary>
internal sealed class SimContainer
{
    /// <summary>vzctl-style VEID ("ct-0001"), or the parent's with "/n" and a depth for nested ones.</summary>
    public required string Id;
    /// <summary>Where it runs now.</summary>
    public required SimHost Host;
    /// <summary>The pid namespace's inode, as /proc/PID/ns/pid would show it.</summary>
    public required ulong Inode;
    /// <summary>The container that holds this one; null for a top-level container.</summary>
    public SimContainer? Parent;
    /// <summary>The nested container made inside this one, if any (one at a time).</summary>
    public SimContainer? Child;
    /// <summary>0 for a top-level container.</summary>
    public int Depth;
    /// <summary>The namespace's init: its number 1 inside.</summary>
    public SimTask Init = null!;
    /// <summary>Live processes (not threads), the init first; unordered after that.</summary>
    public readonly List<SimTask> Processes = new(32);
    /// <summary>Tasks, processes and threads, not yet released.</summary>
    public int Live;
    /// <summary>Its init has exited and the kernel is killing the rest.</summary>
    public bool Dying;
    /// <summary>Index in the host's container list.</summary>
    public int Slot = -1;
    /// <summary>alloc_pid's cursor in this namespace: one past the last number it gave.</summary>
    public int Cursor = 1;
    /// <summary>Numbers at or past the cursor may be held: it wrapped, or a restore asked for numbers of its own (clone3 set_tid).</summary>
    public bool HeldPastCursor;

    public void Add(SimTask t)
    {
        t.Slot = Processes.Count;
        Processes.Add(t);
    }

    public void Remove(SimTask t)
    {
        var last = Processes[^1];
        Processes[t.Slot] = last;
        last.Slot = t.Slot;
        Processes.RemoveAt(Processes.Count - 1);
        t.Slot = -1;
    }
}

/// <summary>
/// One host: its kernel, its stream's sequence, its tasks and the global pid allocator. A pid
/// number stays taken while a task, a process group or a session uses it (kernel/pid.c frees it
/// with the last reference), so the allocator counts references per number.
/// </summary>
internal sealed class SimHost
{
    /// <summary>host-000, host-001, ...</summary>
    public required string Name;
    /// <summary>What runs the host's events and answers them.</summary>
    public required ISyntheticKernel Kernel;
    /// <summary>The next event's sequence number in this host's stream.</summary>
    public long Seq;
    /// <summary>Every task not yet released, by global tid.</summary>
    public readonly Dictionary<int, SimTask> Tasks = new();
    /// <summary>Running containers, top-level and nested.</summary>
    public readonly List<SimContainer> Containers = new();
    /// <summary>How many of them are top-level.</summary>
    public int TopLevel;
    /// <summary>The host's init (pid 1).</summary>
    public SimTask Init = null!;
    /// <summary>The host's container tool: boots, enters, stops, checkpoints and restores containers.</summary>
    public SimTask Vzctl = null!;

    /// <summary>References to each global number: the task holding it, and members of a group or session named by it.</summary>
    private int[] _refs = new int[1 << 12];
    /// <summary>alloc_pid's cursor at level 0.</summary>
    private int _cursor = 2;
    /// <summary>Numbers stay below it.</summary>
    private readonly int _pidMax;

    public SimHost(int pidMax) => _pidMax = pidMax;

    public void Hold(int nr)
    {
        if (nr >= _refs.Length) Array.Resize(ref _refs, Math.Min(_pidMax, Math.Max(nr + 1, _refs.Length * 2)));
        _refs[nr]++;
    }

    public void Put(int nr) => _refs[nr]--;

    /// <summary>idr_alloc_cyclic at level 0: the first free number from the cursor, wrapping to RESERVED_PIDS (300).</summary>
    public int AllocTid()
    {
        int nr = NextTid();
        _cursor = nr + 1 >= _pidMax ? Reserved : nr + 1;
        Hold(nr);
        return nr;
    }

    /// <summary>The number AllocTid gives after <paramref name="skip"/> more calls, not taken yet.</summary>
    public int NextTid(int skip = 0)
    {
        int nr = _cursor;
        for (int tries = 0; tries < _pidMax; tries++)
        {
            if ((nr >= _refs.Length || _refs[nr] == 0) && skip-- == 0) return nr;
            nr = nr + 1 >= _pidMax ? Reserved : nr + 1;
        }
        throw new InvalidOperationException($"host {Name}: every pid below pid_max {_pidMax} is taken");
    }

    /// <summary>RESERVED_PIDS (kernel/pid.c): the cursor wraps to it.</summary>
    private const int Reserved = 300;
}
