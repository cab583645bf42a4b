using System.CommandLine;
using Replayer.Ingest.Store;

namespace Replayer.Cli;

/// <summary>The options every store-using command shares.</summary>
public static class StoreOptions
{
    public static readonly Option<string?> Store = new("--store")
    {
        Description = "The event store: an SQLite file path, or a PostgreSQL server as a postgres:// URI or a connection string (Host=...). Default: $REPLAYER_STORE, else $XDG_DATA_HOME/replayer/store.db",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the result as JSON, for scripts",
    };

    public static Task<IEventStore> OpenAsync(ParseResult parse, CancellationToken ct) =>
        StoreLocator.OpenAsync(StoreLocator.Resolve(parse.GetValue(Store)), ct);
}
