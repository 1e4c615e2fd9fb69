namespace Hftp.Server.Networking;

/// <summary>How long a connection may wait on its client; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</summary>
internal sealed record ConnectionTimeouts(TimeSpan Idle, TimeSpan Request, TimeSpan Send)
{
    public static readonly ConnectionTimeouts None = new(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    public static ConnectionTimeouts From(ServerOptions options) => new(options.IdleTimeout, options.RequestTimeout, options.SendTimeout);

    /// <summary>A socket option's milliseconds: 0 means no limit there, so a limit is at least 1 ms.</summary>
    public static int ToSocketMilliseconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? 0 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 1, int.MaxValue);
}
