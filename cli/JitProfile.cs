using System.CommandLine;
using System.Runtime;

namespace Replayer.Cli;

/// <summary>
/// Compiles, on a second core, the methods a command compiled the last time it ran. The replayer
/// runs without tiered compilation (every method optimised when first called), so a command
/// spends its first few tenths of a second compiling on one core, and a replay compiles its
/// snapshot writers only at its very end. The runtime's multicore JIT records which methods a
/// command compiled into a profile when the process exits; the next run of that command reads
/// the profile and compiles them on a background thread ahead of the command that needs them.
/// Measured (docs/performance.md, "Eighth sitting"): a replay of 100,000 events took 1.06 s without
/// a profile and 0.76 s with one, a replay of a real capture of 232 events 0.86 s and 0.69 s (means
/// of five alternated runs).
/// </summary>
/// <remarks>
/// One profile per command (`replay`, `bench-replay`, ...), kept under $XDG_CACHE_HOME/replayer/jit
/// (or ~/.cache/replayer/jit). A profile is a hint: the runtime checks each assembly in it against
/// the one loaded (a rebuilt replayer starts a new profile), plays nothing from a profile it cannot
/// read, and the methods it names compile the same either way. Where the directory cannot be made,
/// the command runs as it would without.
/// </remarks>
internal static class JitProfile
{
    public static void Start(Command root, string[] args)
    {
        var name = Name(root, args);
        if (name is null) return;
        try
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            // The XDG spec: a relative path in the variable is ignored.
            if (string.IsNullOrWhiteSpace(cache) || !Path.IsPathRooted(cache))
            {
                var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(home)) return;
                cache = Path.Combine(home, ".cache");
            }
            var dir = Path.Combine(cache, "replayer", "jit");
            Directory.CreateDirectory(dir);
            ProfileOptimization.SetProfileRoot(dir);
            ProfileOptimization.StartProfile(name + ".profile");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // No place to keep it: the command compiles as it goes.
        }
    }

    /// <summary>
    /// The command's words joined (`bench replay` is "bench-replay"), read up to the first word that
    /// is not a subcommand of the one before; null when the first is not a command (a bare
    /// `replayer`, an option first, a word it does not know).
    /// </summary>
    internal static string? Name(Command root, string[] args)
    {
        var words = new List<string>();
        var command = root;
        foreach (var arg in args)
        {
            var sub = command.Subcommands.FirstOrDefault(c => c.Name == arg);
            if (sub is null) break;
            words.Add(sub.Name);
            command = sub;
        }
        return words.Count == 0 ? null : string.Join('-', words);
    }
}
