using System.Globalization;
using Microsoft.Extensions.Options;

namespace Cairn.Runtime;

/// <summary>
/// Checks <see cref="EngineOptions"/> at start-up (registered with <c>ValidateOnStart</c>); each failure names the
/// setting by its environment variable, so <c>cairn serve</c> stops with one line that says what to fix.
/// </summary>
public sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Range(int value, int min, int max, string setting)
        {
            if (value < min || value > max)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be from {min} to {max}, not {value}."));
            }
        }

        Range(options.Partitions, 1, 1024, "--partitions (CAIRN_PARTITIONS, Engine:Partitions)");
        Range(options.CachedContacts, 0, 100_000_000, "--cached-contacts (CAIRN_CACHED_CONTACTS, Engine:CachedContacts)");
        Range(options.MaxBatchSize, 1, 100_000, "Engine:MaxBatchSize");
        Range(options.ExactPreviewLimit, 0, int.MaxValue, "Engine:ExactPreviewLimit");
        Range(options.PreviewSampleSize, 1, 10_000_000, "Engine:PreviewSampleSize");
        Range(options.MaxHistoryEventsPerName, 1, 10_000_000, "Engine:MaxHistoryEventsPerName");
        Range(options.MaxSimulationEvents, 1, 10_000_000, "Engine:MaxSimulationEvents");
        Range(options.MaxSimulationContacts, 1, 10_000_000, "Engine:MaxSimulationContacts");
        Range(options.RetentionBatchSize, 1, 50_000, "Engine:RetentionBatchSize");
        if (options.RetentionInterval < TimeSpan.FromSeconds(1) || options.RetentionInterval > TimeSpan.FromDays(7))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Engine:RetentionInterval must be from 00:00:01 to 7.00:00:00, not {options.RetentionInterval}."));
        }

        if (options.RetentionBatchTime < TimeSpan.FromMilliseconds(1) || options.RetentionBatchTime > TimeSpan.FromSeconds(10))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Engine:RetentionBatchTime must be from 00:00:00.001 to 00:00:10, not {options.RetentionBatchTime}."));
        }

        if (options.RetentionPause < TimeSpan.Zero || options.RetentionPause > TimeSpan.FromSeconds(10))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Engine:RetentionPause must be from 0 to 00:00:10, not {options.RetentionPause}."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
