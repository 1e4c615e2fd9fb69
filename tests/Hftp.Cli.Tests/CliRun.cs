using Hftp.Cli;
using Hftp.Cli.Files;

namespace Hftp.Cli.Tests;

/// <summary>Runs the <c>hftp</c> command in-process with captured output, from a given working directory's paths.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>What was written to standard output as bytes (<c>get -o -</c>, <c>ls --raw-names</c>).</summary>
    public byte[] OutputBytes { get; init; } = [];

    public static Task<CliRun> InvokeWithInputAsync(string input, CancellationToken cancellationToken, params string[] args) =>
        InvokeAsync(input, LocalFileSystem.Instance, cancellationToken, args);

    /// <summary>Runs with downloads going through <paramref name="fileSystem"/>.</summary>
    public static async Task<CliRun> InvokeAsync(string input, IDownloadFileSystem fileSystem, CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = new StringReader(input);
        using var bytes = new MemoryStream();
        var console = new CliConsole(TextWriter.Synchronized(output), TextWriter.Synchronized(error), reader, ErrorIsTerminal: false)
        {
            OpenStandardOutput = () => new KeptOpen(bytes),
        };
        var exitCode = await CliCommand.InvokeAsync(args, console, fileSystem, cancellationToken);
        return new CliRun(exitCode, output.ToString(), error.ToString()) { OutputBytes = bytes.ToArray() };
    }

    public static Task<CliRun> InvokeAsync(IDownloadFileSystem fileSystem, params string[] args) =>
        InvokeAsync(string.Empty, fileSystem, CancellationToken.None, args);

    // The command disposes the stream it was given; the test still reads it afterwards.
    private sealed class KeptOpen(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (inner)
            {
                inner.Write(buffer, offset, count);
            }
        }
    }

    public static Task<CliRun> InvokeWithInputAsync(string input, params string[] args) => InvokeWithInputAsync(input, CancellationToken.None, args);

    public static Task<CliRun> InvokeAsync(params string[] args) => InvokeWithInputAsync(string.Empty, CancellationToken.None, args);

    /// <summary>Runs until <paramref name="cancellationToken"/> fires, as Ctrl+C would stop it.</summary>
    public static Task<CliRun> InvokeUntilAsync(CancellationToken cancellationToken, params string[] args) =>
        InvokeWithInputAsync(string.Empty, cancellationToken, args);
}
