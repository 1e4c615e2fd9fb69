using System.Net;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>Blocking socket helpers for the load loops: no allocation once a connection is set up.</summary>
internal static class Wire
{
    public static Socket Connect(string host, int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(host, port);
        return socket;
    }

    /// <summary>
    /// Connects in blocking style with a bound, waiting in <see cref="Socket.Poll(TimeSpan, SelectMode)"/> rather
    /// than on the thread pool, so a probe's latency does not include a busy pool in this process.
    /// </summary>
    public static Socket ConnectWithin(EndPoint endPoint, TimeSpan timeout)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
        try
        {
            try
            {
                socket.Connect(endPoint);
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                if (!socket.Poll(timeout, SelectMode.SelectWrite))
                {
                    throw new TimeoutException($"connect timed out after {timeout.TotalSeconds:0} s");
                }

                if (socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error && error != 0)
                {
                    throw new SocketException(error);
                }
            }

            socket.Blocking = true;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }

    public static void ReceiveExactly(Socket socket, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var read = socket.Receive(destination);
            if (read == 0)
            {
                throw new IOException("The server closed the connection");
            }

            destination = destination[read..];
        }
    }

    /// <summary>One request/reply, used to learn sizes before a load starts.</summary>
    public static string AskOneLine(Socket socket, string request)
    {
        SendAll(socket, Encoding.ASCII.GetBytes(request));
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith(Syntax.LineTerminatorText, StringComparison.Ordinal))
        {
            ReceiveExactly(socket, one);
            line.Append((char)one[0]);
        }

        return line.ToString(0, line.Length - Syntax.LineTerminatorText.Length);
    }

    public static long GetSize(string host, int port, string name)
    {
        using var socket = Connect(host, port);
        var status = AskOneLine(socket, Requests.GetMetadata(name));
        if (status != StatusCode.Ok.Describe())
        {
            throw new InvalidOperationException($"{Command.GetMetadata.Name()} {name}: {status}");
        }

        return long.Parse(AskOneLine(socket, string.Empty), System.Globalization.CultureInfo.InvariantCulture);
    }
}
