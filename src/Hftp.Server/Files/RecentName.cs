using System.Text;

namespace Hftp.Server.Files;

/// <summary>The file name a connection asked about last, as text and as the <see cref="FileInfo"/> examined for it,
/// with its size while the batch lasts. The same file again (polled; get_metadata then get_slice, as hftp get does) is
/// examined afresh through the same objects, allocating nothing: with thousands of connection threads, every collection
/// stops and scans them all, and its thread falls behind. 4,000 connections looping get_metadata, all served: p99 1.23
/// times the mean, like the old server's 1.24, which allocated nothing either (bench/compare.sh 9398407 a4b177e,
/// 2026-12-06, docs/performance.md); before, about 430 bytes a request (RecentNameTests). One per connection thread
/// (<see cref="Networking.ConnectionScratch"/>), kept across its connections (a name only); never shared.</summary>
internal sealed class RecentName
{
    // The longest name remembered (NAME_MAX on Linux); a longer one is turned into text and looked up each time.
    private const int Longest = 255;

    private byte[]? _bytes;
    private int _length = -1;

    // Within one batch (the requests of one receive) a name's size is looked up once: a client that pipelines
    // get_metadata of one file costs one stat per batch, not one (and a geteuid) per request. 32 connections x 16 in
    // flight: 422-501k requests/s with it, 203-227k without; 1,000,000 down one connection (nc): 0.60-0.87 s against
    // 4.27-6.22 (bench/pipeline.sh, 2026-12-06, commit 0cbe6f2, 2 cores). Never kept past its batch nor its name.
    private bool _sizeKnown;
    private bool _found;
    private long _size;

    public string Text { get; private set; } = string.Empty;

    /// <summary>The entry examined for <see cref="Text"/>, once there is one; null for a new name.</summary>
    public FileInfo? Entry { get; set; }

    /// <summary>Starts a batch of requests (those of one receive): the size remembered before is forgotten.</summary>
    public void BeginBatch() => _sizeKnown = false;

    /// <summary>Makes <paramref name="name"/> (ASCII, as checked by the reader) the recent one and returns its text.</summary>
    public string Take(ReadOnlySpan<byte> name)
    {
        if (IsRecent(name))
        {
            return Text;
        }

        Text = Encoding.ASCII.GetString(name);
        Entry = null;
        _sizeKnown = false;
        _length = name.Length <= Longest ? name.Length : -1;
        if (_length >= 0)
        {
            // Made at the first request, not with the connection: an idle one holds none.
            name.CopyTo(_bytes ??= new byte[Longest]);
        }

        return Text;
    }

    /// <summary>Whether <paramref name="name"/>'s size was looked up in this batch, and if so what it was.</summary>
    public bool TryRecallSize(ReadOnlySpan<byte> name, out bool found, out long size)
    {
        (found, size) = (_found, _size);
        return _sizeKnown && IsRecent(name);
    }

    /// <summary>Remembers the size looked up for the name last taken, until the batch ends or another name is taken.</summary>
    public void RememberSize(bool found, long size) => (_sizeKnown, _found, _size) = (_length >= 0, found, size);

    private bool IsRecent(ReadOnlySpan<byte> name) => _length >= 0 && name.SequenceEqual(_bytes.AsSpan(0, _length));
}
