using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Replayer.Tests.Store;

/// <summary>
/// A real PostgreSQL server of the tests' own: initdb and pg_ctl into a temporary folder, on a free
/// loopback port, with its unix socket in that folder; stopped and removed at the end. As root it
/// runs as the postgres user, since initdb and postgres refuse root. TCP connections must give the
/// password (scram-sha-256), so that authentication is tested as a user meets it.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string User = "postgres";
    public const string Password = "replayer-test-secret";

    /// <summary>The folder of initdb and pg_ctl; null when PostgreSQL is not installed.</summary>
    public static readonly string? BinDir = FindBinDir();

    /// <summary>
    /// Why PostgreSQL tests are skipped; null when they run. Under CI (CI set) they always run,
    /// so that a missing server fails them instead of passing them by silence.
    /// </summary>
    public static string? Unavailable =>
        BinDir is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
            ? "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin); apt-get install -y postgresql"
            : null;

    /// <summary>The temporary folder holding the cluster, its socket and its log.</summary>
    private string _dir = "";
    public int Port { get; private set; }
    public string SocketDir => _dir;
    private string DataDir => Path.Combine(_dir, "data");

    public async Task InitializeAsync()
    {
        if (BinDir is null)
        {
            // Outside CI the tests that need this server are skipped (StoreFact), and nothing starts.
            if (Unavailable is not null) return;
            throw new InvalidOperationException("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin); apt-get install -y postgresql");
        }
        _dir = Directory.CreateTempSubdirectory("replayer-pg-").FullName;
        if (Environment.IsPrivilegedProcess) await RunAsync("chown", ["postgres:postgres", _dir], asPostgres: false);
        var pwfile = Path.Combine(_dir, "pwfile");
        await File.WriteAllTextAsync(pwfile, Password + "\n");
        await RunPgAsync("initdb", ["-D", DataDir, "-U", User, "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--no-locale", "--no-sync"]);
        Port = FreePort();
        // fsync off: the tests kill clients, never the server, and a test cluster need not survive a crash.
        // huge_pages=off: by default PostgreSQL puts its shared memory in the machine's reserved huge
        // pages when there are any, and took those the large-pages bench test needs (it failed at
        // its start, "Failed to create CoreCLR", when the two ran together).
        await RunPgAsync("pg_ctl", ["-D", DataDir, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50 -c huge_pages=off", "start"]);
    }

    public async Task DisposeAsync()
    {
        if (_dir.Length == 0) return;
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            await RunPgAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"]);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Restarts the server (fast shutdown: clients are disconnected), as an operator or a crash-restart would.</summary>
    public Task RestartAsync() => RunPgAsync("pg_ctl", ["-D", DataDir, "-l", Path.Combine(_dir, "log"), "-m", "fast", "-w", "-t", "60", "restart"]);

    /// <summary>A new empty database; its URI, with the password.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"replayer_{Guid.NewGuid():N}";
        await using (var c = new NpgsqlConnection(AdminConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return UriFor(name);
    }

    public string UriFor(string database, string password = Password) =>
        $"postgresql://{User}:{Uri.EscapeDataString(password)}@127.0.0.1:{Port}/{database}";

    /// <summary>Over the unix socket, where no password is asked.</summary>
    public string AdminConnectionString => $"Host={_dir};Port={Port};Username={User};Database=postgres;Pooling=false";

    private static string? FindBinDir()
    {
        var root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, "bin", "initdb")) && File.Exists(Path.Combine(d, "bin", "pg_ctl")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static Task RunPgAsync(string tool, IReadOnlyList<string> args) =>
        RunAsync(Path.Combine(BinDir!, tool), args, asPostgres: Environment.IsPrivilegedProcess);

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres)
    {
        var psi = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file }) psi.ArgumentList.Add(a);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}{await stdout}");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL server";
}
