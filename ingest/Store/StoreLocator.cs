namespace Replayer.Ingest.Store;

/// <summary>
/// Chooses and opens the store: --store, else $REPLAYER_STORE, else the default SQLite file under
/// $XDG_DATA_HOME/replayer (or ~/.local/share/replayer). The value is a PostgreSQL server when it
/// is a postgres:// or postgresql:// URI or an Npgsql connection string (Host=...), else an SQLite
/// file path.
/// </summary>
public static class StoreLocator
{
    public const string EnvironmentVariable = "REPLAYER_STORE";

    public static string Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return option;
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return env;
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(data))
            data = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "replayer", "store.db");
    }

    public static bool IsPostgres(string spec) => PostgresConnectionSpec.IsPostgres(spec);

    public static async Task<IEventStore> OpenAsync(string spec, CancellationToken ct = default) =>
        IsPostgres(spec)
            ? await PostgresEventStore.OpenAsync(spec, ct)
            : await SqliteEventStore.OpenAsync(spec, ct);
}
