namespace Hftp.Protocol.Tests;

/// <summary>
/// A <see cref="Request"/> copied out of the reader's bytes, for tests that keep, compare or print requests: a
/// <see cref="Request"/> is a ref struct, valid only until its reader reads again. <see cref="FileName"/> is the
/// request's <see cref="Request.FileNameText"/>: null when it has none or it is too long to name a file.
/// </summary>
internal readonly record struct ParsedRequest(
    StatusCode Status,
    RequestFault Fault,
    Command Command,
    string? FileName,
    ulong Offset,
    ulong Size,
    bool IsRaw = false)
{
    public static ParsedRequest Of(in Request request) =>
        new(request.Status, request.Fault, request.Command, request.FileNameText, request.Offset, request.Size, request.IsRaw);
}
