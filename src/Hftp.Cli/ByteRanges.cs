namespace Hftp.Cli;

/// <summary>Bytes <c>[Start, End)</c> of a download.</summary>
public readonly record struct ByteRange(long Start, long End)
{
    public long Length => End - Start;
}

/// <summary>
/// A set of byte positions, kept as sorted, disjoint, non-touching ranges: which parts of a download are on
/// disk, and by complement which are still missing, whatever mix of connections wrote them.
/// </summary>
public sealed class ByteRanges
{
    private readonly List<ByteRange> _ranges = [];

    public IReadOnlyList<ByteRange> Ranges => _ranges;

    /// <summary>How many bytes the set holds.</summary>
    public long Count => _ranges.Sum(range => range.Length);

    public ByteRanges Clone()
    {
        var copy = new ByteRanges();
        copy._ranges.AddRange(_ranges);
        return copy;
    }

    public void Add(long start, long end)
    {
        if (end <= start)
        {
            return;
        }

        // Merge with every range that overlaps or touches [start, end).
        var index = 0;
        while (index < _ranges.Count && _ranges[index].End < start)
        {
            index++;
        }

        while (index < _ranges.Count && _ranges[index].Start <= end)
        {
            start = Math.Min(start, _ranges[index].Start);
            end = Math.Max(end, _ranges[index].End);
            _ranges.RemoveAt(index);
        }

        _ranges.Insert(index, new ByteRange(start, end));
    }

    /// <summary>The ranges of <c>[0, length)</c> not in the set, in order.</summary>
    public IReadOnlyList<ByteRange> MissingFrom(long length)
    {
        var missing = new List<ByteRange>();
        long position = 0;
        foreach (var range in _ranges)
        {
            if (range.Start > position)
            {
                missing.Add(new ByteRange(position, Math.Min(range.Start, length)));
            }

            position = Math.Max(position, range.End);
            if (position >= length)
            {
                break;
            }
        }

        if (position < length)
        {
            missing.Add(new ByteRange(position, length));
        }

        return missing.Where(range => range.Length > 0).ToList();
    }
}
