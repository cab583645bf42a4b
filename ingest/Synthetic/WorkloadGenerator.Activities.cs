using Replayer.Ingest.Events;

namespace Replayer.Ingest.Synthetic;

/// <summary>The activities a workload mixes (docs/workloads.md), each one step at a time.</summary>
internal sealed partial class SyntheticCluster
{
    private static readonly (string File, string Comm)[] DaemonNames =
        [("/usr/sbin/sshd", "sshd"), ("/usr/sbin/cron", "cron"), ("/usr/sbin/rsyslogd", "rsyslogd"), ("/usr/bin/dbus-daemon", "dbus-daemon"), ("/usr/sbin/postfix", "postfix")];

    /// <summary>Runs activity <paramref name="which"/> (WorkloadMix.Weights order) in <paramref name="ct"/>; false when it had nothing to do there.</summary>
    private bool RunActivity(int which, SimContainer ct) => which switch
    {
        0 => BootStep(ct),
        1 => ShellStep(ct),
        2 => BuildStep(ct),
        3 => ServiceStep(ct),
        4 => EnterFromHost(ct),
        5 => KillStep(ct),
        6 => OrphanStep(ct),
        7 => InitExit(ct),
        8 => NestStep(ct),
        10 => KillAll(ct),
        _ => false,
    };

    /// <summary>Tasks a container may still add before it is full.</summary>
    private int Room(SimContainer ct) => _spec.TasksPerContainer - ct.Live;

    /// <summary>What else a process looked for must be: nothing more, a shell with no job running, an orphan.</summary>
    private enum Wanted : byte { Any, IdleShell, Orphan }

    /// <summary>A random live process of <paramref name="role"/> in the container, or null.</summary>
    private SimTask? Find(SimContainer ct, Role role, Wanted wanted = Wanted.Any)
    {
        var list = ct.Processes;
        int n = list.Count, at = _rng.Next(n);
        for (int i = 0; i < n; i++, at = at + 1 == n ? 0 : at + 1)
        {
            var t = list[at];
            if (t.Role != role || t.Exited) continue;
            bool fits = wanted switch
            {
                Wanted.IdleShell => !JobAlive(t),
                Wanted.Orphan => t.Parent?.Role is Role.Init or Role.Supervisor,
                _ => true,
            };
            if (fits) return t;
        }
        return null;
    }

    // ---- hosts and containers ----------------------------------------------------------------

    /// <summary>
    /// A host as a /proc snapshot shows it when the trace begins: init and the container tool,
    /// then every disposition and subreaper flag the later answers depend on.
    /// </summary>
    private void BootHost(SimHost h)
    {
        h.Init = Snapshot(h, 1, 0, "systemd", Role.HostInit);
        h.Vzctl = Snapshot(h, 2, 1, "vzctl", Role.Vzctl);
        h.Vzctl.Parent = h.Init;
        SigActions(h, h.Init, Mask(SIGHUP, SIGINT, SIGUSR1, SIGTERM, SIGCHLD));
        SigActions(h, h.Vzctl, Mask(SIGCHLD, SIGTERM, SIGHUP));
        Prctl(h, h.Init, false);
        Prctl(h, h.Vzctl, false);
    }

    private SimTask Snapshot(SimHost h, int tid, int ppid, string comm, Role role)
    {
        h.Hold(tid);
        Emit(h, new TaskSnapshot
        {
            Tid = tid, Comm = comm, Tgid = tid, PPid = ppid, Pgid = tid, Sid = tid,
            NsPid = [tid], NsPgid = [tid], NsSid = [tid], PidNs = HostNsInode,
        });
        var t = NewTask(h, tid, role, comm, null);
        t.Pgid = t.Sid = tid;
        h.Hold(tid);
        h.Hold(tid);
        return t;
    }

    /// <summary>
    /// vzctl start: clone(CLONE_NEWPID) of the init, the container recorded with it as its init
    /// (so the vpid model makes a VPS of it), /sbin/init, its own session, and a few daemons.
    /// </summary>
    private void BootContainer(SimHost h)
    {
        var ct = new SimContainer { Id = $"ct-{++_madeContainers:D4}", Host = h, Inode = 4026532000UL + (ulong)_madeContainers };
        var init = Fork(h, h.Vzctl, Role.Init, ct, CloneFlags.NewPid | SIGCHLD, ForkCall.Clone);
        Emit(h, new Container { Tid = h.Vzctl.Tid, Comm = h.Vzctl.Comm, Action = ContainerAction.Create, Id = ct.Id, Task = init.Tid });
        StartInit(h, ct, init);
        AddContainer(h, ct);
        StartDaemon(ct, Role.Supervisor);
        StartDaemon(ct, Role.Daemon);
    }

    private void StartInit(SimHost h, SimContainer ct, SimTask init)
    {
        ct.Init = init;
        ct.Add(init);
        Exec(h, init, "/sbin/init", "init");
        // A new namespace's init keeps its creator's session (getsid(0) reads 0 inside) until setsid.
        SetSid(h, init);
        SigActions(h, init, Mask(SIGHUP, SIGINT, SIGUSR1, SIGTERM, SIGCHLD));
    }

    /// <summary>daemon(3): fork, setsid, fork again so as not to lead the session, the middle one exits; the init adopts the daemon.</summary>
    private void StartDaemon(SimContainer ct, Role role)
    {
        var h = ct.Host;
        var first = Fork(h, ct.Init, role, ct);
        SetSid(h, first);
        var daemon = Fork(h, first, role, ct);
        Quit(first);
        Drain();
        var (file, name) = role == Role.Supervisor ? ("/usr/bin/supervisord", "supervisord") : DaemonNames[_rng.Next(DaemonNames.Length)];
        Exec(h, daemon, file, name);
        // Only the supervisor waits for children of its own; the others leave SIGCHLD alone.
        SigActions(h, daemon, role == Role.Supervisor ? Mask(SIGHUP, SIGTERM, SIGCHLD) : Mask(SIGHUP, SIGTERM));
        if (role == Role.Supervisor) Prctl(h, daemon, true);
    }

    /// <summary>Daemons come and go; a host short of containers boots one.</summary>
    private bool BootStep(SimContainer ct)
    {
        if (Room(ct) >= 2 && _rng.Chance(0.5))
        {
            StartDaemon(ct, Role.Daemon);
            return true;
        }
        var d = Find(ct, Role.Daemon);
        if (d is null) return false;
        Kill(ct.Host, ct.Init, ct.Host.Kernel.NumberOf(ct.Init.Tid, d.Tid), SIGTERM);
        return true;
    }

    /// <summary>The init exits (halt, or vzctl stop): the kernel kills the rest of the namespace; the container is stopped.</summary>
    private bool InitExit(SimContainer ct)
    {
        Quit(ct.Init);
        return true;
    }

    // ---- shells and job control ---------------------------------------------------------------

    /// <summary>A login: the init forks a shell that leads its own session and ignores SIGTERM, as bash does.</summary>
    private SimTask? Login(SimContainer ct)
    {
        if (Room(ct) < 1) return null;
        var h = ct.Host;
        var sh = Fork(h, ct.Init, Role.Shell, ct);
        SetSid(h, sh);
        Exec(h, sh, "/bin/bash", "bash");
        SigActions(h, sh, Mask(SIGINT, SIGCHLD), ignore: Mask(SIGTERM));
        GetId(h, sh, GetIdCall.GetPgrp);
        return sh;
    }

    private static readonly (string File, string Comm)[] Commands =
        [("/bin/ls", "ls"), ("/usr/bin/grep", "grep"), ("/usr/bin/sort", "sort"), ("/bin/cat", "cat"), ("/usr/bin/less", "less"), ("/usr/bin/vim", "vim")];

    /// <summary>
    /// A pipeline of <paramref name="n"/> commands in a group of its own: the shell and each child
    /// both call setpgid (whichever runs first wins the race), the child restores SIGTERM and execs.
    /// </summary>
    private SimTask StartJob(SimTask sh, int n, Role role, string? file = null, string? comm = null, bool nohup = false)
    {
        var ct = sh.Container!;
        var h = ct.Host;
        SimTask? leader = null;
        for (int i = 0; i < n; i++)
        {
            var c = Fork(h, sh, role, ct);
            leader ??= c;
            SetPgid(h, sh, c, leader);
            SetPgid(h, c, c, leader);
            SigAction(h, c, SIGTERM, Handler.Default);
            if (nohup) SigAction(h, c, SIGHUP, Handler.Ignore);
            var cmd = Commands[_rng.Next(Commands.Length)];
            Exec(h, c, file ?? cmd.File, comm ?? cmd.Comm);
        }
        sh.Job = leader!.Tid;
        return leader;
    }

    /// <summary>Most commands run alone; some are pipelines of two or three.</summary>
    private int Pipeline() => _rng.Chance(0.7) ? 1 : _rng.Next(2, 4);

    /// <summary>Whether the shell's job still has a member running (a kill may have taken them all).</summary>
    private static bool JobAlive(SimTask sh)
    {
        if (sh.Job == 0) return false;
        foreach (var p in sh.Container!.Processes)
            if (p.Pgid == sh.Job && p.Parent == sh && !p.Exited) return true;
        return false;
    }

    private bool ShellStep(SimContainer ct)
    {
        var sh = Find(ct, Role.Shell);
        if (sh is null || Room(ct) >= 4 && _rng.Chance(0.1)) return Login(ct) is not null;
        var h = ct.Host;
        if (_rng.Chance(0.06)) return Logout(sh);
        if (!JobAlive(sh))
        {
            sh.Job = 0;
            if (Room(ct) < 1) return false;
            StartJob(sh, Math.Min(Room(ct), Pipeline()), Role.Job, nohup: _rng.Chance(0.1));
            GetId(h, sh, GetIdCall.GetPgid, h.Kernel.NumberOf(sh.Tid, sh.Job));
            return true;
        }
        double r = _rng.NextDouble();
        if (r < 0.6)
        {
            foreach (var p in ct.Processes)
                if (p.Pgid == sh.Job && p.Parent == sh && p.Role == Role.Job) Quit(p);
        }
        else
        {
            // Ctrl-C, or `kill %1`.
            Kill(h, sh, -h.Kernel.NumberOf(sh.Tid, sh.Job), r < 0.85 ? SIGINT : SIGTERM);
        }
        Drain();
        sh.Job = 0;
        return true;
    }

    /// <summary>Logout: bash hangs up its job (SIGHUP to the group) and exits; nohup'd members live on as orphans.</summary>
    private bool Logout(SimTask sh)
    {
        var h = sh.Container!.Host;
        foreach (var p in sh.Container.Processes)
        {
            if (p.Parent != sh || p.Exited || p.Pgid != p.Tid) continue;
            Kill(h, sh, -h.Kernel.NumberOf(sh.Tid, p.Tid), SIGHUP);
            break;
        }
        Quit(sh);
        return true;
    }

    // ---- build storms -----------------------------------------------------------------------

    /// <summary>make -j4 from a shell: each step forks a batch of compilers (cc, which runs cc1 and as), reaps them, and make exits when done.</summary>
    private bool BuildStep(SimContainer ct)
    {
        var h = ct.Host;
        var make = Find(ct, Role.Make);
        if (make is null)
        {
            var sh = Find(ct, Role.Shell, Wanted.IdleShell) ?? Login(ct);
            if (sh is null || Room(ct) < 3) return false;
            make = StartJob(sh, 1, Role.Make, "/usr/bin/make", "make");
            // GNU make waits for its jobs with waitpid and installs no SIGCHLD handler.
            SigActions(h, make, Mask(SIGINT, SIGTERM, SIGHUP));
            make.Work = _rng.Next(200, 2000);
            return true;
        }
        int jobs = Math.Min(Math.Min(4, Room(ct) / 2), make.Work);
        if (jobs <= 0)
        {
            if (make.Work > 0) return false;
            Quit(make);
            return true;
        }
        Span<int> batch = stackalloc int[4];
        for (int i = 0; i < jobs; i++)
        {
            var cc = Fork(h, make, Role.Compiler, ct);
            Exec(h, cc, "/usr/bin/cc", "cc");
            batch[i] = cc.Tid;
        }
        for (int i = 0; i < jobs; i++)
        {
            var cc = h.Tasks[batch[i]];
            foreach (var (file, comm) in Passes)
            {
                var pass = Fork(h, cc, Role.Compiler, ct);
                Exec(h, pass, file, comm);
                Quit(pass);
                Drain();
            }
            Quit(cc);
            Drain();
        }
        make.Work -= jobs;
        if (make.Work <= 0) Quit(make);
        return true;
    }

    private static readonly (string File, string Comm)[] Passes = [("/usr/libexec/gcc/cc1", "cc1"), ("/usr/bin/as", "as")];

    // ---- threaded services --------------------------------------------------------------------

    private bool ServiceStep(SimContainer ct)
    {
        var h = ct.Host;
        var svc = Find(ct, Role.Service);
        if (svc is null || Room(ct) >= 6 && _rng.Chance(0.05))
        {
            if (Room(ct) < 3) return false;
            svc = Fork(h, ct.Init, Role.Service, ct);
            SetSid(h, svc);
            Exec(h, svc, "/usr/sbin/nginx", "nginx");
            SigActions(h, svc, Mask(SIGTERM, SIGUSR1, SIGHUP));
            int threads = Math.Min(Room(ct), _rng.Next(2, 7));
            for (int i = 0; i < threads; i++) Thread(h, svc);
            return true;
        }
        // A pool mostly keeps its threads: they ask who they are and are signalled more often
        // than they come and go.
        double r = _rng.NextDouble();
        if (r < 0.3 && svc.Threads.Count > 0)
        {
            var th = svc.Threads[_rng.Next(svc.Threads.Count)];
            GetId(h, th, _rng.Chance(0.5) ? GetIdCall.GetTid : GetIdCall.GetPid);
        }
        else if (r < 0.45 && Room(ct) > 0)
        {
            Thread(h, svc);
        }
        else if (r < 0.55 && svc.Threads.Count > 0)
        {
            var th = svc.Threads[_rng.Next(svc.Threads.Count)];
            Emit(h, new Exit { Tid = th.Tid, Comm = th.Comm, Group = false, Code = 0 });
            th.Exited = true;
            Release(h, th);
        }
        else if (r < 0.9 && svc.Threads.Count > 0)
        {
            var th = svc.Threads[_rng.Next(svc.Threads.Count)];
            Emit(h, new Kill
            {
                Tid = ct.Init.Tid, Comm = ct.Init.Comm, Call = KillCall.Tgkill, Sig = SIGUSR1,
                Pid = h.Kernel.NumberOf(ct.Init.Tid, svc.Tid), ThreadArg = h.Kernel.NumberOf(ct.Init.Tid, th.Tid),
            });
        }
        else
        {
            // systemctl restart: SIGTERM, the service's threads and itself exit.
            Kill(h, ct.Init, h.Kernel.NumberOf(ct.Init.Tid, svc.Tid), SIGTERM);
        }
        return true;
    }

    // ---- entering from the host -------------------------------------------------------------

    /// <summary>
    /// vzctl exec (or nsenter -t PID -p): a host helper calls setns on the container's pid
    /// namespace, so its next child is born inside; the child runs a command that asks for its ids.
    /// </summary>
    private bool EnterFromHost(SimContainer ct)
    {
        if (ct.Depth > 0) return false;
        var h = ct.Host;
        if (!Unambiguous(h, ct)) return false;
        bool vzctl = _rng.Chance(0.5);
        var helper = Fork(h, h.Vzctl, Role.HostTool, null);
        if (!vzctl) Exec(h, helper, "/usr/bin/nsenter", "nsenter");
        Emit(h, new SetNs { Tid = helper.Tid, Comm = helper.Comm, Fd = 3, NsType = CloneFlags.NewPid, TargetNs = ct.Inode, Ret = 0 });
        int nr = ct.Cursor;
        var entered = Fork(h, helper, Role.Entered, null);
        entered.Container = ct;
        ct.Live++;
        ct.Cursor = nr + 1;
        if (vzctl) Emit(h, new Container { Tid = helper.Tid, Comm = helper.Comm, Action = ContainerAction.Enter, Id = ct.Id, Task = entered.Tid });
        Exec(h, entered, "/bin/ps", "ps");
        EnteredGetPid(h, ct, entered, nr);
        GetId(h, entered, GetIdCall.GetPpid);
        GetId(h, entered, GetIdCall.GetPgid);
        GetId(h, entered, GetIdCall.GetSid);
        Quit(entered);
        Drain();
        Quit(helper);
        return true;
    }

    /// <summary>
    /// ps asks for its pid. A tracer records the number the kernel returned; the model may not know
    /// it, since tracefs names no setns target and the container's inode is in no snapshot the
    /// model saw. Left unrecorded, the child would never be placed (NestedPidModel.Setns infers
    /// the namespace from exactly this answer): the namespace's cursor stays unknown for good, and
    /// every later answer there with it, the init's teardown included. So the trace records the
    /// number alloc_pid gave, and the kernel must then have placed the child at it.
    /// </summary>
    private void EnteredGetPid(SimHost h, SimContainer ct, SimTask entered, int nr)
    {
        if (h.Kernel.NumberOf(ct.Init.Tid, entered.Tid) > 0)
        {
            GetId(h, entered, GetIdCall.GetPid);
            return;
        }
        Emit(h, new GetId { Tid = entered.Tid, Comm = entered.Comm, Call = GetIdCall.GetPid, Ret = nr });
        int placed = h.Kernel.NumberOf(ct.Init.Tid, entered.Tid);
        if (placed != nr)
            throw new InvalidOperationException($"{h.Name}: the task entering {ct.Id} got {nr} there, the kernel placed it at {placed}");
    }

    /// <summary>
    /// Whether the child entering <paramref name="ct"/> can be placed by what it records. The
    /// nested model learns an unnamed setns target from the child's getpid alone, and only when no
    /// other live namespace (nor the host) would have given that number (NestedPidModel.Setns);
    /// otherwise every candidate namespace's cursor stays unknown for good, their teardowns kill
    /// tasks the model cannot name, and the generator loses them. The next number is the cursor
    /// only while nothing at or past it was given: not once it wrapped, nor where a restore chose
    /// numbers (clone3 set_tid); entries next to such a namespace were measured to stay unplaced
    /// too (mixed, seeds 2, 3 and 6), so a host holding one is not entered.
    /// </summary>
    private bool Unambiguous(SimHost h, SimContainer ct)
    {
        if (ct.Cursor >= _spec.PidMax) return false;
        int nr = ct.Cursor;
        // The helper is forked first: the entered child's global tid is the one after its.
        if (nr == h.NextTid(skip: 1)) return false;
        foreach (var other in h.Containers)
            if (other.HeldPastCursor || other != ct && !other.Dying && other.Cursor == nr) return false;
        return true;
    }

    // ---- kills --------------------------------------------------------------------------------

    /// <summary>kill of a job's group from its shell or from the host.</summary>
    private bool KillStep(SimContainer ct)
    {
        var h = ct.Host;
        var sh = Find(ct, Role.Shell) ?? Login(ct);
        if (sh is null) return false;
        double r = _rng.NextDouble();
        if (!JobAlive(sh))
        {
            if (Room(ct) < 2) return false;
            StartJob(sh, Math.Min(Room(ct), Pipeline()), Role.Job);
        }
        if (r < 0.6 || ct.Depth > 0) Kill(h, sh, -h.Kernel.NumberOf(sh.Tid, sh.Job), SIGTERM);
        else Kill(h, h.Vzctl, -h.Kernel.NumberOf(h.Vzctl.Tid, sh.Job), SIGTERM);
        return true;
    }

    /// <summary>kill -TERM -1 from a shell inside: everything the shell can see but the init and itself.</summary>
    private bool KillAll(SimContainer ct)
    {
        var sh = Find(ct, Role.Shell) ?? Login(ct);
        if (sh is null) return false;
        Kill(ct.Host, sh, -1, SIGTERM);
        return true;
    }

    // ---- orphans ------------------------------------------------------------------------------

    /// <summary>
    /// A process starts workers and exits before them: they go to the nearest child subreaper
    /// (supervisord) or the init, which reap them when they finish.
    /// </summary>
    private bool OrphanStep(SimContainer ct)
    {
        var h = ct.Host;
        var orphan = Find(ct, Role.Worker, Wanted.Orphan);
        if (orphan is not null && (Room(ct) < 4 || _rng.Chance(0.5)))
        {
            Quit(orphan);
            return true;
        }
        if (Room(ct) < 4) return false;
        SimTask parent;
        var sup = Find(ct, Role.Supervisor);
        if (sup is not null && _rng.Chance(0.4))
        {
            parent = Fork(h, sup, Role.Worker, ct);
            Exec(h, parent, "/bin/sh", "sh");
        }
        else
        {
            var sh = Find(ct, Role.Shell, Wanted.IdleShell) ?? Login(ct);
            if (sh is null || Room(ct) < 3) return false;
            parent = StartJob(sh, 1, Role.Worker, "/bin/sh", "sh");
        }
        int workers = Math.Min(Room(ct), _rng.Next(1, 4));
        for (int i = 0; i < workers; i++)
        {
            var w = Fork(h, parent, Role.Worker, ct);
            Exec(h, w, "/usr/bin/sleep", "sleep");
        }
        Quit(parent);
        Drain();
        if (parent.Parent is { Role: Role.Shell } shell) shell.Job = 0;
        return true;
    }

    // ---- nested containers -------------------------------------------------------------------

    /// <summary>A container manager inside a container starts a nested one (clone with CLONE_NEWPID), or stops the one it has.</summary>
    private bool NestStep(SimContainer ct)
    {
        var h = ct.Host;
        if (ct.Child is { } inner)
        {
            if (_rng.Chance(0.3)) return InitExit(inner);
            return NestStep(inner) || ShellStep(inner);
        }
        if (ct.Depth >= _spec.Nesting || Room(ct) < 4) return false;
        var manager = Fork(h, ct.Init, Role.NestManager, ct);
        SetSid(h, manager);
        Exec(h, manager, "/usr/bin/lxc-start", "lxc-start");
        SigActions(h, manager, Mask(SIGCHLD, SIGTERM));
        var nested = new SimContainer
        {
            Id = $"{ct.Id}/n{ct.Depth + 1}", Host = h, Inode = 4026532000UL + (ulong)++_madeContainers,
            Parent = ct, Depth = ct.Depth + 1,
        };
        var init = Fork(h, manager, Role.Init, nested, CloneFlags.NewPid | SIGCHLD, ForkCall.Clone);
        StartInit(h, nested, init);
        ct.Child = nested;
        AddContainer(h, nested);
        StartDaemon(nested, Role.Daemon);
        return true;
    }

    // ---- queries ------------------------------------------------------------------------------

    private static readonly GetIdCall[] Queries = [GetIdCall.GetPid, GetIdCall.GetPpid, GetIdCall.GetPgrp, GetIdCall.GetSid, GetIdCall.GetTid];

    /// <summary>A process asks for its own ids, or for another's group or session.</summary>
    private void Query(SimContainer ct)
    {
        var h = ct.Host;
        var p = ct.Processes[_rng.Next(ct.Processes.Count)];
        if (_rng.Chance(0.3))
        {
            var other = ct.Processes[_rng.Next(ct.Processes.Count)];
            GetId(h, p, _rng.Chance(0.5) ? GetIdCall.GetPgid : GetIdCall.GetSid, h.Kernel.NumberOf(p.Tid, other.Tid));
        }
        else
        {
            GetId(h, p, Queries[_rng.Next(Queries.Length)]);
        }
    }
}
