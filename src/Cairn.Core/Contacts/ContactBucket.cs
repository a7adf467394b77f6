namespace Cairn.Core.Contacts;

/// <summary>
/// A contact's bucket: a hash of its id, uniform over 0–<c><see cref="Count"/> − 1</c> and fixed for the contact's life.
/// Segment previews sample the contacts of the lowest buckets; the global control group takes the highest
/// (<see cref="Orchestration.GlobalControlGroup"/>), so the two never overlap until they meet in the middle.
/// </summary>
public static class ContactBucket
{
    /// <summary>How many buckets contacts are spread over.</summary>
    public const int Count = 10_000;

    /// <summary>The bucket of <paramref name="id"/>: the two halves of the GUID folded and mixed (Fibonacci hashing).</summary>
    public static int Of(ContactId id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.Value.TryWriteBytes(bytes);
        var mixed = (BitConverter.ToUInt64(bytes[..8]) ^ BitConverter.ToUInt64(bytes[8..])) * 0x9E3779B97F4A7C15UL;
        return (int)((mixed >> 32) % Count);
    }
}
