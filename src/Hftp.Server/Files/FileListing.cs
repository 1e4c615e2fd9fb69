using System.Buffers;

namespace Hftp.Server.Files;

/// <summary>
/// The names of one listing, as bytes, in arrays borrowed from <see cref="ArrayPool{T}.Shared"/> for as long as the
/// listing is being built and written: a connection reuses one instance, so listing allocates nothing in steady state,
/// and <see cref="Release"/> hands the arrays back, so an idle connection holds none.
/// </summary>
internal sealed class FileListing
{
    private byte[] _bytes = [];
    private (int Start, int Length)[] _names = [];
    private int _bytesUsed;

    // Made once: sorting with a struct comparer would box it and wrap it in a delegate on every sort.
    private readonly Comparison<(int Start, int Length)> _ordinalOrder;

    public FileListing() => _ordinalOrder = CompareOrdinally;

    public int Count { get; private set; }

    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            var (start, length) = _names[index];
            return _bytes.AsSpan(start, length);
        }
    }

    public void Add(ReadOnlySpan<byte> name)
    {
        if (_bytesUsed + name.Length > _bytes.Length)
        {
            _bytes = Grow(_bytes, _bytesUsed, _bytesUsed + name.Length);
        }

        if (Count == _names.Length)
        {
            _names = Grow(_names, Count, Count + 1);
        }

        name.CopyTo(_bytes.AsSpan(_bytesUsed));
        _names[Count++] = (_bytesUsed, name.Length);
        _bytesUsed += name.Length;
    }

    /// <summary>Keeps only the names at which <paramref name="keep"/> is true, in their order.</summary>
    public void KeepOnly(ReadOnlySpan<bool> keep)
    {
        var kept = 0;
        for (var index = 0; index < Count; index++)
        {
            if (keep[index])
            {
                _names[kept++] = _names[index];
            }
        }

        Count = kept;
    }

    /// <summary>Sorts the names by byte (ordinal) order, as PROTOCOL.md orders a listing.</summary>
    public void Sort() => _names.AsSpan(0, Count).Sort(_ordinalOrder);

    /// <summary>Empties the listing and gives its arrays back to the pool.</summary>
    public void Release()
    {
        if (_bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
        }

        if (_names.Length > 0)
        {
            ArrayPool<(int, int)>.Shared.Return(_names);
        }

        (_bytes, _names, _bytesUsed, Count) = ([], [], 0, 0);
    }

    private static T[] Grow<T>(T[] current, int used, int needed)
    {
        var larger = ArrayPool<T>.Shared.Rent(Math.Max(needed, Math.Max(64, current.Length * 2)));
        current.AsSpan(0, used).CopyTo(larger);
        if (current.Length > 0)
        {
            ArrayPool<T>.Shared.Return(current);
        }

        return larger;
    }

    private int CompareOrdinally((int Start, int Length) x, (int Start, int Length) y) =>
        _bytes.AsSpan(x.Start, x.Length).SequenceCompareTo(_bytes.AsSpan(y.Start, y.Length));
}
