using Hftp.Protocol;

namespace Hftp.Protocol.Cases;

/// <summary>
/// One row of PROTOCOL.md's rules: the exact request bytes, the status they earn, and whether the
/// connection then closes. Rows that reach the file system assume <see cref="ProtocolCases.SampleFile"/>.
/// </summary>
public sealed record ProtocolCase(string Name, byte[] Request, StatusCode Expected)
{
    public bool Closes => Expected.IsFatal();

    /// <summary>What the parser alone decides: 202 and 203 need the file system, so to it those lines are well-formed.</summary>
    public StatusCode ParserVerdict => Expected is StatusCode.FileNotFound or StatusCode.OffsetExceedsFileSize ? StatusCode.Ok : Expected;

    public override string ToString() => Name;
}
