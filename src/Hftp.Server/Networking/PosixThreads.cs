using System.Runtime.InteropServices;

namespace Hftp.Server.Networking;

/// <summary>
/// Starts connection threads with pthread_create(3) on Linux; the runtime makes each a managed thread on its first
/// call into managed code (a background thread, as every thread the runtime did not start). Why not
/// <see cref="Thread.Start()"/>: it returns only once the new thread has run, waiting in a loop of sched_yield, and
/// with thousands of threads alive on a busy machine that handshake is most of a thread's cost. Measured on 2 cores,
/// 10,000 threads each left blocked in poll: Thread.Start 5.0k threads/s and 190-240 µs of CPU each; pthread_create
/// 13.6-14.4k/s and 90-100 µs. Every connection thread is created this way on Linux; elsewhere with Thread.Start.
/// </summary>
internal static unsafe partial class PosixThreads
{
    private const int CreateDetached = 1;

    // glibc's pthread_attr_t is 56 bytes on x86-64 and 64 on arm64: room for either.
    private const int AttributeBytes = 128;

    // pthread_setname_np takes at most 15 bytes and a terminating zero.
    private const int NameBytes = 16;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Starts an OS thread of <paramref name="stackSize"/> bytes of stack, named <paramref name="name"/> (ASCII, cut
    /// to 15 bytes), running <paramref name="body"/>; throws <see cref="OutOfMemoryException"/> when the system gives
    /// no thread, as <see cref="Thread.Start()"/> does. <paramref name="body"/> must not throw: nothing above it would
    /// catch it.
    /// </summary>
    public static void Start(Action body, int stackSize, string name)
    {
        var start = new StartRequest(body, name);
        var handle = GCHandle.Alloc(start);
        var attributes = stackalloc long[AttributeBytes / sizeof(long)];
        var error = pthread_attr_init(attributes);
        if (error == 0)
        {
            error = pthread_attr_setstacksize(attributes, (nuint)stackSize);
            error = error != 0 ? error : pthread_attr_setdetachstate(attributes, CreateDetached);
            error = error != 0 ? error : pthread_create(out _, attributes, &Run, GCHandle.ToIntPtr(handle));
            _ = pthread_attr_destroy(attributes);
        }

        if (error != 0)
        {
            handle.Free();

            // What Thread.Start throws for a thread the system refused, so both ways of starting fail alike.
#pragma warning disable CA2201
            throw new OutOfMemoryException($"pthread_create failed: {Marshal.GetPInvokeErrorMessage(error)}");
#pragma warning restore CA2201
        }
    }

    [UnmanagedCallersOnly]
    private static nint Run(nint state)
    {
        var handle = GCHandle.FromIntPtr(state);
        var start = (StartRequest)handle.Target!;
        handle.Free();

        // The name as Thread.Name would set it (ps, top, perf show it), without allocating a managed Thread object.
        var name = stackalloc byte[NameBytes];
        var length = Math.Min(start.Name.Length, NameBytes - 1);
        for (var index = 0; index < length; index++)
        {
            name[index] = (byte)start.Name[index];
        }

        name[length] = 0;
        _ = pthread_setname_np(pthread_self(), name);
        start.Body();
        return 0;
    }

    private sealed record StartRequest(Action Body, string Name);

    [LibraryImport("libc")]
    private static partial int pthread_attr_init(long* attributes);

    [LibraryImport("libc")]
    private static partial int pthread_attr_setstacksize(long* attributes, nuint stackSize);

    [LibraryImport("libc")]
    private static partial int pthread_attr_setdetachstate(long* attributes, int state);

    [LibraryImport("libc")]
    private static partial int pthread_attr_destroy(long* attributes);

    [LibraryImport("libc")]
    private static partial int pthread_create(out nuint thread, long* attributes, delegate* unmanaged<nint, nint> start, nint argument);

    [LibraryImport("libc")]
    private static partial nuint pthread_self();

    [LibraryImport("libc")]
    private static partial int pthread_setname_np(nuint thread, byte* name);
}
