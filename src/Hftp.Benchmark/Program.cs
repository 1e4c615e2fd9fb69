using System.Net.Sockets;
using Hftp.Benchmark;

try
{
    return await BenchmarkCommand.InvokeAsync(args, Console.Out, Console.Error);
}
catch (Exception exception) when (exception is SocketException or InvalidOperationException or IOException)
{
    // The server is missing or refused the setup request: say so in one line, no stack trace.
    await Console.Error.WriteLineAsync($"hftp-benchmark: {exception.Message}");
    return 2;
}
