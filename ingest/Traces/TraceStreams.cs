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

    /// <summary>A version-8 UUID from SHA-256 of (trace, host, canonical event bytes).</summary>
    public static Guid EventId(ReadOnlySpan<byte> traceAndHost, ReadOnlySpan<byte> data)
    {
        int n = traceAndHost.Length + data.Length;
        var buf = ArrayPool<byte>.Shared.Rent(n);
        try
        {
            traceAndHost.CopyTo(buf);
            data.CopyTo(buf.AsSpan(traceAndHost.Length));
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buf.AsSpan(0, n), hash);
            hash[6] = (byte)((hash[6] & 0x0f) | 0x80);
            hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
            return new Guid(hash[..16], bigEndian: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>The prefix every event id of one trace's host hashes first.</summary>
    public static byte[] IdPrefix(string trace, string host) => Encoding.UTF8.GetBytes($"{trace}\0{host}\0");
}
