using System.Globalization;
using System.Net;
using System.Text;

namespace Replayer.Replay.WhatIf;

/// <summary>One line of a chart: a name and its points.</summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false);

/// <summary>
/// Inline SVG charts on logarithmic axes, drawn from numbers alone: no script, no external file,
/// every label HTML-escaped, so that a report opens offline anywhere.
/// </summary>
public static class SvgChart
{
    private const int Width = 820, Height = 360, Left = 70, Right = 340, Top = 34, Bottom = 48;

    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Esc(string s) => WebUtility.HtmlEncode(s);

    /// <summary>Lines on log-log axes; points at or below 0 cannot sit on a log axis and are left out (the legend says how many).</summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<Series> series)
    {
        var shown = series.Select(s => s with { Points = s.Points.Where(p => p.X > 0 && p.Y > 0).ToList() }).ToList();
        var all = shown.SelectMany(s => s.Points).ToList();
        var sb = Open(title);
        if (all.Count == 0)
        {
            sb.Append($"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" class=\"note\">nothing above zero to draw</text>");
            return Close(sb);
        }
        var x = new LogAxis(all.Min(p => p.X), all.Max(p => p.X), Left, Width - Right);
        var y = new LogAxis(all.Min(p => p.Y), all.Max(p => p.Y), Height - Bottom, Top);
        Axes(sb, x, y, xLabel, yLabel);
        for (int i = 0; i < shown.Count; i++)
        {
            var s = shown[i];
            string color = Palette[i % Palette.Length];
            if (s.Points.Count > 1)
            {
                var path = string.Join(" ", s.Points.OrderBy(p => p.X).Select(p => $"{F(x.Map(p.X))},{F(y.Map(p.Y))}"));
                sb.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")} points=\"{path}\"/>");
            }
            foreach (var p in s.Points)
                sb.Append($"<circle cx=\"{F(x.Map(p.X))}\" cy=\"{F(y.Map(p.Y))}\" r=\"3.5\" fill=\"{color}\"><title>{Esc(s.Name)}: {Esc(F(p.X))}, {Esc(Number(p.Y))}</title></circle>");
            int left = series[i].Points.Count - s.Points.Count;
            Legend(sb, i, color, s.Name + (left > 0 ? $" ({left} at 0 not drawn)" : ""), s.Dashed);
        }
        return Close(sb);
    }

    /// <summary>Grouped bars on a log value axis: one group per category, one bar per series.</summary>
    public static string Bars(string title, string yLabel, IReadOnlyList<string> groups, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series)
    {
        var sb = Open(title);
        var values = series.SelectMany(s => s.Values).Where(v => v > 0).ToList();
        if (values.Count == 0 || groups.Count == 0)
        {
            sb.Append($"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" class=\"note\">nothing above zero to draw</text>");
            return Close(sb);
        }
        var y = new LogAxis(Math.Min(1, values.Min()), values.Max(), Height - Bottom, Top);
        double plot = Width - Right - Left, group = plot / groups.Count, bar = group * 0.8 / Math.Max(1, series.Count);
        YAxis(sb, y, yLabel);
        sb.Append($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" class=\"axis\"/>");
        for (int g = 0; g < groups.Count; g++)
        {
            double gx = Left + g * group + group * 0.1;
            sb.Append($"<text x=\"{F(Left + (g + 0.5) * group)}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\" class=\"tick\">{Esc(groups[g])}</text>");
            for (int s = 0; s < series.Count; s++)
            {
                double v = series[s].Values[g];
                if (v <= 0) continue;
                double top = y.Map(v), bx = gx + s * bar;
                sb.Append($"<rect x=\"{F(bx)}\" y=\"{F(top)}\" width=\"{F(bar - 2)}\" height=\"{F(Height - Bottom - top)}\" fill=\"{Palette[s % Palette.Length]}\"><title>{Esc(series[s].Name)}, {Esc(groups[g])}: {Esc(Number(v))}</title></rect>");
                sb.Append($"<text x=\"{F(bx + (bar - 2) / 2)}\" y=\"{F(top - 3)}\" text-anchor=\"middle\" class=\"value\">{Esc(Number(v))}</text>");
            }
        }
        for (int s = 0; s < series.Count; s++) Legend(sb, s, Palette[s % Palette.Length], series[s].Name, false);
        return Close(sb);
    }

    /// <summary>A number as a reader wants it on a chart: thousands separated, few decimals.</summary>
    public static string Number(double v) =>
        Math.Abs(v) >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(v) >= 10 ? v.ToString("0.#", CultureInfo.InvariantCulture)
        : v.ToString("0.###", CultureInfo.InvariantCulture);

    private static StringBuilder Open(string title)
    {
        var sb = new StringBuilder();
        sb.Append($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{Esc(title)}\">");
        sb.Append($"<text x=\"{Left}\" y=\"18\" class=\"title\">{Esc(title)}</text>");
        return sb;
    }

    private static string Close(StringBuilder sb) => sb.Append("</svg>").ToString();

    private static void Legend(StringBuilder sb, int i, string color, string name, bool dashed)
    {
        int ly = Top + 8 + i * 18, lx = Width - Right + 12;
        sb.Append($"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 18}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\"{(dashed ? " stroke-dasharray=\"6 4\"" : "")}/>");
        sb.Append($"<text x=\"{lx + 24}\" y=\"{ly + 4}\" class=\"legend\">{Esc(name)}</text>");
    }

    private static void Axes(StringBuilder sb, LogAxis x, LogAxis y, string xLabel, string yLabel)
    {
        YAxis(sb, y, yLabel);
        sb.Append($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" class=\"axis\"/>");
        foreach (double t in x.Ticks())
        {
            double px = x.Map(t);
            sb.Append($"<line x1=\"{F(px)}\" y1=\"{Top}\" x2=\"{F(px)}\" y2=\"{Height - Bottom}\" class=\"grid\"/>");
            sb.Append($"<text x=\"{F(px)}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\" class=\"tick\">{Esc(Number(t))}</text>");
        }
        sb.Append($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\" class=\"label\">{Esc(xLabel)} (log)</text>");
    }

    private static void YAxis(StringBuilder sb, LogAxis y, string yLabel)
    {
        sb.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" class=\"axis\"/>");
        foreach (double t in y.Ticks())
        {
            double py = y.Map(t);
            sb.Append($"<line x1=\"{Left}\" y1=\"{F(py)}\" x2=\"{Width - Right}\" y2=\"{F(py)}\" class=\"grid\"/>");
            sb.Append($"<text x=\"{Left - 6}\" y=\"{F(py + 4)}\" text-anchor=\"end\" class=\"tick\">{Esc(Number(t))}</text>");
        }
        sb.Append($"<text transform=\"translate(16 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\" class=\"label\">{Esc(yLabel)} (log)</text>");
    }

    /// <summary>A base-10 logarithmic axis from a data range to pixels, widened to whole decades when the data spans less than one.</summary>
    private readonly struct LogAxis
    {
        private readonly double _lo, _hi, _from, _to;

        public LogAxis(double min, double max, double from, double to)
        {
            double lo = Math.Log10(min), hi = Math.Log10(max);
            if (hi - lo < 1)
            {
                lo = Math.Floor(lo);
                hi = Math.Max(Math.Ceiling(hi), lo + 1);
            }
            double pad = (hi - lo) * 0.05;
            _lo = lo - pad;
            _hi = hi + pad;
            _from = from;
            _to = to;
        }

        public double Map(double v) => _from + (Math.Log10(v) - _lo) / (_hi - _lo) * (_to - _from);

        /// <summary>Powers of ten in range; with 1, 2 and 5 of each decade when the range spans few decades.</summary>
        public IEnumerable<double> Ticks()
        {
            bool fine = _hi - _lo < 3;
            for (int d = (int)Math.Floor(_lo); d <= (int)Math.Ceiling(_hi); d++)
                foreach (double m in fine ? new[] { 1.0, 2.0, 5.0 } : [1.0])
                {
                    double t = m * Math.Pow(10, d), l = Math.Log10(t);
                    if (l >= _lo && l <= _hi) yield return t;
                }
        }
    }
}
