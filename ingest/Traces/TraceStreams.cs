using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Replayer.Ingest.Traces;

/// <summary>
/// How traces live in the store: one stream per trace and host, "trace/{id}/{host}", and one
/// "trace/{id}/$meta" that records each ingest's sources. Event ids are name-based: a hash of the
/// trace, the host and the event's canonical bytes (which hold its sequence number), so the same
/// capture ingested twice gives the same ids and adds nothing, while a different capture under
/// the same trace id conflicts instead of passing for a duplicate.
/// </summary>
public static partial class TraceStreams
{
    public const string Prefix = "trace/";
    public const string MetaSuffix = "/$meta";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
    private static partial Regex NameRegex();

    /// <summary>Null when the name can be a trace id or host name; else why not.</summary>
    public static string? Validate(string what, string name) =>
        NameRegex().IsMatch(name)
            ? null
            : $"{what} '{Formats.NativeJson.Printable(name)}' must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit";

    public static string HostStream(string trace, string host) => $"{Prefix}{trace}/{host}";
    public static string MetaStream(string trace) => $"{Prefix}{trace}{MetaSuffix}";
    public static string TracePrefix(string trace) => $"{Prefix}{trace}/";

    /// <summary>Splits "trace/{id}/{host}" into its parts; host is "$meta" for the meta stream.</summary>
    public static bool TryParse(string stream, out string trace, out string host)
    {
        trace = host = "";
        if (!stream.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        int slash = stream.IndexOf('/', Prefix.Length);
        if (slash < 0) return false;
        trace = stream[Prefix.Length..slash];
        host = stream[(slash + 1)..];
        return true;
    }

    /// <summary>
    /// A version-8 UUID for the event at <paramref name="seq"/> of a host stream: eight bytes of
    /// SHA-256 over (trace, host), then the sequence number. Unique per position; whether the
    /// event at a position is the same one is decided by its bytes (AppendSessionBase).
    /// </summary>
    public static Guid EventId(ReadOnlySpan<byte> hostKey, long seq)
    {
        Span<byte> id = stackalloc byte[16];
        hostKey[..8].CopyTo(id);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(id[8..], seq);
        id[6] = (byte)((id[6] & 0x0f) | 0x80);
        id[8] = (byte)((id[8] & 0x3f) | 0x80);
        return new Guid(id, bigEndian: true);
    }

    /// <summary>The key every event id of one trace's host starts from.</summary>
    public static byte[] HostKey(string trace, string host) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"{trace}\0{host}"));
}
