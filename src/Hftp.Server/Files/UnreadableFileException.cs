namespace Hftp.Server.Files;

/// <summary>
/// A served file that may not be read: opening it was refused (EACCES, EPERM), or its mode has no read permission
/// bit at all. Answered 199 like any failure to read (PROTOCOL.md, 2026), yet still listed and sized.
/// </summary>
internal sealed class UnreadableFileException(string name, string reason) : IOException($"Cannot read '{name}': {reason}")
{
}
