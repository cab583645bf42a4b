using System.Runtime.InteropServices;

namespace Replayer.Ingest.Capture;

/// <summary>
/// What each file the capture's tasks exec'd does to credentials, looked up as soon as the
/// capture reads its sched_process_exec line (<see cref="TracePipeDrain"/>): set-user-ID (and
/// its owner), file capabilities (the security.capability attribute), or neither; a file on a
/// nosuid mount is neither, as exec ignores both there. No tracepoint
/// shows a file's mode, so a capture without these lines leaves the models to assume "neither".
/// Only absolute names are looked up (sched_process_exec prints the name as the caller passed
/// it): a relative one, or a file gone by then, is "unreadable", which the models take as not
/// known. A file changed between the exec and the lookup (a fraction of a second) would be
/// misread, a window the capture narrows but cannot close.
/// </summary>
public static class ExecFileProbe
{
    private const string Marker = "sched_process_exec: filename=";

    /// <summary>The file name of a sched_process_exec line; null for any other line.</summary>
    public static string? NameIn(string line)
    {
        int at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = line.AsSpan(at + Marker.Length);
        int end = rest.LastIndexOf(" pid=");
        var name = end < 0 ? rest : rest[..end];
        return name.IsEmpty ? null : name.ToString();
    }

    /// <summary>The header line for one file: "plain 0 PATH", "setuid UID PATH", "file_caps 0 PATH", or "unreadable 0 PATH".</summary>
    public static string Describe(string path) => (path.StartsWith('/') ? Look(path) : null) ?? $"unreadable 0 {path}";

    private static string? Look(string path)
    {
        var stx = new byte[256];
        if (statx(AtFdCwd, path, 0, StatxMode | StatxUid, stx) != 0) return null;
        uint uid = BitConverter.ToUInt32(stx, 20);
        ushort mode = BitConverter.ToUInt16(stx, 28);
        var vfs = new byte[128];
        if (statvfs(path, vfs) != 0) return null;
        bool nosuid = (BitConverter.ToUInt64(vfs, 72) & StNoSuid) != 0;
        string kind;
        if (nosuid || (mode & SetUserId) == 0)
        {
            nint size = getxattr(path, "security.capability", 0, 0);
            if (size < 0 && Marshal.GetLastPInvokeError() is not (ENODATA or ENOTSUP)) return null;
            kind = size >= 0 && !nosuid ? "file_caps" : "plain";
            uid = 0;
        }
        else
        {
            if (uid > int.MaxValue) return null;
            kind = "setuid";
        }
        return $"{kind} {uid} {path}";
    }

    private const int AtFdCwd = -100;
    private const uint StatxMode = 0x2, StatxUid = 0x8;
    private const int SetUserId = 0x800;          // S_ISUID
    private const ulong StNoSuid = 2;             // ST_NOSUID
    private const int ENODATA = 61, ENOTSUP = 95;

    // struct statx: stx_uid at 20, stx_mode (16 bits) at 28, on every architecture.
    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, string pathname, int flags, uint mask, byte[] buffer);

    // struct statvfs of glibc on 64-bit Linux: eleven unsigned longs, f_flag the tenth (offset 72).
    [DllImport("libc", SetLastError = true)]
    private static extern int statvfs(string path, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern nint getxattr(string path, string name, nint value, nint size);
}
