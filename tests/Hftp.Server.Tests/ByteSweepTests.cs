using System.Text;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// The 256-byte sweep: one request with each of its positions replaced by each byte value, every reply checked
/// against what PROTOCOL.md says for it. Requests that keep the connection open share one connection (pipelined);
/// a framing fault closes the connection, so each of those gets its own, with a valid request after it that must
/// never be answered.
/// </summary>
public sealed class ByteSweepTests : IDisposable
{
    private const string Content = "!Que calor que hace hoy, pinta una birra!";
    private static readonly byte[] Original = Encoding.ASCII.GetBytes(Requests.GetMetadata("archivo.txt"));
    private static readonly byte[] Answered = Encoding.ASCII.GetBytes(Replies.Size(Content.Length));

    private readonly TestServer _server = TestServer.Start();

    public ByteSweepTests() => _server.WriteFile("archivo.txt", Content);

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task EveryByteAtEveryPositionThatKeepsTheConnectionGetsItsReplyOnOneConnection()
    {
        var variants = AllVariants().Where(variant => !Expected(variant).IsFatal()).ToList();
        var expected = variants.SelectMany(ReplyTo).ToArray();
        using var client = _server.Connect();

        await client.SendAsync(variants.SelectMany(variant => variant).ToArray());

        var replies = await client.ReadExactlyAsync(expected.Length);
        Assert.Equal(Encoding.ASCII.GetString(expected), Encoding.ASCII.GetString(replies));
        await client.SendAsync(Original);
        await client.ExpectAsync(Encoding.ASCII.GetString(Answered));
    }

    [Fact]
    public async Task EveryFramingFaultAtEveryPositionGetsItsStatusThenTheConnectionCloses()
    {
        // Every byte at 0x80 or above behaves alike, so all 128 are tried at the first, a middle and the last
        // position, and three of them everywhere; CR and LF, which cut or end the line, everywhere.
        var middle = Original.Length / 2;
        var fatal = AllVariants()
            .Where(variant => Expected(variant).IsFatal())
            .Where(variant =>
            {
                var position = Array.FindIndex(variant, 0, Original.Length, value => value >= 0x80);
                return position < 0 || position == 0 || position == middle || position == Original.Length - 3
                    || variant[position] is 0x80 or 0xC3 or 0xFF;
            })
            .ToList();

        await Parallel.ForEachAsync(fatal, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (variant, _) =>
        {
            using var client = _server.Connect();
            await client.SendAsync(variant.Concat(Original).ToArray());
            await client.ExpectAsync(Expected(variant).StatusLineText());
            await client.ExpectClosedAsync();
        });

        using var fresh = _server.Connect();
        await fresh.SendAsync(Original);
        await fresh.ExpectAsync(Encoding.ASCII.GetString(Answered));
    }

    private static IEnumerable<byte[]> AllVariants()
    {
        for (var position = 0; position < Original.Length; position++)
        {
            for (var value = 0; value < 256; value++)
            {
                var variant = (byte[])Original.Clone();
                variant[position] = (byte)value;
                yield return variant;
            }
        }
    }

    private static byte[] ReplyTo(byte[] variant)
    {
        var status = Expected(variant);
        return status == StatusCode.Ok ? Answered : status.StatusLine().ToArray();
    }

    // PROTOCOL.md, written out for one request of exactly this length ending where the original ends.
    private static StatusCode Expected(byte[] request)
    {
        for (var index = 0; index < request.Length; index++)
        {
            var value = request[index];
            if (value == '\n' && (index == 0 || request[index - 1] != '\r'))
            {
                return StatusCode.BadEol;
            }

            if ((value == '\r' && (index + 1 == request.Length || request[index + 1] != '\n')) || value >= 0x80)
            {
                return StatusCode.BadRequest;
            }

            if (value == '\n')
            {
                break;
            }
        }

        var elements = Encoding.ASCII.GetString(request, 0, request.Length - 2).Split(' ');
        if (elements[0] != Command.GetMetadata.Name())
        {
            return StatusCode.NoSuchCommand;
        }

        if (elements.Length != 2 || elements[1].Length == 0 || !elements[1].All(character => Syntax.IsFileNameByte((byte)character)))
        {
            return StatusCode.InvalidArguments;
        }

        return elements[1] == "archivo.txt" ? StatusCode.Ok : StatusCode.FileNotFound;
    }
}
