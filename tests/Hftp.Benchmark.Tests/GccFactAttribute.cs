namespace Hftp.Benchmark.Tests;

/// <summary>A test that compiles bench/hftp-load.c: skipped, saying so, where gcc is not installed.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (IndependentLoad.FindGcc() is null)
        {
            Skip = "gcc is not on PATH (apt-get install -y gcc): bench/hftp-load.c cannot be built";
        }
    }
}
