namespace Replayer.Ingest.Formats.Strace;

/// <summary>
/// The symbolic names strace prints, mapped to the kernel's numbers (x86_64): signals, errnos, and the
/// flag words of clone, unshare/setns, wait4/waitid and sigaction. Lookups take the bytes of the line
/// and allocate nothing.
/// </summary>
/// <summary>The syscalls that carry pid activity; the lower-case name is the syscall's name.</summary>
internal enum StraceCall : byte
{
    Other,
    Clone, Clone3, Fork, VFork, Execve, Exit, Exit_Group, Wait4, Waitid, SetPgid, SetSid,
    GetPid, GetPpid, GetPgid, GetPgrp, GetSid, GetTid, Kill, Tkill, Tgkill, Unshare, SetNs, Rt_Sigaction, Prctl,
    SetUid, SetReUid, SetResUid, Capset,
}

internal static class StraceNames
{
    private const int LongestName = 48;

    /// <summary>Signal numbers by name, as strace prints them (SIGRTMIN is 32 for the kernel, SIGRT_n is 32+n).</summary>
    private static readonly Dictionary<string, long> Signals = BuildSignals();

    /// <summary>Errno numbers by name, from the kernel's errno-base.h and errno.h, plus the kernel-internal restarts.</summary>
    private static readonly Dictionary<string, long> Errnos = new(StringComparer.Ordinal)
    {
        ["EPERM"] = 1, ["ENOENT"] = 2, ["ESRCH"] = 3, ["EINTR"] = 4, ["EIO"] = 5, ["ENXIO"] = 6, ["E2BIG"] = 7,
        ["ENOEXEC"] = 8, ["EBADF"] = 9, ["ECHILD"] = 10, ["EAGAIN"] = 11, ["ENOMEM"] = 12, ["EACCES"] = 13,
        ["EFAULT"] = 14, ["ENOTBLK"] = 15, ["EBUSY"] = 16, ["EEXIST"] = 17, ["EXDEV"] = 18, ["ENODEV"] = 19,
        ["ENOTDIR"] = 20, ["EISDIR"] = 21, ["EINVAL"] = 22, ["ENFILE"] = 23, ["EMFILE"] = 24, ["ENOTTY"] = 25,
        ["ETXTBSY"] = 26, ["EFBIG"] = 27, ["ENOSPC"] = 28, ["ESPIPE"] = 29, ["EROFS"] = 30, ["EMLINK"] = 31,
        ["EPIPE"] = 32, ["EDOM"] = 33, ["ERANGE"] = 34, ["EDEADLOCK"] = 35, ["ENAMETOOLONG"] = 36, ["ENOLCK"] = 37,
        ["ENOSYS"] = 38, ["ENOTEMPTY"] = 39, ["ELOOP"] = 40, ["ENOMSG"] = 42, ["EIDRM"] = 43, ["ECHRNG"] = 44,
        ["EL2NSYNC"] = 45, ["EL3HLT"] = 46, ["EL3RST"] = 47, ["ELNRNG"] = 48, ["EUNATCH"] = 49, ["ENOCSI"] = 50,
        ["EL2HLT"] = 51, ["EBADE"] = 52, ["EBADR"] = 53, ["EXFULL"] = 54, ["ENOANO"] = 55, ["EBADRQC"] = 56,
        ["EBADSLT"] = 57, ["EBFONT"] = 59, ["ENOSTR"] = 60, ["ENODATA"] = 61, ["ETIME"] = 62, ["ENOSR"] = 63,
        ["ENONET"] = 64, ["ENOPKG"] = 65, ["EREMOTE"] = 66, ["ENOLINK"] = 67, ["EADV"] = 68, ["ESRMNT"] = 69,
        ["ECOMM"] = 70, ["EPROTO"] = 71, ["EMULTIHOP"] = 72, ["EDOTDOT"] = 73, ["EBADMSG"] = 74, ["EOVERFLOW"] = 75,
        ["ENOTUNIQ"] = 76, ["EBADFD"] = 77, ["EREMCHG"] = 78, ["ELIBACC"] = 79, ["ELIBBAD"] = 80, ["ELIBSCN"] = 81,
        ["ELIBMAX"] = 82, ["ELIBEXEC"] = 83, ["EILSEQ"] = 84, ["ERESTART"] = 85, ["ESTRPIPE"] = 86, ["EUSERS"] = 87,
        ["ENOTSOCK"] = 88, ["EDESTADDRREQ"] = 89, ["EMSGSIZE"] = 90, ["EPROTOTYPE"] = 91, ["ENOPROTOOPT"] = 92,
        ["EPROTONOSUPPORT"] = 93, ["ESOCKTNOSUPPORT"] = 94, ["ENOTSUP"] = 95, ["EPFNOSUPPORT"] = 96,
        ["EAFNOSUPPORT"] = 97, ["EADDRINUSE"] = 98, ["EADDRNOTAVAIL"] = 99, ["ENETDOWN"] = 100,
        ["ENETUNREACH"] = 101, ["ENETRESET"] = 102, ["ECONNABORTED"] = 103, ["ECONNRESET"] = 104, ["ENOBUFS"] = 105,
        ["EISCONN"] = 106, ["ENOTCONN"] = 107, ["ESHUTDOWN"] = 108, ["ETOOMANYREFS"] = 109, ["ETIMEDOUT"] = 110,
        ["ECONNREFUSED"] = 111, ["EHOSTDOWN"] = 112, ["EHOSTUNREACH"] = 113, ["EALREADY"] = 114,
        ["EINPROGRESS"] = 115, ["ESTALE"] = 116, ["EUCLEAN"] = 117, ["ENOTNAM"] = 118, ["ENAVAIL"] = 119,
        ["EISNAM"] = 120, ["EREMOTEIO"] = 121, ["EDQUOT"] = 122, ["ENOMEDIUM"] = 123, ["EMEDIUMTYPE"] = 124,
        ["ECANCELED"] = 125, ["ENOKEY"] = 126, ["EKEYEXPIRED"] = 127, ["EKEYREVOKED"] = 128, ["EKEYREJECTED"] = 129,
        ["EOWNERDEAD"] = 130, ["ENOTRECOVERABLE"] = 131, ["ERFKILL"] = 132, ["EDEADLK"] = 35, ["EOPNOTSUPP"] = 95,
        ["EWOULDBLOCK"] = 11, ["EHWPOISON"] = 133,
        // include/linux/errno.h: never returned to userspace; strace shows them as "= ? ERESTARTSYS".
        ["ERESTARTSYS"] = 512, ["ERESTARTNOINTR"] = 513, ["ERESTARTNOHAND"] = 514, ["ENOIOCTLCMD"] = 515,
        ["ERESTART_RESTARTBLOCK"] = 516,
    };

    /// <summary>include/uapi/linux/sched.h, as clone, clone3, unshare and setns print them.</summary>
    private static readonly Dictionary<string, long> CloneFlagNames = new(StringComparer.Ordinal)
    {
        ["CLONE_NEWTIME"] = 0x80, ["CLONE_VM"] = 0x100, ["CLONE_FS"] = 0x200, ["CLONE_FILES"] = 0x400,
        ["CLONE_SIGHAND"] = 0x800, ["CLONE_PIDFD"] = 0x1000, ["CLONE_PTRACE"] = 0x2000, ["CLONE_VFORK"] = 0x4000,
        ["CLONE_PARENT"] = 0x8000, ["CLONE_THREAD"] = 0x10000, ["CLONE_NEWNS"] = 0x20000, ["CLONE_SYSVSEM"] = 0x40000,
        ["CLONE_SETTLS"] = 0x80000, ["CLONE_PARENT_SETTID"] = 0x100000, ["CLONE_CHILD_CLEARTID"] = 0x200000,
        ["CLONE_DETACHED"] = 0x400000, ["CLONE_UNTRACED"] = 0x800000, ["CLONE_CHILD_SETTID"] = 0x1000000,
        ["CLONE_NEWCGROUP"] = 0x2000000, ["CLONE_NEWUTS"] = 0x4000000, ["CLONE_NEWIPC"] = 0x8000000,
        ["CLONE_NEWUSER"] = 0x10000000, ["CLONE_NEWPID"] = 0x20000000, ["CLONE_NEWNET"] = 0x40000000,
        ["CLONE_IO"] = 0x80000000, ["CLONE_CLEAR_SIGHAND"] = 0x100000000, ["CLONE_INTO_CGROUP"] = 0x200000000,
    };

    /// <summary>include/uapi/linux/wait.h: wait4's and waitid's options.</summary>
    private static readonly Dictionary<string, long> WaitOptionNames = new(StringComparer.Ordinal)
    {
        ["WNOHANG"] = 1, ["WUNTRACED"] = 2, ["WSTOPPED"] = 2, ["WEXITED"] = 4, ["WCONTINUED"] = 8,
        ["WNOWAIT"] = 0x1000000, ["__WNOTHREAD"] = 0x20000000, ["__WALL"] = 0x40000000, ["__WCLONE"] = 0x80000000,
    };

    /// <summary>arch/x86/include/uapi/asm/signal.h: sa_flags.</summary>
    private static readonly Dictionary<string, long> SaFlagNames = new(StringComparer.Ordinal)
    {
        ["SA_NOCLDSTOP"] = 1, ["SA_NOCLDWAIT"] = 2, ["SA_SIGINFO"] = 4, ["SA_UNSUPPORTED"] = 0x400,
        ["SA_EXPOSE_TAGBITS"] = 0x800, ["SA_RESTORER"] = 0x04000000, ["SA_ONSTACK"] = 0x08000000,
        ["SA_RESTART"] = 0x10000000, ["SA_NODEFER"] = 0x40000000, ["SA_NOMASK"] = 0x40000000,
        ["SA_RESETHAND"] = 0x80000000, ["SA_ONESHOT"] = 0x80000000,
    };

    /// <summary>The calls this reader turns into events; every other name is read and passed over.</summary>
    private static readonly Dictionary<string, long> Calls = Enum.GetValues<StraceCall>()
        .Where(c => c != StraceCall.Other)
        .ToDictionary(c => c.ToString().ToLowerInvariant(), c => (long)c, StringComparer.Ordinal);

    private static readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> CallLookup = Calls.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> SignalLookup = Signals.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> ErrnoLookup = Errnos.GetAlternateLookup<ReadOnlySpan<char>>();
    /// <summary>
    /// What strace names prctl's capability arguments by: PR_CAP_AMBIENT's operations
    /// (include/uapi/linux/prctl.h), the capabilities (include/uapi/linux/capability.h), the
    /// securebits (include/uapi/linux/securebits.h).
    /// </summary>
    private static readonly Dictionary<string, long> CapabilityWords = new(StringComparer.Ordinal)
    {
        ["PR_CAP_AMBIENT_IS_SET"] = 1, ["PR_CAP_AMBIENT_RAISE"] = 2, ["PR_CAP_AMBIENT_LOWER"] = 3, ["PR_CAP_AMBIENT_CLEAR_ALL"] = 4,
        ["CAP_CHOWN"] = 0, ["CAP_DAC_OVERRIDE"] = 1, ["CAP_DAC_READ_SEARCH"] = 2, ["CAP_FOWNER"] = 3,
        ["CAP_FSETID"] = 4, ["CAP_KILL"] = 5, ["CAP_SETGID"] = 6, ["CAP_SETUID"] = 7, ["CAP_SETPCAP"] = 8,
        ["CAP_LINUX_IMMUTABLE"] = 9, ["CAP_NET_BIND_SERVICE"] = 10, ["CAP_NET_BROADCAST"] = 11,
        ["CAP_NET_ADMIN"] = 12, ["CAP_NET_RAW"] = 13, ["CAP_IPC_LOCK"] = 14, ["CAP_IPC_OWNER"] = 15,
        ["CAP_SYS_MODULE"] = 16, ["CAP_SYS_RAWIO"] = 17, ["CAP_SYS_CHROOT"] = 18, ["CAP_SYS_PTRACE"] = 19,
        ["CAP_SYS_PACCT"] = 20, ["CAP_SYS_ADMIN"] = 21, ["CAP_SYS_BOOT"] = 22, ["CAP_SYS_NICE"] = 23,
        ["CAP_SYS_RESOURCE"] = 24, ["CAP_SYS_TIME"] = 25, ["CAP_SYS_TTY_CONFIG"] = 26, ["CAP_MKNOD"] = 27,
        ["CAP_LEASE"] = 28, ["CAP_AUDIT_WRITE"] = 29, ["CAP_AUDIT_CONTROL"] = 30, ["CAP_SETFCAP"] = 31,
        ["CAP_MAC_OVERRIDE"] = 32, ["CAP_MAC_ADMIN"] = 33, ["CAP_SYSLOG"] = 34, ["CAP_WAKE_ALARM"] = 35,
        ["CAP_BLOCK_SUSPEND"] = 36, ["CAP_AUDIT_READ"] = 37, ["CAP_PERFMON"] = 38, ["CAP_BPF"] = 39,
        ["CAP_CHECKPOINT_RESTORE"] = 40,
        ["SECBIT_NOROOT"] = 1, ["SECBIT_NOROOT_LOCKED"] = 2, ["SECBIT_NO_SETUID_FIXUP"] = 4, ["SECBIT_NO_SETUID_FIXUP_LOCKED"] = 8,
        ["SECBIT_KEEP_CAPS"] = 16, ["SECBIT_KEEP_CAPS_LOCKED"] = 32, ["SECBIT_NO_CAP_AMBIENT_RAISE"] = 64,
        ["SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED"] = 128,
    };

    private static readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> CapabilityLookup = CapabilityWords.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> CloneLookup = CloneFlagNames.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> WaitLookup = WaitOptionNames.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> SaLookup = SaFlagNames.GetAlternateLookup<ReadOnlySpan<char>>();

    public static StraceCall Call(ReadOnlySpan<byte> name) => Find(CallLookup, name, out long c) ? (StraceCall)c : StraceCall.Other;

    public static bool TrySignal(ReadOnlySpan<byte> name, out int sig)
    {
        sig = 0;
        if (StraceArgs.TryNumber(name, out long n)) { sig = (int)n; return n is >= 0 and <= 64; }
        if (!Find(SignalLookup, name, out n)) return false;
        sig = (int)n;
        return true;
    }

    public static bool TryErrno(ReadOnlySpan<byte> name, out int errno)
    {
        bool found = Find(ErrnoLookup, name, out long n);
        errno = (int)n;
        return found;
    }

    /// <summary>clone's flag word: names, hex, and the exit signal in the low byte (CSIGNAL).</summary>
    public static bool TryCloneFlags(ReadOnlySpan<byte> text, out ulong flags) => TryFlags(CloneLookup, text, allowSignal: true, out flags);

    /// <summary>A prctl capability argument: a number, a name, or securebits joined by '|'.</summary>
    public static bool TryCapabilityWord(ReadOnlySpan<byte> text, out ulong value) => TryFlags(CapabilityLookup, text, allowSignal: false, out value);

    public static bool TryWaitOptions(ReadOnlySpan<byte> text, out ulong options) => TryFlags(WaitLookup, text, allowSignal: false, out options);

    public static bool TrySaFlags(ReadOnlySpan<byte> text, out ulong flags) => TryFlags(SaLookup, text, allowSignal: false, out flags);

    // A flag word as strace prints it: "0", "0x20", "A|B|0x40", "A|SIGCHLD".
    private static bool TryFlags(Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> names, ReadOnlySpan<byte> text,
        bool allowSignal, out ulong flags)
    {
        flags = 0;
        text = text.Trim((byte)' ');
        if (text.IsEmpty) return false;
        foreach (var range in text.Split((byte)'|'))
        {
            var part = text[range].Trim((byte)' ');
            if (StraceArgs.TryNumber(part, out long n)) { flags |= (ulong)n; continue; }
            if (Find(names, part, out n)) { flags |= (ulong)n; continue; }
            if (allowSignal && Find(SignalLookup, part, out n)) { flags |= (ulong)n; continue; }
            return false;
        }
        return true;
    }

    private static bool Find(Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<byte> name, out long value)
    {
        value = 0;
        if (name.IsEmpty || name.Length > LongestName) return false;
        Span<char> chars = stackalloc char[LongestName];
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] >= 0x80) return false;
            chars[i] = (char)name[i];
        }
        return lookup.TryGetValue(chars[..name.Length], out value);
    }

    private static Dictionary<string, long> BuildSignals()
    {
        string[] classic =
        [
            "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
            "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
            "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
            "SIGIO", "SIGPWR", "SIGSYS",
        ];
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < classic.Length; i++) d[classic[i]] = i + 1;
        d["SIGIOT"] = 6;
        d["SIGPOLL"] = 29;
        d["SIGRTMIN"] = 32;
        for (int n = 1; n <= 32; n++) d["SIGRT_" + n] = 32 + n;
        return d;
    }
}
