using System.Runtime.CompilerServices;

namespace Hftp.Protocol;

/// <summary>
/// Frames request lines on <c>\r\n</c> and parses them as they stream in, one byte at a time if need be.
/// It keeps running facts about each element (length, all-FILENAME-characters, all-digits, numeric value)
/// and only a bounded prefix of its bytes, so a 5 MiB file name costs a few hundred bytes, not 5 MiB.
/// Bad input is reported as a <see cref="Request"/> carrying its status; nothing here throws for it.
/// </summary>
public sealed class RequestReader
{
    // The command and up to four arguments matter (get_slice NAME OFFSET SIZE raw); a sixth element only proves
    // there are too many.
    private const int TrackedElements = 5;
    private const int RawTokenElement = 4;
    private const int MaxCountedElements = TrackedElements + 1;

    // Largest value that can take one more decimal digit without overflowing 64 bits.
    private const ulong SaturationLimit = (ulong.MaxValue - 9) / 10;

    private readonly long _maxLineLength;

    // Kept inside the reader, not as arrays of their own: a server keeps one reader per connection thread, and with
    // 10,000 threads each array's header and length is 240 KB more to allocate (and to collect) in a burst.
    private Elements _elements;
    private CommandNameBytes _commandName;
    private RawTokenBytes _rawToken;

    // Made with the reader, not at the first name: a server makes its readers off the connection threads, and a
    // connection thread's first allocation of any size takes a fresh allocation context (see the server's ServedNames).
    private readonly byte[] _fileName = new byte[Syntax.MaxFileNameLength];

    private long _lineLength;
    private int _elementCount;
    private bool _pendingCarriageReturn;

    // Whether the line has any byte but spaces: a line without one is empty (2026: 101, and the connection closes).
    private bool _hasContent;

    public RequestReader(long maxLineLength = Syntax.DefaultMaxRequestLineLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 1);
        _maxLineLength = maxLineLength;
        ResetLine();
    }

    /// <summary>Forgets any unfinished line, so the reader can frame another connection's requests.</summary>
    public void Reset() => ResetLine();

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until one request line ends or faults. Returns true with
    /// the <paramref name="request"/> when one did; <paramref name="consumed"/> says how far it read. Returns
    /// false when all of <paramref name="input"/> was consumed without finishing a line.
    /// </summary>
    public bool TryRead(ReadOnlySpan<byte> input, out int consumed, out Request request)
    {
        for (var index = 0; index < input.Length; index++)
        {
            var value = input[index];
            if (_pendingCarriageReturn)
            {
                consumed = index + 1;
                request = value == Syntax.LineFeed ? CompleteLine() : Fail(RequestFault.StrayCarriageReturn);
                return true;
            }

            if (value == Syntax.CarriageReturn)
            {
                _pendingCarriageReturn = true;
                continue;
            }

            var fault = value switch
            {
                Syntax.LineFeed => RequestFault.BareLineFeed,
                >= 0x80 => RequestFault.NonAsciiByte,
                _ when _lineLength >= _maxLineLength => RequestFault.LineTooLong,
                _ => RequestFault.None,
            };
            if (fault != RequestFault.None)
            {
                consumed = index + 1;
                request = Fail(fault);
                return true;
            }

            _lineLength++;
            if (value == Syntax.Space)
            {
                StartNextElement();
            }
            else
            {
                Append(value);
            }
        }

        consumed = input.Length;
        request = default;
        return false;
    }

    private void Append(byte value)
    {
        _hasContent = true;
        var element = _elementCount - 1;
        if (element >= TrackedElements)
        {
            return;
        }

        ref var facts = ref _elements[element];
        var length = ++facts.Length;
        if (element == 0 && length <= Commands.MaxNameLength)
        {
            _commandName[(int)length - 1] = value;
        }

        if (!Syntax.IsFileNameByte(value))
        {
            facts.AllFileNameBytes = false;
        }
        else if (element == 1 && length <= Syntax.MaxFileNameLength)
        {
            _fileName[length - 1] = value;
        }

        if (element == RawTokenElement && length <= Syntax.RawToken.Length)
        {
            _rawToken[(int)length - 1] = value;
        }

        if (!Syntax.IsDigit(value))
        {
            facts.AllDigits = false;
        }
        else
        {
            facts.Number = AppendDigit(facts.Number, value);
        }
    }

    // Numbers too large for 64 bits saturate: no file is that large, so the reply is 203, never a crash.
    private static ulong AppendDigit(ulong number, byte digit)
    {
        return number <= SaturationLimit ? (number * 10) + (ulong)(digit - '0') : ulong.MaxValue;
    }

    private void StartNextElement()
    {
        if (_elementCount < MaxCountedElements)
        {
            _elementCount++;
            ResetElement(_elementCount - 1);
        }
    }

    private void ResetElement(int element)
    {
        if (element < TrackedElements)
        {
            _elements[element] = new Element { AllFileNameBytes = true, AllDigits = true };
        }
    }

    private void ResetLine()
    {
        _lineLength = 0;
        _pendingCarriageReturn = false;
        _hasContent = false;
        _elementCount = 1;
        ResetElement(0);
    }

    private Request Fail(RequestFault fault)
    {
        ResetLine();
        return Request.Faulted(fault);
    }

    private Request CompleteLine()
    {
        var request = Parse();
        ResetLine();
        return request;
    }

    // Order of checks (PROTOCOL.md): empty line (101), command (200), then argument count and form, the raw
    // token included (201).
    private Request Parse()
    {
        if (!_hasContent)
        {
            return Request.Faulted(RequestFault.EmptyLine);
        }

        var commandLength = _elements[0].Length;
        if (commandLength is 0 or > Commands.MaxNameLength
            || !Commands.TryParse(((ReadOnlySpan<byte>)_commandName)[..(int)commandLength], out var command))
        {
            return Request.Rejected(StatusCode.NoSuchCommand);
        }

        var argumentCount = _elementCount - 1;
        var isRaw = command == Command.GetSlice && argumentCount == command.ArgumentCount() + 1;
        if (argumentCount != command.ArgumentCount() && !isRaw)
        {
            return Request.Rejected(StatusCode.InvalidArguments);
        }

        for (var element = 1; element <= argumentCount; element++)
        {
            if (_elements[element].Length == 0)
            {
                return Request.Rejected(StatusCode.InvalidArguments);
            }
        }

        if (argumentCount >= 1 && !_elements[1].AllFileNameBytes)
        {
            return Request.Rejected(StatusCode.InvalidArguments);
        }

        if (command == Command.GetSlice && !(_elements[2].AllDigits && _elements[3].AllDigits))
        {
            return Request.Rejected(StatusCode.InvalidArguments);
        }

        if (isRaw && !IsRawToken())
        {
            return Request.Rejected(StatusCode.InvalidArguments);
        }

        var fileNameTooLong = argumentCount >= 1 && _elements[1].Length > Syntax.MaxFileNameLength;
        var fileName = argumentCount >= 1 && !fileNameTooLong ? _fileName.AsSpan(0, (int)_elements[1].Length) : default;
        var offset = command == Command.GetSlice ? _elements[2].Number : 0;
        var size = command == Command.GetSlice ? _elements[3].Number : 0;
        return new Request(StatusCode.Ok, RequestFault.None, command, fileName, fileNameTooLong, offset, size, isRaw);
    }

    // Exactly "raw": "RAW", "rawx" and "ra" are 201.
    private bool IsRawToken() =>
        _elements[RawTokenElement].Length == Syntax.RawToken.Length && ((ReadOnlySpan<byte>)_rawToken).SequenceEqual(Syntax.RawToken);

    // What is known of one element of the line so far.
    private struct Element
    {
        public long Length;
        public bool AllFileNameBytes;
        public bool AllDigits;
        public ulong Number;
    }

    [InlineArray(TrackedElements)]
    private struct Elements
    {
        private Element _first;
    }

    [InlineArray(Commands.MaxNameLength)]
    private struct CommandNameBytes
    {
        private byte _first;
    }

    // As long as Syntax.RawToken ("raw").
    [InlineArray(3)]
    private struct RawTokenBytes
    {
        private byte _first;
    }
}
