using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Cairn.Http.Telemetry;

/// <summary>
/// The Prometheus text exposition (format 0.0.4) of this host's metrics, served at <c>/metrics</c>. A
/// <see cref="MeterListener"/> aggregates every instrument of the meters the host's <see cref="IMeterFactory"/> created —
/// Cairn's (<c>Cairn.*</c>) and ASP.NET Core's (<c>http.server.request.duration</c>, Kestrel) — and nothing else, so two
/// hosts in one process (tests) never count each other's measurements. Counters are sums (<c>_total</c>), histograms
/// keep cumulative buckets from the instrument's advice, observable instruments are read at each scrape.
/// </summary>
/// <remarks>
/// Written here rather than taken from OpenTelemetry's Prometheus exporter, which is still a prerelease
/// (1.x-beta) and listens to meters by name across the whole process.
/// </remarks>
public sealed class PrometheusExposition : IDisposable
{
    /// <summary>The media type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MeterListener _listener = new();
    private readonly Lock _scrape = new();
    private readonly ConcurrentDictionary<Instrument, Aggregate> _instruments = new();

    public PrometheusExposition(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && Aggregate.For(instrument) is { } aggregate)
            {
                _instruments[instrument] = aggregate;
                listener.EnableMeasurementEvents(instrument, aggregate);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _instruments.TryRemove(instrument, out var removed);
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>((_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>((_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, value, tags, state) => ((Aggregate)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments and writes every metric.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            return ScrapeCore();
        }
    }

    private string ScrapeCore()
    {
        // Observable gauges report now; their previous readings are replaced, not added to.
        foreach (var aggregate in _instruments.Values.Where(aggregate => aggregate.Observable))
        {
            aggregate.Clear();
        }

        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (instrument, aggregate) in _instruments.OrderBy(pair => pair.Key.Meter.Name, StringComparer.Ordinal).ThenBy(pair => pair.Key.Name, StringComparer.Ordinal))
        {
            var name = aggregate.Name;
            if (!written.Add(name))
            {
                continue;
            }

            if (instrument.Description is { Length: > 0 } help)
            {
                text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            }

            text.Append("# TYPE ").Append(name).Append(' ').Append(aggregate.Type).Append('\n');
            aggregate.Write(text);
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    /// <summary>A metric name of the exposition: the instrument's, in Prometheus' alphabet, with its unit and kind as suffixes.</summary>
    internal static string NameOf(Instrument instrument, bool counter)
    {
        var name = Sanitize(instrument.Name);
        var unit = instrument.Unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            "1" => "ratio",
            _ => null,
        };
        if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        return counter ? name + "_total" : name;
    }

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return text.Length > 0 && char.IsAsciiDigit(text[0]) ? "_" + text : text.ToString();
    }

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The label set of a measurement, written once, sorted by name: <c>{a="x",b="y"}</c> (empty when there are none).</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }

        var pairs = new List<(string Name, string Value)>(tags.Length);
        foreach (var (key, value) in tags)
        {
            pairs.Add((Sanitize(key), Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty));
        }

        pairs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var text = new StringBuilder("{");
        foreach (var (name, value) in pairs)
        {
            if (text.Length > 1)
            {
                text.Append(',');
            }

            text.Append(name).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('"');
        }

        return text.Append('}').ToString();
    }

    /// <summary>What one instrument has measured, by label set.</summary>
    private abstract class Aggregate(string name, string type, bool observable)
    {
        protected readonly Lock Gate = new();

        public string Name => name;

        public string Type => type;

        public bool Observable => observable;

        public static Aggregate? For(Instrument instrument)
        {
            if (!instrument.GetType().IsGenericType)
            {
                return null;
            }

            var kind = instrument.GetType().GetGenericTypeDefinition();
            if (kind == typeof(Counter<>))
            {
                return new Sum(NameOf(instrument, counter: true), "counter", observable: false, cumulative: false);
            }

            if (kind == typeof(ObservableCounter<>))
            {
                return new Sum(NameOf(instrument, counter: true), "counter", observable: true, cumulative: true);
            }

            if (kind == typeof(UpDownCounter<>))
            {
                return new Sum(NameOf(instrument, counter: false), "gauge", observable: false, cumulative: false);
            }

            if (kind == typeof(ObservableUpDownCounter<>) || kind == typeof(ObservableGauge<>))
            {
                return new Sum(NameOf(instrument, counter: false), "gauge", observable: true, cumulative: true);
            }

            if (kind == typeof(Gauge<>))
            {
                return new Sum(NameOf(instrument, counter: false), "gauge", observable: false, cumulative: true);
            }

            if (kind == typeof(Histogram<>))
            {
                return new Buckets(NameOf(instrument, counter: false), BoundariesOf(instrument));
            }

            return null;
        }

        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        public abstract void Clear();

        public abstract void Write(StringBuilder text);

        private static double[] BoundariesOf(Instrument instrument) => instrument switch
        {
            Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
            Histogram<float> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(bound => (double)bound)],
            Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(bound => (double)bound)],
            Histogram<int> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(bound => (double)bound)],
            _ => DefaultBuckets,
        };
    }

    /// <summary>A counter's sum, or the last value of a gauge or an observed instrument, by label set.</summary>
    private sealed class Sum(string name, string type, bool observable, bool cumulative) : Aggregate(name, type, observable)
    {
        private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            lock (Gate)
            {
                _values[labels] = cumulative ? value : _values.GetValueOrDefault(labels) + value;
            }
        }

        public override void Clear()
        {
            lock (Gate)
            {
                _values.Clear();
            }
        }

        public override void Write(StringBuilder text)
        {
            lock (Gate)
            {
                foreach (var (labels, value) in _values.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    text.Append(Name).Append(labels).Append(' ').Append(Number(value)).Append('\n');
                }
            }
        }
    }

    /// <summary>A histogram: counts per bucket (written cumulatively), the sum and the count, by label set.</summary>
    private sealed class Buckets(string name, double[] bounds) : Aggregate(name, "histogram", observable: false)
    {
        private readonly Dictionary<string, (long[] Counts, double Sum, long Count)> _series = new(StringComparer.Ordinal);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            var bucket = 0;
            while (bucket < bounds.Length && value > bounds[bucket])
            {
                bucket++;
            }

            lock (Gate)
            {
                var (counts, sum, count) = _series.TryGetValue(labels, out var found) ? found : (new long[bounds.Length + 1], 0d, 0L);
                counts[bucket]++;
                _series[labels] = (counts, sum + value, count + 1);
            }
        }

        public override void Clear()
        {
        }

        public override void Write(StringBuilder text)
        {
            lock (Gate)
            {
                foreach (var (labels, (counts, sum, count)) in _series.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    var inner = labels.Length == 0 ? string.Empty : labels[1..^1] + ",";
                    var cumulative = 0L;
                    for (var bucket = 0; bucket <= bounds.Length; bucket++)
                    {
                        cumulative += counts[bucket];
                        var le = bucket < bounds.Length ? Number(bounds[bucket]) : "+Inf";
                        text.Append(Name).Append("_bucket{").Append(inner).Append("le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
                    }

                    text.Append(Name).Append("_sum").Append(labels).Append(' ').Append(Number(sum)).Append('\n');
                    text.Append(Name).Append("_count").Append(labels).Append(' ').Append(count).Append('\n');
                }
            }
        }
    }
}
