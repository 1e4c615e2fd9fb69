using System.Text;
using Hftp.Protocol;
using Hftp.Server.Files;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// A served name asked about is shared by every connection of its server, each examining it through a FileInfo of its
/// own at the moment it asks; names that were never found served, and names past the bound, stay with whoever asked.
/// </summary>
public sealed class ServedNamesTests
{
    [Fact]
    public void ANameIsSharedOnceFoundServedAndNotBefore()
    {
        var names = new ServedNames("/served");
        var first = names.Find("a.txt"u8);
        Assert.NotSame(first, names.Find("a.txt"u8));

        names.Update(first, served: true);
        Assert.Same(first, names.Find("a.txt"u8));
        Assert.NotSame(first, names.Find("b.txt"u8));
        Assert.Equal("a.txt", names.Find("a.txt"u8).Text);
    }

    [Fact]
    public void NoMoreThanTheBoundAreShared()
    {
        var names = new ServedNames("/served");
        for (var index = 0; index < 1024; index++)
        {
            names.Update(names.Find(Encoding.ASCII.GetBytes($"f{index}")), served: true);
        }

        var past = names.Find("past"u8);
        names.Update(past, served: true);
        Assert.NotSame(past, names.Find("past"u8));
        Assert.Same(names.Find("f1023"u8), names.Find("f1023"u8));

        // One found no longer served makes room.
        names.Update(names.Find("f0"u8), served: false);
        var now = names.Find("now"u8);
        names.Update(now, served: true);
        Assert.Same(now, names.Find("now"u8));
    }

    [Fact]
    public void ANameFoundNotServedIsForgottenAndSharedAgainOnceServed()
    {
        var names = new ServedNames("/served");
        var first = names.Find("a"u8);
        names.Update(first, served: true);
        names.Update(first, served: false);
        var second = names.Find("a"u8);
        Assert.NotSame(first, second);

        // Not served, a name is no one's to share; served again, the entry that found it so is.
        names.Update(second, served: false);
        Assert.NotSame(second, names.Find("a"u8));
        names.Update(second, served: true);
        Assert.Same(second, names.Find("a"u8));
    }

    [Fact]
    public async Task ConnectionsAskingAboutOneFileAtOnceEachSeeAWholeAnswerWhileItChanges()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", new byte[10]);
        const int clients = 8, requests = 200;
        var writes = 0;
        var answers = Enumerable.Range(0, clients).Select(async _ =>
        {
            using var client = server.Connect();
            var seen = new HashSet<string>();
            for (var request = 0; request < requests; request++)
            {
                await client.SendAsync(Requests.GetMetadata("f"));
                var status = await client.ReadLineAsync();
                seen.Add(status == "0 OK" ? await client.ReadLineAsync() : status);
            }

            return seen;
        }).ToList();

        // Rewritten between two sizes (replaced whole, so it exists at every moment) until every client is done.
        while (!answers.All(answer => answer.IsCompleted) && writes < 100_000)
        {
            var next = server.PathOf("f.next");
            File.WriteAllBytes(next, new byte[++writes % 2 == 0 ? 10 : 20]);
            File.Move(next, server.PathOf("f"), overwrite: true);
            await Task.Yield();
        }

        var everySeen = (await Task.WhenAll(answers)).SelectMany(seen => seen).ToHashSet();
        Assert.Subset(new HashSet<string> { "10", "20" }, everySeen);
        Assert.True(writes > 1, "the file never changed while they asked");
    }
}
