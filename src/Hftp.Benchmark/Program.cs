using Hftp.Benchmark;

return await BenchmarkCommand.Create(Console.Out).Parse(args).InvokeAsync();
