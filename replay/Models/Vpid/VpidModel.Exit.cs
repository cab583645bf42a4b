using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Vpid;

public sealed partial class VpidModel
{
    /// <summary>
    /// do_exit: a thread goes; with the last thread (or exit_group) the process becomes a zombie,
    /// its children go to a reaper, its parent hears SIGCHLD. A VPS init's exit stops the VPS
    /// under the OpenVZ policy; as posted, the VPS lives on until its last task is released.
    /// </summary>
    private void DoExit(Exit ev, Outcome o)
    {
        var t = Caller(ev, o);
        var leader = t.Leader;
        if (leader.State == TaskState.Zombie)
        {
            o.Verdict = Verdict.UnknownState;
            o.Note = "exit of a task already dead in the model";
            return;
        }
        _notices.Remove(t.Tid); // a notice the trace never showed for an earlier task of this tid
        if (ev.Group)
        {
            // exit_group: the other threads die without signals, and their children move first.
            for (var th = leader; th is not null;)
            {
                var next = th.NextThread;
                if (!ReferenceEquals(th, t) && !(th.IsLeader && th.State == TaskState.LeaderGone))
                    ThreadExit(th, o);
                th = next;
            }
        }
        _exiting = t.Tid;
        ThreadExit(t, o);
        if (leader.LiveThreads == 0)
            ProcessExit(leader, o);
        _exiting = 0;
    }

    /// <summary>One thread ends: its children go to a reaper; a non-leader thread is released at once.</summary>
    private void ThreadExit(VpidTask t, Outcome o)
    {
        ForgetOriginalParent(t, o);
        var leader = t.Leader;
        leader.LiveThreads--;
        if (t.IsLeader)
            t.State = TaskState.LeaderGone;
        else
            ReleaseTask(t);
    }

    /// <summary>The last thread has gone: the process is a zombie for its parent, or released at once.</summary>
    private void ProcessExit(VpidTask leader, Outcome o)
    {
        leader.State = TaskState.Zombie;
        var vps = leader.Vps;
        if (vps is not null && ReferenceEquals(vps.Init, leader) && _options.Stop == StopPolicy.InitExit)
            StopVps(vps, leader, o, releaseNow: false);
        DoNotifyParent(leader, o, _exiting);
    }

    /// <summary>
    /// forget_original_parent: the children of a dying thread go to another live thread of its
    /// process, else to the reaper: the dying task's VPS init (OpenVZ) or the host init.
    /// </summary>
    private void ForgetOriginalParent(VpidTask father, Outcome o)
    {
        if (father.FirstChild is null)
            return;
        VpidTask? reaper = null;
        for (var th = father.Leader; th is not null; th = th.NextThread)
            if (!ReferenceEquals(th, father) && th.State == TaskState.Running)
            {
                reaper = th;
                break;
            }
        reaper ??= ChildReaper(father);
        for (var c = father.FirstChild; c is not null;)
        {
            var next = c.NextSibling;
            RemoveChild(c);
            if (reaper is not null)
                AddChild(reaper, c);
            o.Reparented.Add(new Reparent(c.Tid, reaper?.Tid ?? 1));
            if (c.IsLeader && c.State == TaskState.Zombie)
                DoNotifyParent(c, o); // an orphan already dead makes its new parent hear of it
            c = next;
        }
    }

    /// <summary>child_reaper as seen from a dying task.</summary>
    private VpidTask? ChildReaper(VpidTask father)
    {
        var vps = father.Vps;
        if (_options.Reaper == OrphanReaper.VpsInit && vps?.Init is { } init
            && !ReferenceEquals(init, father.Leader) && init.State == TaskState.Running)
            return init;
        var host = _byPid[1];
        return host is not null && host.Vps is null && !ReferenceEquals(host, father.Leader) ? host : null;
    }

    /// <summary>
    /// do_notify_parent: SIGCHLD to the parent thread (si_pid: get_task_pid_ve, the child's number
    /// in the parent's view); a parent ignoring SIGCHLD (SIG_IGN, or SA_NOCLDWAIT) has the child
    /// reaped at once. The thread is what signal_generate names: the signal goes to its process.
    /// </summary>
    private void DoNotifyParent(VpidTask child, Outcome o, int notifier = 0)
    {
        var thread = child.Parent;
        // A process from the snapshot hangs under its parent's leader (/proc's PPid is a process);
        // the thread that forked it, real_parent in both designs, is the one its recorded notice
        // names when that is another live thread of the same process.
        if (thread is not null)
            foreach (var r in _recorded.Span)
                if (r.Sig == SIGCHLD && r.To != thread.Tid && _tasks.TryGetValue(r.To, out var named)
                    && ReferenceEquals(named.Leader, thread.Leader) && named.State == TaskState.Running)
                {
                    RemoveChild(child);
                    AddChild(named, child);
                    thread = named;
                    break;
                }
        var parent = thread?.Leader;
        if (parent is null)
        {
            // The host init outside the model: it reaps everything it is given.
            ReleaseTask(child);
            return;
        }
        // 2.6.16 do_notify_parent: SIG_IGN sends nothing; either SIG_IGN or SA_NOCLDWAIT means exit_signal = -1 (no zombie).
        bool ignored = (parent.Ignored & SigBit(SIGCHLD)) != 0;
        if (!ignored)
        {
            var result = SendTo(parent, thread!.Tid, SIGCHLD, 0, o);
            if (notifier != 0)
            {
                _notices[notifier] = (thread.Tid, result, child.Tid);
                child.Notifier = notifier;
            }
        }
        if (ignored || parent.NoCldWait)
            ReleaseTask(child);
    }

    /// <summary>
    /// A VPS ends with its tasks killed, in ascending global pid (OpenVZ's init exit, or a Stop
    /// event). With <paramref name="releaseNow"/> the tasks are gone at once (the tooling said so:
    /// vzctl stop returns once the VE has no task left), and so are its zombies that no wait of
    /// the trace can reap; otherwise the trace's exits will say when they die.
    /// </summary>
    private void StopVps(Vps vps, VpidTask? spare, Outcome o, bool releaseNow)
    {
        var ids = _scratch;
        ids.Clear();
        if (_membersExact)
        {
            for (var p = vps.FirstMember; p is not null; p = p.NextMember)
                if (p.IsLeader && !ReferenceEquals(p, spare) && p.State != TaskState.Zombie)
                    ids.Add(p.Pid);
        }
        else
        {
            for (int i = 0; i < _processes.End; i++)
                if (_processes[i] is { } p && p.Vps == vps && !ReferenceEquals(p, spare) && p.State != TaskState.Zombie)
                    ids.Add(p.Pid);
        }
        ids.Sort();
        foreach (int pid in ids)
        {
            var p = _byPid[pid]!;
            o.Killed.Add(p.Tid);
            o.Signals.Add(new SignalOutcome(SIGKILL, p.Tid, SignalResult.Delivered, SiKernel));
        }
        vps.Stopped = true;
        if (!releaseNow)
            return;
        foreach (int pid in ids)
        {
            var p = _byPid[pid];
            if (p is null || p.Vps != vps)
                continue;
            for (var th = p.NextThread; th is not null;)
            {
                var next = th.NextThread;
                ReleaseTask(th);
                th = next;
            }
            p.LiveThreads = 0;
            ForgetOriginalParent(p, o);
            RemoveChild(p);
            ReleaseTask(p);
        }
        ReapStopped(vps);
    }

    /// <summary>
    /// The zombies of a stopped VPS whose reaper the trace cannot show: one the host init was
    /// given (init reaps every child it gets; the trace's kernel never made it their parent), or
    /// one whose parent is in the VPS and went with it. A zombie whose parent is another host
    /// task stays: that parent's wait is in the trace.
    /// </summary>
    private void ReapStopped(Vps vps)
    {
        if (_membersExact)
        {
            for (var p = vps.FirstMember; p is not null;)
            {
                var next = p.NextMember;
                if (p.IsLeader && p.State == TaskState.Zombie && ReapedUnseen(p, vps))
                    ReleaseTask(p);
                p = next;
            }
            return;
        }
        for (int i = 0; i < _processes.End; i++)
            if (_processes[i] is { } p && p.Vps == vps && p.State == TaskState.Zombie && ReapedUnseen(p, vps))
                ReleaseTask(p);
    }

    private bool ReapedUnseen(VpidTask zombie, Vps vps) =>
        zombie.Parent is not { } parent || parent.Vps == vps || (parent.Vps is null && ReferenceEquals(_byPid[1], parent.Leader));

    /// <summary>
    /// wait4/waitid: eligible_child of the patch compares a virtual argument with virtual numbers
    /// and a global one with global pids; the reaped child is reported as get_task_pid shows it:
    /// virtual when the waiter is inside a VPS, global otherwise (waitid's si_pid alike).
    ///
    /// Where the trace's kernel made a choice this design would make the same way, the replay
    /// follows it: among several zombies, the one it reaped; and a WNOHANG wait that found none,
    /// since a child's exit comes before exit_notify makes it a zombie (kernel/exit.c) in both.
    /// </summary>
    private void SysWait(Wait ev, Outcome o)
    {
        var caller = Caller(ev, o);
        if (ev.EnterLost)
        {
            // Nothing to predict without its arguments; the child it returned was reaped.
            o.Verdict = Verdict.UnknownState;
            o.Note = Outcome.EnterLostNote;
            if (ReturnedZombie(caller, ev.Ret) is { } gone) ReleaseTask(gone);
            return;
        }
        VpidTask? found = null, recorded = null;
        bool any = false;
        int pid = ev.Pid;
        if (pid > 0 || pid < -1)
        {
            o.TranslationsIn++;
            if (caller.Vps is null)
                pid = pid > 0 ? FromTrace(pid) : -FromTrace(-pid);
            else if (caller.NestedNs)
                pid = pid > 0 ? FromTraceNested(caller, pid) : pid;
            else if (FromTraceInside(caller, Math.Abs(pid)) is var g && g != Math.Abs(pid))
            {
                if (g == 0)
                {
                    o.Return(-ECHILD); // the number's task is long gone and its number is another's
                    return;
                }
                pid = pid > 0 ? g : -g;
            }
        }
        // A WNOHANG wait the trace says found nothing answers 0 or ECHILD: the first eligible child settles it.
        bool anySettles = ev.Ret == 0 && (ev.Options & 1) != 0;
        if (RecordedZombie(caller, pid, ev.Ret) is { } named)
            found = recorded = named;
        else
            for (var th = caller.Leader; th is not null && !(any && anySettles); th = th.NextThread)
                for (var c = th.FirstChild; c is not null && !(any && anySettles); c = c.NextSibling)
                {
                    if (!c.IsLeader || !EligibleChild(caller, pid, c))
                        continue;
                    any = true;
                    if (c.State != TaskState.Zombie)
                        continue;
                    found ??= c;
                    if (ev.Ret is long r && r > 0 && TraceNumber(caller, c) == r)
                        recorded = c;
                }
        if (recorded is not null)
            found = recorded;
        else if (found is not null && ev.Ret == 0 && (ev.Options & 1) != 0) // WNOHANG, before exit_notify
            found = null;
        if (found is null)
        {
            if (!any)
                o.Return(-ECHILD);
            else if ((ev.Options & 1) != 0) // WNOHANG
                o.Return(0);
            else
            {
                o.Verdict = Verdict.UnknownState;
                o.Note = "wait would block: no child of the model has exited yet";
            }
            return;
        }
        o.Return(Shown(caller, found, IdKind.Pid, o), found.Tid);
        // waitid's WNOWAIT reports the zombie and leaves it to be reaped later (2.6.9 on).
        if ((ev.Options & WNOWAIT) == 0 && (ev.Ret is null || ev.Ret > 0))
            ReleaseTask(found);
    }

    /// <summary>The caller's zombie child the trace's kernel returned as <paramref name="ret"/> (wait4 cannot leave it unreaped); null when the model has none by that number.</summary>
    private VpidTask? ReturnedZombie(VpidTask caller, long? ret)
    {
        if (RecordedZombie(caller, -1, ret) is { } named) return named;
        if (ret is not > 0) return null;
        for (var th = caller.Leader; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                if (c.IsLeader && c.State == TaskState.Zombie && TraceNumber(caller, c) == ret)
                    return c;
        return null;
    }

    /// <summary>The number the trace's kernel gave <paramref name="caller"/> for its child <paramref name="c"/>: global on the host, else as seen inside.</summary>
    private static int TraceNumber(VpidTask caller, VpidTask c) => caller.Vps is null ? c.Tid : caller.NestedNs ? c.NestedNr : c.TraceNr;

    /// <summary>
    /// The global pid of the child a caller in a pid namespace nested in its VPS names by the
    /// number fork returned to it there: that namespace has no representation here, but this
    /// design would have given the caller its own number for the same child and the caller would
    /// have waited on that one. Otherwise the number as passed.
    /// </summary>
    private static int FromTraceNested(VpidTask caller, int nr)
    {
        for (var th = caller.Leader; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                if (c.IsLeader && c.NestedNr == nr)
                    return c.Pid;
        return nr;
    }

    /// <summary>
    /// The zombie a wait reaped in the trace, found by the number the trace's kernel returned
    /// instead of over every child (a host manager has one per container, a VPS's init one per
    /// service): a host caller's answer is the zombie's tid, a caller inside a VPS was shown the
    /// zombie's number there (<see cref="_insideNumbers"/>). When that task is an eligible child of
    /// the caller's process, the walk would pick it too. Null when the walk must decide. Children
    /// lists match their tasks' parents only while every task is on the host walk
    /// (<see cref="_membersExact"/>).
    /// </summary>
    private VpidTask? RecordedZombie(VpidTask caller, int pid, long? ret)
    {
        if (ret is not > 0 || ret > int.MaxValue || !_membersExact || caller.NestedNs)
            return null;
        int nr = (int)ret, tid = nr;
        if (caller.Vps is { } vps)
        {
            if (!_insideNumbers.TryGet(vps.Id, nr, out var held))
                return null;
            tid = held.Tid;
        }
        if (!_tasks.TryGetValue(tid, out var c) || !c.IsLeader || c.State != TaskState.Zombie
            || (caller.Vps is null ? c.Tid : c.TraceNr) != nr
            || c.Parent is not { } parent || !EligibleChild(caller, pid, c))
            return null;
        for (var th = caller.Leader; th is not null; th = th.NextThread)
            if (ReferenceEquals(th, parent))
                return c;
        return null;
    }

    /// <summary>eligible_child of the patch (kernel/exit.c).</summary>
    private static bool EligibleChild(VpidTask caller, int pid, VpidTask p)
    {
        if (pid > 0)
        {
            // is_virtual_pid: the bit, or 1 when the caller is inside a VPS.
            bool isVirtual = IsVirtual(pid) || (pid == 1 && caller.Vps is not null);
            return (isVirtual ? p.VPid : p.Pid) == pid;
        }
        if (pid == 0)
            return p.Pgrp == caller.Leader.Pgrp;
        if (pid != -1)
            return IsVirtual(-pid) ? p.VPgid == -pid : p.Pgrp == -pid;
        return true;
    }

    /// <summary>exec: handlers fall back to SIG_DFL; a non-leader thread takes over the leader's pid (de_thread) and the other threads go.</summary>
    private void DoExec(Exec ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        var t = Caller(ev, o);
        if (ev.Ret is < 0)
            return; // a failed execve changes nothing
        var leader = t.Leader;
        leader.Caught = 0;
        leader.DidExec = true;
        // The thread that exec'd keeps its credentials under the leader's pid.
        if (ev.OldTid != 0 && ev.OldTid != ev.Tid && _tasks.TryGetValue(ev.OldTid, out var caller) && ReferenceEquals(caller.Leader, leader))
        {
            leader.Cred = caller.Cred;
            leader.Blocked = caller.Blocked;
            leader.MaskKnown = caller.MaskKnown;
        }
        leader.Cred.Exec(ev.File, ev.FileUid);
        if (ev.OldTid == 0 && leader.NextThread is null)
            return;
        for (var th = leader.NextThread; th is not null;)
        {
            var next = th.NextThread;
            ForgetOriginalParent(th, o);
            leader.LiveThreads--;
            ReleaseTask(th);
            th = next;
        }
        // switch_exec_pids: the leader keeps the tgid; the execing thread's virtual pid becomes its virt_tgid.
        leader.State = TaskState.Running;
        leader.LiveThreads = 1;
    }
}
