using System.Globalization;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Testing;

/// <summary>
/// A <see cref="ScriptedServer"/> serving files held in memory, as a classic server does (a raw slice request is
/// 201, <c>help</c> is 200) or as a 2026 one does (raw slices and <c>help</c>): for clients tested against either
/// revision, or against replies a test rewrites with <see cref="Revision2026"/>'s <c>rewrite</c>.
/// </summary>
public static class InMemoryHftpServer
{
    public static ScriptedServer Classic(IReadOnlyDictionary<string, byte[]> files) =>
        ScriptedServer.Answering(request => Reply(files, request, isRevision2026: false));

    /// <summary>A 2026 server; <paramref name="rewrite"/>, given the request and the true reply, may return another.</summary>
    public static ScriptedServer Revision2026(IReadOnlyDictionary<string, byte[]> files, Func<string, string, string>? rewrite = null) =>
        ScriptedServer.Answering(request =>
        {
            var reply = Reply(files, request, isRevision2026: true);
            return rewrite?.Invoke(request, reply) ?? reply;
        });

    /// <summary>The raw slice reply for <paramref name="content"/>, as Latin-1 text (one char per byte, as ScriptedConnection sends it).</summary>
    public static string RawSlice(ReadOnlySpan<byte> content) => Encoding.Latin1.GetString(Replies.RawSliceBytes(content));

    private static string Reply(IReadOnlyDictionary<string, byte[]> files, string request, bool isRevision2026)
    {
        var isCommand = Commands.TryParseFirstElement(request, out var command) && (isRevision2026 || command != Command.Help);
        switch (request.Split(' '))
        {
            case ["get_file_listing"]:
                return Replies.Listing(files.Keys.Order(StringComparer.Ordinal));
            case ["help"] when isRevision2026:
                return Replies.Help();
            case ["get_metadata", var name]:
                return files.TryGetValue(name, out var file) ? Replies.Size(file.Length) : StatusCode.FileNotFound.StatusLineText();
            case ["get_slice", var name, var offset, var size]:
                return Slice(files, name, offset, size, isRaw: false);
            case ["get_slice", var name, var offset, var size, "raw"] when isRevision2026:
                return Slice(files, name, offset, size, isRaw: true);
            default:
                return isCommand
                    ? StatusCode.InvalidArguments.StatusLineText()
                    : StatusCode.NoSuchCommand.StatusLineText();
        }
    }

    private static string Slice(IReadOnlyDictionary<string, byte[]> files, string name, string offsetText, string sizeText, bool isRaw)
    {
        if (!files.TryGetValue(name, out var file))
        {
            return StatusCode.FileNotFound.StatusLineText();
        }

        var offset = long.Parse(offsetText, CultureInfo.InvariantCulture);
        var size = long.Parse(sizeText, CultureInfo.InvariantCulture);
        if (offset + size > file.Length)
        {
            return StatusCode.OffsetExceedsFileSize.StatusLineText();
        }

        var content = file.AsSpan((int)offset, (int)size);
        return isRaw ? RawSlice(content) : Replies.Slice(content);
    }
}
