namespace Hftp.Cli.Tests;

/// <summary>
/// The Debian packages' executables that the proxy tests run (microsocks, danted, torsocks, tor). Where one is
/// missing its tests are skipped, saying so; in CI (<c>CI=true</c>) they run and fail instead, since .ci/run
/// installs them and a silent pass there would hide a broken install.
/// </summary>
internal static class ProxyTools
{
    private static readonly Dictionary<string, string> Packages = new()
    {
        ["microsocks"] = "microsocks",
        ["danted"] = "dante-server",
        ["torsocks"] = "torsocks",
        ["tor"] = "tor",
    };

    public static bool InContinuousIntegration => Environment.GetEnvironmentVariable("CI") == "true";

    public static string? Find(string executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Select(directory => Path.Combine(directory, executable))
            .FirstOrDefault(File.Exists);

    public static string Require(string executable) => Find(executable)
        ?? throw new InvalidOperationException($"{executable} is not installed: {InstallHint([executable])}");

    /// <summary>Why tests that need <paramref name="executables"/> are skipped here, or null when they can run.</summary>
    public static string? SkipReason(string[] executables)
    {
        var missing = executables.Where(executable => Find(executable) is null).ToArray();
        return missing.Length == 0 || InContinuousIntegration
            ? null
            : $"{string.Join(" and ", missing)} not installed: {InstallHint(missing)}";
    }

    private static string InstallHint(string[] executables) =>
        $"apt-get install -y {string.Join(' ', executables.Select(executable => Packages[executable]))} (.ci/run installs it)";
}
