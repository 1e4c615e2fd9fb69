namespace Hftp.Client;

/// <summary>Timeouts of an <see cref="HftpClient"/>: a silent server becomes an exception, never a hang.</summary>
public sealed record HftpClientOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for the next bytes of a reply (not for the whole reply: a large slice may take long).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
