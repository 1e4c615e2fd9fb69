using System.Collections.Concurrent;

namespace Hftp.Server.Networking;

/// <summary>
/// The connections a server is serving now: how many (and the most at once), and what is done to all of them at
/// once (the heartbeat's deadline check, a drain, a cut).
/// </summary>
internal sealed class LiveConnections
{
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private int _count;
    private int _peak;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The most connections served at once so far.</summary>
    public int Peak => Volatile.Read(ref _peak);

    public void Add(Connection connection)
    {
        _connections.TryAdd(connection, 0);
        var count = Interlocked.Increment(ref _count);
        for (var peak = Volatile.Read(ref _peak); count > peak; peak = Volatile.Read(ref _peak))
        {
            if (Interlocked.CompareExchange(ref _peak, count, peak) == peak)
            {
                break;
            }
        }
    }

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

    public void ForEach(Action<Connection> action)
    {
        foreach (var (connection, _) in _connections)
        {
            action(connection);
        }
    }
}
