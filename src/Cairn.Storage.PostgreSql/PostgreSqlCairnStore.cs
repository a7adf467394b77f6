using System.Data.Common;
using Cairn.Runtime;
using Cairn.Storage.Relational;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cairn.Storage.PostgreSql;

/// <summary>
/// The production store on PostgreSQL (Npgsql). Partitions commit concurrently; events go in with binary COPY
/// into a staging table and one <c>INSERT … ON CONFLICT DO NOTHING</c>, so a re-sent message id is skipped.
/// </summary>
public sealed class PostgreSqlCairnStore : RelationalCairnStore
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Connects with <paramref name="connectionString"/> (the database must exist).</summary>
    public PostgreSqlCairnStore(string connectionString, ILogger<PostgreSqlCairnStore>? logger = null)
        : base(PostgreSqlDialect.Instance, logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Registration of the PostgreSQL store.</summary>
public static class PostgreSqlCairnBuilderExtensions
{
    /// <summary>Stores everything in the PostgreSQL database of <paramref name="connectionString"/>.</summary>
    public static CairnBuilder UsePostgreSql(this CairnBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseStore(services => new PostgreSqlCairnStore(connectionString, services.GetService<ILogger<PostgreSqlCairnStore>>()));
    }
}
