using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Hftp.Server;

/// <summary>
/// Serves the server's metrics (meter <see cref="ServerMetrics.MeterName"/>) in the Prometheus text format at
/// <c>http://ADDRESS:PORT/metrics</c>, through OpenTelemetry's Prometheus exporter on its own HttpListener.
/// Prometheus pulls, so each scrape collects the instruments at that moment.
/// </summary>
public sealed class MetricsEndpoint : IDisposable
{
    public const string Path = "/metrics";

    private readonly MeterProvider _provider;

    private MetricsEndpoint(MeterProvider provider, IPEndPoint endPoint)
    {
        _provider = provider;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The scrape address, e.g. <c>http://127.0.0.1:9464/metrics</c>.</summary>
    public Uri Uri => new($"http://{EndPoint}{Path}");

    /// <summary>Starts listening; throws <see cref="MetricsEndpointException"/> when the address cannot be bound.</summary>
    public static MetricsEndpoint Start(IPEndPoint endPoint)
    {
        try
        {
            var provider = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(resource => resource.AddService("hftp-server", serviceVersion: ServerMetrics.Version))
                .AddMeter(ServerMetrics.MeterName)
                .AddPrometheusHttpListener(options =>
                {
                    options.Host = HostOf(endPoint.Address);
                    options.Port = endPoint.Port;
                    options.ScrapeEndpointPath = Path;

                    // Every scrape is current: the default caches a response for 300 ms.
                    options.ScrapeResponseCacheDurationMilliseconds = 0;
                })
                .Build();
            return new MetricsEndpoint(provider, endPoint);
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpListenerException or SocketException)
        {
            // The exporter wraps the listener's failure (address in use, not local) in an InvalidOperationException.
            var cause = exception.InnerException ?? exception;
            throw new MetricsEndpointException(cause.Message, exception);
        }
    }

    public void Dispose() => _provider.Dispose();

    // HttpListener binds the prefix's host and answers only requests whose Host header names it; "*" binds every
    // interface and answers any name. Its prefix parser cannot take IPv6 addresses, so the option allows IPv4 only.
    private static string HostOf(IPAddress address) => address.Equals(IPAddress.Any) ? "*" : address.ToString();
}
