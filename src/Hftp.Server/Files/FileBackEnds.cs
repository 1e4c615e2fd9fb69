namespace Hftp.Server.Files;

/// <summary>Picks the back end: the option, else HFTP_FILE_BACKEND, else the Linux one on Linux and the portable one elsewhere.</summary>
internal static class FileBackEnds
{
    public const string EnvironmentVariable = "HFTP_FILE_BACKEND";

    public static IServedFileSystem Create(string root, FileBackEnd backEnd)
    {
        var chosen = backEnd == FileBackEnd.Automatic ? FromEnvironment() : backEnd;
        if (chosen == FileBackEnd.Linux || (chosen == FileBackEnd.Automatic && OperatingSystem.IsLinux()))
        {
            return OperatingSystem.IsLinux()
                ? new LinuxFileSystem(root)
                : throw new PlatformNotSupportedException("The Linux file back end runs on Linux only; use the portable one.");
        }

        return new PortableFileSystem(root);
    }

    private static FileBackEnd FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(text))
        {
            return FileBackEnd.Automatic;
        }

        return Enum.TryParse<FileBackEnd>(text, ignoreCase: true, out var backEnd) && Enum.IsDefined(backEnd) && !int.TryParse(text, out _)
            ? backEnd
            : throw new ArgumentException($"{EnvironmentVariable} must be linux or portable (got '{text}').");
    }
}
