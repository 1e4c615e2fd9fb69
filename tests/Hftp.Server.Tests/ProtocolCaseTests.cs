using Hftp.Protocol;
using Hftp.Protocol.Cases;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class ProtocolCaseTests
{
    public static IEnumerable<object[]> CaseNames => ProtocolCases.Names();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task EveryProtocolCaseGetsItsReplyOverTheWire(string caseName)
    {
        var protocolCase = ProtocolCases.Named(caseName);
        using var server = TestServer.Start();
        server.WriteFile(ProtocolCases.SampleFile, ProtocolCases.SampleContent);
        using var client = server.Connect();

        await client.SendAsync(protocolCase.Request);

        Assert.Equal(protocolCase.Expected.Describe(), await client.ReadLineAsync());
        if (protocolCase.Closes)
        {
            await client.ExpectClosedAsync(TestTimeouts.Reply);
        }
        else if (protocolCase.Expected != StatusCode.Ok)
        {
            // Non-fatal errors leave the connection serving.
            await client.SendAsync(Requests.GetMetadata("sample.txt"));
            await client.ExpectAsync(Replies.Size(10));
        }
    }
}
