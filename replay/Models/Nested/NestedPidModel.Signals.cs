using System.Diagnostics;
using Replayer.Ingest.Events;

namespace Replayer.Replay.Models.Nested;

/// <summary>Signals: kill_something_info, do_send_specific, prepare_signal and sig_ignored (kernel/signal.c).</summary>
public sealed partial class NestedPidModel
{
    /// <summary>A prediction that depends on what the capture did not show.</summary>
    private const int UnknownAnswer = int.MinValue;

    private void ApplyKill(Kill k, Outcome o)
    {
        var cur = Current(k, o);
        if (cur is not null)
        {
            int ret = k.Call switch
            {
                KillCall.Kill => KillSomethingInfo(cur, k.Pid, k.Sig, o),
                KillCall.Tkill => k.Pid <= 0 ? -EINVAL : DoSendSpecific(cur, 0, k.Pid, k.Sig, o),
                _ => k.Pid <= 0 || k.ThreadArg <= 0 ? -EINVAL : DoSendSpecific(cur, k.Pid, k.ThreadArg, k.Sig, o),
            };
            if (ret == UnknownAnswer) Unknown(o, o.Note ?? "the call names tasks the capture did not show");
            else o.Return(ret, ret == 0 ? o.RetTarget : 0);
        }
        FollowRecordedSignals(k.Signals, o, null);
    }

    /// <summary>kill(): a pid (in the caller's namespace), the caller's group, a group, or every process it can see.</summary>
    private int KillSomethingInfo(TaskStruct cur, int pid, int sig, Outcome o)
    {
        o.TranslationsIn++;
        if (pid > 0)
        {
            var r = FindTaskByVpid(pid, cur, out var p, o);
            if (r == Lookup.Unknown) return UnknownAnswer;
            if (r == Lookup.None) return -ESRCH;
            o.RetTarget = Leader(p!).Tid;
            return GroupSendSigInfo(sig, p!, cur, o);
        }
        if (pid == int.MinValue) return -ESRCH;
        if (pid != -1)
        {
            TaskStruct? pgrp;
            if (pid == 0)
            {
                pgrp = Leader(cur).Pgrp;
                if (pgrp is null) return UnknownAnswer;
            }
            else
            {
                var r = FindPidNs(-pid, cur.Ns, out pgrp);
                if (r == Lookup.Unknown) return UnknownAnswer;
                if (r == Lookup.None) return -ESRCH;
            }
            o.RetTarget = pgrp!.Tid;
            return KillPgrpInfo(sig, pgrp, cur, o);
        }
        // kill(-1): every process whose number in the caller's namespace is above 1 (so never the
        // caller's own init, nor what it cannot see), except the caller's own process.
        if (!cur.Ns.Complete) return UnknownAnswer;
        if (KillContainerInfo(cur, sig, o) is int done) return done;
        int count = 0, retval = 0, maybe = 0;
        for (var p = _firstProcess; p is not null; p = p.NextProcess)
        {
            if (!p.Hashed || p.Signal is null) continue;
            int vnr = PidNrNs(p, cur.Ns);
            o.TranslationsOut++;
            if (vnr == TaskStruct.UnknownNr) return UnknownAnswer;
            if (vnr <= 1 || p.Signal == cur.Signal) continue;
            int sent = o.Signals.Count;
            // A zombie that may have been reaped at its exit (its parent's SA_NOCLDWAIT not known:
            // a busy capture's pid 1, which made no call, and its children killed in a user
            // namespace) gets the signal only if it is still there; so does a process the
            // capture does not trace.
            bool maybeThere = p.Signal is { Dead: true, AutoreapUnknown: true } or { Untraced: true };
            int err = maybeThere ? MaybeSend(sig, p, cur, o) : GroupSendSigInfo(sig, p, cur, o);
            count++;
            if (err != -EPERM) retval = err;
            if (maybeThere)
            {
                maybe++;
                for (int i = sent; i < o.Signals.Count; i++) o.MaybeSent.Add(i);
            }
        }
        // Whether any process was there to signal at all may hang on such a zombie, or on a
        // process an untraced one forked unseen.
        return count > maybe ? retval : maybe > 0 || cur.Ns.MayHoldUnseen ? UnknownAnswer : -ESRCH;
    }

    /// <summary>
    /// kill(-1) from inside a container, over the container's processes instead of the task list:
    /// only they have a number in the caller's namespace, and they come in task list order. The
    /// walk over the task list would translate every process (pid_nr_ns), so as many translations
    /// are counted. Null when that walk could stop at a number it does not know (an unplaced
    /// process anywhere, or one of the caller's namespace whose number there is not shown): then
    /// only the walk over the task list says where.
    /// </summary>
    private int? KillContainerInfo(TaskStruct cur, int sig, Outcome o)
    {
        var ns = cur.Ns;
        if (ns.Level == 0 || _unplacedProcesses > 0) return null;
        var container = ns.AncestorAt(1);
        for (var p = container.FirstProcess; p is not null; p = p.NextInContainer)
            if (PidNrNs(p, ns) == TaskStruct.UnknownNr) return null;
        o.TranslationsOut += _processes;
        int count = 0, retval = 0;
        for (var p = container.FirstProcess; p is not null; p = p.NextInContainer)
        {
            if (PidNrNs(p, ns) <= 1 || p.Signal == cur.Signal) continue;
            int err = GroupSendSigInfo(sig, p, cur, o);
            count++;
            if (err != -EPERM) retval = err;
        }
        return count > 0 ? retval : ns.MayHoldUnseen ? UnknownAnswer : -ESRCH;
    }

    /// <summary>__kill_pgrp_info: every member of the group, seen by the caller or not; 0 if one was signalled.</summary>
    private int KillPgrpInfo(int sig, TaskStruct pgrp, TaskStruct cur, Outcome o)
    {
        if (!_allKnown && !pgrp.Born) return UnknownAnswer;
        bool success = false, open = false;
        int retval = -ESRCH;
        for (var p = pgrp.PgrpHead; p is not null; p = p.PgrpNext)
        {
            int sent = o.Signals.Count;
            bool untraced = p.Signal is { Untraced: true };
            int err = untraced ? MaybeSend(sig, p, cur, o) : GroupSendSigInfo(sig, p, cur, o);
            if (untraced)
            {
                // A process the capture does not trace may have left the group unseen: its signal
                // is sent only if it is still there, and what it would add to the answer is open.
                for (int i = sent; i < o.Signals.Count; i++) o.MaybeSent.Add(i);
                open = true;
                continue;
            }
            success |= err == 0;
            open |= err == UnknownAnswer;
            retval = err;
        }
        // A process whose group the capture did not show may be a member (a test suite's capture:
        // a PostgreSQL backend forked in the window called setsid there; the postmaster's
        // kill(-backend, SIGTERM) answered 0, which the model, knowing no member, said ESRCH).
        if (_groupsUnknown)
            for (var p = _firstProcess; p is not null; p = p.NextProcess)
            {
                if (!p.Hashed || p.Pgrp is not null || p.Signal is not { Dead: false }) continue;
                int sent = o.Signals.Count;
                MaybeSend(sig, p, cur, o);
                for (int i = sent; i < o.Signals.Count; i++) o.MaybeSent.Add(i);
                open = true;
            }
        return success ? 0 : open ? UnknownAnswer : retval;
    }

    /// <summary>tkill and tgkill: one thread, named in the caller's namespace; its own pending queue.</summary>
    private int DoSendSpecific(TaskStruct cur, int tgid, int tid, int sig, Outcome o)
    {
        o.TranslationsIn++;
        var r = FindTaskByVpid(tid, cur, out var p, o);
        if (r == Lookup.Unknown) return UnknownAnswer;
        if (r == Lookup.None) return -ESRCH;
        if (tgid > 0)
        {
            int nr = PidNrNs(Leader(p!), cur.Ns);
            o.TranslationsOut++;
            if (nr == TaskStruct.UnknownNr) return UnknownAnswer;
            if (nr != tgid) return -ESRCH;
        }
        if (!Sig.Valid(sig)) return -EINVAL;
        o.RetTarget = p!.Tid;
        if (MayKill(cur, p!, sig, o) is int refused) return refused;
        if (sig == 0) return 0;
        SendSignal(sig, p, group: false, SenderOutside(cur, p), Sig.SI_TKILL, o);
        return 0;
    }

    /// <summary>group_send_sig_info: the whole process, through the task named (which signal_generate records).</summary>
    /// <summary>
    /// <see cref="GroupSendSigInfo"/> for a process the call reaches only if it is there (or in
    /// the group) still, which the model does not know: the signal is predicted, and judged if
    /// the capture shows it, but changes nothing here. The recorded signals say whether it came,
    /// and what one that came did (<see cref="FollowRecordedSignals"/>). A busy capture: a bash's
    /// kill of a job's group, with tasks whose group was not known maybe in it, took a namespace's
    /// shell for a member; its SIGTERM, at the default, began the shell's group exit in the model,
    /// which then said the shell's children's notices were dropped.
    /// </summary>
    private int MaybeSend(int sig, TaskStruct p, TaskStruct cur, Outcome o)
    {
        _maybeSending = true;
        try
        {
            return GroupSendSigInfo(sig, p, cur, o);
        }
        finally
        {
            _maybeSending = false;
        }
    }

    /// <summary>Set while <see cref="MaybeSend"/> predicts a signal that may not be sent: it is recorded in the outcome, with no effect.</summary>
    private bool _maybeSending;

    private int GroupSendSigInfo(int sig, TaskStruct p, TaskStruct cur, Outcome o)
    {
        if (!Sig.Valid(sig)) return -EINVAL;
        if (MayKill(cur, p, sig, o) is int refused) return refused;
        if (sig == 0) return 0;
        SendSignal(sig, p, group: true, SenderOutside(cur, p), Sig.SI_USER, o);
        return 0;
    }

    /// <summary>
    /// check_kill_permission past the signal's validity: null when the caller may signal the
    /// task, else -EPERM, or <see cref="UnknownAnswer"/> when its credentials do not say.
    /// </summary>
    private static int? MayKill(TaskStruct cur, TaskStruct p, int sig, Outcome o)
    {
        if (cur.Signal == p.Signal) return null;
        var mine = Leader(cur).Session;
        var theirs = Leader(p).Session;
        var sameSession = mine is null || theirs is null ? Tri.Unknown : mine == theirs ? Tri.Yes : Tri.No;
        switch (Creds.MayKill(cur.Cred, p.Cred, sig, sameSession))
        {
            case Tri.Yes: return null;
            case Tri.No: return -EPERM;
            default:
                o.Note ??= "whether the caller may signal the task is not known (its credentials, or the task's)";
                return UnknownAnswer;
        }
    }

    /// <summary>send_signal_locked's force: the sender has no number in the recipient's namespace (an ancestor namespace).</summary>
    private static Tri SenderOutside(TaskStruct sender, TaskStruct recipient)
    {
        if (!recipient.Placed || !sender.Placed) return Tri.Unknown;
        int nr = PidNrNs(sender, recipient.Ns);
        return nr == TaskStruct.UnknownNr ? Tri.Unknown : nr == 0 ? Tri.Yes : Tri.No;
    }

    /// <summary>PrepareSignal's answer when the recipient's queue, not its disposition, leaves the result open.</summary>
    private const int QueueUnknown = -2;

    /// <summary>PrepareSignal's answer when the recipient may be in a group exit the capture did not show (<see cref="SignalStruct.MaybeGroupExit"/>).</summary>
    private const int ExitUnknown = -3;

    /// <summary>PrepareSignal's answer when the recipient took a fatal signal at its default action and its group exit may not have begun yet (<see cref="SignalStruct.FatalTaken"/>).</summary>
    private const int FatalRace = -5;

    /// <summary>PrepareSignal's answer to a SIGCHLD whose recipient has a child the capture does not trace (<see cref="HearsUntraced"/>).</summary>
    private const int UntracedChildUnknown = -4;

    /// <summary>Predicts one signal_generate, records it, and applies its effects; returns the result, negative when not known.</summary>
    private int SendSignal(int sig, TaskStruct t, bool group, Tri force, int code, Outcome o, bool unordered = false)
    {
        int res = PrepareSignal(sig, t, group, force, unordered);
        int idx = o.Signals.Count;
        o.Signals.Add(new SignalOutcome(sig, t.Tid, res < 0 ? SignalResult.Delivered : (SignalResult)res, code));
        if (res < 0)
        {
            // Delivered, it may have been fatal: complete_signal would have begun the group's exit.
            if (res != QueueUnknown && res != UntracedChildUnknown && !Sig.KernelIgnore(sig) && !Sig.KernelStop(sig) && !_maybeSending) t.Signal!.MaybeDying = true;
            o.UnknownResults.Add(idx);
            o.Note ??= res == FatalRace ? "the recipient took a signal that kills it: whether its group exit had begun when this one came is not in the capture"
                : res == ExitUnknown ? "the recipient's leader had exited beside a live thread when the capture began: its group exit may have begun"
                : res == UntracedChildUnknown ? "whether the recipient already had SIGCHLD pending is not known: a child of its that the capture does not trace may have died unseen"
                : res != QueueUnknown ? "a recipient's disposition is not known"
                : unordered ? "whether the recipient already had this signal pending is not known: a sibling's exit notice may come first"
                : "whether the recipient still had this signal pending is not known: it may have been taken without a line (sigtimedwait, signalfd)";
        }
        else if (res == (int)SignalResult.Delivered && !_maybeSending)
        {
            CompleteSignal(sig, t, group, code);
        }
        return res;
    }

    /// <summary>
    /// prepare_signal and the queue check of __send_signal_locked: dropped by a dying process,
    /// a stop signal's SIGCONT and a SIGCONT's stop signals flushed, ignored (sig_ignored),
    /// already pending on the queue it goes to (legacy_queue), else delivered. A standard signal
    /// the model has on the queue is known to be there still only where the capture shows every
    /// way it could have left (<see cref="SignalStruct.QueueFollowed"/>: sigtimedwait and a
    /// signalfd take one without a signal_deliver line, a tracer may cancel one); elsewhere
    /// "already pending" is not predicted. An <paramref name="unordered"/> signal (an exit's
    /// SIGCHLD among siblings') may find one the capture places after it, so for a standard
    /// signal it is not known either. Not known: -1 for the disposition,
    /// <see cref="QueueUnknown"/> for the queue.
    /// </summary>
    private int PrepareSignal(int sig, TaskStruct t, bool group, Tri force, bool unordered)
    {
        var s = t.Signal!;
        if (s.GroupExit || s.Dead) return (int)SignalResult.Ignored;
        if (!_maybeSending) FlushStopOrContinue(sig, s);
        int ignored = SigIgnored(sig, t, force);
        if (ignored != 0) return ignored > 0 ? (int)SignalResult.Ignored : -1;
        // Dropped if the leader's exit was exit_group's, which the capture did not show.
        if (s.MaybeGroupExit) return ExitUnknown;
        if (s.FatalTaken) return FatalRace;
        if (sig == Sig.SIGCHLD && _untracedSeeded && HearsUntraced(s)) return UntracedChildUnknown;
        ulong bit = Sig.Bit(sig);
        ulong queue = group ? s.SharedPending : t.Pending;
        if (Sig.Legacy(sig) && ((queue & bit) != 0 || unordered))
        {
            ulong sure = group ? s.SharedSure : t.PendingSure;
            return !unordered && (sure & bit) != 0 && QueueFollowed(t) ? (int)SignalResult.AlreadyPending : QueueUnknown;
        }
        return (int)SignalResult.Delivered;
    }

    /// <summary>
    /// A child of the process's that the capture does not trace (a snapshot process of a capture
    /// of a command's descendants) may die with no line, and its SIGCHLD be pending unseen: a test
    /// host capturing its command while other tests' processes it had started ran; one of them
    /// ended, and the command's own SIGCHLD to the host found one already pending, where the
    /// model said delivered.
    /// </summary>
    private static bool HearsUntraced(SignalStruct s)
    {
        for (var th = s.FirstThread; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                if (c.Signal is { Untraced: true, Dead: false }) return true;
        return false;
    }

    /// <summary>
    /// prepare_signal before any check of the recipient: a stop signal takes a pending SIGCONT off
    /// every queue of the process, and SIGCONT takes every pending stop signal off (kernel/signal.c).
    /// </summary>
    private static void FlushStopOrContinue(int sig, SignalStruct s)
    {
        if (Sig.KernelStop(sig)) s.Flush(Sig.Bit(Sig.SIGCONT));
        else if (sig == Sig.SIGCONT) s.Flush(Sig.Bit(Sig.SIGSTOP) | Sig.Bit(Sig.SIGTSTP) | Sig.Bit(Sig.SIGTTIN) | Sig.Bit(Sig.SIGTTOU));
    }

    /// <summary>
    /// Whether a signal queued on the task now stays there until a line of the capture takes it:
    /// the process's dequeues are all in the capture, and no tracer may take it (ptrace_signal
    /// may cancel a signal with no signal_deliver line).
    /// </summary>
    private bool QueueFollowed(TaskStruct t) => t.Signal is { QueueFollowed: true } && !_options.Ptraced && IsTraced(t) == Tri.No;

    /// <summary>
    /// sig_ignored and sig_task_ignored: a tracer sees everything but SIGKILL; the global init
    /// never takes SIGKILL or SIGSTOP; a namespace init (SIGNAL_UNKILLABLE) ignores a default
    /// action unless SIGKILL/SIGSTOP come forced from an ancestor namespace or the kernel; else
    /// SIG_IGN, or SIG_DFL of a default-ignored signal. 1 ignored, 0 not, -1 not known.
    /// </summary>
    private int SigIgnored(int sig, TaskStruct t, Tri force)
    {
        if (_options.Ptraced && sig != Sig.SIGKILL) return 0;
        var traced = sig == Sig.SIGKILL ? Tri.No : IsTraced(t);
        if (traced == Tri.Yes) return 0;
        int ignored = SigTaskIgnored(sig, t, force);
        // Blocked, it is queued, not ignored: SIGKILL and SIGSTOP cannot be blocked.
        if (ignored != 0 && !Sig.KernelOnly(sig))
        {
            if (t.MaskKnown)
            {
                if ((t.Blocked & Sig.Bit(sig)) != 0) return 0;
            }
            // Not followed: blocked when the snapshot read it, it may be still.
            else if (t.MayBlockAll || (t.Blocked & Sig.Bit(sig)) != 0) return -1;
        }
        return ignored > 0 && traced == Tri.Unknown ? -1 : ignored;
    }

    /// <summary>t->ptrace as far as the capture shows it: a tracer that has exited has let its tracees go.</summary>
    private Tri IsTraced(TaskStruct t) =>
        t.Traced == Tri.No ? Tri.No
        : !_host.Idr.TryGetValue(t.TracerTid, out var tracer) || !tracer.Hashed || tracer.Exited ? Tri.No
        : t.Traced;

    /// <summary>sig_task_ignored: what the recipient's own state says, tracing aside.</summary>
    private int SigTaskIgnored(int sig, TaskStruct t, Tri force)
    {
        var s = t.Signal!;
        bool kernelOnly = Sig.KernelOnly(sig);
        var h = kernelOnly ? Disposition.Default : s.Action[sig];
        if (kernelOnly && s.Leader?.Tid == 1 && t.Ns.Level == 0) return 1;
        if (s.Unkillable)
        {
            if (kernelOnly) return force switch { Tri.Yes => 0, Tri.No => 1, _ => -1 };
            return h switch
            {
                Disposition.Default or Disposition.Ignore or Disposition.NotCaught => 1,
                Disposition.Catch => 0,
                _ => -1,
            };
        }
        bool defaultIgnores = Sig.KernelIgnore(sig);
        return h switch
        {
            Disposition.Ignore => 1,
            Disposition.Default => defaultIgnores ? 1 : 0,
            Disposition.Catch => 0,
            Disposition.NotCaught => defaultIgnores ? 1 : -1,
            Disposition.NotIgnored => defaultIgnores ? -1 : 0,
            _ => -1,
        };
    }

    /// <summary>
    /// The signal is queued; a fatal one (SIG_DFL, not ignored, not stopping) kills the whole
    /// group now (complete_signal). It is surely pending until a line takes it where the queue is
    /// followed, unless a POSIX timer sent it (SI_TIMER: deleting or resetting the timer takes it off).
    /// </summary>
    private void CompleteSignal(int sig, TaskStruct t, bool group, int code)
    {
        var s = t.Signal!;
        MarkPending(sig, t, group, sure: code != Sig.SI_TIMER);
        bool fatal = !Sig.KernelIgnore(sig) && !Sig.KernelStop(sig)
            && (sig == Sig.SIGKILL || (s.Action[sig] == Disposition.Default && !_options.Ptraced && IsTraced(t) == Tri.No));
        // complete_signal kills the group through a thread that takes the signal; one that
        // blocks it only queues it, and the process dies when a thread takes it (get_signal).
        if (!fatal || s.GroupExit || sig != Sig.SIGKILL && BlockedByAll(sig, t, group)) return;
        s.GroupExit = true;
        for (var th = s.FirstThread; th is not null; th = th.NextThread) th.Pending |= Sig.Bit(Sig.SIGKILL);
    }

    /// <summary>Every thread that could take the signal is known to block it: the task itself, or for a process-wide one every live thread.</summary>
    private static bool BlockedByAll(int sig, TaskStruct t, bool group)
    {
        ulong bit = Sig.Bit(sig);
        if (!group) return t.MaskKnown && (t.Blocked & bit) != 0;
        for (var th = t.Signal!.FirstThread; th is not null; th = th.NextThread)
            if (!th.Exited && !(th.MaskKnown && (th.Blocked & bit) != 0)) return false;
        return true;
    }

    /// <summary>
    /// A signal_generate no traced call explains: a child's SIGCHLD (checked against the parent
    /// the model keeps), a teardown's SIGKILL, or another kernel signal (only its result is checked).
    /// </summary>
    private void ApplySignal(Signal ev, Outcome o)
    {
        var r = ev.Record;
        if (!_host.Idr.TryGetValue(r.To, out var t) || !t.Hashed || t.Signal?.Leader is null)
        {
            Unknown(o, "the recipient was not known");
            FollowRecordedSignals([r], o, null);
            return;
        }
        _host.Idr.TryGetValue(ev.Tid, out var sender);
        // Only a task that has exited tells a parent of its own death. A live sender of an exit's
        // SIGCHLD is a tracer whose wait reaped a traced zombie: wait_task_zombie calls
        // do_notify_parent for the real parent in the tracer's context (kernel/exit.c; pair/tracefs:
        // `strace-23066 ... sig=17 code=1 comm=python3 pid=23078` between the tracer's wait4 enter
        // and its return of 23079). Its stop notices (CLD_TRAPPED..CLD_CONTINUED) come from
        // do_notify_parent_cldstop of a live task. Both are left to the general rule below.
        if (r.Sig == Sig.SIGCHLD && r.Code is >= Sig.CLD_EXITED and <= Sig.CLD_DUMPED && sender is { Exited: true, Signal: { } ss })
        {
            var leader = ss.Leader;
            ss.MarkNotifySeen();
            if (leader.Placed && leader.Ns.DyingInit == leader) EmptyDyingNamespace(leader.Ns, leader, o);
            if (ss.Notified)
            {
                // Predicted with the exit, where the model ran do_notify_parent; the line came on its own.
                if (ss.NotifyResult is >= 0 and < byte.MaxValue && leader.Parent is { } p0)
                    o.Signals.Add(new SignalOutcome(r.Sig, p0.Tid, (SignalResult)ss.NotifyResult, r.Code));
                else Unknown(o, "the notice's result was not known when the child died (disposition or queue)");
                FollowRecordedSignals([r], o, null);
                return;
            }
            if (leader.Parent is not { Hashed: true, Signal: not null })
            {
                Unknown(o, "the dead process's parent is not known");
                FollowRecordedSignals([r], o, sender);
                return;
            }
            SendSignal(Sig.SIGCHLD, leader.Parent, group: true, Tri.No, r.Code, o);
            FollowRecordedSignals([r], o, sender);
            return;
        }
        // A ptrace stop notice (CLD_TRAPPED): the sender is ptraced by its recipient. A group
        // stop's (CLD_STOPPED) may be a tracer's too (pair/tracefs: strace's child stops before
        // exec, then strace's SIGCONT to it is delivered, not ignored): it might be traced.
        // A stop's or a continue's notice: the sender's process has stopped.
        if (r.Sig == Sig.SIGCHLD && r.Code is Sig.CLD_STOPPED or Sig.CLD_CONTINUED && sender?.Signal is { } stopped) stopped.JobControlSeen = true;
        if (r.Sig == Sig.SIGCHLD && r.Code == Sig.CLD_TRAPPED && sender is { Exited: false })
        {
            // A tracer may have cancelled a signal the sender took: nothing of its queues is sure.
            sender.Signal?.DropSure();
            sender.Traced = Tri.Yes;
            sender.TracerTid = t.Tid;
            t.Signal.IsTracer = true;
        }
        else if (r.Sig == Sig.SIGCHLD && r.Code == Sig.CLD_STOPPED && sender is { Exited: false, Traced: Tri.No })
        {
            sender.Signal?.DropSure();
            sender.Traced = Tri.Unknown;
            sender.TracerTid = t.Tid;
        }
        var force = r.Code == Sig.SI_KERNEL ? Tri.Yes : sender is { Placed: true } ? SenderOutside(sender, t) : Tri.Unknown;
        SendSignal(r.Sig, t, r.Group, force, r.Code, o);
        FollowRecordedSignals([r], o, null);
    }

    /// <summary>
    /// Follows the recorded signals the model could not predict: the recipient's queue takes a
    /// delivered one, and the result tells what its disposition cannot be (MODELS.md: never a
    /// guess, but a recorded answer is a fact). A recorded SIGCHLD names a dead process's parent.
    /// </summary>
    private void FollowRecordedSignals(ReadOnlySpan<SignalRecord> records, Outcome o, TaskStruct? exiting)
    {
        foreach (var r in records)
        {
            if (Predicted(o, r)) continue;
            if (!_host.Idr.TryGetValue(r.To, out var t) || !t.Hashed || t.Signal?.Leader is null) continue;
            var s = t.Signal;
            if (exiting?.Signal is { } es && r.Sig == Sig.SIGCHLD && es.Leader.Parent is null && es.Leader.IsLeader)
            {
                AddChild(t, es.Leader);
                es.PlaceUnknown = true;
                // The notice's signal is the exit signal the fork gave it.
                if (es.Leader.ExitSignal == TaskStruct.UnknownExitSignal) es.Leader.ExitSignal = r.Sig;
            }
            if (!Sig.Valid(r.Sig) || r.Sig == 0) continue;
            if (!s.GroupExit && !s.Dead) FlushStopOrContinue(r.Sig, s);
            if (!_options.Ptraced && IsTraced(t) == Tri.No && !s.Unkillable && !s.GroupExit && !s.Dead && !Sig.KernelOnly(r.Sig))
                s.Action[r.Sig] = Learn(s.Action[r.Sig], r);
            if (r.Result == SignalResult.Delivered) CompleteSignal(r.Sig, t, r.Group, r.Code);
            // Found already pending: it is on the queue now, whatever the model had; not surely for
            // long, as what queued it is not known (a POSIX timer's signal may leave unseen).
            else if (r.Result == SignalResult.AlreadyPending && Sig.Legacy(r.Sig)) MarkPending(r.Sig, t, r.Group, sure: false);
        }
    }

    /// <summary>The signal is on the queue it went to: surely so where the queue is followed, unless <paramref name="sure"/> says it may leave unseen anyway.</summary>
    private void MarkPending(int sig, TaskStruct t, bool group, bool sure)
    {
        ulong bit = Sig.Bit(sig), certain = sure && QueueFollowed(t) ? bit : 0;
        var s = t.Signal!;
        if (group)
        {
            s.SharedPending |= bit;
            s.SharedSure |= certain;
        }
        else
        {
            t.Pending |= bit;
            t.PendingSure |= certain;
        }
    }

    private static bool Predicted(Outcome o, SignalRecord r)
    {
        for (int i = 0; i < o.Signals.Count; i++)
            if (o.Signals[i].To == r.To && o.Signals[i].Sig == r.Sig) return !o.UnknownResults.Contains(i) && !o.MaybeSent.Contains(i);
        return false;
    }

    /// <summary>What a recorded result says of a disposition the model did not know.</summary>
    private static Disposition Learn(Disposition d, SignalRecord r)
    {
        bool defaultIgnores = Sig.KernelIgnore(r.Sig);
        return r.Result switch
        {
            SignalResult.Delivered or SignalResult.AlreadyPending => defaultIgnores ? Disposition.Catch
                : d == Disposition.NotCaught ? Disposition.Default
                : d == Disposition.Unknown ? Disposition.NotIgnored : d,
            // A child's SIGCHLD is not sent at all to a parent that set SIG_IGN: it was SIG_DFL.
            SignalResult.Ignored => !defaultIgnores ? Disposition.Ignore
                : r.Sig == Sig.SIGCHLD && r.Code is >= Sig.CLD_EXITED and <= 6 ? Disposition.Default
                : d is Disposition.Unknown or Disposition.NotCaught ? Disposition.NotCaught : d,
            _ => d,
        };
    }

    /// <summary>The thread's blocked mask from here on, as the capture read it (the probe's SigMask).</summary>
    private void ApplySigMask(SigMask m, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (!_host.Idr.TryGetValue(m.Tid, out var t) || !t.Hashed || t.Exited) return;
        // SIGKILL and SIGSTOP are never blocked (sigprocmask drops them).
        t.Blocked = m.Blocked & ~(Sig.Bit(Sig.SIGKILL) | Sig.Bit(Sig.SIGSTOP));
        t.MaskKnown = true;
        t.MayBlockAll = false;
    }

    /// <summary>
    /// rt_sigtimedwait entered, or a signalfd made: from here the process may take its signals
    /// with no line, so none of its queues is sure again (a signalfd for good: its descriptor
    /// stays, and children inherit it).
    /// </summary>
    private void ApplySigWait(SigWait w, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (!_host.Idr.TryGetValue(w.Tid, out var t) || !t.Hashed || t.Signal?.Leader is null) return;
        var s = t.Signal;
        if (w.Call == SigWaitCall.TimedWait) s.TimedWaited = true;
        else s.DequeuesSeen = false;
        s.DropSure();
    }

    /// <summary>do_group_exit begun, its Exit placed later: SIGNAL_GROUP_EXIT, and prepare_signal drops what comes from here on.</summary>
    private void ApplyExiting(PidEvent ev, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (_host.Idr.TryGetValue(ev.Tid, out var t) && t.Hashed && t.Signal?.Leader is not null) t.Signal.GroupExit = true;
    }

    /// <summary>signal_deliver: the signal left the queue; its handler (when shown) is a fact.</summary>
    private void ApplyDeliver(Deliver d, Outcome o)
    {
        o.Verdict = Verdict.NotApplicable;
        if (!_host.Idr.TryGetValue(d.Tid, out var t) || !t.Hashed || t.Signal?.Leader is null || !Sig.Valid(d.Sig) || d.Sig == 0) return;
        var s = t.Signal;
        t.MayBlockAll = false;
        // dequeue_signal takes the thread's own queue first, then the process's. Taken from the
        // thread's when it was surely there; when it only may have been, the shared one may have
        // given it: that one is no longer sure.
        ulong bit = Sig.Bit(d.Sig);
        if ((t.Pending & bit) != 0)
        {
            if ((t.PendingSure & bit) == 0) s.SharedSure &= ~bit;
            t.Pending &= ~bit;
            t.PendingSure &= ~bit;
        }
        else
        {
            s.SharedPending &= ~bit;
            s.SharedSure &= ~bit;
        }
        if (d.Sig == Sig.SIGCHLD)
        {
            // A SIGCHLD a notice the capture placed queued may be the one taken: then it shows
            // nothing of a notice not seen yet.
            if (!s.SeenNoticePending) SeeOnlyNotice(s);
            s.SeenNoticePending = false;
            s.SigchldTaken++;
        }
        // A stop signal taken at its default action stops the process (do_signal_stop).
        if (Sig.KernelStop(d.Sig) && d.Handler is Handler.Default or Handler.Unknown) s.JobControlSeen = true;
        // A fatal default action is reported as SIGKILL with handler 0 (NOTES.md): it says nothing of the real signal's handler.
        if (d.Sig == Sig.SIGKILL)
        {
            s.GroupExit = true;
            return;
        }
        // get_signal of a group exiting takes only SIGKILL: this one was not.
        s.MaybeDying = s.MaybeGroupExit = s.FatalTaken = false;
        if (d.Handler == Handler.Unknown) return;
        if (d.Handler == Handler.Default && !Sig.KernelIgnore(d.Sig) && !Sig.KernelStop(d.Sig))
        {
            // get_signal: a signal taken at a default action that kills ends in do_group_exit,
            // which sets SIGNAL_GROUP_EXIT; prepare_signal drops what comes after. An init of its
            // namespace (SIGNAL_UNKILLABLE) discards the signal instead. Between the two, the
            // siglock is let go: two busy captures each had a perl that set SIGALRM back to its
            // default with its interval timer running and took one; the tick's next SIGALRM came
            // 33 us after the one and 36 us after the other, before either's exit, and was
            // dropped once and delivered once (FatalTaken).
            s.FatalTaken = !t.Placed || !s.Unkillable;
        }
        s.Action[d.Sig] = FromHandler(d.Handler);
        // The action's flags, when the capture shows them (signal_deliver): whether children are reaped at once.
        if (d.Sig == Sig.SIGCHLD && d.SaFlags is { } flags) s.NoCldWait = (flags & Sig.SA_NOCLDWAIT) != 0 ? Tri.Yes : Tri.No;
    }

    /// <summary>A SIGCHLD taken when exactly one dead child's notice was unseen: that child is a zombie now.</summary>
    private static void SeeOnlyNotice(SignalStruct parent)
    {
        int unseen = 0;
        for (var th = parent.FirstThread; th is not null; th = th.NextThread) unseen += th.UnseenChildren;
        Debug.Assert(unseen == UnseenOnLists(parent), "the threads' counts of unseen notices agree with their children lists");
        // The counts are exact (asserted above): with two or more unseen, which one the SIGCHLD
        // was for cannot be told, and the lists need no walk. With one, it is the one a thread
        // saw become unseen last, when that one is still unseen on that thread's list; else the
        // walk finds it and stops there.
        if (unseen != 1) return;
        for (var th = parent.FirstThread; th is not null; th = th.NextThread)
            if (th.LastUnseen is { UnseenNotice: true, Leader: { } leader } last && leader.Parent == th && leader.OnParentsList)
            {
                if (MayBeItsSignal(parent, last)) last.MarkNotifySeen();
                return;
            }
        for (var th = parent.FirstThread; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                if (c.Signal is { UnseenNotice: true } only)
                {
                    if (MayBeItsSignal(parent, only)) only.MarkNotifySeen();
                    return;
                }
    }

    /// <summary>
    /// Whether the SIGCHLD the parent takes now can be the one notice unseen: not when that notice
    /// was sent while an earlier SIGCHLD was pending and this is the first taken since (the earlier
    /// one; fresh/pgkill.capture: a child's CLD_KILLED notice came 44 us after its parent took the
    /// CLD_EXITED of another, and a WNOHANG wait between them found nothing).
    /// </summary>
    private static bool MayBeItsSignal(SignalStruct parent, SignalStruct notice) =>
        !notice.NoticeBehindPending || parent.SigchldTaken > notice.NoticeEpoch;

    /// <summary>The children of the process's threads whose notice is unseen, counted on the lists themselves.</summary>
    private static int UnseenOnLists(SignalStruct parent)
    {
        int n = 0;
        for (var th = parent.FirstThread; th is not null; th = th.NextThread)
            for (var c = th.FirstChild; c is not null; c = c.NextSibling)
                if (c.Signal is { UnseenNotice: true }) n++;
        return n;
    }

    private static Disposition FromHandler(Handler h) => h switch
    {
        Handler.Default => Disposition.Default,
        Handler.Ignore => Disposition.Ignore,
        Handler.Catch => Disposition.Catch,
        _ => Disposition.Unknown,
    };

    /// <summary>
    /// rt_sigaction with a new action (the only kind readers emit): do_sigaction refuses a signal
    /// out of 1..64, and SIGKILL or SIGSTOP, with EINVAL, and takes any other (kernel/signal.c);
    /// the sigsetsize check before it passes for every libc, which gives sizeof(sigset_t). The
    /// new action is kept when the capture shows it (strace), else only that it changed.
    /// </summary>
    private void ApplySigAction(SigAction a, Outcome o)
    {
        bool refused = a.Sig is < 1 or > Sig.NSIG || Sig.KernelOnly(a.Sig);
        o.Return(refused ? -EINVAL : 0);
        if (a.Ret is < 0 || refused) return;
        if (!_host.Idr.TryGetValue(a.Tid, out var t) || !t.Hashed || t.Signal?.Leader is null) return;
        var s = t.Signal;
        s.Action[a.Sig] = FromHandler(a.Handler);
        // do_sigaction: an action that ignores the signal takes it off every queue of the
        // process; one the capture did not show may have.
        ulong bit = Sig.Bit(a.Sig);
        if (a.Handler == Handler.Ignore || a.Handler == Handler.Default && Sig.KernelIgnore(a.Sig)) s.Flush(bit);
        else if (a.Handler == Handler.Unknown) s.DropSure(bit);
        if (a.Sig == Sig.SIGCHLD)
            s.NoCldWait = a.Handler == Handler.Unknown ? Tri.Unknown : (a.SaFlags & Sig.SA_NOCLDWAIT) != 0 ? Tri.Yes : Tri.No;
    }
}
