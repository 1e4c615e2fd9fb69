using System.Text;
using Hftp.Protocol;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Benchmark;

/// <summary>
/// The soak's local view of the served directory: the files the server must list (PROTOCOL.md: regular files
/// directly inside, with valid names, in ordinal order), their sizes, and their bytes, read by position so the
/// expected content of any slice is computed here rather than trusted from the server.
/// </summary>
internal sealed class ServedFiles : IDisposable
{
    private readonly Dictionary<string, SafeFileHandle> _handles;

    private ServedFiles(List<(string Name, long Size)> files, Dictionary<string, SafeFileHandle> handles)
    {
        Files = files;
        _handles = handles;
        ListingReply = BuildListingReply(files);
    }

    public IReadOnlyList<(string Name, long Size)> Files { get; }

    /// <summary>The exact <c>get_file_listing</c> reply: <c>0 OK</c>, one name per line, an empty line.</summary>
    public byte[] ListingReply { get; }

    /// <summary>
    /// Reads <paramref name="directory"/>. Only plain regular files are taken: a symbolic link or special file
    /// in a soak directory would make the expected listing depend on rules the soak does not re-implement.
    /// </summary>
    public static ServedFiles Read(string directory)
    {
        var root = new DirectoryInfo(directory);
        if (!root.Exists)
        {
            throw new InvalidOperationException($"--dir {directory}: no such directory");
        }

        var files = new List<(string Name, long Size)>();
        var handles = new Dictionary<string, SafeFileHandle>(StringComparer.Ordinal);
        foreach (var entry in root.EnumerateFileSystemInfos())
        {
            if (!Syntax.IsValidFileName(entry.Name))
            {
                continue;
            }

            if (entry.LinkTarget is not null || entry is not FileInfo file)
            {
                if (entry is FileInfo)
                {
                    throw new InvalidOperationException($"--dir {directory}: {entry.Name} is a symbolic link; the soak needs plain files only");
                }

                continue;
            }

            files.Add((file.Name, file.Length));
            handles[file.Name] = File.OpenHandle(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read);
        }

        files.Sort((left, right) => string.CompareOrdinal(left.Name, right.Name));
        if (files.Count == 0)
        {
            throw new InvalidOperationException($"--dir {directory}: holds no file to ask for");
        }

        return new ServedFiles(files, handles);
    }

    /// <summary>Copies bytes <c>[offset, offset + destination.Length)</c> of <paramref name="name"/>.</summary>
    public void ReadSlice(string name, long offset, Span<byte> destination)
    {
        var handle = _handles[name];
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, offset);
            if (read == 0)
            {
                throw new InvalidOperationException($"{name} shrank while the soak ran");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    public void Dispose()
    {
        foreach (var handle in _handles.Values)
        {
            handle.Dispose();
        }
    }

    private static byte[] BuildListingReply(List<(string Name, long Size)> files) =>
        Encoding.ASCII.GetBytes(Replies.Listing(files.Select(file => file.Name)));
}
