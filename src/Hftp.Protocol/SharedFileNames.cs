using System.Text;

namespace Hftp.Protocol;

/// <summary>
/// File names read by any connection, as strings, so that a reader meeting a name another connection already asked
/// for hands back the same string instead of allocating one. On a server with a thread per connection that matters
/// for a thread's first request: a thread that allocates anything takes a whole allocation quantum (8 KiB) of the
/// collector's budget, and ten thousand new connections each asking for a file once set off collections that stop
/// all ten thousand threads. A fixed table of slots chosen by the name's hash, written without a lock: two names
/// that share a slot take turns in it (the loser allocates, as before), so the memory held stays bounded whatever
/// names clients send.
/// </summary>
public static class SharedFileNames
{
    /// <summary>Slots in the table: names kept at most.</summary>
    public const int Slots = 1024;

    private static readonly string?[] Table = new string?[Slots];

    /// <summary>The string for the ASCII name <paramref name="bytes"/>: the one already in the table, or a new one put there.</summary>
    public static string Get(ReadOnlySpan<byte> bytes)
    {
        var slot = (int)(Hash(bytes) % Slots);
        var known = Volatile.Read(ref Table[slot]);
        if (known is not null && Ascii.Equals(bytes, known))
        {
            return known;
        }

        var name = Encoding.ASCII.GetString(bytes);
        Volatile.Write(ref Table[slot], name);
        return name;
    }

    // FNV-1a: a name chosen to collide only takes turns in one slot, so a weak hash costs nothing but that slot.
    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var value in bytes)
        {
            hash = (hash ^ value) * 16777619u;
        }

        return hash;
    }
}
