using ScottPlot;

namespace Cairn.Benchmarks;

/// <summary>The plot of a load sweep: achieved throughput and p99 latencies against the offered rate.</summary>
internal static class LoadPlot
{
    public static void Write(string path, IReadOnlyList<(int Offered, double Achieved, double DecisionP99, double AckP99)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var offered = points.Select(p => (double)p.Offered).ToArray();
        var plot = new Plot();
        plot.Title("Cairn under rising load (demo workspace, 50 segments, SQLite, 2 cores)");
        plot.XLabel("offered load (events/s)");

        var achieved = plot.Add.Scatter(offered, points.Select(p => p.Achieved).ToArray());
        achieved.LegendText = "achieved throughput (events/s)";
        achieved.LineWidth = 2;
        achieved.MarkerSize = 7;
        plot.Axes.Left.Label.Text = "events/s";

        var decision = plot.Add.Scatter(offered, points.Select(p => p.DecisionP99).ToArray());
        decision.LegendText = "p99 event → send decision (ms)";
        decision.Axes.YAxis = plot.Axes.Right;
        decision.LinePattern = LinePattern.Dashed;
        decision.LineWidth = 2;
        decision.MarkerSize = 7;

        var ack = plot.Add.Scatter(offered, points.Select(p => p.AckP99).ToArray());
        ack.LegendText = "p99 batch acknowledgement (ms)";
        ack.Axes.YAxis = plot.Axes.Right;
        ack.LinePattern = LinePattern.Dotted;
        ack.LineWidth = 2;
        ack.MarkerSize = 7;
        plot.Axes.Right.Label.Text = "p99 latency (ms)";

        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1000, 560);
    }
}
