namespace Hftp.Protocol;

/// <summary>Where HFTP is found when nothing else is said (PROTOCOL.md, "Transport and defaults").</summary>
public static class Defaults
{
    /// <summary>The TCP port servers listen on and clients connect to by default.</summary>
    public const int Port = 19500;
}
