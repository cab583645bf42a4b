using Xunit;

namespace Replayer.Tests.Ingest.Capture;

/// <summary>
/// The test classes that run a capture in this process. One process has one capture at a time:
/// its tracing instance is named by the pid, and a capture that follows a command's descendants
/// lists every thread of the process, so two at once would trace each other's commands. Nor may
/// other tests run meanwhile: what they start from this process is its descendants too (a
/// PostgreSQL test's postgres, which reads signals from a signalfd, came into a dequeue test's
/// capture). xunit runs this collection's classes one after another, once the others are done.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CaptureCollection
{
    public const string Name = "tracefs capture";
}
