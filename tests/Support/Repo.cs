namespace Replayer.Tests.Support;

/// <summary>Paths in the repository the tests run from (traces, docs).</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    public static string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "replayer.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no replayer.sln above {AppContext.BaseDirectory}");
    }
}
