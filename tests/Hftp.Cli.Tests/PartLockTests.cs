using System.Runtime.InteropServices;
using Hftp.Cli.Files;

namespace Hftp.Cli.Tests;

/// <summary>
/// A part's lock ends with the part, even while a copy of its descriptor lives on: what a child process forked
/// meanwhile holds until it runs its program (the test suite starts processes while in-process downloads run).
/// </summary>
public sealed partial class PartLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-partlock-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [LinuxFact]
    public void AClosedPartIsUnlockedWhileACopyOfItsDescriptorLives()
    {
        var output = Path.Combine(_directory, "data.bin");
        var files = LocalFileSystem.Instance;
        var wanted = new ResumeState("127.0.0.1", 19500, "data.bin", 10, 0, 10, new ByteRanges());
        var part = PartFile.Open(files, output, wanted, resume: false, force: false, _ => { });
        var copy = Duplicate((int)part.Handle.DangerousGetHandle());
        try
        {
            Assert.Null(files.TryOpenLocked(part.Path, out _)); // locked while open
            part.Dispose();
            using var again = files.TryOpenLocked(part.Path, out _);
            Assert.NotNull(again);
        }
        finally
        {
            _ = CloseDescriptor(copy);
        }
    }

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Duplicate(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseDescriptor(int descriptor);
}
