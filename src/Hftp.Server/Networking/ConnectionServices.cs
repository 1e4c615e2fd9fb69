using System.Buffers;
using Hftp.Server.Files;
using Hftp.Server.Threads;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>What a server lends each of its connections: all of it belongs to that server instance, none is shared.</summary>
internal sealed record ConnectionServices(
    ServerOptions Options,
    FileStore Files,
    ArrayPool<byte> Buffers,
    ArrayPool<byte> SmallBuffers,
    ILogger Logger,
    ServerMetrics Metrics,
    TimeoutReport TimeoutReport,
    TimeProvider Time,
    SpareThreadPool<ConnectionScratch> Threads,
    SemaphoreSlim SliceEncoders);
