namespace Hftp.Client;

/// <summary>The connection could not be made, dropped, or the server went silent past the timeout.</summary>
public sealed class HftpConnectionException : HftpException
{
    public HftpConnectionException()
    {
    }

    public HftpConnectionException(string message)
        : base(message)
    {
    }

    public HftpConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
