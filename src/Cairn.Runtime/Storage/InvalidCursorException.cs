namespace Cairn.Runtime.Storage;

/// <summary>A paging cursor that this server did not issue (an HTTP 400, not a bug).</summary>
public sealed class InvalidCursorException : Exception
{
    public InvalidCursorException()
        : base("The cursor is not valid.")
    {
    }

    public InvalidCursorException(string message)
        : base(message)
    {
    }

    public InvalidCursorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
