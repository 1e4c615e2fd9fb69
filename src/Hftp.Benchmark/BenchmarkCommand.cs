using System.CommandLine;
using Hftp.CommandLine;
using Hftp.Protocol;
using Command = System.CommandLine.Command;

namespace Hftp.Benchmark;

/// <summary>The <c>hftp-benchmark</c> command line: bulk, small, idle, open, soak, slowloris, http-bulk and startup loads.</summary>
public static class BenchmarkCommand
{
    /// <summary>Parses and runs; a bad option gets one line on <paramref name="error"/>, not the whole help text.</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error)
    {
        var parseResult = Create(output).Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            return await ParseErrors.WriteAsync(parseResult, "hftp-benchmark", error);
        }

        return await parseResult.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    public static RootCommand Create(TextWriter output)
    {
        var host = new Option<string>("--host") { Description = "Server address (loopback only, please)", DefaultValueFactory = _ => "127.0.0.1", Recursive = true };
        var port = new Option<int>("--port", "-p")
        {
            Description = "Server port",
            DefaultValueFactory = _ => Defaults.Port,
            CustomParser = result => WholeNumbers.ParseInt32(result, 0, 65535),
            Recursive = true,
        };
        // -j as in hftp (and make); -c as in wrk and ab, which the benchmark's documented runs use.
        var connections = new Option<int>("--connections", "-j", "-c", "--clients")
        {
            Description = "Concurrent connections",
            DefaultValueFactory = _ => 1,
            CustomParser = result => WholeNumbers.ParseInt32(result, 1, 100_000),
            Recursive = true,
        };
        var duration = new Option<double>("--duration", "-d", "--seconds")
        {
            Description = "Seconds to run each load (at most 600)",
            DefaultValueFactory = _ => 10,
            CustomParser = result => WholeNumbers.ParseInt32(result, 1, 600, unit: "seconds"),
            Recursive = true,
        };
        var serverPid = new Option<int?>("--server-pid")
        {
            Description = "Sample this process's RSS, threads and CPU; report the peaks",
            CustomParser = result => WholeNumbers.ParseInt32(result, 1),
            Recursive = true,
        };
        var file = new Option<string>("--file", "-f") { Description = "File the server serves", Required = true };

        var root = new RootCommand("hftp-benchmark: load generator for any HFTP server") { host, port, connections, duration, serverPid };
        LoadSettings Settings(ParseResult result) => new(
            result.GetRequiredValue(host),
            result.GetValue(port),
            result.GetValue(connections),
            TimeSpan.FromSeconds(result.GetValue(duration)),
            result.GetValue(serverPid));

        var verify = new Option<string?>("--verify") { Description = "Local copy of the file: compare every byte received" };
        var raw = new Option<bool>("--raw") { Description = "Ask for raw slices (get_slice NAME 0 SIZE raw, 2026) instead of base64" };
        var bulk = new Command("bulk", "Each connection loops get_slice NAME 0 SIZE; reports MB/s of the file") { file, verify, raw };
        bulk.SetAction(result => new BulkLoad(Settings(result), result.GetRequiredValue(file), result.GetValue(verify), result.GetValue(raw), output).Run());

        var pipeline = new Option<int>("--pipeline", "-P")
        {
            Description = "Requests in flight per connection",
            DefaultValueFactory = _ => 1,
            CustomParser = result => WholeNumbers.ParseInt32(result, 1, 10_000),
        };
        var small = new Command("small", "Each connection loops get_metadata NAME, P in flight; reports requests/s and latency") { file, pipeline };
        small.SetAction(result => new SmallLoad(Settings(result), result.GetRequiredValue(file), result.GetValue(pipeline), output).Run());

        var idle = new Command("idle", "Holds C idle connections while a fresh client measures its latency") { file };
        idle.SetAction(result => new IdleLoad(Settings(result), result.GetRequiredValue(file), output).Run());

        var urlPath = new Option<string>("--url-path") { Description = "Path to GET, e.g. /big.bin", Required = true };
        var httpBulk = new Command("http-bulk", "HTTP/1.1 keep-alive GET loop (e.g. against nginx), for comparison") { urlPath };
        httpBulk.SetAction(result => new HttpBulkLoad(Settings(result), result.GetRequiredValue(urlPath), output).Run());

        var rounds = new Option<int>("--rounds") { Description = "Starts to time", DefaultValueFactory = _ => 5, CustomParser = result => WholeNumbers.ParseInt32(result, 1, 100) };
        var serverCommand = new Argument<string[]>("COMMAND") { Description = "The server command line, after --", Arity = ArgumentArity.OneOrMore };
        var startup = new Command("startup", "Times process start to first reply of the server command given after --") { rounds, serverCommand };
        startup.SetAction(result => new StartupProbe(Settings(result), result.GetValue(rounds), result.GetRequiredValue(serverCommand), output).Run());

        var directory = new Option<string>("--dir") { Description = "The directory the server serves (read here for the expected replies)", Required = true };
        var seed = new Option<int?>("--seed") { Description = "Seed of the random mix (printed; default: random)", CustomParser = result => WholeNumbers.ParseInt32(result, 0) };
        var maxRequests = WholeNumberOption("--max-requests", "Exchanges per client, at most", 1_000_000, 1, 100_000_000);
        var tolerance = WholeNumberOption("--tolerance", "Server threads and fds allowed above the baseline at the end", 8, 0, 10_000);
        var settle = WholeNumberOption("--settle-seconds", "How long the server has to return to its baseline", 10, 1, 600);
        var soak = new Command("soak", "C clients loop a random mix of valid, invalid, pipelined, byte-at-a-time, fatal and quit requests; every reply is checked")
        {
            directory, seed, maxRequests, tolerance, settle,
        };
        soak.SetAction(result => new SoakLoad(
            Settings(result),
            new SoakSettings(
                result.GetRequiredValue(directory),
                result.GetValue(seed) ?? Random.Shared.Next(),
                result.GetValue(maxRequests),
                result.GetValue(tolerance),
                TimeSpan.FromSeconds(result.GetValue(settle)),
                ReplyTimeout: TimeSpan.FromSeconds(10)),
            output).Run());

        var interval = WholeNumberOption("--interval-ms", "Milliseconds between the bytes each held connection sends", 5000, 1, 600_000);
        var openRate = WholeNumberOption("--open-rate", "Held connections opened per second, at most", 2000, 1, 100_000);
        var probeRate = WholeNumberOption("--probe-rate", "Fresh probe connections per second", 20, 1, 1000);
        var slowloris = new Command("slowloris", "Holds C connections that send one byte of a never-ending request per interval, while a fresh client measures its latency")
        {
            file, interval, openRate, probeRate,
        };
        slowloris.SetAction(result => new SlowlorisLoad(
            Settings(result),
            new SlowlorisSettings(
                TimeSpan.FromMilliseconds(result.GetValue(interval)),
                result.GetValue(openRate),
                result.GetValue(probeRate),
                ConnectTimeout: TimeSpan.FromSeconds(5)),
            result.GetRequiredValue(file),
            output).Run());

        root.Subcommands.Add(bulk);
        root.Subcommands.Add(small);
        root.Subcommands.Add(idle);
        root.Subcommands.Add(OpenLoad.Command(file, Settings, output));
        root.Subcommands.Add(soak);
        root.Subcommands.Add(slowloris);
        root.Subcommands.Add(httpBulk);
        root.Subcommands.Add(startup);
        return root;
    }

    private static Option<int> WholeNumberOption(string name, string description, int defaultValue, int minimum, int maximum) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => WholeNumbers.ParseInt32(result, minimum, maximum),
    };
}
