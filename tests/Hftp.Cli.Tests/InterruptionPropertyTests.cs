using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hftp.Cli;
using Hftp.Testing;
using Xunit.Abstractions;

namespace Hftp.Cli.Tests;

/// <summary>
/// The resume property: a download of a few hundred MiB, interrupted at random moments (SIGINT or SIGKILL of
/// the real process) and resumed with a random <c>-j</c> each time, always ends byte-exact, and no run ever exits
/// 0 or leaves the output file with wrong bytes. Seeded: HFTP_PROPERTY_SEED=N replays a failing seed.
/// </summary>
public sealed class InterruptionPropertyTests(ITestOutputHelper output) : DownloadFixture
{
    private const long FileSize = 256L << 20;
    private const int MaxRounds = 10;
    private const int MaxInterruptionsPerRound = 3;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task RandomInterruptionsAndResumesAlwaysEndByteExact()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("HFTP_PROPERTY_SEED"), CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next();
        var random = new Random(seed);
        var history = new StringBuilder().Append(CultureInfo.InvariantCulture, $"seed {seed} (HFTP_PROPERTY_SEED={seed} replays it)\n");
        var expected = WriteRandomFile(Server.PathOf("big.bin"), random);
        var started = Stopwatch.StartNew();
        var rounds = 0;
        try
        {
            while (rounds < MaxRounds && (rounds < 3 || started.Elapsed < Budget))
            {
                rounds++;
                await RunRoundAsync(rounds, random, expected, history);
            }
        }
        finally
        {
            output.WriteLine(history.ToString());
        }

        output.WriteLine($"{rounds} rounds in {started.Elapsed.TotalSeconds:0.0} s");
    }

    // One target file: interrupted up to a few times at random, then resumed until it is complete.
    private async Task RunRoundAsync(int round, Random random, string expected, StringBuilder history)
    {
        var target = Saved($"round{round}.bin");
        var interruptions = random.Next(1, MaxInterruptionsPerRound + 1);
        for (var attempt = 1; ; attempt++)
        {
            Assert.True(attempt <= MaxInterruptionsPerRound + 2, $"round {round} did not finish\n{history}");
            var connections = random.Next(1, 9);
            string[] args = ["get", "big.bin", "-o", target, "-q", "-j", connections.ToString(CultureInfo.InvariantCulture), "-H", "127.0.0.1", "-p", Port];
            using var process = HftpProcess.Start(attempt == 1 ? args : [.. args, "--continue"]);
            var step = $"round {round} attempt {attempt}: -j {connections}";
            if (attempt <= interruptions)
            {
                var signal = random.Next(2) == 0 ? "INT" : "KILL";
                var trigger = await WaitForRandomMomentAsync(process, target, random);
                step += $", {signal} {trigger}";
                if (!process.HasExited)
                {
                    await process.SignalAsync(signal);
                }
            }

            var errors = await process.WaitForExitAsync();
            history.Append(CultureInfo.InvariantCulture, $"{step} -> exit {process.ExitCode} {errors.ReplaceLineEndings(" ").Trim()}\n");

            if (process.ExitCode == ExitCodes.Success || File.Exists(target))
            {
                Assert.True(File.Exists(target), $"exit 0 without the file\n{history}");
                Assert.True(TestFiles.HashOf(target) == expected, $"{target} has wrong bytes\n{history}");
                File.Delete(target);
                File.Delete(target + ".part.state");
                return;
            }

            Assert.True(process.ExitCode is ExitCodes.Interrupted or 137, $"unexpected exit {process.ExitCode}\n{history}");
        }
    }

    // Mostly once the state records a random share of the file; sometimes a random moment right after start.
    private static async Task<string> WaitForRandomMomentAsync(HftpProcess process, string target, Random random)
    {
        if (random.Next(5) == 0)
        {
            var delay = random.Next(0, 400);
            await Task.Delay(delay);
            return $"after {delay} ms";
        }

        // A share of what this attempt has left to do, beyond what earlier attempts recorded.
        var share = random.NextDouble() * 0.9;
        var before = Recorded(target);
        var goal = before + (long)(share * (FileSize - before));
        await Eventually.HoldsAsync(() => process.HasExited || Recorded(target) >= Math.Max(goal, before + 1), TestTimeouts.Transfer);
        return $"at {share:P0} of the rest recorded";
    }

    private static long Recorded(string target) => ResumeState.Read(target + ".part.state", out _)?.Done.Count ?? 0;

    private static string WriteRandomFile(string path, Random random)
    {
        var block = new byte[1 << 20];
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            for (long written = 0; written < FileSize; written += block.Length)
            {
                random.NextBytes(block);
                file.Write(block);
                sha.AppendData(block);
            }
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
