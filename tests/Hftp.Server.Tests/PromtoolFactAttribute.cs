namespace Hftp.Server.Tests;

/// <summary>A test that needs Prometheus's <c>promtool</c>; skipped, saying why, when it is not installed.</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (Promtool.Path is null)
        {
            Skip = "promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it)";
        }
    }
}
