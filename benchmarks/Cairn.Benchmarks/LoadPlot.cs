using ScottPlot;

namespace Cairn.Benchmarks;

/// <summary>The plot of a load sweep: achieved throughput and p99 latencies against the offered rate.</summary>
internal static class LoadPlot
{
    public static void Write(string path, IReadOnlyList<(int Offered, double Achieved, double DecisionP99, double AckP99)> points, int segments)
    {
        ArgumentNullException.ThrowIfNull(points);
        var offered = points.Select(p => (double)p.Offered).ToArray();
        var plot = new Plot();
        plot.Title($"Cairn under rising load (demo workspace, {segments} segments, SQLite, {Environment.ProcessorCount} cores)");
        plot.XLabel("offered load (events/s)");

        void Series(Func<(int Offered, double Achieved, double DecisionP99, double AckP99), double> value, string legend, LinePattern pattern, bool latency)
        {
            var series = plot.Add.Scatter(offered, points.Select(value).ToArray());
            series.LegendText = legend;
            series.LinePattern = pattern;
            series.LineWidth = 2;
            series.MarkerSize = 7;
            if (latency)
            {
                series.Axes.YAxis = plot.Axes.Right;
            }
        }

        Series(p => p.Achieved, "achieved throughput (events/s)", LinePattern.Solid, latency: false);
        Series(p => p.DecisionP99, "p99 event → send decision (ms)", LinePattern.Dashed, latency: true);
        Series(p => p.AckP99, "p99 batch acknowledgement (ms)", LinePattern.Dotted, latency: true);
        plot.Axes.Left.Label.Text = "events/s";
        plot.Axes.Right.Label.Text = "p99 latency (ms)";

        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1000, 560);
    }
}
