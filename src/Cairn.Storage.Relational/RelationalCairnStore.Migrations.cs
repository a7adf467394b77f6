using System.Globalization;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>The schema: numbered <c>.sql</c> migrations embedded in each provider, applied once each, in order.</summary>
public abstract partial class RelationalCairnStore
{
    private const string MigrationsFolder = ".Migrations.";

    /// <inheritdoc />
    public Task MigrateAsync(CancellationToken cancellationToken)
    {
        var assembly = Dialect.MigrationsAssembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(name => name.Contains(MigrationsFolder, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => (Name: name, Version: MigrationVersion(name)))
            .OrderBy(migration => migration.Version)
            .ToList();

        return InTransactionAsync(
            async session =>
            {
                if (Dialect.MigrationLockSql is { } lockSql)
                {
                    await session.ExecuteAsync(lockSql, null, cancellationToken).ConfigureAwait(false);
                }

                await session.ExecuteAsync(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                    null,
                    cancellationToken).ConfigureAwait(false);
                var applied = (await session.QueryAsync("SELECT version FROM schema_migrations", null, static row => row.GetInt(0), cancellationToken).ConfigureAwait(false)).ToHashSet();
                foreach (var (name, version) in migrations.Where(migration => !applied.Contains(migration.Version)))
                {
                    await using var stream = assembly.GetManifestResourceStream(name)!;
                    using var text = new StreamReader(stream);
                    await session.ExecuteAsync(await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false), null, cancellationToken).ConfigureAwait(false);
                    await session.ExecuteAsync(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                        parameters =>
                        {
                            parameters.Add("version", version);
                            parameters.Add("name", name);
                            parameters.Add("at", Cursors.ToUnixMicroseconds(TimeProvider.System.GetUtcNow()));
                        },
                        cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken);
    }

    private static int MigrationVersion(string resourceName)
    {
        var file = resourceName[(resourceName.LastIndexOf(MigrationsFolder, StringComparison.Ordinal) + MigrationsFolder.Length)..];
        var digits = file.TakeWhile(char.IsAsciiDigit).ToArray();
        return digits.Length > 0
            ? int.Parse(digits, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"Migration '{resourceName}' does not start with its number.");
    }
}
