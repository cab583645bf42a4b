using Npgsql;
using Replayer.Ingest.Store;
using Xunit;

namespace Replayer.Tests.Store;

public sealed class PostgresConnectionSpecTests
{
    [Theory]
    [InlineData("postgres://h/db", true)]
    [InlineData("postgresql://h/db", true)]
    [InlineData("Host=h;Database=db", true)]
    [InlineData("host=h;database=db", true)]
    [InlineData("/var/lib/replayer/store.db", false)]
    [InlineData("store.db", false)]
    public void A_store_spec_names_a_server_by_uri_or_host_keyword(string spec, bool postgres) =>
        Assert.Equal(postgres, StoreLocator.IsPostgres(spec));

    [Fact]
    public void A_uri_gives_user_password_host_port_database_and_parameters_percent_decoded()
    {
        var b = PostgresConnectionSpec.Parse("postgresql://ann:p%40ss%3Aw@db.example:5433/events%20db?sslmode=verify-full&application_name=ingest&connect_timeout=7");
        Assert.Equal(("ann", "p@ss:w", "db.example", 5433, "events db"), (b.Username, b.Password, b.Host, b.Port, b.Database));
        Assert.Equal((SslMode.VerifyFull, "ingest", 7), (b.SslMode, b.ApplicationName, b.Timeout));
    }

    [Fact]
    public void A_uri_may_leave_out_all_but_the_host_and_name_a_socket_folder_by_parameter()
    {
        var b = PostgresConnectionSpec.Parse("postgres://localhost");
        Assert.Equal(("localhost", 5432, "replayer"), (b.Host, b.Port, b.ApplicationName));
        Assert.Null(b.Database);
        var s = PostgresConnectionSpec.Parse("postgres:///events?host=/run/postgresql&port=5434");
        Assert.Equal(("/run/postgresql", 5434, "events"), (s.Host, s.Port, s.Database));
        Assert.Equal("PostgreSQL store 'events' on /run/postgresql", PostgresConnectionSpec.Describe(s));
    }

    [Fact]
    public void An_ipv6_host_keeps_its_port()
    {
        var b = PostgresConnectionSpec.Parse("postgres://[::1]:6543/db");
        Assert.Equal(("::1", 6543), (b.Host, b.Port));
    }

    [Fact]
    public void A_connection_string_is_taken_as_npgsql_reads_it()
    {
        var b = PostgresConnectionSpec.Parse("Host=db;Port=6000;Username=u;Password=secret;Database=d");
        Assert.Equal(("db", 6000, "u", "secret", "d"), (b.Host, b.Port, b.Username, b.Password, b.Database));
        Assert.Equal("PostgreSQL store 'd' on db:6000", PostgresConnectionSpec.Describe(b));
    }

    [Theory]
    [InlineData("postgres://u:secret@h:notaport/db", "port 'notaport' is not a number")]
    [InlineData("postgres://u:secret@h/db?no_such_keyword=1", "no_such_keyword")]
    [InlineData("postgres://u:secret@/db", "needs a host")]
    public void A_bad_spec_is_a_store_error_that_does_not_repeat_the_password(string spec, string says)
    {
        var e = Assert.Throws<StoreException>(() => PostgresConnectionSpec.Parse(spec));
        Assert.Contains(says, e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }
}
