using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

/// <summary>
/// A format whose tool can write one file per task (strace -ff writes PREFIX.TID): such files are
/// one capture, and are read together.
/// </summary>
public interface IPerPidCaptureReader : ICaptureReader
{
    /// <summary>Reads the per-task files of one capture as one stream of events.</summary>
    IEnumerable<PidEvent> ReadPerPid(IReadOnlyList<string> files, ReadContext context);
}

/// <summary>Finds the per-task files among the inputs of an ingest: PREFIX.TID, two or more sharing PREFIX.</summary>
public static class PerPidCaptures
{
    /// <summary>One input of an ingest: a file, or the per-task files sharing the prefix <see cref="Name"/>.</summary>
    public sealed record Input(string Name, IReadOnlyList<string> Files)
    {
        public bool IsPerPid => Files.Count > 1;
    }

    /// <summary>The inputs in the order given, the files of one prefix where the first of them was.</summary>
    public static IReadOnlyList<Input> Group(IReadOnlyList<string> files)
    {
        var byPrefix = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var order = new List<(string Key, string File)>();
        foreach (var file in files)
        {
            if (file != "-" && TidOf(file) > 0)
            {
                var prefix = file[..file.LastIndexOf('.')];
                if (!byPrefix.TryGetValue(prefix, out var list))
                {
                    byPrefix[prefix] = list = [];
                    order.Add((prefix, file));
                }
                list.Add(file);
                continue;
            }
            order.Add(("", file));
        }
        return order.Select(o => o.Key.Length > 0 && byPrefix[o.Key].Count > 1
                ? new Input(o.Key, byPrefix[o.Key])
                : new Input(o.File, [o.File]))
            .ToList();
    }

    /// <summary>The TID of a file named PREFIX.TID; 0 for any other name.</summary>
    public static int TidOf(string path)
    {
        var name = Path.GetFileName(path.AsSpan());
        int dot = name.LastIndexOf('.');
        if (dot <= 0 || dot == name.Length - 1) return 0;
        var digits = name[(dot + 1)..];
        foreach (char c in digits)
            if (c is < '0' or > '9') return 0;
        return int.TryParse(digits, out int tid) && tid > 0 ? tid : 0;
    }
}
