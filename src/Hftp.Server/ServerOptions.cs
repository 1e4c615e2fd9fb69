using System.Net;
using Hftp.Protocol;

namespace Hftp.Server;

/// <summary>Everything a server needs to start: where to listen, what to serve, and its limits.</summary>
public sealed record ServerOptions
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultSendTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(10);
    public const int DefaultSpareThreads = 16;
    public const int DefaultMaxSpareThreads = 256;
    public static readonly TimeSpan DefaultSpareThreadIdleTime = TimeSpan.FromSeconds(60);
    public const int DefaultThreadEndRate = 1000;

    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>TCP port; 0 asks the system for a free one.</summary>
    public int Port { get; init; } = Defaults.Port;

    public string Directory { get; init; } = "testdata";

    /// <summary>Which code examines and opens the served files; Automatic picks by platform (README, Platforms).</summary>
    public FileBackEnd FileBackEnd { get; init; }

    public long MaxRequestLineLength { get; init; } = Syntax.DefaultMaxRequestLineLength;

    /// <summary>Stack reserved per connection thread; the connection loop is shallow, so thousands fit.</summary>
    public int ConnectionStackSize { get; init; } = 128 * 1024;

    /// <summary>Idle connection threads kept started ahead of demand, so accepting a client seldom waits for a new thread.</summary>
    public int SpareThreads { get; init; } = DefaultSpareThreads;

    /// <summary>Idle connection threads kept at most for reuse; threads whose connections end beyond this wait as surplus.</summary>
    public int MaxSpareThreads { get; init; } = DefaultMaxSpareThreads;

    /// <summary>Surplus connection threads (past <see cref="MaxSpareThreads"/>) ended at most per second; until then a later connection reuses them.</summary>
    public int ThreadEndRate { get; init; } = DefaultThreadEndRate;

    /// <summary>
    /// Helper threads that read and encode a large slice while its connection thread sends it; null: one fewer than
    /// the cores (see <see cref="Networking.SliceEncoders"/>), 0: every slice on its connection's thread alone.
    /// </summary>
    public int? SliceEncoders { get; init; }

    /// <summary>Slices smaller than this are encoded by their connection threads alone (tests lower it).</summary>
    internal long MinimumEncodedAheadSliceSize { get; init; } = Networking.SliceEncoders.DefaultMinimumSliceSize;

    /// <summary>How long an idle connection thread beyond <see cref="SpareThreads"/> waits for a connection before it ends.</summary>
    public TimeSpan SpareThreadIdleTime { get; init; } = DefaultSpareThreadIdleTime;

    /// <summary>Connections served at once; null derives it from the process's limits at start.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>How long a connection may wait for the first byte of its next request; infinite for none.</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>How long a request line may take from its first byte to its end; infinite for none.</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>How long a send may make no progress because the client reads nothing; infinite for none.</summary>
    public TimeSpan SendTimeout { get; init; } = DefaultSendTimeout;

    /// <summary>On stop, how long replies already under way may take to finish before they are cut.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = DefaultShutdownTimeout;

    /// <summary>Every connection starts with a PROXY protocol header (v1 or v2) from a load balancer naming the client.</summary>
    public bool ProxyProtocol { get; init; }
    /// <summary>Where to serve Prometheus metrics (<c>--metrics</c>); null for none.</summary>
    public IPEndPoint? MetricsEndPoint { get; init; }
}
