using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>
/// <c>bulk</c>: each connection loops <c>get_slice NAME 0 SIZE</c> (with <c>raw</c>, the 2026 raw slice) and checks
/// every reply's framing and length (and, with a local copy, every byte). Reports MB/s of the file.
/// </summary>
internal sealed class BulkLoad(LoadSettings settings, string name, string? verifyPath, bool raw, TextWriter output)
{
    private const int ReceiveBufferSize = 256 * 1024;

    private long _replies;
    private long _errors;

    public int Run()
    {
        var size = Wire.GetSize(settings.Host, settings.Port, name);
        var request = Encoding.ASCII.GetBytes(raw ? Requests.GetRawSlice(name, 0, size) : Requests.GetSlice(name, 0, size));
        var head = raw ? Encoding.ASCII.GetBytes(Replies.RawSliceHeader(size)) : StatusCode.Ok.StatusLine().ToArray();
        var encodedLength = raw ? size : (size + 2) / 3 * 4;
        var expected = verifyPath is null ? null : File.ReadAllBytes(verifyPath);
        if (expected is not null && expected.LongLength != size)
        {
            throw new InvalidOperationException($"{verifyPath} has {expected.LongLength} bytes, the server says {size}");
        }

        var report = new LoadReport("bulk", output);
        using var sampler = settings.ServerPid is { } pid ? new ServerSampler(pid) : null;
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        ConnectionThreads.Run(settings.Connections, () => Loop(request, head, encodedLength, expected, deadline));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var megabytes = _replies * (double)size / 1e6;
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"bulk: {name} ({size} bytes{(raw ? ", raw" : string.Empty)}) x {settings.Connections} connections for {seconds:0.00} s: {_replies} replies, {_errors} errors"));
        var wireLength = head.Length + encodedLength + (raw ? 0 : 2);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {megabytes / seconds:0.0} MB/s of file ({_replies * (double)wireLength / 1e6 / seconds:0.0} MB/s on the wire), {_replies / seconds:0.00} requests/s"));
        report.Add("mbps", megabytes / seconds, "0.0");
        report.Add("rps", _replies / seconds, "0.00");
        report.Add("replies", _replies);
        report.Add("errors", _errors);
        report.AddServer(sampler);
        report.Finish();
        return _errors == 0 && _replies > 0 ? 0 : 1;
    }

    private void Loop(byte[] request, byte[] head, long encodedLength, byte[]? expected, long deadline)
    {
        var buffer = new byte[ReceiveBufferSize];
        var decoded = new byte[ReceiveBufferSize / 4 * 3];
        try
        {
            using var socket = Wire.Connect(settings.Host, settings.Port);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                Wire.SendAll(socket, request);
                // The status line, and of a raw slice its Content-Length (the file's size) and empty line, byte for byte.
                Wire.ReceiveExactly(socket, buffer.AsSpan(0, head.Length));
                if (!buffer.AsSpan(0, head.Length).SequenceEqual(head))
                {
                    throw new InvalidDataException(raw ? $"header was not {StatusCode.Ok.Describe()} with Content-Length: {encodedLength}" : $"status was not {StatusCode.Ok.Describe()}");
                }

                if (raw)
                {
                    ReadRawBody(socket, buffer, encodedLength, expected);
                }
                else
                {
                    ReadBody(socket, buffer, decoded, encodedLength, expected);
                }

                Interlocked.Increment(ref _replies);
            }
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            Interlocked.Increment(ref _errors);
            output.WriteLine($"error: {exception.Message}");
        }
    }

    // Reads exactly the base64 line and its \r\n; with a local copy, decodes and compares as it goes.
    private static void ReadBody(System.Net.Sockets.Socket socket, byte[] buffer, byte[] decoded, long encodedLength, byte[]? expected)
    {
        if (expected is null)
        {
            DiscardBody(socket, buffer, encodedLength);
            return;
        }

        var remaining = encodedLength + 2;
        var carried = 0;
        long position = 0;
        while (remaining > 0)
        {
            var read = socket.Receive(buffer, carried, (int)Math.Min(buffer.Length - carried, remaining), System.Net.Sockets.SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("The server closed the connection mid-reply");
            }

            remaining -= read;
            var available = carried + read;
            if (remaining == 0 && (available < 2 || buffer[available - 2] != '\r' || buffer[available - 1] != '\n'))
            {
                throw new InvalidDataException("reply does not end with \\r\\n where its length says");
            }

            var encoded = remaining == 0 ? available - 2 : available & ~3;
            Base64.DecodeFromUtf8(buffer.AsSpan(0, encoded), decoded, out var consumed, out var written, isFinalBlock: remaining == 0);
            if (!decoded.AsSpan(0, written).SequenceEqual(expected.AsSpan((int)position, written)))
            {
                throw new InvalidDataException($"bytes differ from the local copy near offset {position}");
            }

            position += written;
            carried = available - consumed;
            buffer.AsSpan(consumed, carried).CopyTo(buffer);
        }
    }

    // Reads exactly the slice's bytes, comparing them with the local copy if there is one, else dropping them as below.
    private static void ReadRawBody(System.Net.Sockets.Socket socket, byte[] buffer, long size, byte[]? expected)
    {
        long position = 0;
        while (position < size)
        {
            var flags = expected is null ? System.Net.Sockets.SocketFlags.Truncated : System.Net.Sockets.SocketFlags.None;
            var read = socket.Receive(buffer, 0, (int)Math.Min(buffer.Length, size - position), flags);
            if (read == 0)
            {
                throw new IOException($"The server closed the connection after {position} of {size} bytes");
            }

            if (expected is not null && !buffer.AsSpan(0, read).SequenceEqual(expected.AsSpan((int)position, read)))
            {
                throw new InvalidDataException($"bytes differ from the local copy near offset {position}");
            }

            position += read;
        }
    }

    // Without a local copy nothing looks at the base64: the kernel drops it (MSG_TRUNC) instead of copying it
    // here, so the load measures the server and not its own copying; only the line end is read and checked.
    private static void DiscardBody(System.Net.Sockets.Socket socket, byte[] buffer, long encodedLength)
    {
        var remaining = encodedLength;
        while (remaining > 0)
        {
            var read = socket.Receive(buffer, 0, (int)Math.Min(buffer.Length, remaining), System.Net.Sockets.SocketFlags.Truncated);
            if (read == 0)
            {
                throw new IOException("The server closed the connection mid-reply");
            }

            remaining -= read;
        }

        Wire.ReceiveExactly(socket, buffer.AsSpan(0, 2));
        if (buffer[0] != '\r' || buffer[1] != '\n')
        {
            throw new InvalidDataException("reply does not end with \\r\\n where its length says");
        }
    }
}
