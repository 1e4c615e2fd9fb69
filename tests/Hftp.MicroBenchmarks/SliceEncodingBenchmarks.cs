using System.Buffers.Text;
using BenchmarkDotNet.Attributes;
using Hftp.Server.Networking;

namespace Hftp.MicroBenchmarks;

/// <summary>
/// Base64 encoding of one slice chunk as <see cref="SliceWriter"/> does it: the CPU cost per byte of
/// get_slice on the server. Bytes per second per core = chunk size / mean time.
/// </summary>
[MemoryDiagnoser]
public class SliceEncodingBenchmarks
{
    private readonly byte[] _raw = new byte[SliceWriter.RawChunkSize];
    private readonly byte[] _encoded = new byte[Base64.GetMaxEncodedToUtf8Length(SliceWriter.RawChunkSize)];

    [GlobalSetup]
    public void FillChunk() => new Random(42).NextBytes(_raw);

    [Benchmark]
    public int EncodeChunk()
    {
        Base64.EncodeToUtf8(_raw, _encoded, out _, out var written);
        return written;
    }
}
