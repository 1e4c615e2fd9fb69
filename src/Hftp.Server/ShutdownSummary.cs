namespace Hftp.Server;

/// <summary>What a graceful stop did to the connections it found.</summary>
public sealed record ShutdownSummary(int FinishedReplies, int ClosedIdle, int Cut);
