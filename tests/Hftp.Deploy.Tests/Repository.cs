namespace Hftp.Deploy.Tests;

/// <summary>The repository the tests were built from, found by walking up to Hftp.sln.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hftp.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Hftp.sln above {AppContext.BaseDirectory}");
    }
}
