namespace Hftp.Client;

/// <summary>The server's reply does not follow the protocol (bad status line, bad base64, wrong length).</summary>
public sealed class HftpProtocolException : HftpException
{
    public HftpProtocolException()
    {
    }

    public HftpProtocolException(string message)
        : base(message)
    {
    }

    public HftpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
