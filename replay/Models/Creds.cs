using Replayer.Ingest.Events;

namespace Replayer.Replay.Models;

/// <summary>Yes, no, or not shown by the capture.</summary>
internal enum Tri : byte { Unknown, No, Yes }

/// <summary>
/// What of a task's credentials a kill's permission check reads (kernel/signal.c,
/// check_kill_permission and kill_ok_by_cred), and how the calls a capture shows change them
/// (kernel/sys.c, the setuid family; security/commoncap.c, cap_emulate_setxuid and
/// cap_bprm_creds_from_file). Both designs check a kill the same way, so both models keep one
/// per task.
///
/// Of the capability sets only two capabilities matter here, CAP_KILL and CAP_SETUID (which
/// branch setuid takes); each set keeps those two bits. A task the capture shows no credentials
/// for (captures made before they were recorded, a task first seen without /proc data, synthetic
/// workloads) is root with every capability, the assumption the models made before credentials
/// were captured.
///
/// Assumed, because the capture does not show it: an exec'd file that `replayer capture` did not
/// look up (captures made before it did, strace and perf captures, a relative name) is neither
/// set-user-ID nor file-capable; the securebits a task had before the capture began are the
/// default. Not known, and so left unknown: capabilities after capset (its sets are behind a
/// pointer) until the next exec, after an exec of a file with file capabilities, and after setuid
/// or exec once the securebits changed; uids a task in another user namespace passes (they are
/// that namespace's).
/// </summary>
internal struct Creds
{
    /// <summary>A uid the capture has not shown.</summary>
    public const int UnknownUid = -1;

    /// <summary>The two capabilities kept, as bits of a set.</summary>
    public const byte Kill = 1, SetUid = 2;
    private const int CapKillBit = 5, CapSetUidBit = 7;

    public int Ruid, Euid, Suid;

    /// <summary>Permitted, effective, bounding and ambient sets, of <see cref="Kill"/> and <see cref="SetUid"/>.</summary>
    public byte Prm, Eff, Bnd, Amb;

    /// <summary>The sets are not known (capset, or a change to them the rules below cannot follow).</summary>
    public bool CapsUnknown;

    /// <summary>
    /// What setuid and exec do to the sets is not known: the securebits changed, a capset may have
    /// shrunk a non-empty ambient set, or the snapshot showed no sets.
    /// </summary>
    public bool RulesUnknown;

    /// <summary>The task's user namespace is not the capture's: its capabilities count there only.</summary>
    public bool Foreign;

    /// <summary>no_new_privs: exec gives no set-user-ID uid nor file capability (inherited, never cleared).</summary>
    public bool NoNewPrivs;

    /// <summary>CAP_KILL over every task: no target's credentials need reading.</summary>
    public readonly bool KillsAny => !Foreign && !CapsUnknown && (Eff & Kill) != 0;

    public static Creds Root => new() { Prm = Kill | SetUid, Eff = Kill | SetUid, Bnd = Kill | SetUid };

    public static Creds FromSnapshot(TaskSnapshot s)
    {
        if (s.Uids is not { Length: 3 } u) return Root;
        var c = new Creds { Ruid = u[0], Euid = u[1], Suid = u[2], Foreign = s.ForeignUserNs, NoNewPrivs = s.NoNewPrivs };
        if (s.CapPrm is { } prm && s.CapEff is { } eff && s.CapBnd is { } bnd && s.CapAmb is { } amb)
        {
            (c.Prm, c.Eff, c.Bnd, c.Amb) = (Pick(prm), Pick(eff), Pick(bnd), Pick(amb));
        }
        else c.CapsUnknown = c.RulesUnknown = true;
        return c;
    }

    private static byte Pick(ulong set) =>
        (byte)((((set >> CapKillBit) & 1) != 0 ? Kill : 0) | (((set >> CapSetUidBit) & 1) != 0 ? SetUid : 0));

    /// <summary>
    /// kill_ok_by_cred, then check_kill_permission's SIGCONT exception (a task of the caller's
    /// session); a caller of the target's own process never needs them.
    /// </summary>
    public static Tri MayKill(in Creds cur, in Creds t, int sig, Tri sameSession)
    {
        bool open = false;
        if (Same(cur.Euid, t.Suid, ref open) || Same(cur.Euid, t.Ruid, ref open)
            || Same(cur.Ruid, t.Suid, ref open) || Same(cur.Ruid, t.Ruid, ref open))
            return Tri.Yes;
        var capable = Capable(cur, t);
        if (capable == Tri.Yes) return Tri.Yes;
        if (sig == 18 /* SIGCONT */)
        {
            if (sameSession == Tri.Yes) return Tri.Yes;
            if (sameSession == Tri.Unknown) open = true;
        }
        return open || capable == Tri.Unknown ? Tri.Unknown : Tri.No;
    }

    private static bool Same(int a, int b, ref bool open)
    {
        if (a == UnknownUid || b == UnknownUid)
        {
            open = true;
            return false;
        }
        return a == b;
    }

    /// <summary>
    /// ns_capable(target's user namespace, CAP_KILL). From the capture's namespace, the effective
    /// set decides for every target (every namespace descends from it, and a task's own namespace
    /// is the capture's or another); from another, a target of the capture's namespace is out of
    /// reach, and one of another namespace may be in the caller's (or owned by it): not known.
    /// </summary>
    private static Tri Capable(in Creds cur, in Creds t)
    {
        if (cur.Foreign) return t.Foreign ? Tri.Unknown : Tri.No;
        if (cur.CapsUnknown) return Tri.Unknown;
        if ((cur.Eff & Kill) != 0) return Tri.Yes;
        // cap_capable: the owner of a namespace the target's descends from has every capability there.
        return t.Foreign ? Tri.Unknown : Tri.No;
    }

    /// <summary>
    /// A setcred or capability prctl as the trace answered it: a success changes the credentials,
    /// a failure nothing, and a call whose answer the capture lost leaves them not known.
    /// </summary>
    public void Follow(PidEvent call)
    {
        if (call.Ret is < 0) return;
        if (call.Ret is null) Forget();
        else if (call is SetCred c) Apply(c);
        else if (call is Ingest.Events.Prctl { Ret: 0 } p && Ingest.Events.Prctl.ChangesCapabilities(p.Option, p.Arg2)) Prctl(p.Option, p.Arg2, p.Arg3);
    }

    /// <summary>
    /// A successful setuid, setreuid or setresuid (kernel/sys.c), then cap_emulate_setxuid. A
    /// capset leaves the sets unknown until an exec gives them again.
    /// </summary>
    public void Apply(SetCred ev)
    {
        if (ev.Call == CredCall.Capset)
        {
            // The ambient set only shrinks with the new permitted and inheritable ones: still
            // empty of these bits if it was, else no longer known.
            CapsUnknown = true;
            if (Amb != 0) RulesUnknown = true;
            return;
        }
        var old = this;
        if (Foreign)
        {
            // The uids passed are the namespace's: which kuids they map to is not in the capture.
            Ruid = Euid = Suid = UnknownUid;
            CapsUnknown = true;
            return;
        }
        switch (ev.Call)
        {
            case CredCall.SetUid:
                // __sys_setuid: with CAP_SETUID all three, else only the effective uid (the call
                // succeeded, so the uid was the real or the saved one).
                if (!CapsUnknown && (Eff & SetUid) != 0) Ruid = Euid = Suid = ev.Euid;
                else if (!CapsUnknown || (Ruid == ev.Euid && Suid == ev.Euid)) Euid = ev.Euid;
                else Ruid = Euid = Suid = UnknownUid; // which branch it took is not known
                break;
            case CredCall.SetReUid:
                // __sys_setreuid: the saved uid follows the new effective one when the real uid was
                // set, or the effective one set to other than the old real uid.
                if (ev.Ruid != -1) Ruid = ev.Ruid;
                if (ev.Euid != -1) Euid = ev.Euid;
                Tri follows = ev.Ruid != -1 ? Tri.Yes : ev.Euid == -1 ? Tri.No
                    : old.Ruid == UnknownUid ? Tri.Unknown : ev.Euid != old.Ruid ? Tri.Yes : Tri.No;
                if (follows == Tri.Yes) Suid = Euid;
                else if (follows == Tri.Unknown && Suid != Euid) Suid = UnknownUid;
                break;
            case CredCall.SetResUid:
                if (ev.Ruid != -1) Ruid = ev.Ruid;
                if (ev.Euid != -1) Euid = ev.Euid;
                if (ev.Suid != -1) Suid = ev.Suid;
                break;
        }
        FixUp(old);
    }

    /// <summary>cap_emulate_setxuid: leaving root empties the sets, an effective uid leaving 0 empties the effective set, one becoming 0 fills it from the permitted.</summary>
    private void FixUp(in Creds old)
    {
        if (CapsUnknown) return;
        if (RulesUnknown || old.Ruid == UnknownUid || old.Euid == UnknownUid || old.Suid == UnknownUid
            || Ruid == UnknownUid || Euid == UnknownUid || Suid == UnknownUid)
        {
            CapsUnknown = true;
            return;
        }
        if ((old.Ruid == 0 || old.Euid == 0 || old.Suid == 0) && Ruid != 0 && Euid != 0 && Suid != 0)
        {
            // PR_SET_KEEPCAPS (not traced) would keep the permitted set; the effective one goes either way.
            Prm = Eff = Amb = 0;
        }
        if (old.Euid == 0 && Euid != 0) Eff = 0;
        if (old.Euid != 0 && Euid == 0) Eff = Prm;
    }

    public readonly void Write(BinaryWriter w)
    {
        w.Write(Ruid); w.Write(Euid); w.Write(Suid);
        w.Write(Prm); w.Write(Eff); w.Write(Bnd); w.Write(Amb);
        w.Write((byte)((CapsUnknown ? 1 : 0) | (RulesUnknown ? 2 : 0) | (Foreign ? 4 : 0) | (NoNewPrivs ? 8 : 0)));
    }

    public static Creds Read(BinaryReader r)
    {
        var c = new Creds { Ruid = r.ReadInt32(), Euid = r.ReadInt32(), Suid = r.ReadInt32() };
        (c.Prm, c.Eff, c.Bnd, c.Amb) = (r.ReadByte(), r.ReadByte(), r.ReadByte(), r.ReadByte());
        int flags = r.ReadByte();
        (c.CapsUnknown, c.RulesUnknown, c.Foreign, c.NoNewPrivs) = ((flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0);
        return c;
    }

    /// <summary>A call whose answer the capture lost: whether it changed anything is not known.</summary>
    private void Forget()
    {
        Ruid = Euid = Suid = UnknownUid;
        CapsUnknown = true;
    }

    /// <summary>
    /// A successful prctl on the capability sets (kernel/sys.c, security/commoncap.c
    /// cap_task_prctl): PR_CAPBSET_DROP and PR_CAP_AMBIENT change the bit they name;
    /// PR_SET_SECUREBITS with NOROOT, NO_SETUID_FIXUP or KEEP_CAPS changes what setuid and exec
    /// do to the sets, which is not followed from then on.
    /// </summary>
    public void Prctl(int option, ulong arg2, ulong arg3)
    {
        switch (option)
        {
            case Ingest.Events.Prctl.CapBsetDrop:
                Bnd &= (byte)~Bit(arg2);
                break;
            case Ingest.Events.Prctl.SetSecureBits:
                if ((arg2 & 0x15) != 0) RulesUnknown = true;
                break;
            case Ingest.Events.Prctl.SetNoNewPrivs:
                NoNewPrivs = true;
                break;
            case Ingest.Events.Prctl.CapAmbient:
                if (arg2 == Ingest.Events.Prctl.AmbientClearAll) Amb = 0;
                else if (arg2 == Ingest.Events.Prctl.AmbientLower) Amb &= (byte)~Bit(arg3);
                else if (arg2 == Ingest.Events.Prctl.AmbientRaise) Amb |= Bit(arg3); // it succeeded: the bit was permitted and inheritable
                break;
        }
    }

    private static byte Bit(ulong cap) => cap switch { CapKillBit => Kill, CapSetUidBit => SetUid, _ => 0 };

    /// <summary>copy_creds: a child's credentials are its parent's, in a new user namespace with CLONE_NEWUSER.</summary>
    public readonly Creds ForChild(ulong cloneFlags)
    {
        var child = this;
        if ((cloneFlags & CloneFlags.NewUser) != 0) child.EnterNewUserNs();
        return child;
    }

    /// <summary>
    /// A new user namespace (clone or unshare with CLONE_NEWUSER): every capability there, none
    /// in the capture's namespace; the uids stay (unshare keeps the kuids).
    /// </summary>
    public void EnterNewUserNs()
    {
        Foreign = true;
        Prm = Eff = Kill | SetUid;
    }

    /// <summary>
    /// bprm_fill_uid and cap_bprm_creds_from_file: a set-user-ID file gives its owner as the
    /// effective uid (and empties the ambient set), unless no_new_privs; the saved uid becomes
    /// the effective one; root (real or effective) gets the bounding set, effective only with an
    /// effective uid of 0; any other gets its ambient set. File capabilities are not recorded:
    /// the sets are then unknown. A file the capture did not look at is taken to be neither.
    /// </summary>
    public void Exec(ExecFile file = ExecFile.Unknown, int fileUid = 0)
    {
        if (NoNewPrivs) file = ExecFile.Plain;
        if (file == ExecFile.Unreadable)
        {
            // Set-user-ID or not, file capabilities or not: the capture could not tell.
            Euid = Suid = UnknownUid;
            CapsUnknown = true;
            return;
        }
        if (file == ExecFile.SetUid)
        {
            Euid = fileUid;
            Amb = 0;
        }
        Suid = Euid;
        if (file == ExecFile.FileCaps)
        {
            CapsUnknown = true;
            return;
        }
        if (RulesUnknown || Ruid == UnknownUid || Euid == UnknownUid)
        {
            CapsUnknown = true;
            return;
        }
        CapsUnknown = false;
        if (Euid == 0 || Ruid == 0)
        {
            Prm = Bnd;
            Eff = Euid == 0 ? Prm : (byte)0;
        }
        else Prm = Eff = Amb;
    }
}
