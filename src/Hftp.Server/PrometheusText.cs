using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Hftp.Server;

/// <summary>
/// Collects the server's meter on demand and writes it in the Prometheus text format (0.0.4), named as
/// OpenTelemetry's Prometheus exporter names it: dots become underscores, the unit is a suffix (s: _seconds,
/// By: _bytes; annotations such as {connection} none), counters end in _total, and every sample carries
/// otel_scope_name and otel_scope_version. Collection runs on the caller's thread, so a scrape needs no thread pool.
/// </summary>
internal sealed partial class PrometheusText : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Lock _collecting = new();
    private readonly TextExporter _exporter = new();
    private readonly BaseExportingMetricReader _reader;
    private readonly MeterProvider _provider;
    private readonly string _targetInfo;

    public PrometheusText(string meterName, string serviceName, string? serviceVersion)
    {
        _reader = new BaseExportingMetricReader(_exporter);
        _provider = Sdk.CreateMeterProviderBuilder().AddMeter(meterName).AddReader(_reader).Build();
        _targetInfo = "# TYPE target_info gauge\n# HELP target_info Target metadata\n"
            + $"target_info{{service_name=\"{Escape(serviceName)}\",service_version=\"{Escape(serviceVersion ?? "unknown")}\"}} 1\n";
    }

    /// <summary>The instruments as they are now, as UTF-8 text.</summary>
    public byte[] Collect()
    {
        lock (_collecting)
        {
            _exporter.Text.Clear().Append(_targetInfo);
            _reader.Collect();
            return Encoding.UTF8.GetBytes(_exporter.Text.ToString());
        }
    }

    public void Dispose() => _provider.Dispose();

    // Push and pull, the default: a pull-only exporter is collected only through the SDK's own pull scope. With no
    // periodic reader nothing pushes; each Collect exports once, into Text.
    private sealed class TextExporter : BaseExporter<Metric>
    {
        public StringBuilder Text { get; } = new();

        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                Write(Text, metric);
            }

            return ExportResult.Success;
        }
    }

    private static void Write(StringBuilder text, Metric metric)
    {
        var counter = metric.MetricType is MetricType.LongSum or MetricType.DoubleSum;
        var histogram = metric.MetricType == MetricType.Histogram;
        var name = NameOf(metric, counter);
        var type = counter ? "counter" : histogram ? "histogram" : "gauge";
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        if (!string.IsNullOrEmpty(metric.Description))
        {
            // HELP escapes backslashes and line feeds only; a label value also quotes.
            text.Append("# HELP ").Append(name).Append(' ').Append(Escape(metric.Description, quotes: false)).Append('\n');
        }

        var scope = $"otel_scope_name=\"{Escape(metric.MeterName)}\",otel_scope_version=\"{Escape(metric.MeterVersion ?? string.Empty)}\"";
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = new StringBuilder(scope);
            foreach (var tag in point.Tags)
            {
                labels.Append(',').Append(Sanitize(tag.Key)).Append("=\"")
                    .Append(Escape(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty)).Append('"');
            }

            if (histogram)
            {
                WriteHistogram(text, name, labels.ToString(), point);
            }
            else
            {
                Sample(text, name, labels.ToString(), ValueOf(metric.MetricType, point));
            }
        }
    }

    private static void WriteHistogram(StringBuilder text, string name, string labels, in MetricPoint point)
    {
        long cumulative = 0;
        foreach (var bucket in point.GetHistogramBuckets())
        {
            cumulative += bucket.BucketCount;
            var bound = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : Number(bucket.ExplicitBound);
            text.Append(name).Append("_bucket{").Append(labels).Append(",le=\"").Append(bound).Append("\"} ")
                .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        Sample(text, name + "_sum", labels, Number(point.GetHistogramSum()));
        Sample(text, name + "_count", labels, point.GetHistogramCount().ToString(CultureInfo.InvariantCulture));
    }

    private static void Sample(StringBuilder text, string name, string labels, string value) =>
        text.Append(name).Append('{').Append(labels).Append("} ").Append(value).Append('\n');

    private static string ValueOf(MetricType type, in MetricPoint point) => type switch
    {
        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong().ToString(CultureInfo.InvariantCulture),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => Number(point.GetSumDouble()),
        MetricType.LongGauge => point.GetGaugeLastValueLong().ToString(CultureInfo.InvariantCulture),
        MetricType.DoubleGauge => Number(point.GetGaugeLastValueDouble()),
        _ => "NaN",
    };

    private static string NameOf(Metric metric, bool counter)
    {
        var name = Sanitize(metric.Name);
        var unit = metric.Unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            null or "" or "1" => null,
            var annotation when annotation.StartsWith('{') => null,
            var other => Sanitize(other),
        };
        if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        return counter ? name + "_total" : name;
    }

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Sanitize(string name) => NotAllowedInName().Replace(name, "_");

    [GeneratedRegex("[^A-Za-z0-9_:]")]
    private static partial Regex NotAllowedInName();

    private static string Escape(string value, bool quotes = true)
    {
        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return quotes ? escaped.Replace("\"", "\\\"", StringComparison.Ordinal) : escaped;
    }
}
