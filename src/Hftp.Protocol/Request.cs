using System.Text;

namespace Hftp.Protocol;

/// <summary>
/// One framed and parsed request line, over the bytes the <see cref="RequestReader"/> kept: valid until the reader
/// reads again, so it is used at once and never stored. <see cref="Status"/> is <see cref="StatusCode.Ok"/> when the
/// line is a well-formed command; otherwise it is the reply the line earns (100, 101, 200 or 201).
/// </summary>
public readonly ref struct Request
{
    public Request(StatusCode status, RequestFault fault, Command command, ReadOnlySpan<byte> fileName, bool fileNameTooLong, ulong offset, ulong size, bool isRaw)
    {
        FileName = fileName;
        (Status, Fault, Command, FileNameTooLong, Offset, Size, IsRaw) = (status, fault, command, fileNameTooLong, offset, size, isRaw);
    }

    public StatusCode Status { get; }

    public RequestFault Fault { get; }

    public Command Command { get; }

    /// <summary>The FILENAME argument's bytes (ASCII, checked); empty when the command has none or it is too long.</summary>
    public ReadOnlySpan<byte> FileName { get; }

    /// <summary>The FILENAME is longer than any file name can be: it names no file.</summary>
    public bool FileNameTooLong { get; }

    public ulong Offset { get; }

    public ulong Size { get; }

    /// <summary>A <c>get_slice</c> that ends in <c>raw</c> (2026): the reply is the bytes themselves, not base64.</summary>
    public bool IsRaw { get; }

    public bool IsValid => Status == StatusCode.Ok;

    /// <summary>Whether the request names a file that can exist (a FILENAME argument of a possible length).</summary>
    public bool HasFileName => !FileName.IsEmpty;

    /// <summary>The file name as text, for logs and tests; null when there is none or it is too long.</summary>
    public string? FileNameText => HasFileName ? Encoding.ASCII.GetString(FileName) : null;

    /// <summary>The bytes a <c>get_slice</c> asks for; its range rule is <see cref="SliceRange.FitsIn"/>.</summary>
    public SliceRange Range => new(Offset, Size);

    public static Request Rejected(StatusCode status) => new(status, RequestFault.None, default, default, false, 0, 0, false);

    public static Request Faulted(RequestFault fault) => new(fault.Status(), fault, default, default, false, 0, 0, false);
}
