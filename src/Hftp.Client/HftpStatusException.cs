using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>The server answered with a non-zero status. <see cref="ServerMessage"/> is what it said.</summary>
public sealed class HftpStatusException : HftpException
{
    public HftpStatusException()
    {
    }

    public HftpStatusException(string message)
        : base(message)
    {
    }

    public HftpStatusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HftpStatusException(StatusCode status, string serverMessage, string? fileName)
        : base($"{(fileName is null ? string.Empty : fileName + ": ")}{serverMessage} ({(int)status})")
    {
        Status = status;
        ServerMessage = serverMessage;
        FileName = fileName;
    }

    /// <summary>A status explained in the client's own words (<paramref name="message"/>), with the server's kept.</summary>
    internal HftpStatusException(string message, StatusCode status, string serverMessage)
        : base(message)
    {
        Status = status;
        ServerMessage = serverMessage;
    }

    public StatusCode Status { get; }

    public string ServerMessage { get; } = string.Empty;

    public string? FileName { get; }

    /// <summary>True for 1xx statuses: the server has closed the connection.</summary>
    public bool IsFatal => Status.IsFatal();
}
