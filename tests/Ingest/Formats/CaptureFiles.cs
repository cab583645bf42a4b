using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;

namespace Replayer.Tests.Ingest.Formats;

/// <summary>The real captures under traces/captures, and reading one the way `replayer ingest` does.</summary>
public static class CaptureFiles
{
    public static string Root { get; } = FindRoot();

    public static string Dir => Path.Combine(Root, "traces", "captures");

    public static string Path_(string name) => Path.Combine(Dir, name);

    /// <summary>Every capture file, for [MemberData].</summary>
    public static IEnumerable<object[]> All() =>
        Directory.GetFiles(Path.Combine(FindRoot(), "traces", "captures")).Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    /// <summary>Reads a capture with the reader --format auto picks.</summary>
    public static (string Format, List<PidEvent> Events) Read(string path, bool lenient = false)
    {
        var input = InputFile.Open(path);
        using (input.Stream)
        {
            var reader = CaptureFormats.All.First(r => r.Recognises(input.Head));
            return (reader.Format, reader.Read(input, new ReadContext(lenient)).ToList());
        }
    }

    public static List<PidEvent> Events(string name) => Read(Path_(name)).Events;

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "replayer.sln"))) return d.FullName;
        throw new InvalidOperationException("the repository root (replayer.sln) is not above the test binaries");
    }
}
