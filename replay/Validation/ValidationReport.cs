using System.Text.Json;

namespace Replayer.Replay.Validation;

/// <summary>Answers checked, by outcome.</summary>
public sealed class AnswerCounts
{
    /// <summary>Recorded answers seen (every Ret and every SignalRecord).</summary>
    public long Checked;
    public long Agreed;
    public long Disagreed;
    /// <summary>The model could not say: the answer depends on what the capture did not show.</summary>
    public long UnknownState;
    /// <summary>The answer is not a pid model's business (exec's, rt_sigaction's return value).</summary>
    public long NotApplicable;
    /// <summary>Signals the model predicts that the capture, which recorded the event's other signals, does not have.</summary>
    public long Unrecorded;
    /// <summary>
    /// Signals the model predicts for an exit whose notice the trace ended before (Exit.NoticeAfterEnd)
    /// and that the capture does not have: the kernel sent them after the end, if at all; not checked.
    /// </summary>
    public long AfterEnd;

    internal void Add(Answer a)
    {
        Checked++;
        switch (a)
        {
            case Answer.Agreed: Agreed++; break;
            case Answer.Disagreed: Disagreed++; break;
            case Answer.UnknownState: UnknownState++; break;
            default: NotApplicable++; break;
        }
    }
}

internal enum Answer : byte { Agreed, Disagreed, UnknownState, NotApplicable }

/// <summary>How many answers of a kind the model left unknown for one reason (its note).</summary>
public sealed record UnknownReason(string Kind, string Why, long Count);

/// <summary>One recorded answer the model did not give (or one signal it gave that the capture lacks).</summary>
public sealed record Disagreement(string Host, long Position, long Time, int Tid, string Comm, string Kind, string Recorded, string Predicted, string Why);

/// <summary>A model replayed against a trace: every recorded kernel answer compared with the model's prediction.</summary>
public sealed class ValidationReport
{
    /// <summary>How many disagreements are kept with their details; all are counted.</summary>
    public const int KeptDisagreements = 1000;

    public ValidationReport(string trace, string model)
    {
        Trace = trace;
        Model = model;
    }

    public string Trace { get; }
    public string Model { get; }
    public long Events { get; internal set; }
    public AnswerCounts Totals { get; } = new();
    public SortedDictionary<string, AnswerCounts> ByKind { get; } = new(StringComparer.Ordinal);
    public List<Disagreement> Disagreements { get; } = [];

    /// <summary>
    /// How many distinct (kind, reason) pairs are told apart; the answers of any further pair are
    /// counted under <see cref="OtherReasons"/>. A model's notes are a few fixed sentences, so
    /// this bounds only a note that names numbers.
    /// </summary>
    public const int KeptReasons = 64;

    /// <summary>The reason of a model's unknown answer that gave none.</summary>
    public const string NoReason = "the model gave no reason";

    /// <summary>Reasons past <see cref="KeptReasons"/>.</summary>
    public const string OtherReasons = "other reasons";

    private readonly Dictionary<(string Kind, string Why), long> _unknown = new();

    /// <summary>Why the model could not say: unknown answers by kind and the model's note, most first (ties by kind, then reason).</summary>
    public IReadOnlyList<UnknownReason> UnknownReasons =>
        _unknown.Select(kv => new UnknownReason(kv.Key.Kind, kv.Key.Why, kv.Value))
            .OrderByDescending(r => r.Count).ThenBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Why, StringComparer.Ordinal)
            .ToList();

    internal void CountUnknown(string kind, string? why)
    {
        var key = (kind, why ?? NoReason);
        if (!_unknown.ContainsKey(key) && _unknown.Count >= KeptReasons) key = (kind, OtherReasons);
        _unknown[key] = _unknown.GetValueOrDefault(key) + 1;
    }

    public long Checked => Totals.Checked;
    public long Agreed => Totals.Agreed;
    public long Disagreed => Totals.Disagreed;
    public long UnknownState => Totals.UnknownState;

    /// <summary>Nothing the model predicted contradicts the capture.</summary>
    public bool Clean => Totals.Disagreed == 0 && Totals.Unrecorded == 0;

    /// <summary>The JSON: totals, per kind, then the disagreements (the first <see cref="KeptDisagreements"/>).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("trace", Trace);
        w.WriteString("model", Model);
        w.WriteNumber("events", Events);
        WriteCounts(w, Totals);
        w.WriteStartObject("by_kind");
        foreach (var (kind, c) in ByKind)
        {
            w.WriteStartObject(kind);
            WriteCounts(w, c);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartArray("unknown_reasons");
        foreach (var u in UnknownReasons)
        {
            w.WriteStartObject();
            w.WriteString("kind", u.Kind);
            w.WriteString("why", u.Why);
            w.WriteNumber("count", u.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("disagreements");
        foreach (var d in Disagreements)
        {
            w.WriteStartObject();
            w.WriteString("host", d.Host);
            w.WriteNumber("position", d.Position);
            w.WriteNumber("time", d.Time);
            w.WriteNumber("tid", d.Tid);
            w.WriteString("comm", d.Comm);
            w.WriteString("kind", d.Kind);
            w.WriteString("recorded", d.Recorded);
            w.WriteString("predicted", d.Predicted);
            w.WriteString("why", d.Why);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter w, AnswerCounts c)
    {
        w.WriteNumber("checked", c.Checked);
        w.WriteNumber("agreed", c.Agreed);
        w.WriteNumber("disagreed", c.Disagreed);
        w.WriteNumber("unknown_state", c.UnknownState);
        w.WriteNumber("not_applicable", c.NotApplicable);
        w.WriteNumber("unrecorded", c.Unrecorded);
        w.WriteNumber("after_end", c.AfterEnd);
    }
}
