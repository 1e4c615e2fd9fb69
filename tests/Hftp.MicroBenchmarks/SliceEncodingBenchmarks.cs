using System.Buffers.Text;
using BenchmarkDotNet.Attributes;
using Hftp.Server.Networking;

namespace Hftp.MicroBenchmarks;

/// <summary>
/// Base64 encoding of one slice chunk: as one call from a separate buffer, and as <see cref="SliceWriter"/> does it,
/// in place in the reply buffer, piece by piece. The CPU cost per byte of get_slice on the server, outside the kernel.
/// Bytes per second per core = chunk size / mean time.
/// </summary>
[MemoryDiagnoser]
public class SliceEncodingBenchmarks
{
    private static readonly int ChunkSize = SliceWriter.RawBytesThatFit(ReplyWriter.SendAreaSize);

    private readonly byte[] _raw = new byte[ChunkSize];
    private readonly byte[] _encoded = new byte[Base64.GetMaxEncodedToUtf8Length(ChunkSize)];
    private readonly byte[] _replyBuffer = new byte[ReplyWriter.SendAreaSize];

    [GlobalSetup]
    public void FillChunk()
    {
        new Random(42).NextBytes(_raw);
        new Random(42).NextBytes(_replyBuffer);
    }

    [Benchmark(Baseline = true)]
    public int EncodeChunkIntoAnotherBuffer()
    {
        Base64.EncodeToUtf8(_raw, _encoded, out _, out var written);
        return written;
    }

    [Benchmark]
    public int EncodeChunkInPlaceByPieces()
    {
        // The raw bytes at the end of the reply buffer, as a read leaves them, encoded forward from its start (each
        // run encodes what the last one wrote: other bytes, the same work).
        var raw = _replyBuffer.AsSpan(_replyBuffer.Length - ChunkSize);
        var written = 0;
        for (var piece = 0; piece < ChunkSize; piece += SliceWriter.PieceSize)
        {
            var source = raw.Slice(piece, Math.Min(SliceWriter.PieceSize, ChunkSize - piece));
            Base64.EncodeToUtf8(source, _replyBuffer.AsSpan(written, Base64.GetMaxEncodedToUtf8Length(source.Length)), out _, out var pieceWritten);
            written += pieceWritten;
        }

        return written;
    }
}
