namespace Hftp.Cli;

/// <summary>
/// How often a download reconnects after its connection drops, and how long it waits first: doubling from
/// <see cref="FirstDelay"/> up to <see cref="MaxDelay"/>. The count starts again once bytes arrive again.
/// </summary>
public sealed record RetryPolicy(int Retries, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    public const int DefaultRetries = 5;

    public static RetryPolicy WithRetries(int retries) => new(retries, TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(5));

    /// <summary>The wait before retry number <paramref name="retry"/> (1 for the first).</summary>
    public TimeSpan DelayBefore(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var delay = FirstDelay * Math.Pow(2, Math.Min(retry - 1, 30));
        return delay < MaxDelay ? delay : MaxDelay;
    }
}
