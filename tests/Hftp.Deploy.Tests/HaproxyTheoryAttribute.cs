namespace Hftp.Deploy.Tests;

/// <summary>A theory that needs the haproxy executable: skipped, saying so, where it is not installed.</summary>
public sealed class HaproxyTheoryAttribute : TheoryAttribute
{
    public HaproxyTheoryAttribute()
    {
        if (HaproxyProcess.FindExecutable() is null)
        {
            Skip = "haproxy is not on PATH (apt-get install -y haproxy; .ci/run installs it)";
        }
    }
}
