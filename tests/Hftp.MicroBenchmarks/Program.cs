using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Hftp.MicroBenchmarks -- --filter '*'   (add --job short for a quick run)
BenchmarkSwitcher.FromAssembly(typeof(Hftp.MicroBenchmarks.RequestReaderBenchmarks).Assembly).Run(args);
