using System.Collections.Concurrent;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Server.Files;

/// <summary>The served files' names that clients asked about, one <see cref="AskedName"/> each per server, so that a
/// connection thread asking about a file another asked about allocates nothing: its first allocation would take a fresh
/// allocation context (8 KB of the young generation, cleared page by page), and with thousands of threads the
/// collections that sets off stop them all: 4,000 connections asking get_metadata got 0.83 times the old server's
/// requests/s while each thread allocated at its first (docs/performance.md). At most 1,024 names, about 0.5 KB each.</summary>
internal sealed class ServedNames
{
    private const int Capacity = 1024;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, AskedName> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AskedName>.AlternateLookup<ReadOnlySpan<char>> _byText;

    public ServedNames(string root) => (_root, _byText) = (root, _names.GetAlternateLookup<ReadOnlySpan<char>>());

    /// <summary>The shared entry for <paramref name="name"/> (ASCII, as the reader checked it), or a new one of the caller's own.</summary>
    public AskedName Find(ReadOnlySpan<byte> name)
    {
        Span<char> text = stackalloc char[Math.Min(name.Length, Syntax.MaxFileNameLength)];
        Ascii.ToUtf16(name, text, out var written);
        return written == name.Length && _byText.TryGetValue(text, out var shared) ? shared : new AskedName(Encoding.ASCII.GetString(name), _root);
    }

    /// <summary>Shares <paramref name="name"/>, just found served, while there is room; tried once per entry.</summary>
    public void Offer(AskedName name)
    {
        if (!name.Offered)
        {
            name.Offered = true;
            _ = _names.Count < Capacity && _names.TryAdd(name.Text, name);
        }
    }
}

/// <summary>A file name a client asked about, with <see cref="FileInfo"/>s to examine it through: asked again, by the same
/// thread or (once shared) by any other, it is examined afresh through the same objects, allocating nothing.</summary>
internal sealed class AskedName(string text, string root)
{
    // Refresh rewrites a FileInfo's cached status, so each examination takes one and gives it back: an exchange, not a
    // lock, for with thousands of threads on a few cores one preempted while holding a lock stalled every other (and a
    // thread's first wait allocates). Enough for the examinations under way at once; past that, one more is made.
    private readonly FileInfo?[] _idle = new FileInfo?[16];
    private readonly string _path = Path.Join(root, text);

    public string Text { get; } = text;

    public bool Offered { get; set; }

    /// <summary>What <paramref name="directory"/> finds for this name now.</summary>
    public FileExamination ExamineIn(ServedDirectory directory)
    {
        var taken = Array.FindIndex(_idle, idle => idle is not null);
        var entry = (taken >= 0 ? Interlocked.Exchange(ref _idle[taken], null) : null) ?? new FileInfo(_path);
        var examination = directory.Examine(entry, Text);
        if (Array.IndexOf(_idle, null) is var free and >= 0)
        {
            Interlocked.CompareExchange(ref _idle[free], entry, null);
        }

        return examination;
    }
}
