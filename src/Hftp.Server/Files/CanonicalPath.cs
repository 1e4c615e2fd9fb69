namespace Hftp.Server.Files;

/// <summary>realpath(3) with .NET calls only: the path with every symbolic link (or junction) in every component
/// resolved, and "." and ".." applied to what the links lead to, as the kernel does, not to the text.</summary>
internal static class CanonicalPath
{
    // As Linux's MAXSYMLINKS: a loop ends here instead of spinning.
    private const int MaxLinks = 40;

    private static readonly char[] Separators = [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar];

    /// <summary>The canonical path, or null when a link dangles, loops or cannot be read.</summary>
    public static string? Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        var resolved = Path.GetPathRoot(full)!;
        var pending = new Stack<string>();
        Push(pending, full[resolved.Length..]);
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? resolved;
                continue;
            }

            var next = Path.Join(resolved, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            if (target is null)
            {
                resolved = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return null;
            }

            // A relative target is relative to the link's directory, which is what resolved still is.
            if (Path.IsPathRooted(target))
            {
                var targetRoot = Path.GetPathRoot(target)!;
                resolved = Path.GetPathRoot(Path.GetFullPath(target))!;
                target = target[targetRoot.Length..];
            }

            Push(pending, target);
        }

        return resolved;
    }

    private static void Push(Stack<string> pending, string relativePath)
    {
        var parts = relativePath.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        for (var index = parts.Length - 1; index >= 0; index--)
        {
            pending.Push(parts[index]);
        }
    }
}
