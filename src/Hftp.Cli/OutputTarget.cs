using Hftp.Cli.Files;
using Hftp.Protocol;

namespace Hftp.Cli;

/// <summary>
/// Where a download goes: a regular file (through <c>PATH.part</c>, renamed into place), or a stream written in
/// order (standard output for <c>-o -</c>, a character device such as <c>/dev/null</c>, a FIFO). Never through a
/// symbolic link, and never replacing anything that is not a regular file.
/// </summary>
internal sealed record OutputTarget(string Path, bool IsStream)
{
    public const string StandardOutput = "-";

    public bool IsStandardOutput => Path == StandardOutput;

    /// <summary>Decides the target before the server is asked anything; refuses what it must not touch.</summary>
    public static OutputTarget Resolve(DownloadRequest request, IDownloadFileSystem files)
    {
        if (!Syntax.IsValidFileName(request.Name))
        {
            throw new ArgumentException($"'{request.Name}' is not an HFTP file name (1 or more of A-Z a-z 0-9 . - _).");
        }

        var output = request.Output ?? request.Name;
        if (output == StandardOutput)
        {
            return Stream(output, request);
        }

        // -o DIR saves DIR/NAME, as curl -O and wget -P do.
        var kind = files.Inspect(output);
        if (kind == PathKind.Directory || output.EndsWith(System.IO.Path.DirectorySeparatorChar))
        {
            output = System.IO.Path.Combine(output, request.Name);
            kind = files.Inspect(output);
        }

        switch (kind)
        {
            case PathKind.CharacterDevice or PathKind.Fifo:
                return Stream(output, request);
            case PathKind.SymbolicLink:
                throw new DownloadFailedException(ExitCodes.LocalError,
                    $"{output} is a symbolic link; hftp never writes through one (name the file it leads to, or remove it)");
            case PathKind.Directory or PathKind.Other:
                throw new DownloadFailedException(ExitCodes.LocalError, $"{output} is {PartFile.Describe(kind)}, not a regular file");
            case PathKind.Regular when !request.Force:
                throw new DownloadFailedException(ExitCodes.OutputExists, $"{output} already exists; {request.OverwriteHint}");
        }

        // Said here, before the server is asked, instead of the runtime's "Could not find a part of the path" for PATH.part.
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(output));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new DownloadFailedException(ExitCodes.LocalError, $"cannot save {output}: the directory {directory} does not exist");
        }

        return new OutputTarget(output, IsStream: false);
    }

    private static OutputTarget Stream(string output, DownloadRequest request) => request.Continue
        ? throw new ArgumentException($"--continue resumes a file; {(output == StandardOutput ? "standard output" : output)} is written as a stream")
        : new OutputTarget(output, IsStream: true);

    /// <summary>Opens a stream target for writing: never truncated, never replaced.</summary>
    public Stream OpenStream(CliConsole console)
    {
        if (IsStandardOutput)
        {
            console.Out.Flush();
            return console.OpenStandardOutput();
        }

        return new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    }

    public string Describe() => IsStandardOutput ? "standard output" : Path;
}
