using System.CommandLine;
using Cairn.Core.Journeys;

namespace Cairn.Server;

/// <summary>
/// <c>cairn validate PATH...</c>: reads journey and template documents (files, or directories searched for
/// .yaml, .yml and .json) and reports every error as <c>file:line: step 'id': message</c>, and every warning as
/// <c>file:line: warning: message</c> (warnings do not fail). Exit codes: 0 valid, 1 errors found, 2 a path could not be read.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Journey and template files, or directories of them.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check journey and template documents without applying them.") { paths };
        command.SetAction(result =>
        {
            if (DocumentFiles.Find(result.GetValue(paths)!, "validate") is not { } files)
            {
                return 2;
            }

            var set = DocumentSet.Read(files.Select(file => (file, File.ReadAllText(file))));
            foreach (var error in set.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }

            // Warnings never fail validation: the documents work, but probably not as intended (or as the law wants).
            foreach (var warning in set.Warnings)
            {
                Console.Error.WriteLine(Warning(warning));
            }

            var warned = set.Warnings.Length == 0 ? string.Empty : $" {Count(set.Warnings.Length, "warning")}.";
            Console.WriteLine(set.Errors.Length == 0
                ? $"Valid: {Count(set.Journeys.Length, "journey")}, {Count(set.Templates.Length, "template")}, {Count(set.Segments.Length, "segment")}, {Count(set.ScoringModels.Length, "scoring model")}, {Count(set.SalesTeams.Length, "sales team")}, {Count(set.Policies.Length, "policy")}.{warned}"
                : $"{set.Errors.Length} errors in {set.Errors.Select(error => error.Source).Distinct().Count()} of {files.Count} files.{warned}");
            return set.Errors.Length == 0 ? 0 : 1;
        });
        return command;
    }

    private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? string.Empty : "s")}";

    /// <summary><c>file:line: warning: message</c>.</summary>
    internal static string Warning(DocumentError warning) => $"{warning.Source}:{warning.Line}: warning: {warning.Message}";
}
