using System.Diagnostics;

namespace Hftp.Testing;

/// <summary>Waits for a condition with a bounded timeout, polling briefly: never a bare sleep that hopes.</summary>
public static class Eventually
{
    public static async Task<bool> HoldsAsync(Func<bool> condition, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                return condition();
            }

            await Task.Delay(10);
        }

        return true;
    }
}
