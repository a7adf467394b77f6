using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using Cairn.Core.Journeys;
using Fluid;
using Fluid.Values;

namespace Cairn.Core.Templates;

/// <summary>A rendered message: each part's text by name (<c>subject</c>, <c>html</c>, <c>data.order_id</c>…), or why it could not be rendered.</summary>
public sealed record RenderResult(ImmutableSortedDictionary<string, string> Parts, string? Error)
{
    /// <summary>True when every part rendered.</summary>
    public bool Succeeded => Error is null;

    /// <summary>A part's text, or empty when the template has no such part.</summary>
    public string this[string part] => Parts.TryGetValue(part, out var text) ? text : string.Empty;

    /// <summary>The part that failed to render (<c>subject</c>, <c>html</c>…), when one did.</summary>
    public string? ErrorPart { get; init; }

    /// <summary>
    /// The document line of the failure, when it is known: the line that writes out an undefined variable, else the
    /// line where the failing part starts.
    /// </summary>
    public int? ErrorLine { get; init; }

    /// <summary>A failed render.</summary>
    public static RenderResult Failed(string error) => new(ImmutableSortedDictionary<string, string>.Empty, error);

    /// <summary>A failed render of <paramref name="part"/>, at <paramref name="line"/> of the document.</summary>
    public static RenderResult Failed(TemplatePart part, string error, int? line = null)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new(ImmutableSortedDictionary<string, string>.Empty, $"{part.Name}: {error}") { ErrorPart = part.Name, ErrorLine = line ?? (part.Line > 0 ? part.Line : null) };
    }
}

/// <summary>
/// Renders Liquid templates with Fluid, strictly: writing out a variable the model does not have, an unknown filter,
/// or a template that runs past its limits (steps, output size, time) is an error, never a half-rendered message.
/// Parsed parts are cached per template definition.
/// </summary>
public static class TemplateRenderer
{
    /// <summary>The most Liquid statements one part may execute (loops included).</summary>
    public const int MaxSteps = 100_000;

    /// <summary>The largest output of one message, all parts together, in characters.</summary>
    public const int MaxOutput = 512 * 1024;

    /// <summary>
    /// The longest one message may take to render, when the caller measures it (see <see cref="Render"/>): Core reads
    /// no clock, so the time is the caller's.
    /// </summary>
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(2);

    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions Options = CreateOptions();
    private static readonly ConditionalWeakTable<TemplateDefinition, IReadOnlyDictionary<string, ParsedPart>> Parsed = [];

    /// <summary>
    /// Why the Liquid source cannot be used, or null when it can: a limit of <see cref="LiquidLimits"/> it exceeds
    /// (checked first, so that Fluid never parses a text that would exhaust the stack), or Fluid's parse error.
    /// </summary>
    public static string? ParseError(string source) => TryParse(source, out _, out var error) ? null : error;

    /// <summary>Renders every part of the template against the model.</summary>
    /// <param name="template">The template.</param>
    /// <param name="model">What it reads.</param>
    /// <param name="elapsed">
    /// How long this render has run, by the caller's clock (the dispatcher passes its <see cref="TimeProvider"/>'s
    /// elapsed time): checked as output is written, and past <see cref="MaxTime"/> the render fails. Null for no time
    /// limit (the document parser's sample check, a simulation): the step and output limits hold either way.
    /// </param>
    public static RenderResult Render(TemplateDefinition template, RenderModel model, Func<TimeSpan>? elapsed = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(model);
        // Parsed (and checked against the limits) once per definition: a template read back from storage that was
        // stored before a limit existed fails here, on every render, with the limit it exceeds.
        var parts = Parsed.GetValue(template, Parse);
        var context = new TemplateContext(Options) { CultureInfo = CultureInfo.InvariantCulture };
        context.SetValue("contact", ModelObject.From(model.Contact, "contact"));
        context.SetValue("event", ModelObject.From(model.Event, "event"));
        context.SetValue("events", ModelObject.From(model.Events, "events"));
        context.SetValue("journey", ModelObject.From(model.Journey, "journey"));
        context.SetValue("message", ModelObject.From(model.Message, "message"));
        context.SetValue("workspace", ModelObject.From(model.Workspace, "workspace"));

        var output = new LimitedWriter(elapsed);
        var rendered = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var part in template.Parts)
        {
            if (parts[part.Name] is not { Template: { } parsed })
            {
                return RenderResult.Failed(part, parts[part.Name].Error!);
            }

            var start = output.Length;
            try
            {
                var task = parsed.RenderAsync(output, part.Name == "html" ? HtmlEncoder.Default : NullEncoder.Default, context);
                if (!task.IsCompletedSuccessfully)
                {
                    task.AsTask().GetAwaiter().GetResult();
                }
            }
            catch (TemplateRenderException exception)
            {
                return RenderResult.Failed(part, exception.Message, exception.Data[UndefinedValue.PathKey] is string path ? LineWriting(part, path) : null);
            }
            catch (InvalidOperationException exception) when (exception.Message.Contains("recursion", StringComparison.Ordinal))
            {
                return RenderResult.Failed(part, $"the template ran past its limit of {MaxSteps} steps (or nests too deep)");
            }
            catch (InvalidOperationException exception)
            {
                return RenderResult.Failed(part, exception.Message);
            }
            catch (FluidException exception)
            {
                return RenderResult.Failed(part, exception.Message);
            }
            catch (FormatException exception)
            {
                return RenderResult.Failed(part, exception.Message);
            }

            rendered[part.Name] = output.ToString(start, output.Length - start);
        }

        return new RenderResult(rendered.ToImmutable(), null);
    }

    /// <summary>
    /// The document line of the first output tag (<c>{{ … }}</c>) in <paramref name="part"/> that reads
    /// <paramref name="path"/>, or the line where the part starts when none does (the value came through a tag).
    /// </summary>
    internal static int? LineWriting(TemplatePart part, string path)
    {
        var lines = part.Source.Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index];
            for (var open = line.IndexOf("{{", StringComparison.Ordinal); open >= 0; open = line.IndexOf("{{", open + 2, StringComparison.Ordinal))
            {
                var close = line.IndexOf("}}", open, StringComparison.Ordinal);
                var expression = close < 0 ? line[open..] : line[open..close];
                if (expression.Contains(path, StringComparison.Ordinal))
                {
                    return part.Line > 0 ? part.Line + index : null;
                }
            }
        }

        return part.Line > 0 ? part.Line : null;
    }

    private static IReadOnlyDictionary<string, ParsedPart> Parse(TemplateDefinition template)
    {
        var parts = new Dictionary<string, ParsedPart>(StringComparer.Ordinal);
        foreach (var part in template.Parts)
        {
            parts[part.Name] = TryParse(part.Source, out var parsed, out var error) ? new ParsedPart(parsed, null) : new ParsedPart(null, error);
        }

        return parts;
    }

    /// <summary>The one place Liquid is parsed: the limits first, then Fluid.</summary>
    private static bool TryParse(string source, [NotNullWhen(true)] out IFluidTemplate? parsed, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        parsed = null;
        if (!LiquidLimits.TryCheck(source, out error))
        {
            return false;
        }

        if (Parser.TryParse(source, out var template, out var parseError))
        {
            parsed = template;
            error = null;
            return true;
        }

        error = parseError ?? "the template does not parse";
        return false;
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions { MaxSteps = MaxSteps, StrictFilters = true, CultureInfo = CultureInfo.InvariantCulture };
        options.Undefined = name => new ValueTask<FluidValue>(new UndefinedValue(name));

        // An undefined value flows through every filter but 'default', so it still fails when written out.
        foreach (var (name, filter) in options.Filters.ToList())
        {
            if (name != "default")
            {
                options.Filters.AddFilter(name, (input, arguments, context) => input is UndefinedValue ? input : filter(input, arguments, context));
            }
        }

        return options;
    }

    private sealed record ParsedPart(IFluidTemplate? Template, string? Error);

    /// <summary>Collects the output of all parts and stops a render that writes too much or takes too long.</summary>
    private sealed class LimitedWriter(Func<TimeSpan>? elapsed) : StringWriter(CultureInfo.InvariantCulture)
    {
        private readonly StringBuilder _text = new();

        public int Length => _text.Length;

        public string ToString(int start, int length) => _text.ToString(start, length);

        public override void Write(char value)
        {
            Check(1);
            _text.Append(value);
        }

        public override void Write(string? value)
        {
            Check(value?.Length ?? 0);
            _text.Append(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            Check(count);
            _text.Append(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            Check(buffer.Length);
            _text.Append(buffer);
        }

        public override Task WriteAsync(char value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(char[] buffer, int index, int count)
        {
            Write(buffer, index, count);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return Task.CompletedTask;
        }

        public override string ToString() => _text.ToString();

        private void Check(int adding)
        {
            if (_text.Length + adding > MaxOutput)
            {
                throw new TemplateRenderException($"the message is longer than the limit of {MaxOutput} characters");
            }

            if (elapsed is not null && elapsed() > MaxTime)
            {
                throw new TemplateRenderException($"the message took longer than the limit of {MaxTime.TotalSeconds:0} s to render");
            }
        }
    }
}
