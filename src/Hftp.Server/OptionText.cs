using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hftp.CommandLine;

namespace Hftp.Server;

/// <summary>Reads an option's text, from the command line or an environment variable; a bad one is reported naming <paramref name="source"/>.</summary>
internal delegate T TextParser<out T>(string text, string source, Action<string> addError);

/// <summary>How each <c>hftp-server</c> option reads its text, wherever it comes from, and the environment variable
/// behind it (<c>--max-connections</c>: <c>HFTP_MAX_CONNECTIONS</c>), which the command line overrides.</summary>
internal static class OptionText
{
    public static TextParser<int> Int32(int minimum, int maximum = int.MaxValue) =>
        (text, source, addError) => (int)WholeNumbers.ParseInt64(text, source, addError, minimum, maximum);

    public static TextParser<int?> OptionalInt32(int minimum, int maximum = int.MaxValue) =>
        (text, source, addError) => (int)WholeNumbers.ParseInt64(text, source, addError, minimum, maximum);

    public static TextParser<long> Int64(long minimum, string unit) =>
        (text, source, addError) => WholeNumbers.ParseInt64(text, source, addError, minimum, long.MaxValue, unit);

    public static TextParser<TimeSpan> Duration(bool allowOff) => (text, source, addError) =>
        Durations.TryParse(text, allowOff, TimeSpan.FromDays(24), out var duration)
            ? (allowOff && duration == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : duration)
            : Fail(addError, $"{source} must be a duration such as 300ms, 60s or 5m{(allowOff ? ", or 'off'" : string.Empty)} (got '{text}').", TimeSpan.Zero);

    /// <summary>A name of the enum, in any case; not a number.</summary>
    public static T OneOf<T>(string text, string source, Action<string> addError)
        where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _)
            ? value
            : Fail(addError, $"{source}: '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(name => name.ToLowerInvariant()))}.", default(T));

    public static IPAddress Address(string text, string source, Action<string> addError) => IPAddress.TryParse(text, out var address)
        ? address
        : Fail(addError, $"{source}: '{text}' is not an IPv4 or IPv6 address (for example 0.0.0.0, 127.0.0.1 or ::).", IPAddress.Any);

    public static IPEndPoint? MetricsEndPoint(string text, string source, Action<string> addError)
    {
        if (!IPEndPoint.TryParse(text, out var endPoint) || endPoint.Port == 0
            || !text.EndsWith(":" + endPoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            return Fail<IPEndPoint?>(addError, $"{source}: '{text}' is not ADDRESS:PORT with a port from 1 to 65535 (for example 127.0.0.1:9464 or 0.0.0.0:9464).", null);
        }

        return endPoint.AddressFamily == AddressFamily.InterNetwork
            ? endPoint
            : Fail<IPEndPoint?>(addError, $"{source}: '{text}' is IPv6; the metrics endpoint takes an IPv4 address only.", null);
    }

    /// <summary>A switch set by a variable: true, false, 1, 0, yes, no, on or off.</summary>
    public static bool Switch(string text, string source, Action<string> addError) => text.ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" or "ON" => true,
        "FALSE" or "0" or "NO" or "OFF" => false,
        _ => Fail(addError, $"{source}: '{text}' is not one of true, false, 1, 0, yes, no, on, off.", false),
    };

    public static readonly TextParser<DirectoryInfo> Directory = (text, _, _) => new DirectoryInfo(text);

    public static readonly TextParser<FileInfo?> File = (text, _, _) => new FileInfo(text);

    /// <summary>Reads the option's text with <paramref name="parse"/> on the command line (unless
    /// <paramref name="commandLine"/> is false: a switch takes no text there) and, when not given there, from its
    /// environment variable (empty is unset), before the option's own default. Its help names the variable.</summary>
    public static Option<T> FromEnvironmentToo<T>(
        this Option<T> option, TextParser<T> parse, Func<string, string?> environment, bool commandLine = true)
    {
        var variable = "HFTP_" + option.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();
        if (commandLine)
        {
            option.CustomParser = result => parse(result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty, option.Name, result.AddError);
        }

        var fallback = option.DefaultValueFactory;
        option.DefaultValueFactory = result => environment(variable) is { Length: > 0 } text
            ? parse(text, variable, result.AddError)
            : fallback is null ? default! : fallback(result);
        var documentedDefault = option.Description?.IndexOf(" [default:", StringComparison.Ordinal) ?? -1;
        option.Description = documentedDefault < 0
            ? $"{option.Description} [env: {variable}]"
            : option.Description!.Insert(documentedDefault, $" [env: {variable}]");
        return option;
    }

    // Reports text that does not parse, and gives the value the option holds meanwhile.
    private static T Fail<T>(Action<string> addError, string error, T value)
    {
        addError(error);
        return value;
    }
}
