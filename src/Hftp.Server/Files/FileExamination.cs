namespace Hftp.Server.Files;

/// <summary>What examining one entry found: served with its size, not served, absent, or a failure to examine it.</summary>
internal readonly record struct FileExamination(FileVerdict Verdict, long Size, string? Error)
{
    public static FileExamination NotServed => new(FileVerdict.NotServed, 0, null);

    /// <summary>No such entry: it, or the served directory itself, does not exist.</summary>
    public static FileExamination Absent => new(FileVerdict.Absent, 0, null);

    public static FileExamination Served(long size) => new(FileVerdict.Served, size, null);

    public static FileExamination Failed(string error) => new(FileVerdict.Failed, 0, error);
}

internal enum FileVerdict
{
    Served,
    NotServed,
    Absent,

    /// <summary>The entry could not be examined (ESTALE, ENOTCONN, EACCES on the directory).</summary>
    Failed,
}
