using System.Globalization;
using System.Text.RegularExpressions;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>A real server on port 0 and a scratch download directory, with the helpers the <c>get</c> tests share.</summary>
public abstract class DownloadFixture : IDisposable
{
    private TcpRelay? _relay;

    private protected DownloadFixture()
    {
        Server = TestServer.Start();
        Downloads = Directory.CreateTempSubdirectory("hftp-downloads-").FullName;
    }

    /// <summary>
    /// One relay in front of the server for the fixture's life: an interrupted download and the runs that resume it
    /// go through the same address, as the resume state requires.
    /// </summary>
    private protected TcpRelay Relay => _relay ??= new TcpRelay(Server.Port);

    private protected string RelayPort => Relay.Port.ToString(CultureInfo.InvariantCulture);

    private protected TestServer Server { get; }

    private protected string Downloads { get; }

    private protected string Port => Server.Port.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _relay?.Dispose();
        Server.Dispose();
        Directory.Delete(Downloads, recursive: true);
        GC.SuppressFinalize(this);
    }

    private protected string Saved(string name) => Path.Combine(Downloads, name);

    private protected string[] Leftovers() => Directory.GetFiles(Downloads, "*.part*");

    /// <summary>Bytes the server sent, summed over every connection it has closed so far.</summary>
    private protected long ServerBytesSent() =>
        Server.Log.Events
            .Select(e => BytesSent().Match(e.RenderMessage(CultureInfo.InvariantCulture)))
            .Where(match => match.Success)
            .Sum(match => long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));

    /// <summary>
    /// Runs <c>hftp get</c> in-process through <see cref="Relay"/>, letting <paramref name="budget"/> bytes of replies
    /// pass, then interrupts it (as Ctrl+C does) once they have; the relay lets everything through again after.
    /// </summary>
    private protected async Task<CliRun> InterruptedGetAsync(long budget, params string[] args)
    {
        var relay = Relay;
        var forwardedBefore = relay.Forwarded; // the relay counts over the fixture's life; the budget is this run's
        relay.Allow(budget);
        using var interrupt = new CancellationTokenSource();
        var run = CliRun.InvokeUntilAsync(interrupt.Token, [.. args, "-H", "127.0.0.1", "-p", RelayPort]);
        if (!await Eventually.HoldsAsync(() => relay.Forwarded - forwardedBefore >= budget || relay.BudgetGranted || run.IsCompleted, TestTimeouts.Condition))
        {
            // Say where it stood: what the relay passed, and what the command itself printed once stopped.
            var forwarded = relay.Forwarded - forwardedBefore;
            await interrupt.CancelAsync();
            relay.Release();
            var stopped = await Task.WhenAny(run, Task.Delay(TestTimeouts.Reply)) == run ? await run : null;
            var serverLog = string.Join("\n", Server.Log.Events.TakeLast(8).Select(CapturedLog.Text));
            Assert.Fail($"the download never reached the relay's budget: {forwarded} of {budget} bytes forwarded; " +
                $"the command {(stopped is null ? "did not stop" : $"exited {stopped.ExitCode}: {stopped.Error}")}; the server's last lines:\n{serverLog}");
        }
        if (run.IsCompleted)
        {
            Assert.Fail($"the download ended before it was interrupted: {(await run).Error}");
        }

        await interrupt.CancelAsync();
        var result = await run;
        relay.Release();
        Assert.True(result.ExitCode == ExitCodes.Interrupted, $"exit {result.ExitCode} from the interrupted run: {result.Error}");
        return result;
    }

    private protected Task<CliRun> GetAsync(params string[] args) => CliRun.InvokeAsync([.. args, "-H", "127.0.0.1", "-p", Port]);

    /// <summary>Runs <c>hftp get</c> through <see cref="Relay"/>: the same server address as <see cref="InterruptedGetAsync"/>.</summary>
    private protected Task<CliRun> ResumeAsync(params string[] args) => CliRun.InvokeAsync([.. args, "-H", "127.0.0.1", "-p", RelayPort]);

    private static Regex BytesSent() => new(@"bytes sent (\d+)");
}
