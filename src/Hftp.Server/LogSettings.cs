using Serilog.Events;

namespace Hftp.Server;

/// <summary>The log options: least level shown, form, file (null: standard output) and queue size.</summary>
public sealed record LogSettings(LogEventLevel MinimumLevel, LogFormat Format, string? File, int BufferSize);
