namespace Hftp.Protocol.Tests;

/// <summary>
/// Every byte value, 0 to 255, in every position of a few well-formed requests, fed to the reader whole, split
/// in two at every point, and a byte at a time: each time the reader's verdict, and where it stops, must be
/// what <see cref="RequestOracle"/> says PROTOCOL.md wants. A request that leaves the connection open must
/// also leave the reader ready for the next one.
/// </summary>
public sealed class RequestByteSweepTests
{
    public static TheoryData<string> Requests =>
        ["get_metadata a.txt\r\n", "get_slice a.txt 5 20\r\n", "get_slice a.txt 5 20 raw\r\n", "quit\r\n", "get_file_listing\r\n", "help\r\n"];

    private static readonly byte[] NextRequest = "quit\r\n"u8.ToArray();

    [Theory]
    [MemberData(nameof(Requests))]
    public void EveryByteInEveryPositionGetsTheProtocolsVerdict(string request)
    {
        var original = System.Text.Encoding.ASCII.GetBytes(request);
        for (var position = 0; position < original.Length; position++)
        {
            for (var value = 0; value <= byte.MaxValue; value++)
            {
                var line = (byte[])original.Clone();
                line[position] = (byte)value;
                CheckEveryWayOfFeeding(line, request, $"byte 0x{value:X2} at {position}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void EveryByteInsertedAnywhereGetsTheProtocolsVerdict(string request)
    {
        var original = System.Text.Encoding.ASCII.GetBytes(request);
        // Up to just before the final \n: a byte after it would belong to the next request.
        for (var position = 0; position < original.Length; position++)
        {
            for (var value = 0; value <= byte.MaxValue; value++)
            {
                byte[] line = [.. original[..position], (byte)value, .. original[position..]];
                CheckEveryWayOfFeeding(line, request, $"byte 0x{value:X2} inserted at {position}");
            }
        }
    }

    private static void CheckEveryWayOfFeeding(byte[] line, string request, string change)
    {
        byte[] input = [.. line, .. NextRequest];
        var expected = Expect(input);

        Check(expected, Feed(input, [input.Length]), request, change, "whole");
        for (var split = 1; split < input.Length; split++)
        {
            Check(expected, Feed(input, [split, input.Length - split]), request, change, "split after byte ", split);
        }

        Check(expected, Feed(input, [.. Enumerable.Repeat(1, input.Length)]), request, change, "a byte at a time");
    }

    /// <summary>The oracle's first request, where it ends, and (when the connection goes on) the request after it.</summary>
    private static (ParsedRequest Request, int Consumed, ParsedRequest? Next) Expect(byte[] input)
    {
        var (first, consumed) = RequestOracle.Judge(input) ?? throw new InvalidOperationException("the oracle found no request");
        var next = first.Status.IsFatal() ? null : RequestOracle.Judge(input.AsSpan(consumed))?.Request;
        return (first, consumed, next);
    }

    // Messages are built only on failure: the sweep makes about a million checks.
    private static void Check(
        (ParsedRequest Request, int Consumed, ParsedRequest? Next) expected,
        (ParsedRequest Request, int Consumed, ParsedRequest? Next) actual,
        string request,
        string change,
        string how,
        int split = 0)
    {
        if (expected.Request != actual.Request || expected.Consumed != actual.Consumed || (expected.Next is not null && expected.Next != actual.Next))
        {
            Assert.Fail($"{change} of {request.ReplaceLineEndings("\\r\\n")}, fed {how}{(split > 0 ? split : string.Empty)}: "
                + $"expected {expected.Request} ending after {expected.Consumed} bytes, then {expected.Next}; "
                + $"got {actual.Request} ending after {actual.Consumed} bytes, then {actual.Next}");
        }
    }

    /// <summary>Feeds <paramref name="input"/> in chunks of the given lengths; returns the first request, where it ended, and the one after it.</summary>
    private static (ParsedRequest Request, int Consumed, ParsedRequest? Next) Feed(byte[] input, int[] chunkLengths)
    {
        var reader = new RequestReader();
        var found = new List<(ParsedRequest Request, int End)>();
        var start = 0;
        foreach (var length in chunkLengths)
        {
            var chunk = input.AsSpan(start, length);
            var offset = 0;
            while (found.Count < 2 && offset < chunk.Length && reader.TryRead(chunk[offset..], out var consumed, out var request))
            {
                offset += consumed;
                // Copied out at once: the request's bytes are the reader's, overwritten by the next read.
                found.Add((ParsedRequest.Of(request), start + offset));
            }

            start += length;
        }

        Assert.NotEmpty(found);
        return (found[0].Request, found[0].End, found.Count > 1 ? found[1].Request : null);
    }
}
