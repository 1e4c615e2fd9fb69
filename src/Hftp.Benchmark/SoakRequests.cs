using System.Globalization;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>
/// Draws the soak's exchanges at random (from a seeded <see cref="Random"/>, so a run can be replayed) and
/// computes each one's expected reply from PROTOCOL.md, the status table and the local copy of the files.
/// </summary>
internal sealed class SoakRequests(ServedFiles files, Random random)
{
    // Bounds the bytes a pipelined batch keeps in flight: 6 slices of 32 KiB stay under 300 KB per client.
    private const int MaxSliceSize = 32 * 1024;
    private const int MaxPipelined = 6;

    // Kinds and their weights out of 100.
    private static readonly (SoakKind Kind, int Weight)[] Mix =
    [
        (SoakKind.Listing, 6),
        (SoakKind.Metadata, 15),
        (SoakKind.Slice, 20),
        (SoakKind.UnknownCommand, 8),
        (SoakKind.BadArguments, 10),
        (SoakKind.MissingFile, 6),
        (SoakKind.OutOfRange, 7),
        (SoakKind.Pipelined, 13),
        (SoakKind.ByteAtATime, 5),
        (SoakKind.Fatal, 5),
        (SoakKind.Quit, 5),
    ];

    public SoakExchange Next()
    {
        var roll = random.Next(100);
        foreach (var (kind, weight) in Mix)
        {
            if (roll < weight)
            {
                return Build(kind);
            }

            roll -= weight;
        }

        throw new InvalidOperationException("the mix's weights do not add up to 100");
    }

    private SoakExchange Build(SoakKind kind)
    {
        switch (kind)
        {
            case SoakKind.Pipelined:
                var requests = new List<byte>();
                var replies = new List<byte>();
                var count = random.Next(2, MaxPipelined + 1);
                for (var index = 0; index < count; index++)
                {
                    var (request, reply) = NonFatal((SoakKind)random.Next((int)SoakKind.OutOfRange + 1));
                    requests.AddRange(request);
                    replies.AddRange(reply);
                }

                return new SoakExchange(kind, [.. requests], [.. replies], count, ServerCloses: false, ByteAtATime: false);
            case SoakKind.ByteAtATime:
                var (slow, slowReply) = NonFatal((SoakKind)random.Next((int)SoakKind.OutOfRange + 1));
                return new SoakExchange(kind, slow, slowReply, 1, ServerCloses: false, ByteAtATime: true);
            case SoakKind.Fatal:
                var (fatal, status) = Fatal();
                return new SoakExchange(kind, fatal, Status(status), 1, ServerCloses: true, ByteAtATime: false);
            case SoakKind.Quit:
                return new SoakExchange(kind, Ascii(Requests.Quit), Status(StatusCode.Ok), 1, ServerCloses: true, ByteAtATime: false);
            default:
                var (line, expected) = NonFatal(kind);
                return new SoakExchange(kind, line, expected, 1, ServerCloses: false, ByteAtATime: false);
        }
    }

    private (byte[] Request, byte[] Reply) NonFatal(SoakKind kind)
    {
        var (name, size) = files.Files[random.Next(files.Files.Count)];
        return kind switch
        {
            SoakKind.Listing => random.Next(4) == 0 ? (Ascii(Requests.Help), Ascii(Replies.Help())) : (Ascii(Requests.GetFileListing), files.ListingReply),
            SoakKind.Metadata => (Ascii(Requests.GetMetadata(name)), Ascii(Replies.Size(size))),
            SoakKind.Slice => Slice(name, size),
            SoakKind.UnknownCommand => (Ascii(Pick("nope", "QUIT", "HELP", "GET_METADATA " + name, " get_file_listing", "get_slices " + name + " 0 1") + "\r\n"),
                Status(StatusCode.NoSuchCommand)),
            SoakKind.BadArguments => (Ascii(Pick("get_metadata", "get_metadata  " + name, "get_metadata " + name + " ", "quit now", "quit ", "get_file_listing x",
                    "get_slice " + name + " 1", "get_slice " + name + " -1 2", "get_slice " + name + " 0 1x", "get_metadata a/b", "get_slice " + name + " 0  1",
                    "help x", "get_slice " + name + " 0 1 RAW", "get_slice " + name + " 0 1 raw x") + "\r\n"),
                Status(StatusCode.InvalidArguments)),
            SoakKind.MissingFile => (Ascii(Pick(Requests.GetMetadata(MissingName()), Requests.GetSlice(MissingName(), 0, 1), Requests.GetMetadata(".."), Requests.GetMetadata("."))),
                Status(StatusCode.FileNotFound)),
            SoakKind.OutOfRange => (Ascii(Pick(
                    Requests.GetSlice(name, size, 1),
                    Requests.GetSlice(name, 0, size + 1),
                    Requests.GetSlice(name, size + 1, 0),
                    Requests.Line($"{Command.GetSlice.Name()} {name} 99999999999999999999 1"), // beyond 64 bits
                    Requests.GetSlice(name, long.MaxValue, long.MaxValue))),
                Status(StatusCode.OffsetExceedsFileSize)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a single non-fatal request"),
        };
    }

    private (byte[] Request, byte[] Reply) Slice(string name, long size)
    {
        var offset = size == 0 ? 0 : random.NextInt64(size + 1);
        var length = (int)random.NextInt64(Math.Min(MaxSliceSize, size - offset) + 1);
        var content = new byte[length];
        files.ReadSlice(name, offset, content);
        // Half the slices are raw (2026): the same bytes, unencoded after a Content-Length header.
        var raw = random.Next(2) == 0;
        var reply = raw ? Replies.RawSliceBytes(content) : Replies.SliceBytes(content);

        // Leading zeros are valid (PROTOCOL.md) and exercise the number parser.
        var offsetText = random.Next(8) == 0 ? "00" + offset.ToString(CultureInfo.InvariantCulture) : offset.ToString(CultureInfo.InvariantCulture);
        return (Ascii(Requests.Line($"{Command.GetSlice.Name()} {name} {offsetText} {length}{(raw ? " raw" : string.Empty)}")), reply);
    }

    private (byte[] Request, StatusCode Status) Fatal() => random.Next(6) switch
    {
        4 => (Ascii("\r\n"), StatusCode.BadRequest),
        5 => (Ascii("   \r\n"), StatusCode.BadRequest),
        0 => (Ascii($"get_metadata {files.Files[0].Name}\n"), StatusCode.BadEol),
        1 => (Ascii("qu\rit\r\n"), StatusCode.BadRequest),
        2 => (Ascii("\r\r\n"), StatusCode.BadRequest),
        _ => ([.. "get_metadata caf"u8, 0xC3, 0xA9, .. "\r\n"u8], StatusCode.BadRequest),
    };

    private string MissingName()
    {
        string name;
        do
        {
            name = "missing-" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);
        }
        while (files.Files.Any(file => file.Name == name));

        return name;
    }

    private string Pick(params string[] choices) => choices[random.Next(choices.Length)];

    private static byte[] Status(StatusCode code) => code.StatusLine().ToArray();

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
