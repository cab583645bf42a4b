using System.Diagnostics;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Replayer.Actors.Diagnostics;

/// <summary>One reading of a runtime counter, seconds after the child resumed.</summary>
public readonly record struct CounterSample(double Seconds, string Name, double Value);

/// <summary>What sampling one child process gave.</summary>
/// <param name="ExitCode">The child's exit code.</param>
/// <param name="WallSeconds">From start to exit.</param>
/// <param name="Samples">Every counter reading, in order.</param>
/// <param name="Stdout">What the child wrote to stdout.</param>
/// <param name="Stderr">What it wrote to stderr.</param>
public sealed record SampledRun(int ExitCode, double WallSeconds, IReadOnlyList<CounterSample> Samples, string Stdout, string Stderr)
{
    public IEnumerable<double> Values(string counter) => Samples.Where(s => s.Name == counter).Select(s => s.Value);
}

/// <summary>
/// Runs a .NET child process and samples its System.Runtime counters (cpu-usage, gc-heap-size,
/// alloc-rate, working-set) out of process over EventPipe, the way dotnet-counters does: the child
/// starts suspended at its diagnostic port (DOTNET_DefaultDiagnosticPortSuspend), the session is
/// opened, then the runtime is resumed, so the first sample covers the whole run. Lives beside the
/// actors because what it observes is a replay worker: a process of its own.
/// </summary>
public static class RuntimeCounterSampler
{
    /// <summary>The counters read, as System.Runtime names them.</summary>
    public static readonly string[] Counters = ["cpu-usage", "gc-heap-size", "alloc-rate", "working-set"];

    public static SampledRun Run(ProcessStartInfo start, double intervalSeconds, TimeSpan timeout)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["DOTNET_DefaultDiagnosticPortSuspend"] = "1";
        var clock = Stopwatch.StartNew();
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        var samples = new List<CounterSample>();
        try
        {
            var client = new DiagnosticsClient(child.Id);
            using var session = StartSession(client, child, intervalSeconds, timeout);
            client.ResumeRuntime();
            var resumed = clock.Elapsed.TotalSeconds;
            var reader = Task.Run(() => Read(session, samples, clock, resumed));
            if (!child.WaitForExit(timeout))
            {
                child.Kill(entireProcessTree: true);
                throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in {timeout.TotalSeconds:F0} s");
            }
            // The stream ends when the child's runtime goes; a stuck read is stopped rather than waited on.
            if (!reader.Wait(TimeSpan.FromSeconds(10))) session.Stop();
        }
        catch
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            throw;
        }
        child.WaitForExit();
        lock (samples)
            return new SampledRun(child.ExitCode, clock.Elapsed.TotalSeconds, samples.ToArray(), stdout.Result, stderr.Result);
    }

    /// <summary>Opens the EventPipe session once the child's diagnostic port is up (it appears shortly after the process starts).</summary>
    private static EventPipeSession StartSession(DiagnosticsClient client, Process child, double intervalSeconds, TimeSpan timeout)
    {
        var providers = new[]
        {
            new EventPipeProvider("System.Runtime", EventLevel.Informational, (long)EventKeywords.None,
                new Dictionary<string, string> { ["EventCounterIntervalSec"] = intervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
        };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return client.StartEventPipeSession(providers, requestRundown: false);
            }
            catch (ServerNotAvailableException) when (deadline.Elapsed < timeout && !child.HasExited)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static void Read(EventPipeSession session, List<CounterSample> samples, Stopwatch clock, double resumed)
    {
        using var source = new EventPipeEventSource(session.EventStream);
        source.Dynamic.All += e =>
        {
            if (e.EventName != "EventCounters" || e.PayloadValue(0) is not IDictionary<string, object> outer
                || outer.TryGetValue("Payload", out var inner) is false || inner is not IDictionary<string, object> payload)
                return;
            if (payload["Name"] is not string name || Array.IndexOf(Counters, name) < 0) return;
            // Mean counters carry Mean; sum counters (alloc-rate) carry the Increment over the interval.
            double value = payload.TryGetValue("Mean", out var mean)
                ? Convert.ToDouble(mean, System.Globalization.CultureInfo.InvariantCulture)
                : Convert.ToDouble(payload["Increment"], System.Globalization.CultureInfo.InvariantCulture)
                  / Math.Max(1e-9, Convert.ToDouble(payload["IntervalSec"], System.Globalization.CultureInfo.InvariantCulture));
            lock (samples) samples.Add(new CounterSample(clock.Elapsed.TotalSeconds - resumed, name, value));
        };
        source.Process();
    }
}
