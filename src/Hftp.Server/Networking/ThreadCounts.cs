namespace Hftp.Server.Networking;

/// <summary>Connection threads alive, by state (see <see cref="ConnectionThreads"/>).</summary>
/// <param name="Busy">Serving a connection, or held by the accept loop for the next one.</param>
/// <param name="Idle">Waiting in the idle list to be handed a connection.</param>
/// <param name="Surplus">Back from a connection past the spare maximum: reused first, else ended at a pace.</param>
internal readonly record struct ThreadCounts(int Busy, int Idle, int Surplus);
