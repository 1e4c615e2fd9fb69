using System.Text;
using BenchmarkDotNet.Attributes;
using Hftp.Protocol;

namespace Hftp.MicroBenchmarks;

/// <summary>Framing and parsing cost per request: the server's hot path for small requests.</summary>
[MemoryDiagnoser]
public class RequestReaderBenchmarks
{
    private readonly RequestReader _reader = new();
    private readonly byte[] _metadata = Encoding.ASCII.GetBytes(Requests.GetMetadata("archivo.txt"));
    private readonly byte[] _slice = Encoding.ASCII.GetBytes(Requests.GetSlice("archivo.txt", 1073741824, 65536));
    private readonly byte[] _pipelined = [.. Enumerable.Repeat(Encoding.ASCII.GetBytes(Requests.GetMetadata("archivo.txt")), 16).SelectMany(bytes => bytes)];

    [Benchmark]
    public Request GetMetadata() => ReadOne(_metadata);

    [Benchmark]
    public Request GetSlice() => ReadOne(_slice);

    [Benchmark(OperationsPerInvoke = 16)]
    public int PipelinedBatchOf16()
    {
        ReadOnlySpan<byte> input = _pipelined;
        var count = 0;
        while (_reader.TryRead(input, out var consumed, out _))
        {
            input = input[consumed..];
            count++;
        }

        return count;
    }

    private Request ReadOne(byte[] bytes)
    {
        _reader.TryRead(bytes, out _, out var request);
        return request;
    }
}
