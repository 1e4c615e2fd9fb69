namespace Hftp.Cli.Files;

/// <summary>What a name in the file system is, seen without following it.</summary>
internal enum PathKind
{
    Missing,
    Regular,
    SymbolicLink,
    Directory,
    CharacterDevice,
    Fifo,
    Other,
}

/// <summary>Which file a name or a descriptor is: device and inode.</summary>
internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode);
