namespace Hftp.Client;

/// <summary>
/// What one server (one host and port) is known to answer to a raw slice request, learnt from its first answer
/// and kept for the life of this object: share one instance between every connection to that server. A classic
/// server answers <c>get_slice NAME OFFSET SIZE raw</c> with 201; from then on only base64 is asked.
/// While the first raw request is out, other connections wait for its status line, so a server is asked at most once.
/// </summary>
public sealed class RawSliceSupport
{
    private readonly Lock _lock = new();
    private bool? _isSupported;

    // Completed when the connection that asked first has its answer, or gave up without one.
    private TaskCompletionSource? _asking;

    /// <summary>A memory that knows nothing yet: the first slice is asked raw.</summary>
    public RawSliceSupport()
    {
    }

    private RawSliceSupport(bool isSupported) => _isSupported = isSupported;

    /// <summary>True once the server served a raw slice, false once it refused one (or base64 was forced), null before.</summary>
    public bool? IsSupported
    {
        get
        {
            lock (_lock)
            {
                return _isSupported;
            }
        }
    }

    /// <summary>Never asks raw: the classic form only (<c>hftp get --base64</c>).</summary>
    public static RawSliceSupport Base64Only() => new(isSupported: false);

    /// <summary>
    /// Whether the caller should ask raw. True when raw is known to work, or when the caller is the one to find out:
    /// it must then call <see cref="Learn"/> or <see cref="GiveUp"/>. Waits while another caller is finding out.
    /// </summary>
    internal async ValueTask<bool> ShouldAskRawAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task answered;
            lock (_lock)
            {
                if (_isSupported is { } known)
                {
                    return known;
                }

                if (_asking is null)
                {
                    _asking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return true;
                }

                answered = _asking.Task;
            }

            await answered.WaitAsync(cancellationToken);
        }
    }

    internal void Learn(bool isSupported)
    {
        lock (_lock)
        {
            _isSupported = isSupported;
            Release();
        }
    }

    /// <summary>
    /// Ends a caller's raw request. When it was finding out and failed before the status line (a dropped
    /// connection), another caller may ask; once the answer is known this does nothing.
    /// </summary>
    internal void GiveUp()
    {
        lock (_lock)
        {
            Release();
        }
    }

    private void Release()
    {
        _asking?.TrySetResult();
        _asking = null;
    }
}
