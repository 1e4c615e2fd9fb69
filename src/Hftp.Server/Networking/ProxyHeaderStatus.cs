namespace Hftp.Server.Networking;

/// <summary>Where reading a PROXY protocol header stands after the bytes seen so far.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>Could still become a valid header: read <see cref="ProxyHeaderResult.BytesNeeded"/> more bytes.</summary>
    Incomplete,

    /// <summary>A whole, valid header of <see cref="ProxyHeaderResult.Length"/> bytes.</summary>
    Complete,

    /// <summary>Not a valid header; <see cref="ProxyHeaderResult.Error"/> says why.</summary>
    Invalid,
}
