using System.CommandLine;
using Replayer.Cli;
using Replayer.Tests.Support;
using Xunit;

namespace Replayer.Tests.Cli;

/// <summary>The profile of the methods a command compiled, which its next run compiles ahead on another core.</summary>
public sealed class JitProfileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_profile_is_named_by_the_command_words_up_to_the_first_that_is_not_a_subcommand()
    {
        var bench = new Command("bench") { new Command("replay"), new Command("ingest") };
        var root = new RootCommand { bench, new Command("replay") };
        Assert.Equal("bench-replay", JitProfile.Name(root, ["bench", "replay", "--trace", "x"]));
        Assert.Equal("replay", JitProfile.Name(root, ["replay", "--trace", "bench"]));
        Assert.Equal("replay", JitProfile.Name(root, ["replay", "bench"]));
        Assert.Equal("bench", JitProfile.Name(root, ["bench"]));
        Assert.Null(JitProfile.Name(root, ["--store", "s", "replay"]));
        Assert.Null(JitProfile.Name(root, ["../../etc/passwd"]));
        Assert.Null(JitProfile.Name(root, []));
    }

    [Fact]
    public void A_command_writes_its_profile_and_runs_the_same_from_one_that_is_truncated_or_garbage()
    {
        var store = _dir.File("s.db");
        Assert.Equal(0, ReplayerProcess.Run(store, "ingest", Repo.PathOf("traces/captures/d-initdeath.txt"), "--trace", "t").ExitCode);
        var cache = _dir.File("cache");
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache };
        var profile = Path.Combine(cache, "replayer", "jit", "replay.profile");

        var first = ReplayerProcess.RunWith(store, null, env, "replay", "--trace", "t", "--json");
        Assert.True(first.ExitCode == 1, first.Stderr);
        Assert.True(new FileInfo(profile).Length > 0, "the first run left no profile");

        // The same answer from the profile as written, then from half of it, then from noise.
        var whole = File.ReadAllBytes(profile);
        var noise = new byte[whole.Length];
        new Random(7).NextBytes(noise);
        foreach (var bytes in new[] { whole, whole[..(whole.Length / 2)], noise })
        {
            File.WriteAllBytes(profile, bytes);
            var again = ReplayerProcess.RunWith(store, null, env, "replay", "--trace", "t", "--json", "--from-start");
            Assert.True(again.ExitCode == 1, again.Stderr);
            Assert.Equal(Report(first.Stdout), Report(again.Stdout));
            Assert.Empty(again.Stderr);
        }
    }

    /// <summary>The report of a replay's JSON, without its timing.</summary>
    private static string Report(string json) =>
        System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("report").GetRawText();
}
