using Cairn.Core.Journeys;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Cairn.Core.Lint;

/// <summary>
/// A list of documents in one text — a YAML sequence of mappings, or a JSON array of objects (JSON is YAML) — cut into
/// one text per document, each padded so that its line and column numbers are those of the list, for
/// <see cref="DocumentParser.Parse(string, string)"/> to read as it reads a file.
/// </summary>
public static class DocumentList
{
    /// <summary>The most documents one list may hold: 1,000.</summary>
    public const int MaxDocuments = 1_000;

    /// <summary>
    /// Cuts <paramref name="text"/> into its documents; false with the reason (and its line) when it is not a list of
    /// mappings, is not valid YAML or JSON, nests deeper than <see cref="DocumentLimits.MaxNesting"/> or holds more than
    /// <see cref="MaxDocuments"/>. The shape is checked over YamlDotNet's event stream (an iterative parser), so no input
    /// makes it recurse.
    /// </summary>
    public static bool TrySplit(string text, out List<string> documents, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        documents = [];
        error = string.Empty;
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        var started = false;
        Mark start = default;
        var flow = false;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case StreamStart or StreamEnd or DocumentStart or DocumentEnd:
                        break;
                    case SequenceStart when depth == 0 && !started:
                        started = true;
                        depth = 1;
                        break;
                    case MappingStart mapping when depth == 1:
                        if (documents.Count == MaxDocuments)
                        {
                            error = $"the list holds more than {MaxDocuments} documents";
                            return false;
                        }

                        start = mapping.Start;
                        flow = mapping.Style == YamlDotNet.Core.Events.MappingStyle.Flow;
                        depth = 2;
                        break;
                    case MappingEnd mapping when depth == 2:
                        var end = Math.Min((int)Math.Max(mapping.End.Index, mapping.Start.Index), text.Length);

                        // YamlDotNet may end a flow mapping's event before its closing brace.
                        end = flow && end < text.Length && text[end] == '}' ? end + 1 : end;
                        var from = (int)start.Index;
                        documents.Add(new string('\n', (int)start.Line - 1) + new string(' ', (int)start.Column - 1) + text[from..end]);
                        depth = 1;
                        break;
                    case SequenceEnd when depth == 1:
                        depth = 0;
                        break;
                    case MappingStart or SequenceStart when depth >= 2:
                        if (++depth > DocumentLimits.MaxNesting)
                        {
                            error = $"line {parser.Current.Start.Line}: lists and mappings nest deeper than {DocumentLimits.MaxNesting} levels";
                            return false;
                        }

                        break;
                    case MappingEnd or SequenceEnd when depth > 2:
                        depth--;
                        break;
                    case { } other when depth == 1:
                        error = $"line {other.Start.Line}: item {documents.Count + 1} of the list is not a document (a mapping with kind and id)";
                        return false;
                    case { } other when depth == 0:
                        error = started ? "the body holds more than one list" : $"line {other.Start.Line}: the body must be a list of documents (a YAML sequence or a JSON array)";
                        return false;
                    default:
                        break;
                }
            }
        }
        catch (YamlException exception)
        {
            error = $"line {exception.Start.Line}: not valid YAML or JSON: {exception.Message}";
            return false;
        }
        catch (InvalidOperationException)
        {
            error = "not valid YAML or JSON: a bracket or brace is not closed";
            return false;
        }

        if (!started)
        {
            error = "the body must be a list of documents (a YAML sequence or a JSON array)";
            return false;
        }

        return true;
    }
}
