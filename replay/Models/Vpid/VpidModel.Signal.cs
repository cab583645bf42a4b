using System.Diagnostics;
using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Vpid;

public sealed partial class VpidModel
{
    private static ulong SigBit(int sig) => sig is > 0 and < 64 ? 1UL << sig : 0;

    /// <summary>Signals whose default action is to ignore them: SIGCHLD, SIGCONT, SIGURG, SIGWINCH.</summary>
    private const ulong DefaultIgnored = (1UL << 17) | (1UL << 18) | (1UL << 23) | (1UL << 28);

    /// <summary>
    /// What signal_generate would report: the trace's result for the same signal to the same
    /// task, where the two designs share the kernel's rule (the queue, a disposition, a ptraced
    /// recipient, an exiting one); for a VPS init, what this design says, since only there do the
    /// designs differ (a namespace init ignores a default action that a VPS init, an ordinary
    /// process to the patch, takes). Without a recorded result: ignored by disposition or because
    /// the process is dead, else delivered. The signal is added to the outcome; a result that
    /// depends on a disposition the capture did not show is marked unknown, not guessed.
    /// </summary>
    private SignalResult SendTo(VpidTask recipient, int to, int sig, int code, Outcome o)
    {
        var leader = recipient.Leader;
        return SendToProcess(leader, leader.Signals, to, sig, code, o);
    }

    /// <summary><see cref="SendTo"/> a thread of a process, given the process's leader and what the result depends on (kill(-1) passes the process list's copy).</summary>
    private SignalResult SendToProcess(VpidTask leader, in SignalView view, int to, int sig, int code, Outcome o)
    {
        var result = ResultFor(leader, view, to, sig, out bool unknown);
        if (unknown)
        {
            o.UnknownResults.Add(o.Signals.Count);
            o.Note ??= "the recipient's disposition is unknown";
        }
        o.Signals.Add(new SignalOutcome(sig, to, result, code));
        return result;
    }

    /// <summary>
    /// The result <see cref="SendTo"/> reports; <paramref name="unknown"/> when it rests on a
    /// disposition not shown. Whether the process is a VPS init is asked only of a recorded
    /// result that it can overrule: kill(-1) asks this of every process on the host.
    /// </summary>
    private SignalResult ResultFor(VpidTask leader, in SignalView view, int to, int sig, out bool unknown)
    {
        unknown = false;
        foreach (var r in _recorded.Span)
            if (r.Sig == sig && r.To == to && (r.Result is not (SignalResult.Delivered or SignalResult.Ignored) || !IsVpsInit(leader)))
                return r.Result;
        // prepare_signal: a process exiting (SIGNAL_GROUP_EXIT) drops what comes to it.
        if (view.State == TaskState.Zombie || leader.GroupExiting)
            return SignalResult.Ignored;
        if (_options.Ptraced && sig != SIGKILL)
            return SignalResult.Delivered;
        ulong bit = SigBit(sig);
        unknown = (view.UnknownDisposition & bit) != 0;
        bool ignored = ((view.Ignored & bit) != 0 && sig != SIGKILL && sig != 19)
            || ((view.Caught & bit) == 0 && (DefaultIgnored & bit) != 0);
        // sig_ignored (2.6.16 as now): a blocked signal is queued, whatever its action.
        if ((ignored || unknown) && BlockedBy(to, sig))
        {
            unknown = false;
            return SignalResult.Delivered;
        }
        if (ignored && MayBlock(to, sig)) unknown = true;
        return ignored ? SignalResult.Ignored : SignalResult.Delivered;
    }

    /// <summary>The thread <paramref name="tid"/> blocks <paramref name="sig"/>, as the capture's masks say (SIGKILL and SIGSTOP never are).</summary>
    private bool BlockedBy(int tid, int sig) =>
        sig is > 0 and <= 64 and not SIGKILL and not 19
        && _tasks.TryGetValue(tid, out var t) && t.MaskKnown && (t.Blocked & (1UL << (sig - 1))) != 0;

    /// <summary>The capture does not follow the thread's mask, and the snapshot read it blocking the signal: it may still.</summary>
    private bool MayBlock(int tid, int sig) =>
        sig is > 0 and <= 64 and not SIGKILL and not 19
        && _tasks.TryGetValue(tid, out var t) && !t.MaskKnown && (t.Blocked & (1UL << (sig - 1))) != 0;

    /// <summary>The thread's blocked mask from here on, as the capture read it.</summary>
    private void SetMask(SigMask ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (!_tasks.TryGetValue(ev.Tid, out var t)) return;
        t.Blocked = ev.Blocked;
        t.MaskKnown = true;
    }

    /// <summary>exit_group begun, its Exit placed later: from here the process drops every signal sent to it.</summary>
    private void BeginGroupExit(PidEvent ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (_tasks.TryGetValue(ev.Tid, out var t)) t.Leader.GroupExiting = true;
    }

    /// <summary>
    /// A write to ns_last_pid. The patch has no such file: a VPS's virtual numbers come from
    /// alloc_vpid alone, and nothing in a VPS can say which comes next, so the event has no
    /// representation there. On the host it asks nothing of this model: the global numbers are the
    /// trace's, and last_pid follows them.
    /// </summary>
    private void WriteLastPid(PidEvent ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (!_tasks.TryGetValue(ev.Tid, out var t) || t.Vps is null) return;
        o.Verdict = Verdict.Unsupported;
        o.Note = "a VPS cannot set its next virtual pid (no ns_last_pid): its later numbers differ";
    }

    private static bool IsVpsInit(VpidTask leader) => leader.Vps is { } vps && ReferenceEquals(vps.Init, leader);

    private void Send(VpidTask process, int sig, Outcome o)
    {
        if (sig != 0)
            SendTo(process, process.Leader.Tid, sig, 0, o);
    }

    /// <summary>
    /// A signal_generate no traced call explains. An exit's SIGCHLD goes where this design sent
    /// the notice (its parent may differ); a teardown's SIGKILL from a dying VPS init is this
    /// design's only under the OpenVZ stop policy (the patch kills nothing); any other kernel
    /// signal (an orphaned group's SIGHUP, a SIGPIPE) reaches the same task in both designs.
    /// </summary>
    private void KernelSignal(Signal ev, Outcome o)
    {
        var r = ev.Record;
        _tasks.TryGetValue(ev.Tid, out var sender);
        if (r.Sig == SIGCHLD && r.Code is >= CldExited and <= CldDumped && sender is not { State: TaskState.Running })
        {
            if (_notices.Remove(ev.Tid, out var notice))
                o.Signals.Add(new SignalOutcome(SIGCHLD, notice.To, notice.Result, r.Code));
            else
            {
                o.Verdict = Verdict.UnknownState;
                o.Note = "the dead process's notice was not sent by this model";
            }
            return;
        }
        if (!_tasks.TryGetValue(r.To, out var to))
        {
            o.Verdict = Verdict.UnknownState;
            o.Note = "the recipient was not known";
            return;
        }
        if (r.Sig == SIGKILL && r.Code == SiKernel && sender is { Vps: { } vps } && ReferenceEquals(vps.Init, sender.Leader)
            && sender.Leader.State != TaskState.Running && to.Vps == vps && _options.Stop == StopPolicy.LastTask)
        {
            o.Note = "a dying VPS init kills nothing: the patch stops a VPS with its last task";
            return;
        }
        SendTo(to, r.To, r.Sig, r.Code, o);
    }

    /// <summary>
    /// kill/tkill/tgkill. A positive number goes through vpid_to_pid; 0 is the caller's group;
    /// -1 is kill_something_info's every process with virt_pid > 1 except the caller's own;
    /// -pgrp goes through __vpid_to_pid when virtual (__kill_pg_info of the patch).
    /// </summary>
    private void SysKill(Kill ev, Outcome o)
    {
        var caller = Caller(ev, o);
        if (ev.Call != KillCall.Kill)
        {
            TgKill(caller, ev, o);
            return;
        }
        int pid = ev.Pid;
        if (pid > 0)
        {
            var target = FindTask(caller, pid, o);
            if (target is null)
            {
                o.Return(-ESRCH);
                return;
            }
            if (Refused(caller, target, ev.Sig, o))
                return;
            Send(target, ev.Sig, o);
            o.Return(0, target.Leader.Tid);
            return;
        }
        if (pid == -1)
        {
            KillAll(caller, ev.Sig, o);
            return;
        }
        int pgrp;
        if (pid == 0)
            pgrp = caller.Leader.Pgrp;
        else
        {
            pgrp = VpidToPid(caller, -pid, o);
            if (pgrp <= 0 || pgrp >= _groupHead.Length)
            {
                o.Return(-ESRCH);
                return;
            }
        }
        KillPgrp(caller, pgrp, ev.Sig, o);
    }

    /// <summary>__kill_pg_info over the global group: every member, whichever VPS it is in (unless the policy fences it).</summary>
    private void KillPgrp(VpidTask caller, int pgrp, int sig, Outcome o)
    {
        bool success = false, open = false;
        int last = -ESRCH;
        bool any = caller.Cred.KillsAny;
        for (var p = pgrp > 0 ? _groupHead[pgrp] : null; p is not null; p = p.NextInGroup)
        {
            if (Fenced(caller, p))
                continue;
            var may = any ? Tri.Yes : MayKill(caller, p, sig);
            if (may == Tri.Yes)
            {
                success = true;
                last = 0;
                Send(p, sig, o);
            }
            else if (may == Tri.No)
                last = -EPERM;
            else
                open = true;
        }
        if (!success && open)
        {
            PermissionUnknown(o);
            return;
        }
        o.Return(success ? 0 : last, success ? IdentityOf(pgrp) : 0);
    }

    /// <summary>
    /// kill(-1): `if (virt_pid(p) > 1 &amp;&amp; p->tgid != current->tgid)` over for_each_process. From the
    /// host this spares every VPS init (virtual pid 1) as well as the host init; under the OpenVZ
    /// policy a VPS task reaches only its own VPS.
    /// </summary>
    private void KillAll(VpidTask caller, int sig, Outcome o)
    {
        int count = 0;
        bool open = false, any = caller.Cred.KillsAny;
        if (_membersExact && _options.Policy == KillPolicy.OpenVz && caller.Vps is { } vps)
        {
            // Fenced to its VPS: the host walk would reach only its members, in the same order.
            for (var p = vps.FirstMember; p is not null; p = p.NextMember)
            {
                if (!p.IsLeader || p.VPid <= 1 || ReferenceEquals(p, caller.Leader))
                    continue;
                count++;
                var may = any ? Tri.Yes : MayKill(caller, p, sig);
                open |= may == Tri.Unknown;
                if (may == Tri.Yes)
                    Send(p, sig, o);
            }
        }
        else
        {
            // From the list's copies: the task objects are not read unless the policy fences the
            // caller or a recorded result names the process.
            var self = caller.Leader;
            for (int i = 0; i < _processes.End; i++)
            {
                ref readonly var e = ref _processes.Entry(i);
                if (e.Task is not { } p || e.VPid <= 1 || ReferenceEquals(p, self) || Fenced(caller, p))
                    continue;
                Debug.Assert(e.Tid == p.Tid && e.VPid == p.VPid && e.Signals == p.Signals, "the process list's copy is current");
                count++;
                // A caller with CAP_KILL reads no target's credentials (the list's copies suffice).
                var may = any ? Tri.Yes : MayKill(caller, p, sig);
                open |= may == Tri.Unknown;
                if (sig != 0 && may == Tri.Yes)
                    SendToProcess(p, e.Signals, e.Tid, sig, 0, o); // a process on the list is its own leader
            }
        }
        // Its answer never carries an EPERM (kill_something_info keeps only other errors), but
        // which processes got the signal is open when some may have refused it.
        if (open)
        {
            PermissionUnknown(o);
            return;
        }
        o.Return(count > 0 ? 0 : -ESRCH);
    }

    /// <summary>do_tkill of the patch: the tid goes through find_task_by_pid, but tgkill compares the tgid argument with virt_tgid, even from the host.</summary>
    private void TgKill(VpidTask caller, Kill ev, Outcome o)
    {
        int tid = ev.Call == KillCall.Tgkill ? ev.ThreadArg : ev.Pid;
        if (tid <= 0 || (ev.Call == KillCall.Tgkill && ev.Pid <= 0))
        {
            o.Return(-EINVAL);
            return;
        }
        var target = FindTask(caller, tid, o);
        if (target is null || (ev.Call == KillCall.Tgkill && target.VTgid != TgidArgument(caller, ev.Pid)))
        {
            o.Return(-ESRCH);
            if (target is not null)
                o.Note = "tgkill compares the tgid argument with the virtual tgid (posted do_tkill)";
            return;
        }
        if (Refused(caller, target, ev.Sig, o))
            return;
        if (ev.Sig != 0)
            SendTo(target, target.Tid, ev.Sig, 0, o);
        o.Return(0, target.Tid);
    }

    /// <summary>
    /// tgkill's tgid as this design's caller would have passed it: from the host, the trace's
    /// number as this design numbers that task; inside, the virtual tgid getpid gave it, which the
    /// posted do_tkill compares.
    /// </summary>
    private int TgidArgument(VpidTask caller, int nr)
    {
        if (caller.Vps is null)
            return FromTrace(nr);
        int pid = FromTraceInside(caller, nr);
        return pid > 0 && pid != nr && _byPid[pid] is { } named ? named.Leader.VTgid : nr;
    }

    /// <summary>
    /// setsid: the global group and session become the leader's pid, the virtual ones the calling
    /// thread's virtual pid (set_virt_pgid(group_leader, virt_pid(current))), which is returned.
    /// </summary>
    private void SysSetsid(PidEvent ev, Outcome o)
    {
        var caller = Caller(ev, o);
        var leader = caller.Leader;
        bool refused = leader.Session == leader.Pid || _groupHead[leader.Pid] is not null;
        if (refused)
            o.Return(-EPERM);
        else
        {
            o.TranslationsOut++;
            o.Return(caller.VPid, leader.Tid);
        }
        if (ev.Ret is < 0 || (ev.Ret is null && refused))
            return;
        // Moved before the vnrs change: detach_pid frees the old group's mapping by its vnr.
        MoveGroup(leader, leader.Pid);
        MoveSession(leader, leader.Pid);
        leader.VPgid = leader.VSid = caller.VPid;
    }

    /// <summary>
    /// setpgid of the patch: the target through find_task_by_pid; a new group takes the target's
    /// virtual pid, an existing one the virtual pid of the first member found in it (`_pgid =
    /// virt_pid(p)`), and every thread of the process gets the new virtual pgid. The trace says
    /// whether it moved: a move this design would have refused is followed all the same.
    /// </summary>
    private void SysSetpgid(SetPgid ev, Outcome o)
    {
        var caller = Caller(ev, o);
        if (ev.Pgid < 0)
        {
            o.Return(-EINVAL);
            return;
        }
        var target = ev.Pid == 0 ? caller.Leader : FindTask(caller, ev.Pid, o)?.Leader;
        int pgrp = target is null ? 0 : ev.Pgid == 0 ? target.Pid : VpidToPid(caller, ev.Pgid, o);
        VpidTask? member = null;
        if (target is not null && pgrp != target.Pid)
            for (var p = pgrp > 0 && pgrp < _groupHead.Length ? _groupHead[pgrp] : null; p is not null; p = p.NextInGroup)
                if (p.Session == caller.Leader.Session)
                {
                    member = p;
                    break;
                }
        int err = 0;
        if (target is null || !(ReferenceEquals(target, caller.Leader) || ReferenceEquals(target.Parent?.Leader, caller.Leader)))
            err = -ESRCH;
        else if (!ReferenceEquals(target, caller.Leader) && target.DidExec)
            err = -EACCES;
        else if (target.Session == target.Pid || target.Session != caller.Leader.Session)
            err = -EPERM;
        else if (pgrp != target.Pid && member is null)
            err = -EPERM;
        // Its answer is 0 or an errno: it names no task.
        o.Return(err);
        bool moved = ev.Ret is long ret ? ret == 0 : err == 0;
        // Moved where this design would have refused: the group has a member in the caller's session after all.
        member ??= pgrp > 0 && pgrp < _groupHead.Length && pgrp != target?.Pid ? _groupHead[pgrp] : null;
        if (!moved || target is null || pgrp <= 0 || (pgrp != target.Pid && member is null))
            return;
        int vpgid = pgrp == target.Pid ? target.VPid : member!.VPid;
        MoveGroup(target, pgrp); // before the vnr changes: detach_pid frees the old group's mapping by its vnr
        for (var th = target; th is not null; th = th.NextThread)
            th.VPgid = vpgid;
    }

    /// <summary>getpid/gettid/getppid/getpgid/getpgrp/getsid of the patch: virt_* of the caller, or of a target found through vpid_to_pid.</summary>
    private void SysGetId(GetId ev, Outcome o)
    {
        var caller = Caller(ev, o);
        o.TranslationsOut++;
        o.Probes++;
        if (caller.Adopted && ev.Call is not (GetIdCall.GetPid or GetIdCall.GetTid))
            o.Verdict = Verdict.UnknownState; // its parent, group and session came before the capture
        if (ev.Call == GetIdCall.GetPid && ev.Ret is > 0 && caller.TraceNr == 0 && caller.IsLeader && !caller.NestedNs)
            SetTraceNr(caller, (int)ev.Ret);
        switch (ev.Call)
        {
            case GetIdCall.GetPid:
                o.Return(caller.VTgid, caller.Leader.Tid);
                // The answer is the evidence of where it lives, not something predicted from it.
                if (ev.Ret is > 0 && caller.Unplaced)
                    PlaceSetnsChild(caller, (int)ev.Ret, o);
                return;
            case GetIdCall.GetTid:
                o.Return(caller.VPid, caller.Tid);
                return;
            case GetIdCall.GetPpid:
                // sys_getppid: virt_tgid(real_parent), even on the host; a host parent shows its global pid.
                var parent = caller.Leader.Parent?.Leader;
                o.Return(parent?.VTgid ?? 1, parent?.Tid ?? 1);
                return;
            case GetIdCall.GetPgrp:
                o.Return(caller.VPgid, IdentityOf(caller.Leader.Pgrp));
                return;
        }
        var target = caller;
        if (ev.Arg != 0)
        {
            var found = FindTask(caller, ev.Arg, o);
            if (found is null)
            {
                o.Return(-ESRCH);
                return;
            }
            target = found;
        }
        // virt_pgid/virt_sid unconditionally: a host caller asking about a VPS task gets VPS numbers.
        if (ev.Call == GetIdCall.GetPgid)
            o.Return(target.VPgid, IdentityOf(target.Leader.Pgrp));
        else
            o.Return(target.VSid, IdentityOf(target.Leader.Session));
    }

    /// <summary>rt_sigaction: the disposition later signal results and SIGCHLD reaping depend on.</summary>
    private void SysSigaction(SigAction ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (ev.Ret is < 0)
            return;
        var leader = Caller(ev, o).Leader;
        SetDisposition(leader, ev.Sig, ev.Handler);
        if (ev.Sig == SIGCHLD && ev.Handler != Handler.Unknown)
            leader.NoCldWait = (ev.SaFlags & SA_NOCLDWAIT) != 0;
    }

    private static void SetDisposition(VpidTask leader, int sig, Handler handler)
    {
        ulong bit = SigBit(sig);
        leader.Ignored &= ~bit;
        leader.Caught &= ~bit;
        leader.UnknownDisposition &= ~bit;
        switch (handler)
        {
            case Handler.Ignore: leader.Ignored |= bit; break;
            case Handler.Catch: leader.Caught |= bit; break;
            case Handler.Unknown: leader.UnknownDisposition |= bit; break;
        }
    }

    /// <summary>signal_deliver shows the disposition a signal found.</summary>
    private void Delivered(Deliver ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (ev.Handler == Handler.Unknown || !_tasks.TryGetValue(ev.Tid, out var t)) return;
        SetDisposition(t.Leader, ev.Sig, ev.Handler);
        if (ev.Sig == SIGCHLD && ev.SaFlags is { } flags) t.Leader.NoCldWait = (flags & SA_NOCLDWAIT) != 0;
    }

    /// <summary>PR_SET_CHILD_SUBREAPER came with Linux 3.4: a 2.6.16 kernel has no subreapers, so orphans skip them here.</summary>
    private void SysPrctl(PidEvent ev, Outcome o)
    {
        var caller = Caller(ev, o);
        var p = (Prctl)ev;
        o.Verdict = p.Option == Prctl.SetChildSubreaper ? Verdict.Unsupported : Verdict.NotApplicable;
        if (o.Verdict == Verdict.Unsupported)
            o.Note = "no child subreaper in this design: orphans go to the VPS or host init";
        else if (Prctl.ChangesCapabilities(p.Option, p.Arg2))
            caller.Cred.Follow(p);
    }

    /// <summary>setuid, setreuid, setresuid, capset: the trace's answer followed, as the nested model does (Creds).</summary>
    private void SysSetCred(SetCred ev, Outcome o)
    {
        var caller = Caller(ev, o);
        if (o.Verdict != Verdict.UnknownState) o.Verdict = Verdict.NotApplicable;
        caller.Cred.Follow(ev);
    }

    /// <summary>
    /// check_kill_permission of the patch's kernel: the same uids and CAP_KILL rule as today's
    /// (capable() where today's asks ns_capable), and the SIGCONT exception within a session.
    /// </summary>
    private static Tri MayKill(VpidTask caller, VpidTask target, int sig)
    {
        if (ReferenceEquals(caller.Leader, target.Leader)) return Tri.Yes;
        var same = caller.Leader.Session == 0 || target.Leader.Session == 0 ? Tri.Unknown
            : caller.Leader.Session == target.Leader.Session ? Tri.Yes : Tri.No;
        return Creds.MayKill(caller.Cred, target.Cred, sig, same);
    }

    private const string PermissionNotKnown = "whether the caller may signal the task is not known (its credentials, or the task's)";

    private static void PermissionUnknown(Outcome o)
    {
        o.Verdict = Verdict.UnknownState;
        o.Note ??= PermissionNotKnown;
    }

    /// <summary>A kill naming one task: true, with the answer recorded (-EPERM, or not known), when the caller may not signal it.</summary>
    private static bool Refused(VpidTask caller, VpidTask target, int sig, Outcome o)
    {
        switch (MayKill(caller, target, sig))
        {
            case Tri.No:
                o.Return(-EPERM);
                return true;
            case Tri.Unknown:
                PermissionUnknown(o);
                return true;
            default:
                return false;
        }
    }
}
