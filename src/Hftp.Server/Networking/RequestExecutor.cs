using System.Net;
using System.Text;
using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>Answers parsed requests against the served files into the connection's <see cref="ReplyWriter"/>, on its
/// thread. For <see cref="Connection"/>: <see cref="Answer"/> writes exactly one whole reply per request, in order, and
/// says whether the connection must close after it (a fatal status, <c>quit</c>, a server fault) or goes on (null). A
/// failure to read a file (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>) becomes 199 while no
/// reply byte was sent, and closes the connection either way.</summary>
internal sealed class RequestExecutor(ConnectionServices services, ReplyWriter writer, ConnectionScratch scratch)
{
    // The name asked about last, kept across the thread's connections: asked again (polled; get_metadata then get_slice,
    // as hftp get does) it allocates nothing, where it cost about 430 bytes a request (RecentNameTests). 4,000
    // connections looping get_metadata: p99 1.23 times the mean, the old server's 1.24 (bench/compare.sh, 2026-12-06).
    private AskedName? _recent;

    // Its size, looked up once per batch (the requests of one receive): pipelining get_metadata of one file costs a stat
    // per batch, not one (and a geteuid) per request. 32 connections x 16 in flight: 422-501k requests/s with it,
    // 203-227k without; 1,000,000 down one connection (nc): 0.60-0.87 s against 4.27-6.22 (bench/pipeline.sh,
    // 2026-12-06, commit 0cbe6f2, 2 cores).
    private (bool Known, bool Found, long Size) _batchSize;

    /// <summary>Starts a batch of requests (those of one receive): sizes looked up before are forgotten.</summary>
    public void BeginBatch() => _batchSize = default;

    /// <summary>The client, as logs name it (after a PROXY header, the client it named).</summary>
    public IPEndPoint? Client { get; set; }

    public CloseReason? Answer(in Request request)
    {
        writer.BeginReply();
        if (!request.IsValid)
        {
            writer.WriteStatus(request.Status);
            if (!request.Status.IsFatal())
            {
                return null;
            }

            services.Logger.Warning("{Remote} sent {Fault}: replied {Status}, closing", Client, request.Fault.Explain(), request.Status.Describe());
            return CloseReason.ClientFault;
        }

        try
        {
            switch (request.Command)
            {
                case Command.GetFileListing:
                    WriteListing();
                    break;
                case Command.GetMetadata:
                    WriteMetadata(request.FileName);
                    break;
                case Command.GetSlice:
                    WriteSlice(request.FileName, request.Range, request.IsRaw);
                    break;
                case Command.Help:
                    WriteHelp();
                    break;
                default:
                    writer.WriteStatus(StatusCode.Ok);
                    return CloseReason.Quit;
            }

            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return FailRequest(request, exception);
        }
    }

    private void WriteListing()
    {
        var names = services.Files.ListFiles();
        writer.WriteStatus(StatusCode.Ok);
        foreach (var name in names)
        {
            // Served names are FILENAME characters only: ASCII, a byte each.
            writer.Advance(Encoding.ASCII.GetBytes(name, writer.GetSpan(name.Length)));
            writer.Write(Syntax.LineTerminator);
        }

        writer.Write(Syntax.LineTerminator);
    }

    private void WriteHelp()
    {
        writer.WriteStatus(StatusCode.Ok);
        // By index: a foreach over the interface would box its enumerator.
        for (var index = 0; index < Commands.All.Count; index++)
        {
            writer.Write(Commands.All[index].Utf8Name());
            writer.Write(Syntax.LineTerminator);
        }

        writer.Write(Syntax.LineTerminator);
    }

    private void WriteMetadata(ReadOnlySpan<byte> fileName)
    {
        if (!fileName.IsEmpty && TryGetSize(fileName, out var size))
        {
            writer.WriteStatus(StatusCode.Ok);
            writer.WriteLine(size);
        }
        else
        {
            writer.WriteStatus(StatusCode.FileNotFound);
        }
    }

    private bool TryGetSize(ReadOnlySpan<byte> fileName, out long size)
    {
        var name = Recall(fileName);
        _batchSize = _batchSize.Known ? _batchSize : (true, services.Files.TryGetSize(name, out var fileSize), fileSize);

        size = _batchSize.Size;
        return _batchSize.Found;
    }

    private AskedName Recall(ReadOnlySpan<byte> fileName)
    {
        if (_recent is not { } recent || !Ascii.Equals(fileName, recent.Text))
        {
            (_recent, _batchSize) = (services.Files.Find(fileName), default);
        }

        return _recent;
    }

    private void WriteSlice(ReadOnlySpan<byte> fileName, SliceRange range, bool isRaw)
    {
        if (fileName.IsEmpty || !services.Files.TryOpen(Recall(fileName), scratch.File))
        {
            writer.WriteStatus(StatusCode.FileNotFound);
            return;
        }

        try
        {
            if (!range.FitsIn(scratch.File.Length))
            {
                writer.WriteStatus(StatusCode.OffsetExceedsFileSize);
            }
            else if (isRaw)
            {
                SliceWriter.WriteRaw(writer, scratch.File, (long)range.Offset, (long)range.Size, services);
            }
            else
            {
                SliceWriter.Write(writer, scratch.File, (long)range.Offset, (long)range.Size, services);
            }
        }
        finally
        {
            scratch.File.Close();
        }
    }

    // A reply cannot be taken back once part of it is on the wire; before that, 199 replaces it.
    private CloseReason FailRequest(in Request request, Exception exception)
    {
        if (writer.ReplyPartlySent)
        {
            services.Logger.Error(exception, "Failed {Command} for {Remote} after its reply began; closing", request.Command.Name(), Client);
        }
        else
        {
            writer.RetractReply();
            writer.WriteStatus(StatusCode.InternalServerError);
            services.Logger.Error(exception, "Failed {Command} for {Remote}: replied {Status}, closing",
                request.Command.Name(), Client, StatusCode.InternalServerError.Describe());
        }

        return CloseReason.ServerFault;
    }
}
