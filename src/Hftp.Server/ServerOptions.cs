using System.Net;
using Hftp.Protocol;

namespace Hftp.Server;

/// <summary>Everything a server needs to start, and every number it is tuned by: the command line, the metrics and the
/// tests read them from here. Each default says in one line why it is right.</summary>
public sealed record ServerOptions
{
    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>TCP port; 0 asks the system for a free one.</summary>
    public int Port { get; init; } = Defaults.Port;

    public string Directory { get; init; } = "testdata";

    /// <summary>Longer lines are 101: PROTOCOL.md's default, 16 MiB, far past the longest valid line (about 300 bytes).</summary>
    public long MaxRequestLineLength { get; init; } = Syntax.DefaultMaxRequestLineLength;

    /// <summary>Connections served at once; null derives it from the process's limits at start.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Idle threads kept ahead of demand (Apache's MinSpareThreads): a new client seldom waits for a thread to start.</summary>
    public int MinSpareThreads { get; init; } = 16;

    /// <summary>Idle threads kept at most (MaxSpareThreads): beyond it threads end, 1,000 a second, giving their stacks back; in a burst 240 are kept.</summary>
    public int MaxSpareThreads { get; init; } = 256;

    /// <summary>How long an idle thread beyond <see cref="MinSpareThreads"/> is kept: a burst's threads serve the next burst, then go.</summary>
    public TimeSpan SpareThreadIdleTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Stack per connection thread: the request path is shallow (measured under 32 KiB), and 10,000 threads reserve 1.25 GiB, not 80.</summary>
    public int ConnectionStackSize { get; init; } = 128 * 1024;

    /// <summary>How long a connection may wait for the first byte of its next request; infinite for none.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a request line may take from its first byte to its end; infinite for none.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a send may make no progress because the client reads nothing; infinite for none.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>On stop, how long replies already under way may take to finish before they are cut.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After a last reply, how long what the client still sends is read and dropped, so closing sends FIN, not RST.</summary>
    public TimeSpan LingerTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often deadlines are checked, at most a quarter of the shortest timeout (a test's 1 s timeout is not
    /// cut at 2 s); each is at most this late, and a pass over 10,000 connections takes well under 1 ms.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long accepting pauses after the system refused a thread or a descriptor: some connection may end meanwhile.</summary>
    public TimeSpan BackOffTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>One log line per interval for each recurring condition (cap reached, out of descriptors), however many clients meet it.</summary>
    public TimeSpan WarningInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A short reply's buffer, taken while it is written and sent: a listing of ~100 names fits.</summary>
    public int SmallReplyBufferSize { get; init; } = 4 * 1024;

    /// <summary>Small buffers kept per server (4 MiB): as many as thousands of threads, many preempted mid-reply, hold at once.</summary>
    public int RetainedSmallBuffers { get; init; } = 1024;

    /// <summary>A slice's buffer: ~180 KiB of file read and encoded in place per fill (see SliceWriter); more measured no faster.</summary>
    public int LargeReplyBufferSize { get; init; } = 256 * 1024;

    /// <summary>Large buffers kept for reuse per server: as many slices as are sent at once on a few cores; a burst's extras are dropped.</summary>
    public int RetainedLargeBuffers { get; init; } = 16;

    /// <summary>Unsent bytes the kernel keeps per connection (TCP_NOTSENT_LOWAT, Linux): a blocked send moves as the
    /// client reads, not once a loopback queue of megabytes drained by half; less kernel memory held.</summary>
    public int UnsentBytes { get; init; } = 128 * 1024;

    /// <summary>Unsent bytes kept while sendfile(2) sends a raw slice: waking every MiB read, not every 128 KiB, cut a
    /// GB's server CPU to 0.24-0.25 s from 0.28-0.32 (nginx: 0.27-0.29; bench/raw.sh, /usr/bin/time).</summary>
    public int FileSendUnsentBytes { get; init; } = 1024 * 1024;

    /// <summary>Bytes per sendfile(2) call, as the old server's and nginx's sendfile_max_chunk: raw bulk 64 MiB, 0.98
    /// of the old server's MB/s; in 256 KiB calls, 0.77 (bench/compare.sh 9398407 at 65d9ccf and at 7b287b0,
    /// 2026-12-07).</summary>
    public int FileSendChunkSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>Large base64 slices read and encoded ahead at once on a second thread (see SliceEncoder): the cores
    /// less one. HFTP_ENCODE_AHEAD=0 turns it off, for bench/raw.sh to measure what it is worth.</summary>
    public int SliceEncoders { get; init; } =
        Environment.GetEnvironmentVariable("HFTP_ENCODE_AHEAD") == "0" ? 0 : Math.Max(Environment.ProcessorCount - 1, 0);

    /// <summary>Slices from this size on are encoded ahead: below it, handing chunks between threads costs more than it saves.</summary>
    public long MinimumEncodedAheadSliceSize { get; init; } = 1024 * 1024;

    /// <summary>Every connection starts with a PROXY protocol header (v1 or v2) from a load balancer naming the client.</summary>
    public bool ProxyProtocol { get; init; }

    /// <summary>Where to serve Prometheus metrics (<c>--metrics</c>); null for none.</summary>
    public IPEndPoint? MetricsEndPoint { get; init; }
}
