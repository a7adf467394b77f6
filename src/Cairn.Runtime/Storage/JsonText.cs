using System.Buffers;
using System.Text.Json;

namespace Cairn.Runtime.Storage;

/// <summary>
/// Writes stored JSON columns through one buffer and writer per thread, reused: profiles and enrollments are written
/// on every commit that changes them, and a fresh stream per value was a steady share of the allocations.
/// </summary>
internal static class JsonText
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The compact JSON <paramref name="write"/> produces for <paramref name="value"/>.</summary>
    public static string Write<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        write(writer, value);
        writer.Flush();
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
