using System.Collections.Concurrent;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Server.Files;

/// <summary>The served files' names that clients asked about, one <see cref="AskedName"/> each per server, so that a
/// connection thread asking about a file another asked about allocates nothing: its first allocation would take a fresh
/// allocation context (8 KB of the young generation, cleared page by page), and with thousands of threads the
/// collections that sets off stop them all. 4,000 connections asking get_metadata: 20.6k requests/s, 23k page faults;
/// 18.5k and 31k when each thread allocated at its first (bench/first-requests.sh, 2026-12-08). At most 1,024 names.</summary>
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

    /// <summary>Shares <paramref name="name"/> once found served, while there is room, and forgets it once found not
    /// served (a file removed, or renamed away): a name's entry changes hands only when its verdict does.</summary>
    public void Update(AskedName name, bool served)
    {
        if (served != name.Offered)
        {
            name.Offered = served;
            _ = served ? _names.Count < Capacity && _names.TryAdd(name.Text, name) : _names.TryRemove(KeyValuePair.Create(name.Text, name));
        }
    }
}

/// <summary>A file name a client asked about, with <see cref="FileInfo"/>s to examine it through: asked again, by the same
/// thread or (once shared) by any other, it is examined afresh through the same objects, allocating nothing.</summary>
internal sealed class AskedName(string text, string root)
{
    // Refresh rewrites a FileInfo's status, so an examination takes one to itself: by exchange, as a lock held by a
    // preempted thread stalled every other (and a first wait allocates). Past 16 at once, one more is made and dropped.
    private readonly FileInfo?[] _idle = new FileInfo?[16];
    private readonly string _path = Path.Join(root, text);

    public string Text { get; } = text;

    /// <summary>Whether it was last found served, and so shared if there was room.</summary>
    public bool Offered { get; set; }

    /// <summary>What <paramref name="directory"/> finds for this name now.</summary>
    public FileExamination ExamineIn(ServedDirectory directory)
    {
        FileInfo? entry = null;
        for (var slot = 0; slot < _idle.Length && entry is null; slot++)
        {
            entry = Volatile.Read(ref _idle[slot]) is null ? null : Interlocked.Exchange(ref _idle[slot], null);
        }

        var examination = directory.Examine(entry ??= new FileInfo(_path), Text);
        var free = 0;
        while (free < _idle.Length && Interlocked.CompareExchange(ref _idle[free], entry, null) is not null)
        {
            free++;
        }

        return examination;
    }
}
