namespace Hftp.Benchmark.Tests;

/// <summary>Collects a load's output and signals when a line containing <paramref name="marker"/> is written.</summary>
internal sealed class LineWatcher(string marker) : StringWriter
{
    public ManualResetEventSlim Seen { get; } = new();

    public override void WriteLine(string? value)
    {
        lock (this)
        {
            base.WriteLine(value);
        }

        if (value is not null && value.Contains(marker, StringComparison.Ordinal))
        {
            Seen.Set();
        }
    }

    public override string ToString()
    {
        lock (this)
        {
            return base.ToString();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Seen.Dispose();
        }

        base.Dispose(disposing);
    }
}
