namespace Hftp.Testing;

/// <summary>
/// How long tests wait for something that must happen. These bound a wait so that a broken build fails instead
/// of hanging; they never time a behaviour. They are generous because the suite runs on a loaded 2-core machine,
/// where a process start or a GC pause can take seconds: passing tests never come near them.
/// </summary>
public static class TestTimeouts
{
    /// <summary>A reply, an end of stream or a connection event over loopback.</summary>
    public static readonly TimeSpan Reply = TimeSpan.FromSeconds(10);

    /// <summary>A condition polled with <see cref="Eventually"/>: a server's state, a log line, a transfer's progress.</summary>
    public static readonly TimeSpan Condition = TimeSpan.FromSeconds(30);

    /// <summary>A child process (dotnet host, JIT) starting and reporting, or ending after a signal or a kill.</summary>
    public static readonly TimeSpan Process = TimeSpan.FromSeconds(30);

    /// <summary>A whole command or download of tens of MiB, through a relay or across a server restart.</summary>
    public static readonly TimeSpan Transfer = TimeSpan.FromSeconds(60);

    /// <summary>A bounded load of thousands of connections against one server, start to end.</summary>
    public static readonly TimeSpan Load = TimeSpan.FromSeconds(120);

    /// <summary>A <c>dotnet pack</c> or <c>dotnet tool install</c>.</summary>
    public static readonly TimeSpan Build = TimeSpan.FromSeconds(120);
}
