namespace Hftp.Protocol;

/// <summary>Every status an HFTP reply can carry. Messages and fatality live in <see cref="StatusCodes"/>.</summary>
public enum StatusCode
{
    Ok = 0,
    BadEol = 100,
    BadRequest = 101,
    InternalServerError = 199,
    NoSuchCommand = 200,
    InvalidArguments = 201,
    FileNotFound = 202,
    OffsetExceedsFileSize = 203,
}
