using System.CommandLine;
using Cairn.Core.Journeys;

namespace Cairn.Server;

/// <summary>
/// <c>cairn validate PATH...</c>: reads journey and template documents (files, or directories searched for
/// .yaml, .yml and .json) and reports every error as <c>file:line: step 'id': message</c>.
/// Exit codes: 0 valid, 1 errors found, 2 a path could not be read.
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

            Console.WriteLine(set.Errors.Length == 0
                ? $"Valid: {Count(set.Journeys.Length, "journey")}, {Count(set.Templates.Length, "template")}, {Count(set.Segments.Length, "segment")}, {Count(set.ScoringModels.Length, "scoring model")}, {Count(set.SalesTeams.Length, "sales team")}, {Count(set.Policies.Length, "policy")}."
                : $"{set.Errors.Length} errors in {set.Errors.Select(error => error.Source).Distinct().Count()} of {files.Count} files.");
            return set.Errors.Length == 0 ? 0 : 1;
        });
        return command;
    }

    private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? string.Empty : "s")}";
}
