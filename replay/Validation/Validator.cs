using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Replay.Models;

namespace Replayer.Replay.Validation;

/// <summary>
/// Replays a trace through a model, one model per host, and compares every recorded kernel
/// answer with the prediction: each event's return value and each signal_generate it caused
/// (recipient and result; recipients are matched by task and signal, not by order). A capture
/// from today's kernel is an oracle for the nested model (MODELS.md, "Divergence").
/// </summary>
public sealed class Validator
{
    private readonly Func<IPidModel> _newModel;
    private readonly Dictionary<string, (IPidModel Model, long Position)> _hosts = new(StringComparer.Ordinal);
    private readonly Outcome _outcome = new();
    /// <summary>Which predicted signals a recorded one has claimed, reused per event.</summary>
    private readonly List<bool> _matched = new(8);
    /// <summary>Report.ByKind's counts by event kind.</summary>
    private AnswerCounts?[] _byKind = [];

    public Validator(string trace, string model, Func<IPidModel> newModel)
    {
        _newModel = newModel;
        Report = new ValidationReport(trace, model);
    }

    public ValidationReport Report { get; }

    /// <summary>Validates a whole trace with a fresh model per host: `Validator.Run("t", "nested", events).Clean`.</summary>
    public static ValidationReport Run(string trace, string model, IEnumerable<PidEvent> events, ModelSettings? settings = null)
    {
        var v = new Validator(trace, model, () => ModelCatalog.Create(model, settings));
        foreach (var ev in events) v.Check(ev);
        return v.Report;
    }

    public void Check(PidEvent ev)
    {
        if (!_hosts.TryGetValue(ev.Host, out var host)) host = (_newModel(), 0);
        _hosts[ev.Host] = (host.Model, host.Position + 1);
        Report.Events++;
        host.Model.Apply(ev, _outcome);
        Judge(ev, _outcome, host.Position);
    }

    /// <summary>
    /// Compares what a model predicted for an event (<paramref name="o"/>, filled by its Apply) with
    /// the answers the trace recorded, and counts the result; for callers that apply the model themselves.
    /// </summary>
    public void Judge(PidEvent ev, Outcome o, long position)
    {
        if (ev.RecordedAnswers == 0) return;
        var counts = CountsOf(ev.Kind);
        var kind = NativeJson.KindName(ev.Kind);

        if (ev is not Signal && ev.Ret is long recorded)
        {
            var a = CompareRet(recorded, o);
            Count(counts, a, kind, o);
            if (a == Answer.Disagreed && Keeping)
                Disagree(ev, kind, position, $"ret {Value(recorded)}", o.HasRet ? $"ret {Value(o.Ret)}" : "no answer", o.Note ?? "the model answers otherwise");
        }

        var single = ev is Signal sg ? sg.Record : default;
        ReadOnlySpan<SignalRecord> signals = ev switch
        {
            Kill k => k.Signals,
            Exit x => x.Signals,
            Signal => new ReadOnlySpan<SignalRecord>(in single),
            _ => [],
        };
        _matched.Clear();
        for (int i = 0; i < o.Signals.Count; i++) _matched.Add(false);
        foreach (var r in signals)
        {
            int idx = -1;
            for (int i = 0; i < o.Signals.Count; i++)
                if (!_matched[i] && o.Signals[i].To == r.To && o.Signals[i].Sig == r.Sig) { idx = i; break; }
            Answer a;
            if (idx >= 0)
            {
                _matched[idx] = true;
                var p = o.Signals[idx];
                a = o.UnknownResults.Contains(idx) ? Answer.UnknownState : p.Result == r.Result ? Answer.Agreed : Answer.Disagreed;
            }
            else
            {
                a = o.Verdict switch
                {
                    Verdict.UnknownState => Answer.UnknownState,
                    Verdict.NotApplicable or Verdict.Unsupported => Answer.NotApplicable,
                    _ => Answer.Disagreed,
                };
            }
            Count(counts, a, kind, o);
            if (a == Answer.Disagreed && Keeping)
                Disagree(ev, kind, position, Describe(r.Sig, r.To, r.Result),
                    idx >= 0 ? Describe(o.Signals[idx].Sig, o.Signals[idx].To, o.Signals[idx].Result) : "no such signal",
                    o.Note ?? "the model sends this signal otherwise");
        }
        // One syscall's signal_generate lines are recorded together: with some recorded, a predicted one missing is a difference.
        if (signals.Length == 0) return;
        for (int i = 0; i < o.Signals.Count; i++)
        {
            if (_matched[i] || o.MaybeSent.Contains(i)) continue;
            if (ev is Exit { NoticeAfterEnd: true })
            {
                counts.AfterEnd++;
                Report.Totals.AfterEnd++;
                continue;
            }
            counts.Unrecorded++;
            Report.Totals.Unrecorded++;
            var p = o.Signals[i];
            // The model's note explains its answer, not this signal: the kernel generated none.
            if (Keeping) Disagree(ev, kind, position, "no such signal", Describe(p.Sig, p.To, p.Result), ev is Kill ? UnsentByKill : "the model sends a signal the kernel did not");
        }
    }

    /// <summary>Why a kill's predicted signal may be missing: a target that refuses the caller gets none, and the models cannot tell.</summary>
    private const string UnsentByKill = "the model sends a signal the kernel did not; a target that refuses the caller (EPERM) gets none, " +
        "and a task the capture shows no credentials for is taken to be root";

    /// <summary>The counts of a kind of event, looked up once per kind rather than by name per event.</summary>
    private AnswerCounts CountsOf(EventKind kind)
    {
        int i = (int)kind;
        if (i >= _byKind.Length) Array.Resize(ref _byKind, i + 1);
        if (_byKind[i] is { } counts) return counts;
        var name = NativeJson.KindName(kind);
        if (!Report.ByKind.TryGetValue(name, out counts)) Report.ByKind[name] = counts = new AnswerCounts();
        return _byKind[i] = counts;
    }

    private static Answer CompareRet(long recorded, Outcome o)
    {
        if (o.HasRet) return o.Ret == recorded ? Answer.Agreed : Answer.Disagreed;
        return o.Verdict switch
        {
            Verdict.NotApplicable or Verdict.Unsupported => Answer.NotApplicable,
            _ => Answer.UnknownState,
        };
    }

    private void Count(AnswerCounts counts, Answer a, string kind, Outcome o)
    {
        counts.Add(a);
        Report.Totals.Add(a);
        if (a == Answer.UnknownState) Report.CountUnknown(kind, o.Note);
    }

    /// <summary>
    /// Whether another disagreement is kept: asked before its words are made, since a model
    /// replayed against another design's kernel disagrees millions of times and only the first
    /// few are shown.
    /// </summary>
    private bool Keeping => Report.Disagreements.Count < ValidationReport.KeptDisagreements;

    private void Disagree(PidEvent ev, string kind, long position, string recorded, string predicted, string why)
    {
        Report.Disagreements.Add(new Disagreement(ev.Host, position, ev.Time, ev.Tid, ev.Comm, kind, recorded, predicted, why));
    }

    private static string Describe(int sig, int to, SignalResult result) =>
        $"sig {sig} to {to}: {result switch
        {
            SignalResult.Delivered => "delivered",
            SignalResult.Ignored => "ignored",
            SignalResult.AlreadyPending => "already pending",
            SignalResult.Overflow => "overflow",
            _ => "lost info",
        }}";

    /// <summary>A return value as a person reads it: the number, or the errno's name.</summary>
    private static string Value(long v) => v >= 0 ? v.ToString() : -v switch
    {
        1 => "-EPERM",
        3 => "-ESRCH",
        4 => "-EINTR",
        10 => "-ECHILD",
        11 => "-EAGAIN",
        12 => "-ENOMEM",
        13 => "-EACCES",
        17 => "-EEXIST",
        22 => "-EINVAL",
        28 => "-ENOSPC",
        512 => "-ERESTARTSYS",
        _ => v.ToString(),
    };
}
