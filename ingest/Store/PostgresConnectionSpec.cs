using Npgsql;

namespace Replayer.Ingest.Store;

/// <summary>
/// Reads how to reach a PostgreSQL store: a libpq URI (postgres:// or postgresql://, as psql
/// takes it) or an Npgsql connection string (Host=...). Npgsql itself takes only the latter.
/// </summary>
public static class PostgresConnectionSpec
{
    /// <summary>Whether a store spec names a PostgreSQL server rather than an SQLite file.</summary>
    public static bool IsPostgres(string spec) =>
        IsUri(spec) || spec.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    private static bool IsUri(string spec) =>
        spec.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || spec.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    public static NpgsqlConnectionStringBuilder Parse(string spec)
    {
        var b = new NpgsqlConnectionStringBuilder();
        try
        {
            if (IsUri(spec)) ParseUri(spec, b);
            else b.ConnectionString = spec;
        }
        catch (ArgumentException e)
        {
            // The message of a bad connection string may quote it, password and all; say only what is wrong.
            throw new StoreException($"not a valid PostgreSQL store: {Redact(e.Message, b.Password)}");
        }
        if (string.IsNullOrEmpty(b.Host)) throw new StoreException("a PostgreSQL store needs a host (postgres://HOST/DATABASE or Host=HOST)");
        b.ApplicationName ??= "replayer";
        return b;
    }

    // postgresql://[user[:password]@][host][:port][,...][/dbname][?param=value&...], as in
    // libpq's "Connection URIs" (PostgreSQL manual 34.1.1); components are percent-encoded.
    private static void ParseUri(string spec, NpgsqlConnectionStringBuilder b)
    {
        var rest = spec[(spec.IndexOf("://", StringComparison.Ordinal) + 3)..];
        string query = "";
        int q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            var db = Uri.UnescapeDataString(rest[(slash + 1)..]);
            if (db.Length > 0) b.Database = db;
            rest = rest[..slash];
        }
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var user = rest[..at];
            int colon = user.IndexOf(':');
            if (colon >= 0) b.Password = Uri.UnescapeDataString(user[(colon + 1)..]);
            var name = Uri.UnescapeDataString(colon >= 0 ? user[..colon] : user);
            if (name.Length > 0) b.Username = name;
            rest = rest[(at + 1)..];
        }
        if (rest.Length > 0) SetHosts(b, rest);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"URI parameter '{pair}' has no value");
            SetParameter(b, Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..]));
        }
    }

    private static void SetHosts(NpgsqlConnectionStringBuilder b, string hosts)
    {
        var list = hosts.Split(',');
        if (list.Length > 1)
        {
            // Npgsql takes several hosts as "h1:p1,h2:p2", which is the URI's own syntax.
            b.Host = Uri.UnescapeDataString(hosts);
            return;
        }
        var h = list[0];
        int colon = h.StartsWith('[') ? h.IndexOf(':', h.IndexOf(']')) : h.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(h[(colon + 1)..], out var port)) throw new ArgumentException($"port '{h[(colon + 1)..]}' is not a number");
            b.Port = port;
            h = h[..colon];
        }
        if (h.Length > 0) b.Host = Uri.UnescapeDataString(h.Trim('[', ']'));
    }

    private static void SetParameter(NpgsqlConnectionStringBuilder b, string key, string value)
    {
        switch (key)
        {
            case "host": b.Host = value; break;
            case "port": b.Port = int.TryParse(value, out var p) ? p : throw new ArgumentException($"port '{value}' is not a number"); break;
            case "user": b.Username = value; break;
            case "password": b.Password = value; break;
            case "dbname": b.Database = value; break;
            case "application_name": b.ApplicationName = value; break;
            case "connect_timeout": b.Timeout = int.TryParse(value, out var t) ? t : throw new ArgumentException($"connect_timeout '{value}' is not a number"); break;
            case "options": b.Options = value; break;
            // libpq spells the modes verify-ca and verify-full; Npgsql's enum has VerifyCA and VerifyFull.
            case "sslmode": b.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true); break;
            // Anything else must be a keyword Npgsql knows; the builder rejects the rest.
            default: b[key] = value; break;
        }
    }

    private static string Redact(string message, string? password) =>
        string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);

    /// <summary>The server and database, never the password: what messages name.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder b)
    {
        var where = b.Host!.Contains(',') || b.Host.StartsWith('/') ? b.Host : $"{b.Host}:{b.Port}";
        return $"PostgreSQL store '{b.Database ?? b.Username ?? "(default database)"}' on {where}";
    }
}
