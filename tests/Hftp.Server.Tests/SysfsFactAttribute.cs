namespace Hftp.Server.Tests;

/// <summary>
/// A fact that needs Linux sysfs: its files claim 4096 bytes and read fewer, a real read failure no other file
/// gives. Skipped, not failed, where sysfs is absent (macOS, Windows, a container without /sys).
/// </summary>
public sealed class SysfsFactAttribute : FactAttribute
{
    public const string Directory = "/sys/kernel";

    public const string FileName = "address_bits";

    public SysfsFactAttribute()
    {
        if (!File.Exists(Path.Combine(Directory, FileName)))
        {
            Skip = $"{Path.Combine(Directory, FileName)} is absent: this test needs Linux sysfs";
        }
    }
}
