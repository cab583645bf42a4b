namespace Replayer.Ingest.Capture;

/// <summary>
/// The probe's two parts (<see cref="ProbePart"/>), each a bpftrace of its own, started
/// together and stopped together. A part that cannot run is null, with the reason in its status
/// (under <see cref="SignalActionsMode.Bpftrace"/> it fails the capture instead).
/// </summary>
public sealed class CaptureProbes : IDisposable
{
    public SignalActionProbe? Signals { get; private init; }
    public SignalActionProbe? Namespaces { get; private init; }

    /// <summary>Each part's status as it started: "bpftrace", "off" or "none (why)".</summary>
    public required string SignalsStatus { get; init; }
    public required string NamespacesStatus { get; init; }

    public static async Task<CaptureProbes> StartAsync(SignalActionsMode mode, CancellationToken ct)
    {
        var parts = new[] { ProbePart.Signals, ProbePart.Namespaces }
            .Select(p => SignalActionProbe.StartAsync(p, mode, ct)).ToArray();
        try
        {
            await Task.WhenAll(parts);
        }
        catch
        {
            // One part failed (or the capture was cancelled): the others that started end too.
            foreach (var part in parts)
                if (part.IsCompletedSuccessfully) part.Result.Probe?.Dispose();
            throw;
        }
        var (signals, namespaces) = (parts[0].Result, parts[1].Result);
        return new CaptureProbes
        {
            Signals = signals.Probe, Namespaces = namespaces.Probe,
            SignalsStatus = signals.Status, NamespacesStatus = namespaces.Status,
        };
    }

    /// <summary>Stops every part that runs and waits for all each printed.</summary>
    public Task StopAsync() => Task.WhenAll(new[] { Signals, Namespaces }.OfType<SignalActionProbe>().Select(p => p.StopAsync()));

    public void Dispose()
    {
        Signals?.Dispose();
        Namespaces?.Dispose();
    }
}
