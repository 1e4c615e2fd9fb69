using Hftp.Server;

return await ServerCommand.InvokeAsync(args);
