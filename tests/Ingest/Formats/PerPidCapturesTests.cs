using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Ingest.Formats.Strace;
using Replayer.Ingest.Store;
using Replayer.Ingest.Traces;
using Replayer.Tests.Ingest.Formats.Strace;
using Xunit;

namespace Replayer.Tests.Ingest.Formats;

public sealed class PerPidCapturesTests
{
    [Fact]
    public void Files_sharing_a_prefix_and_a_numeric_suffix_are_one_input_where_the_first_was()
    {
        var inputs = PerPidCaptures.Group(["a/x.12", "b.txt", "a/x.3", "c.5", "a/x.txt", "-", "a/x.7"]);
        Assert.Equal(
            [("a/x", new[] { "a/x.12", "a/x.3", "a/x.7" }), ("b.txt", ["b.txt"]), ("c.5", ["c.5"]), ("a/x.txt", ["a/x.txt"]), ("-", ["-"])],
            inputs.Select(i => (i.Name, i.Files.ToArray())));
        Assert.True(inputs[0].IsPerPid);
        Assert.False(inputs[2].IsPerPid);
        Assert.Equal(0, PerPidCaptures.TidOf("trace.0"));
        Assert.Equal(0, PerPidCaptures.TidOf("trace.99999999999"));
        Assert.Equal(21245, PerPidCaptures.TidOf("/tmp/ff/trace.21245"));
    }

    [Fact]
    public async Task Ingesting_strace_ff_files_makes_one_trace_named_after_their_prefix()
    {
        var dir = Directory.CreateTempSubdirectory("perpid-ingest-");
        try
        {
            var files = Directory.GetFiles(StraceCaptures.PathOf("traces/strace/ff-orphan")).Order().ToList();
            var expected = new StraceReader().ReadPerPid(files, new ReadContext(false)).Count();
            await using var store = await SqliteEventStore.OpenAsync(Path.Combine(dir.FullName, "store.db"));
            var result = await new TraceIngest(store, CaptureFormats.All).RunAsync(new IngestRequest(files));
            var source = Assert.Single(result.Sources);
            Assert.Equal(("strace", "trace", expected), (source.Format, source.Trace, source.Events));
            Assert.Equal(expected, result.Added);
            Assert.True(source.Lines >= 100);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void One_per_pid_file_alone_takes_its_tid_from_its_name()
    {
        var events = StraceCaptures.Read("traces/strace/ff-orphan/trace.21247");
        Assert.All(events, e => Assert.Equal(21247, e.Tid));
        Assert.IsType<TaskSnapshot>(events[0]);
        Assert.Contains(events, e => e is GetId { Call: GetIdCall.GetPid, Ret: 2 });
    }
}
