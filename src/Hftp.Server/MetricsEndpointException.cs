namespace Hftp.Server;

/// <summary>The metrics endpoint could not listen (address in use, not a local address, no permission).</summary>
public sealed class MetricsEndpointException : Exception
{
    public MetricsEndpointException()
    {
    }

    public MetricsEndpointException(string message)
        : base(message)
    {
    }

    public MetricsEndpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
