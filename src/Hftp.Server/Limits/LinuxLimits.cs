using System.Runtime.InteropServices;

namespace Hftp.Server.Limits;

/// <summary>getrlimit and setrlimit: the kernel's per-process limits, which .NET does not expose.</summary>
internal static partial class LinuxLimits
{
    // Same numbers on x86-64, ARM and ARM64 (the architectures .NET supports on Linux).
    public const int ProcessCount = 6;
    public const int OpenFiles = 7;

    /// <summary>rlim_t's "no limit".</summary>
    public const ulong Unlimited = ulong.MaxValue;

    [StructLayout(LayoutKind.Sequential)]
    public struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    public static bool TryGet(int resource, out ResourceLimit limit) => GetResourceLimit(resource, out limit) == 0;

    public static bool TrySet(int resource, ResourceLimit limit) => SetResourceLimit(resource, limit) == 0;

    public static uint RealUserId() => GetUserId();

    public static uint EffectiveUserId() => GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetResourceLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetResourceLimit(int resource, in ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUserId();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
