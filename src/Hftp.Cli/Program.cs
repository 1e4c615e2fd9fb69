using Hftp.Cli;

return await CliCommand.InvokeAsync(args, CliConsole.System);
