using System.IO.Compression;
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

    /// <summary>The text lines of the capture at <paramref name="path"/>, unzipped when it ends in .gz.</summary>
    public static List<string> Lines(string path)
    {
        using Stream file = File.OpenRead(path);
        using var text = new StreamReader(path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file);
        var lines = new List<string>();
        for (string? line; (line = text.ReadLine()) is not null;) lines.Add(line);
        return lines;
    }

    /// <summary>
    /// The events of the capture at <paramref name="path"/> with its lines rewritten by
    /// <paramref name="edit"/> (some taken out, some changed): what another capture of the same run
    /// would have given. Read from a temporary file, deleted after.
    /// </summary>
    public static List<PidEvent> ReadEdited(string path, Func<IEnumerable<string>, IEnumerable<string>> edit)
    {
        // Written as plain text: a .gz name would have the reader look for gzip.
        var name = Path.GetFileName(path);
        var edited = Path.Combine(Path.GetTempPath(), $"edited-{Guid.NewGuid():N}-{(name.EndsWith(".gz", StringComparison.Ordinal) ? name[..^3] : name)}");
        File.WriteAllLines(edited, edit(Lines(path)));
        try
        {
            return Read(edited).Events;
        }
        finally
        {
            File.Delete(edited);
        }
    }

    /// <summary>The events of the capture at <paramref name="path"/> without its header lines that begin with <paramref name="prefix"/> ("# setns:"): what a capture that did not read them would have given.</summary>
    public static List<PidEvent> ReadWithout(string path, string prefix) =>
        ReadEdited(path, lines => lines.Where(l => !l.StartsWith(prefix, StringComparison.Ordinal)));

    /// <summary>Asserts that a capture of <paramref name="lines"/> is refused at line <paramref name="at"/> (0-based), its message naming the file and line and saying <paramref name="says"/>.</summary>
    public static void AssertRefused(IReadOnlyList<string> lines, int at, string says)
    {
        var path = Path.Combine(Path.GetTempPath(), $"garbled-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(path, lines);
        try
        {
            var e = Xunit.Assert.Throws<TraceFormatException>(() => Read(path));
            Xunit.Assert.Contains($"{Path.GetFileName(path)}:{at + 1}", e.Message);
            Xunit.Assert.Contains(says, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "replayer.sln"))) return d.FullName;
        throw new InvalidOperationException("the repository root (replayer.sln) is not above the test binaries");
    }
}
