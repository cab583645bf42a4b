using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Strace;

namespace Replayer.Tests.Ingest.Formats.Strace;

/// <summary>The real strace captures under traces/ (see traces/strace/README.md), read with the strace reader.</summary>
internal static class StraceCaptures
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static List<PidEvent> Read(string relative, bool lenient = false)
    {
        var input = InputFile.Open(PathOf(relative));
        using (input.Stream) return new StraceReader().Read(input, new ReadContext(lenient)).ToList();
    }

    public static List<PidEvent> ReadPerPid(string directory)
    {
        var files = Directory.GetFiles(PathOf(directory)).Where(f => PerPidCaptures.TidOf(f) > 0).ToList();
        return new StraceReader().ReadPerPid(files, new ReadContext(false)).ToList();
    }

    /// <summary>Every capture of traces/strace, single files and the per-pid one.</summary>
    public static IEnumerable<(string Name, List<PidEvent> Events)> All()
    {
        foreach (var f in Directory.GetFiles(PathOf("traces/strace"), "*.txt").Order())
            yield return (Path.GetFileName(f), Read(Path.GetRelativePath(Root, f)));
        yield return ("ff-orphan", ReadPerPid("traces/strace/ff-orphan"));
        yield return ("pair", Read("traces/pair/strace.txt"));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "replayer.sln"))) return dir.FullName;
        throw new InvalidOperationException("replayer.sln not found above " + AppContext.BaseDirectory);
    }
}
