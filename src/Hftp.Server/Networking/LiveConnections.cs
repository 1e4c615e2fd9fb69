using System.Collections.Concurrent;

namespace Hftp.Server.Networking;

/// <summary>The connections a server is serving now: how many (and the most at once), and what is done to all of them at
/// once (the heartbeat's deadline check, a drain, a cut).</summary>
internal sealed class LiveConnections
{
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private int _count;
    private int _peak;
    private int _recentPeak;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The most connections served at once so far.</summary>
    public int Peak => Volatile.Read(ref _peak);

    public void Add(Connection connection)
    {
        _connections.TryAdd(connection, 0);
        var count = Interlocked.Increment(ref _count);
        RaiseTo(ref _peak, count);
        RaiseTo(ref _recentPeak, count);
    }

    /// <summary>The most connections at once since the last call (or the start), then starts over from now.</summary>
    public int TakeRecentPeak() => Math.Max(Interlocked.Exchange(ref _recentPeak, Count), Count);

    public void Remove(Connection connection)
    {
        _connections.TryRemove(connection, out _);
        Interlocked.Decrement(ref _count);
    }

    /// <summary>On the heartbeat: wakes every connection whose wait passed its deadline, and logs clients still silent.</summary>
    public void CheckDeadlines(long now) => ForEach(connection =>
    {
        connection.Deadline.Check(now);
        connection.AnnounceIfSilent(now);
    });

    /// <summary>Connections whose thread is blocked on <paramref name="wait"/> now.</summary>
    public int CountWaiting(Wait wait) => _connections.Keys.Count(connection => connection.Deadline.WaitingFor == wait);

    private static void RaiseTo(ref int peak, int count)
    {
        for (var seen = Volatile.Read(ref peak); count > seen; seen = Volatile.Read(ref peak))
        {
            if (Interlocked.CompareExchange(ref peak, count, seen) == seen)
            {
                break;
            }
        }
    }

    public void ForEach(Action<Connection> action)
    {
        foreach (var (connection, _) in _connections)
        {
            action(connection);
        }
    }
}
