using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>One answer of a pipelined <see cref="HftpClient.GetSizesAsync"/>: a size, or the status that refused it.</summary>
public sealed record FileSizeResult(string Name, StatusCode Status, string Message, long Size)
{
    public bool Found => Status == StatusCode.Ok;
}
