using Hftp.Server;

return await ServerCommand.Create().Parse(args).InvokeAsync();
