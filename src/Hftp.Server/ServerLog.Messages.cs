using System.Net;
using Hftp.Protocol;
using Hftp.Server.Networking;
using Serilog;
using Serilog.Events;

namespace Hftp.Server;

/// <summary>
/// The log lines of a <see cref="Connection"/> that choose among several templates: its opening and closing lines, at
/// the level it picks, and its line per answered request at Debug. A message with one template is written where it
/// happens. Events at Debug are built only when Debug is enabled, so the request path pays nothing for them otherwise.
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
        // Five values or more are boxed into an array before Serilog looks at the level: a slowloris shed at Warning
        // made 10,000 closing threads allocate, each taking a fresh allocation context, for a line never written.
        if (!logger.IsEnabled(level))
        {
            return;
        }

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
}
