namespace Hftp.Protocol;

/// <summary>
/// The bytes a <c>get_slice</c> asks for, <c>[Offset, Offset + Size)</c>, and the protocol's range rule: the range
/// must lie inside the file, or the reply is <see cref="StatusCode.OffsetExceedsFileSize"/> (203). Offsets and
/// sizes are unsigned 64-bit and the rule never overflows: a number that saturated while parsing is simply past
/// the end of any file.
/// </summary>
public readonly record struct SliceRange(ulong Offset, ulong Size)
{
    /// <summary>True when every byte of the range is inside a file of <paramref name="fileLength"/> bytes.</summary>
    public bool FitsIn(long fileLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileLength);
        return Offset <= (ulong)fileLength && Size <= (ulong)fileLength - Offset;
    }

    /// <summary>What the range earns against a file of <paramref name="fileLength"/> bytes: 0 OK, or 203.</summary>
    public StatusCode StatusFor(long fileLength) => FitsIn(fileLength) ? StatusCode.Ok : StatusCode.OffsetExceedsFileSize;
}
