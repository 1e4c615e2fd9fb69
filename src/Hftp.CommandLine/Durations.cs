using System.CommandLine.Parsing;
using System.Globalization;

namespace Hftp.CommandLine;

/// <summary>Durations on the command line: a number of seconds (<c>2.5</c>), or with a unit (<c>300ms</c>, <c>60s</c>, <c>5m</c>).</summary>
public static class Durations
{
    /// <summary>The option's value when it is a positive duration of at most a day; otherwise adds one error naming the option.</summary>
    public static TimeSpan Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (TryParse(text, allowOff: false, TimeSpan.FromDays(1), out var duration) && duration > TimeSpan.Zero)
        {
            return duration;
        }

        var option = (result.Parent as OptionResult)?.Option.Name ?? result.Argument.Name;
        result.AddError($"{option} must be a duration of up to a day, such as 2.5, 300ms, 30s or 5m (got '{text}').");
        return TimeSpan.FromSeconds(1);
    }

    /// <summary>
    /// Reads a number with a unit (<c>300ms</c>, <c>60s</c>, <c>5m</c>, <c>1h</c>; a bare number is seconds) of at most
    /// <paramref name="maximum"/>; "off" (where allowed) is <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    public static bool TryParse(string text, bool allowOff, TimeSpan maximum, out TimeSpan duration)
    {
        duration = allowOff && text.Equals("off", StringComparison.OrdinalIgnoreCase) ? Timeout.InfiniteTimeSpan : TimeSpan.Zero;
        if (duration == Timeout.InfiniteTimeSpan)
        {
            return true;
        }

        var (number, unit) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') || text.EndsWith('S') ? (text[..^1], 1.0)
            : text.EndsWith('m') || text.EndsWith('M') ? (text[..^1], 60.0)
            : text.EndsWith('h') || text.EndsWith('H') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * unit > maximum.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * unit);
        return true;
    }
}
