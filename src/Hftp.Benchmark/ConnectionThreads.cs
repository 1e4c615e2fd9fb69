namespace Hftp.Benchmark;

/// <summary>Runs one blocking load loop per connection, each on its own thread, and waits for all of them.</summary>
internal static class ConnectionThreads
{
    public static void Run(int connections, Action loop)
    {
        var threads = Enumerable.Range(0, connections)
            .Select(_ => new Thread(() => loop(), 256 * 1024) { IsBackground = true })
            .ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());
    }
}
