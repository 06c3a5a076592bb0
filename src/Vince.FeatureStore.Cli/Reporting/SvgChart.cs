using System.Globalization;
using System.Net;
using System.Text;

namespace Vince.FeatureStore.Cli.Reporting;

/// <summary>One series of a chart: a name for the legend, a colour and its values.</summary>
internal sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// Inline SVG charts for the model report: no script, no font file, no external reference, so the page is one
/// self-contained file that renders the same everywhere.
/// </summary>
internal static class SvgChart
{
    private const int Left = 48;
    private const int Bottom = 36;
    private const int Top = 14;
    private const int Right = 12;

    /// <summary>Lines over the unit square with the diagonal, e.g. a ROC curve or a reliability plot.</summary>
    public static string UnitSquare(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool markers, int size = 300)
    {
        var svg = Open(title, size, size);
        int plot = size - Left - Right;
        double X(double x) => Left + (x * plot);
        double Y(double y) => Top + ((1 - y) * (size - Top - Bottom));
        Axes(svg, size, size, xLabel, yLabel, [0, 0.25, 0.5, 0.75, 1], [0, 0.25, 0.5, 0.75, 1], X, Y);
        svg.Append(Invariant($"<line x1=\"{X(0):0.#}\" y1=\"{Y(0):0.#}\" x2=\"{X(1):0.#}\" y2=\"{Y(1):0.#}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>"));
        foreach (ChartSeries s in series)
        {
            string points = string.Join(" ", s.Points.Select(p => Invariant($"{X(p.X):0.##},{Y(p.Y):0.##}")));
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\" points=\"{points}\"/>"));
            if (markers)
            {
                foreach ((double x, double y) in s.Points)
                {
                    svg.Append(Invariant($"<circle cx=\"{X(x):0.##}\" cy=\"{Y(y):0.##}\" r=\"3\" fill=\"{s.Color}\"/>"));
                }
            }
        }

        Legend(svg, series.Select(s => (s.Name, s.Color)).ToList(), Left + 8, Top + 4);
        return Close(svg);
    }

    /// <summary>Horizontal bars, largest first as given, e.g. feature importances.</summary>
    public static string HorizontalBars(string title, IReadOnlyList<(string Label, double Value)> bars, string color, int width = 560)
    {
        const int Row = 18;
        const int LabelWidth = 210;
        int height = Top + (bars.Count * Row) + 8;
        var svg = Open(title, width, height);
        double max = bars.Count == 0 ? 1 : Math.Max(bars.Max(b => b.Value), 1e-12);
        int plot = width - LabelWidth - 60;
        for (int i = 0; i < bars.Count; i++)
        {
            double y = Top + (i * Row);
            double length = Math.Max(0, bars[i].Value) / max * plot;
            svg.Append(Invariant($"<text x=\"{LabelWidth - 6}\" y=\"{y + 12:0.#}\" text-anchor=\"end\" class=\"l\">{Encode(bars[i].Label)}</text>"));
            svg.Append(Invariant($"<rect x=\"{LabelWidth}\" y=\"{y + 2:0.#}\" width=\"{length:0.##}\" height=\"{Row - 5}\" fill=\"{color}\"/>"));
            svg.Append(Invariant($"<text x=\"{LabelWidth + length + 4:0.##}\" y=\"{y + 12:0.#}\" class=\"l\">{bars[i].Value:0.000}</text>"));
        }

        return Close(svg);
    }

    /// <summary>Grouped vertical bars: one group per category, one bar per series (values 0..<paramref name="max"/>).</summary>
    public static string GroupedBars(string title, IReadOnlyList<string> categories, IReadOnlyList<(string Name, string Color, IReadOnlyList<double> Values)> series, double max, string yLabel, int width = 300, int height = 170, bool legend = true)
    {
        var svg = Open(title, width, height);
        int plot = width - Left - Right;
        double Y(double v) => Top + ((1 - (v / max)) * (height - Top - Bottom));
        Axes(svg, width, height, "", yLabel, [], [0, max / 2, max], x => x, Y);
        double group = plot / (double)Math.Max(1, categories.Count);
        double bar = Math.Max(1, (group - 2) / Math.Max(1, series.Count));
        for (int c = 0; c < categories.Count; c++)
        {
            for (int s = 0; s < series.Count; s++)
            {
                double value = Math.Clamp(series[s].Values[c], 0, max);
                double x = Left + (c * group) + 1 + (s * bar);
                svg.Append(Invariant($"<rect x=\"{x:0.##}\" y=\"{Y(value):0.##}\" width=\"{bar:0.##}\" height=\"{Y(0) - Y(value):0.##}\" fill=\"{series[s].Color}\"><title>{Encode(categories[c])}: {value:0.###}</title></rect>"));
            }

            // Many narrow groups: only the outer labels, so that they do not run into each other.
            if (categories.Count <= 6 || c == 0 || c == categories.Count - 1)
            {
                svg.Append(Invariant($"<text x=\"{Left + ((c + 0.5) * group):0.#}\" y=\"{height - Bottom + 13}\" text-anchor=\"middle\" class=\"t\">{Encode(categories[c])}</text>"));
            }
        }

        if (legend)
        {
            Legend(svg, series.Select(s => (s.Name, s.Color)).ToList(), Left + 8, Top + 2);
        }

        return Close(svg);
    }

    private static StringBuilder Open(string title, int width, int height)
        => new StringBuilder().Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\"><title>{Encode(title)}</title>"));

    private static string Close(StringBuilder svg) => svg.Append("</svg>").ToString();

    private static void Axes(StringBuilder svg, int width, int height, string xLabel, string yLabel, double[] xTicks, double[] yTicks, Func<double, double> x, Func<double, double> y)
    {
        int x0 = Left;
        int y0 = height - Bottom;
        svg.Append(Invariant($"<line x1=\"{x0}\" y1=\"{Top}\" x2=\"{x0}\" y2=\"{y0}\" stroke=\"#333\"/><line x1=\"{x0}\" y1=\"{y0}\" x2=\"{width - Right}\" y2=\"{y0}\" stroke=\"#333\"/>"));
        foreach (double t in xTicks)
        {
            svg.Append(Invariant($"<text x=\"{x(t):0.#}\" y=\"{y0 + 13}\" text-anchor=\"middle\" class=\"t\">{t:0.##}</text>"));
        }

        foreach (double t in yTicks)
        {
            svg.Append(Invariant($"<line x1=\"{x0 - 3}\" y1=\"{y(t):0.#}\" x2=\"{width - Right}\" y2=\"{y(t):0.#}\" stroke=\"#eee\"/><text x=\"{x0 - 5}\" y=\"{y(t) + 4:0.#}\" text-anchor=\"end\" class=\"t\">{t:0.##}</text>"));
        }

        if (xLabel.Length > 0)
        {
            svg.Append(Invariant($"<text x=\"{(x0 + width - Right) / 2}\" y=\"{height - 6}\" text-anchor=\"middle\" class=\"l\">{Encode(xLabel)}</text>"));
        }

        svg.Append(Invariant($"<text transform=\"translate(12 {(Top + y0) / 2}) rotate(-90)\" text-anchor=\"middle\" class=\"l\">{Encode(yLabel)}</text>"));
    }

    private static void Legend(StringBuilder svg, List<(string Name, string Color)> entries, int x, int y)
    {
        for (int i = 0; i < entries.Count; i++)
        {
            int row = y + (i * 14);
            svg.Append(Invariant($"<rect x=\"{x}\" y=\"{row}\" width=\"10\" height=\"10\" fill=\"{entries[i].Color}\"/><text x=\"{x + 14}\" y=\"{row + 9}\" class=\"t\">{Encode(entries[i].Name)}</text>"));
        }
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
