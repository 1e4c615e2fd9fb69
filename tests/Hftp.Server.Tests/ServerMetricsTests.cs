using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hftp.Protocol;
using Hftp.Server.Networking;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>The instruments themselves, in process: what recording costs, and whose measurements a listener sees.</summary>
public sealed class ServerMetricsTests
{
    [Fact]
    public void RecordingWithoutAListenerAllocatesNothing()
    {
        using var metrics = new ServerMetrics(() => 0, () => 1, () => default);
        var slice = new Request(StatusCode.Ok, RequestFault.None, Command.GetSlice, "f.txt"u8, false, 0, 3, false);
        var invalid = Request.Rejected(StatusCode.NoSuchCommand);
        RecordOneOfEach(metrics, slice, invalid);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            RecordOneOfEach(metrics, slice, invalid);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task EachServerCountsOnlyItsOwnRequests()
    {
        using var counted = TestServer.Start();
        using var other = TestServer.Start();
        var requests = new ConcurrentQueue<(string Command, string Status, long Count)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (ReferenceEquals(instrument.Meter, counted.Server.Metrics.Meter) && instrument.Name == "hftp.requests")
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, count, tags, _) =>
            requests.Enqueue((Tag(tags, "hftp.request.command"), Tag(tags, "hftp.response.status_code"), count)));
        listener.Start();

        using (var client = other.Connect())
        {
            await client.SendAsync(Requests.GetMetadata("f.txt") + Requests.Quit);
            await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText() + StatusCode.Ok.StatusLineText());
        }

        using (var client = counted.Connect())
        {
            await client.SendAsync(Requests.GetMetadata("f.txt") + Requests.Line("nope"));
            await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText() + StatusCode.NoSuchCommand.StatusLineText());
        }

        listener.RecordObservableInstruments();
        Assert.Equal([("get_metadata", "202", 1), ("invalid", "200", 1)], requests.OrderBy(request => request.Command, StringComparer.Ordinal));
    }

    [Fact]
    public async Task RequestTimeoutIsCountedByKindAndAsACloseReason()
    {
        using var server = TestServer.Start(options => options with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var closes = new ConcurrentQueue<(string Instrument, string Tag, long Count)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (ReferenceEquals(instrument.Meter, server.Server.Metrics.Meter) && instrument.Name is "hftp.timeouts" or "hftp.connections.closed")
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, count, tags, _) =>
            closes.Enqueue((instrument.Name, Tag(tags, instrument.Name == "hftp.timeouts" ? "hftp.timeout.kind" : "hftp.close.reason"), count)));
        listener.Start();

        using (var client = server.Connect())
        {
            await client.SendAsync("get_meta");
            await client.ExpectClosedAsync(TestTimeouts.Condition);
        }

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, TestTimeouts.Condition));
        listener.RecordObservableInstruments();
        Assert.Equal([("hftp.connections.closed", "request_timeout", 1), ("hftp.timeouts", "request", 1)], closes.OrderBy(close => close.Instrument, StringComparer.Ordinal));
    }

    private static void RecordOneOfEach(ServerMetrics metrics, in Request slice, in Request invalid)
    {
        metrics.ConnectionAccepted();
        metrics.CapReached();
        metrics.RequestAnswered(slice, StatusCode.Ok, TimeSpan.Zero);
        metrics.RequestAnswered(invalid, StatusCode.NoSuchCommand, TimeSpan.Zero);
        metrics.Sent(100);
        metrics.ConnectionClosed(CloseReason.IdleTimeout);
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string ?? "(not a string)";
            }
        }

        return "(missing)";
    }
}
