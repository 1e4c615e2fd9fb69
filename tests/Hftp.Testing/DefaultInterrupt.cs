namespace Hftp.Testing;

/// <summary>
/// A test run started in the background by a non-interactive shell (`dotnet test &amp;`, a CI runner) ignores SIGINT,
/// and every child inherits that; .NET then leaves SIGINT ignored, as a shell expects of a background job, and a test's
/// `kill -INT` would never arrive. Child processes start through these words, as from a terminal: SIGINT at its default.
/// <c>env</c> execs, so the PID is the child's own.
/// </summary>
public static class DefaultInterrupt
{
    /// <summary>The words to put before a child's command line (none where <c>env --default-signal</c> is missing).</summary>
    public static IReadOnlyList<string> Launcher { get; } = OperatingSystem.IsLinux() ? ["env", "--default-signal=INT"] : [];
}
