using System.CommandLine.Parsing;
using System.Globalization;

namespace Hftp.CommandLine;

/// <summary>
/// Custom parsers for whole-number options, so every tool says the same thing about a bad number:
/// <c>--port must be a whole number from 1 to 65535 (got '0').</c> They are parsers, not validators: a
/// validator reading a value that does not parse throws instead of reporting.
/// </summary>
public static class WholeNumbers
{
    /// <summary>As <see cref="ParseInt64"/>; a <paramref name="maximum"/> of <see cref="int.MaxValue"/> means no upper bound.</summary>
    public static int ParseInt32(ArgumentResult result, int minimum, int maximum = int.MaxValue, string? unit = null) =>
        (int)ParseInt64(result, minimum, maximum, unit, unbounded: maximum == int.MaxValue);

    /// <summary>
    /// The option's value when it is a whole number in [<paramref name="minimum"/>, <paramref name="maximum"/>];
    /// otherwise adds one error naming the option and returns <paramref name="minimum"/>.
    /// </summary>
    public static long ParseInt64(ArgumentResult result, long minimum, long maximum = long.MaxValue, string? unit = null) =>
        ParseInt64(result, minimum, maximum, unit, unbounded: maximum == long.MaxValue);

    private static long ParseInt64(ArgumentResult result, long minimum, long maximum, string? unit, bool unbounded)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        var option = (result.Parent as OptionResult)?.Option.Name ?? result.Argument.Name;
        return ParseInt64(text, option, result.AddError, minimum, maximum, unit, unbounded);
    }

    /// <summary>
    /// As <see cref="ParseInt64(ArgumentResult, long, long, string?)"/>, for text from elsewhere (an environment
    /// variable, say): the error names <paramref name="source"/> and goes to <paramref name="addError"/>.
    /// </summary>
    public static long ParseInt64(string text, string source, Action<string> addError, long minimum, long maximum, string? unit = null) =>
        ParseInt64(text, source, addError, minimum, maximum, unit, unbounded: maximum == long.MaxValue || maximum == int.MaxValue);

    private static long ParseInt64(string text, string source, Action<string> addError, long minimum, long maximum, string? unit, bool unbounded)
    {
        // A sign is read so that "-1" is reported as out of range, not as something that is not a number.
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum)
        {
            return value;
        }

        var number = unit is null ? "a whole number" : $"a whole number of {unit}";
        var range = unbounded ? $", {minimum} or more" : $" from {minimum} to {maximum}";
        addError(string.Create(CultureInfo.InvariantCulture, $"{source} must be {number}{range} (got '{text}')."));
        return minimum;
    }
}
