using Npgsql;
using Replayer.Ingest.Store;
using Xunit;

namespace Replayer.Tests.Store;

/// <summary>A store that cannot be used says why, naming the server and the database, never the password.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreErrorsTests(PostgresServer server) : INeedsPostgres
{
    private static void AssertNoPassword(StoreException e, string password)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            Assert.DoesNotContain(password, x.Message);
    }

    [StoreFact]
    public async Task A_wrong_password_is_an_authentication_failure_that_does_not_repeat_it()
    {
        var uri = await server.CreateDatabaseAsync();
        var db = uri[(uri.LastIndexOf('/') + 1)..];
        var e = await Assert.ThrowsAsync<StoreException>(() => PostgresEventStore.OpenAsync(server.UriFor(db, "not-the-password")));
        Assert.Contains("authentication failed for user 'postgres'", e.Message);
        Assert.Contains($"'{db}' on 127.0.0.1:{server.Port}", e.Message);
        AssertNoPassword(e, "not-the-password");
    }

    [StoreFact]
    public async Task A_server_that_is_not_listening_is_unreachable()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }
        var e = await Assert.ThrowsAsync<StoreException>(() => PostgresEventStore.OpenAsync($"postgres://postgres:{PostgresServer.Password}@127.0.0.1:{port}/events"));
        Assert.Contains($"cannot reach the PostgreSQL server 127.0.0.1:{port} (database 'events')", e.Message);
        AssertNoPassword(e, PostgresServer.Password);
    }

    [StoreFact]
    public async Task A_database_that_does_not_exist_is_named()
    {
        var e = await Assert.ThrowsAsync<StoreException>(() => PostgresEventStore.OpenAsync(server.UriFor("no_such_db")));
        Assert.Contains($"database 'no_such_db' does not exist on 127.0.0.1:{server.Port}", e.Message);
        AssertNoPassword(e, PostgresServer.Password);
    }

    [StoreFact]
    public async Task A_read_only_database_can_be_read_but_an_append_says_it_is_read_only()
    {
        var uri = await server.CreateDatabaseAsync();
        await using (var rw = await PostgresEventStore.OpenAsync(uri))
            await rw.AppendToStreamAsync("a", ExpectedRevision.NoStream, [new EventData(Guid.NewGuid(), "T", "{}"u8.ToArray())]);
        var db = uri[(uri.LastIndexOf('/') + 1)..];
        await using (var c = new NpgsqlConnection(server.AdminConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"ALTER DATABASE {db} SET default_transaction_read_only = on", c);
            await cmd.ExecuteNonQueryAsync();
        }

        await using var store = await PostgresEventStore.OpenAsync(uri);
        Assert.Single(await store.ReadStreamAsync("a", StreamRevision.Start).ToListAsync());
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            store.AppendToStreamAsync("a", ExpectedRevision.Any, [new EventData(Guid.NewGuid(), "T", "{}"u8.ToArray())]));
        Assert.Contains($"PostgreSQL store '{db}' on 127.0.0.1:{server.Port} is read-only", e.Message);
    }
}
