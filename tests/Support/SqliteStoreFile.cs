using Xunit;

namespace Replayer.Tests.Support;

/// <summary>What tests do to an SQLite store's file behind the store's back.</summary>
public static class SqliteStoreFile
{
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
