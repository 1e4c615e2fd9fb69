using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Networking;

/// <summary>sendfile(2) for raw slices on Linux: the only system call the server makes itself, because .NET has no
/// Socket.SendFile for a range of an open file. The bytes go from the page cache to the socket without passing
/// through this process. Raw bulk 64 MiB on one connection, 2 cores: 2.00x (hftp-load) and 2.04x (hftp-benchmark) the
/// MB/s of the same server with HFTP_SENDFILE=0, at half its CPU per GB, medians of 8 alternating pairs (bench/raw.sh,
/// 2026-12-06, commit 0df30f4; docs/performance.md). Off elsewhere and with HFTP_SENDFILE=0, with which CI runs the
/// whole test suite (the raw and large-slice tests run a second time with it on).</summary>
internal static partial class SendFile
{
    private const int Interrupted = 4; // EINTR

    public static bool IsEnabled { get; } = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("HFTP_SENDFILE") != "0";

    /// <summary>Sends up to <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> (advanced by
    /// what was sent); 0 when the file ended first. Throws <see cref="SocketException"/>, mapped by the runtime.</summary>
    public static long Send(SafeSocketHandle socket, SafeFileHandle file, ref long offset, long count)
    {
        // The marshaller holds both handles for the call, so neither can be closed and reused meanwhile.
        nint sent;
        do
        {
            sent = SendFile64(socket, file, ref offset, (nuint)count);
        }
        while (sent < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        // The parameterless SocketException reads the last P/Invoke error and maps it as the runtime's own calls do.
        return sent >= 0 ? sent : throw new SocketException();
    }

    [LibraryImport("libc", EntryPoint = "sendfile64", SetLastError = true)]
    private static partial nint SendFile64(SafeSocketHandle socket, SafeFileHandle file, ref long offset, nuint count);
}
