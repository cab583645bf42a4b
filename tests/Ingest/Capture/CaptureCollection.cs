using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// The test classes that run a capture in this process. One process has one capture at a time:
/// its tracing instance is named by the pid, and a capture that follows a command's descendants
/// lists every thread of the process, so two at once would trace each other's commands. xunit
/// runs the classes of one collection one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CaptureCollection
{
    public const string Name = "tracefs capture";
}
