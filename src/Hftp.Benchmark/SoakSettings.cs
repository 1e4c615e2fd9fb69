namespace Hftp.Benchmark;

/// <summary>The soak's own options, beside the shared <see cref="LoadSettings"/>.</summary>
/// <param name="Directory">The directory the server serves: expected listings, sizes and slices come from it.</param>
/// <param name="MaxRequests">Bound on exchanges per client, besides the duration.</param>
/// <param name="Tolerance">Threads and fds the server may keep above its baseline after the load.</param>
/// <param name="SettleBound">How long the server has to return to its baseline after the load.</param>
internal sealed record SoakSettings(string Directory, int Seed, int MaxRequests, int Tolerance, TimeSpan SettleBound, TimeSpan ReplyTimeout);
