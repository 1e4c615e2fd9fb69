namespace Hftp.Benchmark;

/// <summary>What every load shares: where the server is, how many connections, for how long.</summary>
internal sealed record LoadSettings(string Host, int Port, int Connections, TimeSpan Duration, int? ServerPid);
