using System.Globalization;

namespace Hftp.Server;

/// <summary>Durations on the command line: a number with a unit (<c>300ms</c>, <c>60s</c>, <c>5m</c>, <c>1h</c>); a bare number is seconds.</summary>
internal static class DurationText
{
    /// <summary>Reads a duration; "off" (where allowed) is <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public static bool TryParse(string text, bool allowOff, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (allowOff && text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            duration = Timeout.InfiniteTimeSpan;
            return true;
        }

        var (number, unit) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') || text.EndsWith('S') ? (text[..^1], 1.0)
            : text.EndsWith('m') || text.EndsWith('M') ? (text[..^1], 60.0)
            : text.EndsWith('h') || text.EndsWith('H') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        var seconds = value * unit;
        if (seconds > TimeSpan.FromDays(24).TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
