namespace Hftp.Deploy.Tests;

/// <summary>A test that needs the haproxy executable: skipped, saying so, where it is not installed.</summary>
public sealed class HaproxyFactAttribute : FactAttribute
{
    public HaproxyFactAttribute()
    {
        if (HaproxyProcess.FindExecutable() is null)
        {
            Skip = "haproxy is not on PATH (apt-get install -y haproxy; .ci/run installs it)";
        }
    }
}
