namespace Hftp.Server.Files;

/// <summary>A served file ended before the slice promised by its earlier size.</summary>
internal sealed class FileShrankException(long wantedEnd, long lengthWhenOpened)
    : IOException($"The file ended before byte {wantedEnd}; it was {lengthWhenOpened} bytes when opened")
{
}
