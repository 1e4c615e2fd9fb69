namespace Hftp.Client;

/// <summary>Base of every failure the client reports: a status from the server, a broken reply, a lost connection.</summary>
public class HftpException : Exception
{
    public HftpException()
    {
    }

    public HftpException(string message)
        : base(message)
    {
    }

    public HftpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
