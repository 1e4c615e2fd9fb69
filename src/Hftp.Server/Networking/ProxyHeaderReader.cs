using System.Net;

namespace Hftp.Server.Networking;

/// <summary>
/// Reads the PROXY protocol header a load balancer sends first (--proxy-protocol), under the request timeout. It
/// reads exactly as many bytes as the header can still need, so the client's first request stays in the socket.
/// </summary>
internal static class ProxyHeaderReader
{
    /// <summary>
    /// True with the client the proxy speaks for (null: the header names none). False with the reason when the bytes
    /// are no header, or ended first.
    /// </summary>
    public static bool TryRead(SocketDeadline deadline, ConnectionServices services, out IPEndPoint? source, out string? failure)
    {
        source = null;
        var buffer = services.Buffers.Rent(ProxyHeader.MaxVersion2Length);
        var started = services.Time.GetTimestamp();
        try
        {
            var received = 0;
            while (true)
            {
                var result = ProxyHeader.Parse(buffer.AsSpan(0, received));
                if (result.Status != ProxyHeaderStatus.Incomplete)
                {
                    (source, failure) = (result.Source, result.Error);
                    return result.Status == ProxyHeaderStatus.Complete;
                }

                var count = deadline.Receive(buffer.AsSpan(received, result.BytesNeeded), Wait.RestOfLine, services.Options.RequestTimeout, started);
                if (count <= 0)
                {
                    failure = count < 0
                        ? "no complete PROXY protocol header within the request timeout"
                        : "no complete PROXY protocol header before closing";
                    return false;
                }

                received += count;
            }
        }
        finally
        {
            services.Buffers.Return(buffer);
        }
    }
}
