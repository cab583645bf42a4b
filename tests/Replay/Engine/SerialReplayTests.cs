using System.Text;
using Replayer.Ingest.Events;
using Replayer.Replay.Engine;
using Replayer.Tests.Replay.Nested;
using Xunit;
using Xunit.Abstractions;

namespace Replayer.Tests.Replay.Engine;

public sealed class SerialReplayTests(ITestOutputHelper output)
{
    [Fact]
    public void Nsenter_capture_report()
    {
        var (events, ptraced) = RealCapturesValidateTests.Read("traces/captures/f-nsenter.txt");
        var report = SerialReplay.Run("f", new ReplaySettings { Ptraced = ptraced }, events);
        output.WriteLine(Encoding.UTF8.GetString(report.ToJson()));
    }
}
