using System.Diagnostics;
using System.Globalization;

namespace Hftp.Benchmark;

/// <summary>
/// How many connections wait in a listening socket's accept queue: completed by the kernel, not yet accepted by the
/// server (the <c>rx_queue</c> of a LISTEN entry in <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c>). A client's
/// connect returns as soon as the kernel completes the handshake, so connections that "opened" may still be queued
/// for the server; a probe started then waits behind them and measures the opening, not the idle server.
/// </summary>
internal static class AcceptQueue
{
    private const string ListenState = "0A";

    /// <summary>The queue's length for the socket listening on <paramref name="port"/>; null when unknown (no /proc, not listening).</summary>
    public static int? Length(int port)
    {
        int? total = null;
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            try
            {
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    if (TryParseListening(line, port, out var queued))
                    {
                        total = (total ?? 0) + queued;
                    }
                }
            }
            catch (IOException)
            {
                // Not Linux, or no IPv6: the other table, or unknown.
            }
        }

        return total;
    }

    /// <summary>
    /// Waits, bounded, until nothing waits in the accept queue of <paramref name="port"/>; true when it emptied (or
    /// cannot be read: nothing to wait for), false at the timeout.
    /// </summary>
    public static bool WaitUntilEmpty(int port, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (Length(port) is > 0)
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                return false;
            }

            Thread.Sleep(10);
        }

        return true;
    }

    // "  0: 0100007F:4A38 00000000:0000 0A 00000000:00000003 ...": local address:port (hex), remote, state, tx:rx.
    private static bool TryParseListening(string line, int port, out int queued)
    {
        queued = 0;
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[3] != ListenState)
        {
            return false;
        }

        var local = fields[1];
        var colon = local.LastIndexOf(':');
        var queues = fields[4].Split(':');
        return colon > 0 && queues.Length == 2
            && int.TryParse(local.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var localPort)
            && localPort == port
            && int.TryParse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out queued);
    }
}
