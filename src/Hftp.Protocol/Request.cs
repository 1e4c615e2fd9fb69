namespace Hftp.Protocol;

/// <summary>
/// One framed and parsed request line. <see cref="Status"/> is <see cref="StatusCode.Ok"/> when the line is
/// a well-formed command; otherwise it is the reply the line earns (100, 101, 200 or 201).
/// </summary>
/// <param name="FileName">
/// The FILENAME argument; null when it is longer than any file name can be (it names no file). A
/// <see cref="RequestReader"/> hands back the same string instance for a name among the last few distinct names it
/// read, so a client that repeats names costs no allocation; compare names by value all the same.
/// </param>
/// <param name="IsRaw">A <c>get_slice</c> that ends in <c>raw</c> (2026): the reply is the bytes themselves, not base64.</param>
public readonly record struct Request(
    StatusCode Status,
    RequestFault Fault,
    Command Command,
    string? FileName,
    ulong Offset,
    ulong Size,
    bool IsRaw = false)
{
    public bool IsValid => Status == StatusCode.Ok;

    /// <summary>The bytes a <c>get_slice</c> asks for; its range rule is <see cref="SliceRange.FitsIn"/>.</summary>
    public SliceRange Range => new(Offset, Size);

    public static Request Rejected(StatusCode status) => new(status, RequestFault.None, default, null, 0, 0);

    public static Request Faulted(RequestFault fault) => new(fault.Status(), fault, default, null, 0, 0);
}
