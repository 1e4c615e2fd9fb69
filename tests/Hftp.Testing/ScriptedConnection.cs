using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Hftp.Testing;

/// <summary>One connection to a <see cref="ScriptedServer"/>: reads request lines, writes reply bytes.</summary>
public sealed class ScriptedConnection(Socket socket, CancellationToken stopping) : IDisposable
{
    /// <summary>
    /// Pause after each segment of a split reply, so the client has read it before the next arrives and sees
    /// the split. On a busy machine two segments may still be read together; the reply stays correct either way.
    /// </summary>
    public static readonly TimeSpan SegmentPause = TimeSpan.FromMilliseconds(3);

    private readonly ConcurrentQueue<string> _requests = new();
    private readonly List<byte> _pending = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every request line read so far, without its terminator.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Completes when the client has closed its side (or the server stopped).</summary>
    public Task Ended => _ended.Task;

    /// <summary>Reads the next request line; null once the client has closed the connection.</summary>
    public async Task<string?> ReadRequestAsync()
    {
        var buffer = new byte[4096];
        while (true)
        {
            var terminator = IndexOfTerminator();
            if (terminator >= 0)
            {
                var line = Encoding.ASCII.GetString([.. _pending[..terminator]]);
                _pending.RemoveRange(0, terminator + 2);
                _requests.Enqueue(line);
                return line;
            }

            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, stopping);
            }
            catch (SocketException)
            {
                read = 0;
            }

            if (read == 0)
            {
                _ended.TrySetResult();
                return null;
            }

            _pending.AddRange(buffer.AsSpan(0, read));
        }
    }

    /// <summary>Reads and records requests, never answering, until the client closes.</summary>
    public async Task IgnoreRequestsAsync()
    {
        while (await ReadRequestAsync() is not null)
        {
        }
    }

    // Latin-1 keeps every char below 256 as one byte, so "\xff" in a script is the byte 0xFF on the wire.
    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes) => await socket.SendAsync(bytes, SocketFlags.None, stopping);

    /// <summary>Writes <paramref name="reply"/> cut at each of <paramref name="cuts"/> (offsets into it), one write per segment.</summary>
    public async Task SendInSegmentsAsync(byte[] reply, params int[] cuts)
    {
        var start = 0;
        foreach (var cut in cuts.Append(reply.Length))
        {
            if (cut > start)
            {
                await SendAsync(reply.AsMemory(start, cut - start));
                await Task.Delay(SegmentPause, stopping);
            }

            start = Math.Max(start, cut);
        }
    }

    public void Dispose()
    {
        _ended.TrySetResult();
        socket.Dispose();
    }

    private int IndexOfTerminator()
    {
        for (var index = 1; index < _pending.Count; index++)
        {
            if (_pending[index - 1] == '\r' && _pending[index] == '\n')
            {
                return index - 1;
            }
        }

        return -1;
    }
}
