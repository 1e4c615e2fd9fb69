using System.Text;

namespace Hftp.Server.Files;

/// <summary>
/// The file name a connection asked about last, as text and as the <see cref="FileInfo"/> examined for it. Asking
/// about the same file again (a client polling it; get_metadata then get_slice, as hftp get does) examines it afresh
/// through the same objects, so it allocates nothing: at 4,000 connections each allocation-free request spares a
/// collection that stops and scans 4,000 threads. One per connection; never shared.
/// </summary>
internal sealed class RecentName
{
    // The longest name remembered (NAME_MAX on Linux); a longer one is turned into text each time.
    private const int Longest = 255;

    private byte[]? _bytes;
    private int _length = -1;

    public string Text { get; private set; } = string.Empty;

    /// <summary>The entry examined for <see cref="Text"/>, once there is one; null for a new name.</summary>
    public FileInfo? Entry { get; set; }

    /// <summary>Makes <paramref name="name"/> (ASCII, as checked by the reader) the recent one and returns its text.</summary>
    public string Take(ReadOnlySpan<byte> name)
    {
        if (_length >= 0 && name.SequenceEqual(_bytes.AsSpan(0, _length)))
        {
            return Text;
        }

        Text = Encoding.ASCII.GetString(name);
        Entry = null;
        _length = name.Length <= Longest ? name.Length : -1;
        if (_length >= 0)
        {
            // Made at the first request, not with the connection: an idle one holds none.
            name.CopyTo(_bytes ??= new byte[Longest]);
        }

        return Text;
    }
}
