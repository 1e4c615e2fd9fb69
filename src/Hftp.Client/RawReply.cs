using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>A reply exactly as the server sent it: its status line and the lines of its body.</summary>
public sealed record RawReply(StatusCode Status, string Message, IReadOnlyList<string> Body);
