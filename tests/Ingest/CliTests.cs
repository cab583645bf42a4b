using Replayer.Tests.Support;

namespace Replayer.Tests.Ingest;

/// <summary>The command as a user meets it: output, silence when piped, and exit codes.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Store => _dir.File("store.db");

    private string Capture(string name, string text)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Ingest_then_again_says_nothing_was_added()
    {
        var cap = Capture("c.jsonl", """
            {"t":1,"tid":5,"comm":"sh","kind":"fork","child":6,"flags":17,"ret":6}
            {"t":2,"tid":6,"comm":"sh","kind":"exit","code":0,"group":true}
            """);
        var first = ReplayerProcess.Run(Store, "ingest", cap);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("added 2 events", first.Stdout);
        Assert.Equal("", first.Stderr);
        var second = ReplayerProcess.Run(Store, "ingest", cap);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("added 0 events: all 2 were already in the store", second.Stdout);
    }

    [Fact]
    public void A_bad_capture_exits_2_naming_file_and_line()
    {
        var cap = Capture("bad.jsonl", "{\"t\":1,\"tid\":5,\"kind\":\"setsid\"}\nnot json\n");
        var r = ReplayerProcess.Run(Store, "ingest", cap);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{cap}:2:", r.Stderr);
        Assert.Equal("[]", ReplayerProcess.Run(Store, "traces", "list", "--json").Stdout.Trim());
    }

    [Fact]
    public void Standard_input_is_read_with_dash_and_needs_a_trace_id()
    {
        const string text = "{\"t\":1,\"tid\":5,\"kind\":\"setsid\",\"ret\":5}\n";
        Assert.Equal(2, ReplayerProcess.RunWith(Store, text, "ingest", "-").ExitCode);
        var r = ReplayerProcess.RunWith(Store, text, "ingest", "-", "--trace", "piped", "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"added\": 1", r.Stdout);
    }

    [Fact]
    public void An_unknown_trace_exits_4()
    {
        Assert.Equal(4, ReplayerProcess.Run(Store, "traces", "show", "nope").ExitCode);
        Assert.Equal(4, ReplayerProcess.Run(Store, "traces", "delete", "nope").ExitCode);
        Assert.Equal(4, ReplayerProcess.Run(Store, "traces", "export", "nope", "--out", _dir.File("x.jsonl")).ExitCode);
    }

    [Fact]
    public void Delete_removes_the_trace()
    {
        var cap = Capture("gone.jsonl", "{\"t\":1,\"tid\":5,\"kind\":\"setsid\",\"ret\":5}\n");
        Assert.Equal(0, ReplayerProcess.Run(Store, "ingest", cap).ExitCode);
        Assert.Equal(0, ReplayerProcess.Run(Store, "traces", "delete", "gone").ExitCode);
        Assert.Equal("[]", ReplayerProcess.Run(Store, "traces", "list", "--json").Stdout.Trim());
    }

    [Fact]
    public void A_store_that_is_not_a_database_exits_3()
    {
        var notDb = Capture("junk.db", new string('x', 5000));
        var r = ReplayerProcess.Run(notDb, "traces", "list");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("not a replayer store", r.Stderr);
    }
}
