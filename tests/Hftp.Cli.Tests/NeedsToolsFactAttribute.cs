namespace Hftp.Cli.Tests;

/// <summary>A test that needs the given executables: skipped where they are missing, except in CI, where it fails.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NeedsToolsFactAttribute : FactAttribute
{
    public NeedsToolsFactAttribute(params string[] executables)
    {
        Skip = ProxyTools.SkipReason(executables);
    }
}
