using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Hftp.Benchmarks -- --filter '*'   (add --job short for a quick run)
BenchmarkSwitcher.FromAssembly(typeof(Hftp.Benchmarks.RequestReaderBenchmarks).Assembly).Run(args);
