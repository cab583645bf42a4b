using Xunit;

namespace Replayer.Tests.Support;

/// <summary>What tests do to an SQLite store's file behind the store's back.</summary>
public static class SqliteStoreFile
{
    /// <summary>
    /// Makes an empty store at <paramref name="path"/> as replayers before schema version 3 made
    /// it, one row an event with its data, recorded as <paramref name="version"/> ("1": native JSON,
    /// "2": the binary form). The layout is written out here, frozen, as those stores have it.
    /// </summary>
    public static async Task CreateOneRowAnEventAsync(string path, string version)
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        using var q = c.CreateCommand();
        q.CommandText = """
            CREATE TABLE store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE store_position(id INTEGER PRIMARY KEY CHECK (id = 0), last INTEGER NOT NULL);
            INSERT INTO store_position(id, last) VALUES(0, 0);
            CREATE TABLE streams(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, last INTEGER NOT NULL);
            CREATE TABLE events(
                position INTEGER PRIMARY KEY,
                stream INTEGER NOT NULL,
                revision INTEGER NOT NULL,
                id BLOB NOT NULL,
                type TEXT NOT NULL,
                data BLOB NOT NULL,
                created INTEGER NOT NULL);
            CREATE UNIQUE INDEX events_by_stream ON events(stream, revision);
            CREATE TABLE checkpoints(name TEXT PRIMARY KEY, position INTEGER NOT NULL);
            CREATE TABLE snapshots(stream TEXT NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL,
                state BLOB NOT NULL, PRIMARY KEY(stream, revision));
            INSERT INTO store_info(key, value) VALUES('schema', $v);
            """;
        q.Parameters.AddWithValue("$v", version);
        await q.ExecuteNonQueryAsync();
    }

    /// <summary>Records another schema version in the store made at <paramref name="path"/>, as an older or newer replayer would have made it.</summary>
    public static async Task SetSchemaVersionAsync(string path, string version)
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        using var q = c.CreateCommand();
        q.CommandText = "UPDATE store_info SET value = $v WHERE key = 'schema'";
        q.Parameters.AddWithValue("$v", version);
        Assert.Equal(1, await q.ExecuteNonQueryAsync());
    }
}
