namespace Hftp.Benchmark;

/// <summary>The slowloris load's own options, beside the shared <see cref="LoadSettings"/>.</summary>
/// <param name="Interval">Time between the bytes each held connection sends.</param>
/// <param name="OpenRate">New held connections per second, at most.</param>
/// <param name="ProbeRate">Fresh probe connections per second.</param>
/// <param name="ConnectTimeout">Bound on one connect, and on the probe's reply.</param>
internal sealed record SlowlorisSettings(TimeSpan Interval, int OpenRate, int ProbeRate, TimeSpan ConnectTimeout);
