namespace Hftp.Protocol;

/// <summary>
/// One framed and parsed request line. <see cref="Status"/> is <see cref="StatusCode.Ok"/> when the line is
/// a well-formed command; otherwise it is the reply the line earns (100, 101, 200 or 201).
/// </summary>
public readonly record struct Request(
    StatusCode Status,
    RequestFault Fault,
    Command Command,
    string? FileName,
    ulong Offset,
    ulong Size)
{
    public bool IsValid => Status == StatusCode.Ok;

    /// <summary>
    /// True when the line named a file of valid characters longer than any file name can be: such a name
    /// is well-formed (the reply is 202, not 201) but was not kept, so <see cref="FileName"/> is null.
    /// </summary>
    public bool FileNameTooLong => IsValid && FileName is null && Command is Command.GetMetadata or Command.GetSlice;

    public static Request Rejected(StatusCode status) => new(status, RequestFault.None, default, null, 0, 0);

    public static Request Faulted(RequestFault fault) => new(fault.Status(), fault, default, null, 0, 0);
}
