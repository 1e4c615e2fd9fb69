namespace Hftp.Server;

/// <summary>How log events are written (<c>--log-format</c>).</summary>
public enum LogFormat
{
    /// <summary>One line per event for people: date, time and UTC offset, level, message.</summary>
    Text,

    /// <summary>One compact JSON object per event for machines (Serilog's rendered compact form).</summary>
    Json,
}
