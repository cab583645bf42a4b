namespace Replayer.Ingest.Capture;

/// <summary>
/// The probe's three parts (<see cref="ProbePart"/>), each a bpftrace of its own, started
/// together and stopped together. A part that cannot run is null, with the reason in its status
/// (under <see cref="SignalActionsMode.Bpftrace"/> it fails the capture instead).
/// </summary>
public sealed class CaptureProbes : IDisposable
{
    public SignalActionProbe? Actions { get; private init; }
    public SignalActionProbe? Masks { get; private init; }
    public SignalActionProbe? Namespaces { get; private init; }

    /// <summary>Each part's status as it started: "bpftrace", "off" or "none (why)".</summary>
    public required string ActionsStatus { get; init; }
    public required string MasksStatus { get; init; }
    public required string NamespacesStatus { get; init; }

    public static async Task<CaptureProbes> StartAsync(SignalActionsMode mode, CancellationToken ct)
    {
        var parts = new[] { ProbePart.Actions, ProbePart.Masks, ProbePart.Namespaces }
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
        var (actions, masks, namespaces) = (parts[0].Result, parts[1].Result, parts[2].Result);
        return new CaptureProbes
        {
            Actions = actions.Probe, Masks = masks.Probe, Namespaces = namespaces.Probe,
            ActionsStatus = actions.Status, MasksStatus = masks.Status, NamespacesStatus = namespaces.Status,
        };
    }

    /// <summary>Stops every part that runs and waits for all each printed.</summary>
    public Task StopAsync() => Task.WhenAll(new[] { Actions, Masks, Namespaces }.OfType<SignalActionProbe>().Select(p => p.StopAsync()));

    public void Dispose()
    {
        Actions?.Dispose();
        Masks?.Dispose();
        Namespaces?.Dispose();
    }
}
