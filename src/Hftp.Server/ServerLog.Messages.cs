using System.Net;
using Hftp.Protocol;
using Hftp.Server.Networking;
using Serilog;
using Serilog.Events;

namespace Hftp.Server;

/// <summary>
/// What the server says in the log, in one place: every message template of
/// <see cref="Connection"/>, <see cref="RequestExecutor"/> and <see cref="Files.FileStore"/>, with its level.
/// Events at Debug are built only when Debug is enabled, so the request path pays nothing for them otherwise.
/// </summary>
public sealed partial class ServerLog
{
    internal static void Connected(ILogger logger, LogEventLevel level, IPEndPoint? remote, IPEndPoint? proxy)
    {
        if (proxy is null)
        {
            logger.Write(level, "Connected by {Remote}", remote);
        }
        else
        {
            logger.Write(level, "Connected by {Remote} through proxy {Proxy}", remote, proxy);
        }
    }

    internal static void Closed(
        ILogger logger, LogEventLevel level, IPEndPoint? remote, CloseReason reason, string? networkError, long requests, long bytesSent, TimeSpan duration)
    {
        if (networkError is null)
        {
            logger.Write(level, "Closed {Remote} ({Reason}): requests served {Requests}, bytes sent {BytesSent}, {Seconds:0.000} s",
                remote, reason, requests, bytesSent, duration.TotalSeconds);
        }
        else
        {
            logger.Write(level, "Closed {Remote} ({Reason}: {Error}): requests served {Requests}, bytes sent {BytesSent}, {Seconds:0.000} s",
                remote, reason, networkError, requests, bytesSent, duration.TotalSeconds);
        }
    }

    internal static void UnexpectedFailure(ILogger logger, Exception exception, IPEndPoint? remote) =>
        logger.Error(exception, "Unexpected failure serving {Remote}", remote);

    internal static void SendTimedOut(ILogger logger, IPEndPoint? remote, TimeSpan timeout) =>
        logger.Warning("{Remote} reads nothing: a send made no progress for {Seconds:0.###} s (send timeout), closing", remote, timeout.TotalSeconds);

    internal static void BadProxyHeader(ILogger logger, IPEndPoint? remote, string? error) =>
        logger.Warning("{Remote} sent {Error} (--proxy-protocol expects one first on every connection): closing without a reply", remote, error);

    internal static void ClientFault(ILogger logger, IPEndPoint? remote, RequestFault fault, StatusCode status) =>
        logger.Warning("{Remote} sent {Fault}: replied {Status}, closing", remote, fault.Explain(), status.Describe());

    internal static void FailedAfterReplyBegan(ILogger logger, Exception exception, Command command, IPEndPoint? remote) =>
        logger.Error(exception, "Failed {Command} for {Remote} after its reply began; closing", command.Name(), remote);

    internal static void FailedBeforeReply(ILogger logger, Exception exception, Command command, IPEndPoint? remote, StatusCode status) =>
        logger.Error(exception, "Failed {Command} for {Remote}: replied {Status}, closing", command.Name(), remote, status.Describe());

    /// <summary>One line per answered request at Debug, written once it is answered, so it tells what the client got.</summary>
    internal static void RequestAnswered(ILogger logger, IPEndPoint? remote, in Request request, StatusCode status, long replyBytes)
    {
        if (!logger.IsEnabled(LogEventLevel.Debug))
        {
            return;
        }

        if (!request.IsValid)
        {
            logger.Debug("{Remote} sent an invalid request -> {Status}, {Bytes} bytes", remote, status.Describe(), replyBytes);
        }
        else if (request.Command == Command.GetSlice)
        {
            logger.Debug("{Remote} {Command} {FileName} {Offset} {Size} -> {Status}, {Bytes} bytes",
                remote, request.Command.Name(), request.FileNameText ?? "(name too long)", request.Offset, request.Size, status.Describe(), replyBytes);
        }
        else if (request.Command == Command.GetMetadata)
        {
            logger.Debug("{Remote} {Command} {FileName} -> {Status}, {Bytes} bytes",
                remote, request.Command.Name(), request.FileNameText ?? "(name too long)", status.Describe(), replyBytes);
        }
        else
        {
            logger.Debug("{Remote} {Command} -> {Status}, {Bytes} bytes", remote, request.Command.Name(), status.Describe(), replyBytes);
        }
    }

    internal static void LeftOutOfListing(ILogger logger, string name, string? error) =>
        logger.Warning("Leaving {Name} out of the listing: {Error}", name, error);

    internal static void DirectoryMissing(ILogger logger, string directory) =>
        logger.Warning("Served directory {Directory} does not exist; serving nothing until it does", directory);

    internal static void DirectoryBack(ILogger logger, string directory) =>
        logger.Information("Served directory {Directory} exists again", directory);
}
