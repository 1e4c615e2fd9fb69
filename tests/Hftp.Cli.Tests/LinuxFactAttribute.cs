namespace Hftp.Cli.Tests;

/// <summary>A fact about a Linux system call: skipped, and saying so, on other systems.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "a Linux system call";
        }
    }
}
