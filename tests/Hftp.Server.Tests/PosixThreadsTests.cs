using Hftp.Server.Networking;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>Connection threads started with pthread_create (Linux): managed threads like any other, named, in the background.</summary>
public sealed class PosixThreadsTests
{
    [Fact]
    public async Task AStartedThreadRunsItsBodyOnAThreadOfItsOwnNamedAndInTheBackground()
    {
        if (!PosixThreads.IsSupported)
        {
            return; // elsewhere connection threads start with Thread.Start
        }

        var ran = new TaskCompletionSource<(int Id, string Name, bool IsBackground)>(TaskCreationOptions.RunContinuationsAsynchronously);
        PosixThreads.Start(
            () => ran.SetResult((Environment.CurrentManagedThreadId, File.ReadAllText("/proc/thread-self/comm").Trim(), Thread.CurrentThread.IsBackground)),
            256 * 1024,
            "hftp-thread-name-cut-at-15");

        var (id, name, isBackground) = await ran.Task.WaitAsync(TestTimeouts.Condition);
        Assert.NotEqual(Environment.CurrentManagedThreadId, id);
        Assert.Equal("hftp-thread-nam", name);
        Assert.True(isBackground);
    }

    [Fact]
    public void AThreadTheSystemRefusesThrowsAsThreadStartDoesAndRunsNothing()
    {
        if (!PosixThreads.IsSupported)
        {
            return;
        }

        var ran = false;

        // A stack of 1 byte is below PTHREAD_STACK_MIN: refused before any thread exists.
        var refused = Assert.Throws<OutOfMemoryException>(() => PosixThreads.Start(() => ran = true, 1, "hftp-refused"));

        Assert.Contains("pthread_create failed", refused.Message, StringComparison.Ordinal);
        Assert.False(ran);
    }
}
