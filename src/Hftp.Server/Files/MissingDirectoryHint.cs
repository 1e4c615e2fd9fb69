namespace Hftp.Server.Files;

/// <summary>What the start-up warning says when the served directory is missing: where the path was looked up, and how to
/// pass the right one. The usual mistake is a relative <c>--dir</c> from the wrong working directory (<c>dotnet run</c>
/// in a project folder, with <c>--dir testdata</c> meant for the repository root), so a directory of that name a few
/// levels up is suggested; it is only a suggestion, the server serves what it was told.</summary>
internal static class MissingDirectoryHint
{
    private const int LevelsSearched = 4;

    /// <summary>" (from --dir testdata, relative to /cwd)" for a relative path; empty for an absolute one.</summary>
    public static string Origin(string given, string workingDirectory) =>
        Path.IsPathRooted(given) ? string.Empty : $" (from --dir {given}, relative to {workingDirectory})";

    /// <summary>How to point the server at the right directory, with a suggestion when one is found nearby.</summary>
    public static string Advice(string given, string workingDirectory)
    {
        if (!Path.IsPathRooted(given))
        {
            var up = string.Empty;
            for (var level = 1; level <= LevelsSearched; level++)
            {
                up += "../";
                if (Directory.Exists(Path.Combine(workingDirectory, up, given)))
                {
                    return $"Pass --dir with the path of your files, e.g. --dir {up}{Path.TrimEndingDirectorySeparator(given)}";
                }
            }
        }

        return "Create it, or pass --dir with the path of your files (absolute, or relative to the working directory)";
    }
}
