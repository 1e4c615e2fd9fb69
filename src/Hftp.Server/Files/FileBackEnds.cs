namespace Hftp.Server.Files;

/// <summary>Picks the back end: the option, else HFTP_FILE_BACKEND, else the Linux one on Linux and the portable one elsewhere.</summary>
internal static class FileBackEnds
{
    public const string EnvironmentVariable = "HFTP_FILE_BACKEND";

    /// <summary>The back end to use; <paramref name="ignoredSetting"/> is an environment value that named none.</summary>
    public static IServedFileSystem Create(string root, FileBackEnd backEnd, out string? ignoredSetting)
    {
        ignoredSetting = null;
        var chosen = backEnd == FileBackEnd.Automatic ? FromEnvironment(out ignoredSetting) : backEnd;
        if (chosen == FileBackEnd.Linux || (chosen == FileBackEnd.Automatic && OperatingSystem.IsLinux()))
        {
            return OperatingSystem.IsLinux()
                ? new LinuxFileSystem(root)
                : throw new PlatformNotSupportedException("The Linux file back end runs on Linux only; use the portable one.");
        }

        return new PortableFileSystem(root);
    }

    private static FileBackEnd FromEnvironment(out string? ignoredSetting)
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        ignoredSetting = null;
        if (string.IsNullOrEmpty(text))
        {
            return FileBackEnd.Automatic;
        }

        if (Enum.TryParse<FileBackEnd>(text, ignoreCase: true, out var backEnd) && Enum.IsDefined(backEnd) && !int.TryParse(text, out _))
        {
            return backEnd;
        }

        ignoredSetting = text;
        return FileBackEnd.Automatic;
    }
}
