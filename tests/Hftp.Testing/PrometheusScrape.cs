using System.Globalization;
using System.Text.RegularExpressions;

namespace Hftp.Testing;

/// <summary>
/// One scrape of a Prometheus text endpoint, parsed into samples: <c>name{label="value",...} number</c> per line.
/// Enough of the format for the exporter's output (no escaped quotes in our label values, no timestamps).
/// </summary>
public sealed partial class PrometheusScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private PrometheusScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"Not a Prometheus sample line: '{line}'");
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups["key"].Value] = label.Groups["value"].Value;
            }

            _samples.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>The text as served.</summary>
    public string Text { get; }

    public static async Task<PrometheusScrape> FetchAsync(HttpClient client, Uri uri) =>
        new(await client.GetStringAsync(uri));

    /// <summary>The sum of the samples named <paramref name="name"/> that carry every label given; 0 when there is none.</summary>
    public double Value(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(sample => sample.Name == name && labels.All(label => sample.Labels.GetValueOrDefault(label.Key) == label.Value))
            .Sum(sample => sample.Value);

    /// <summary>True when at least one sample is named <paramref name="name"/>.</summary>
    public bool Has(string name) => _samples.Any(sample => sample.Name == name);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>[^""]*)""")]
    private static partial Regex LabelPair();
}
