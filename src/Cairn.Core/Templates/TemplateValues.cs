using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fluid;
using Fluid.Values;

namespace Cairn.Core.Templates;

/// <summary>
/// A value the template asked for that the model does not have. It reads as nil (false in <c>if</c>, replaced by
/// <c>default</c>), but writing it out is a render error: a contact never gets "Hi ," or "{{ first_name }}".
/// Filters other than <c>default</c> pass it on, so <c>{{ name | upcase }}</c> fails the same way.
/// </summary>
internal sealed class UndefinedValue(string path) : FluidValue
{
    public string Path { get; } = path;

    public override FluidValues Type => FluidValues.Nil;

    public override bool Equals(FluidValue other) => other is not null && (other.IsNil() || other.ToStringValue().Length == 0);

    public override bool ToBooleanValue() => false;

    public override decimal ToNumberValue() => 0;

    public override string ToStringValue() => string.Empty;

    public override object ToObjectValue() => null!;

    public override bool IsNil() => true;

    public override ValueTask<FluidValue> GetValueAsync(string name, TemplateContext context) => new(new UndefinedValue($"{Path}.{name}"));

    public override ValueTask<FluidValue> GetIndexAsync(FluidValue index, TemplateContext context) =>
        new(new UndefinedValue($"{Path}[{index?.ToStringValue()}]"));

    [Obsolete("Fluid renders asynchronously; kept for the synchronous path.")]
    public override void WriteTo(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo) => throw Undefined();

    public override ValueTask WriteToAsync(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo) => throw Undefined();

    public override bool Equals(object? obj) => obj is FluidValue value && Equals(value);

    public override int GetHashCode() => Path.GetHashCode(StringComparison.Ordinal);

    private TemplateRenderException Undefined()
    {
        var exception = new TemplateRenderException($"'{Path}' is not defined for this contact; give it a fallback with {{{{ {Path} | default: \"…\" }}}} or test it with {{% if {Path} %}}");

        // The renderer finds the line that wrote it out from the path (Fluid's render errors carry no position).
        exception.Data[PathKey] = Path;
        return exception;
    }

    /// <summary>The key of <see cref="Exception.Data"/> under which an undefined value's error carries its path.</summary>
    internal const string PathKey = "cairn.undefined";
}

/// <summary>
/// A JSON object of the render model, addressed by name. A missing member is an <see cref="UndefinedValue"/> that
/// knows its full path (<c>contact.first_name</c>), so the error says exactly what was missing.
/// </summary>
internal sealed class ModelObject(JsonElement element, string path) : FluidValue
{
    public override FluidValues Type => FluidValues.Dictionary;

    public override bool Equals(FluidValue other) => other is ModelObject model && model.ToStringValue() == ToStringValue();

    public override bool ToBooleanValue() => true;

    public override decimal ToNumberValue() => 0;

    public override string ToStringValue() => element.GetRawText();

    public override object ToObjectValue() => element;

    public override ValueTask<FluidValue> GetValueAsync(string name, TemplateContext context) => new(Member(name));

    public override ValueTask<FluidValue> GetIndexAsync(FluidValue index, TemplateContext context) => new(Member(index?.ToStringValue() ?? string.Empty));

    public override bool Contains(FluidValue value) => value is not null && element.TryGetProperty(value.ToStringValue(), out _);

    public override IEnumerable<FluidValue> Enumerate(TemplateContext context) =>
        element.EnumerateObject().Select(property => (FluidValue)new ArrayValue([new StringValue(property.Name), From(property.Value, $"{path}.{property.Name}")]));

    [Obsolete("Fluid renders asynchronously; kept for the synchronous path.")]
    public override void WriteTo(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        writer.Write(encoder.Encode(ToStringValue()));
    }

    public override ValueTask WriteToAsync(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        return new ValueTask(writer.WriteAsync(encoder.Encode(ToStringValue())));
    }

    public override bool Equals(object? obj) => obj is FluidValue value && Equals(value);

    public override int GetHashCode() => ToStringValue().GetHashCode(StringComparison.Ordinal);

    private FluidValue Member(string name) =>
        name == "size" ? NumberValue.Create(element.EnumerateObject().Count())
        : element.TryGetProperty(name, out var value) ? From(value, $"{path}.{name}")
        : new UndefinedValue($"{path}.{name}");

    /// <summary>A JSON value as a template value: null is undefined (a trait set to null is not set).</summary>
    /// <remarks>
    /// Recurses into arrays: as deep as the value nests, which its reader bounded before it got here (event data and
    /// payloads at <see cref="Messages.MessageLimits.MaxDepth"/>, document samples at
    /// <see cref="Journeys.DocumentLimits.MaxValueDepth"/>, request bodies at System.Text.Json's default of 64).
    /// </remarks>
    public static FluidValue From(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.Object => new ModelObject(value, path),
        JsonValueKind.Array => new ArrayValue([.. value.EnumerateArray().Select((item, index) => From(item, $"{path}[{index}]"))]),
        JsonValueKind.String => new StringValue(value.GetString()!),
        JsonValueKind.Number => value.TryGetDecimal(out var number) ? NumberValue.Create(number) : NumberValue.Create((decimal)value.GetDouble()),
        JsonValueKind.True => BooleanValue.True,
        JsonValueKind.False => BooleanValue.False,
        _ => new UndefinedValue(path),
    };
}

/// <summary>A template could not be rendered: the message is not sent and this is recorded on it.</summary>
public sealed class TemplateRenderException : Exception
{
    public TemplateRenderException()
        : base("the template could not be rendered")
    {
    }

    public TemplateRenderException(string message)
        : base(message)
    {
    }

    public TemplateRenderException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
