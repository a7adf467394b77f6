using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Cairn.Storage.Relational;

/// <summary>
/// One open connection, in a transaction or not, and the handful of ways Cairn runs SQL on it: read rows
/// (<see cref="QueryAsync{T}(string, Action{Parameters}?, Func{Row, T}, CancellationToken)"/>, <see cref="ForEachAsync"/>,
/// <see cref="StreamAsync{T}"/>), run a statement (<see cref="ExecuteAsync(string, Action{Parameters}?, CancellationToken)"/>,
/// <see cref="ScalarAsync(string, Action{Parameters}?, CancellationToken)"/>) or one statement per row
/// (<see cref="ExecuteManyAsync{T}"/>). A statement is SQL with a binder of its parameters, or, when the parameters shape
/// the SQL (an <c>IN</c> list), a function that adds them and returns the SQL.
/// </summary>
public sealed class SqlSession : IAsyncDisposable
{
    /// <summary>Prepared statements kept across sessions on a held connection, or null (each statement prepared anew).</summary>
    private readonly StatementCache? _statements;

    private SqlSession(DbConnection connection, DbTransaction? transaction, SqlDialect dialect, StatementCache? statements = null)
    {
        Connection = connection;
        Transaction = transaction;
        Dialect = dialect;
        _statements = statements;
    }

    /// <summary>The open connection.</summary>
    public DbConnection Connection { get; }

    /// <summary>The transaction every statement runs in, or null.</summary>
    public DbTransaction? Transaction { get; }

    /// <summary>The database's dialect.</summary>
    public SqlDialect Dialect { get; }

    /// <summary>A session on an open <paramref name="connection"/>, in a new transaction when <paramref name="transactional"/>; it owns the connection.</summary>
    public static async Task<SqlSession> StartAsync(DbConnection connection, SqlDialect dialect, bool transactional, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(dialect);
        try
        {
            var transaction = transactional ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
            return new SqlSession(connection, transaction, dialect);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A session in a new transaction on the connection of <paramref name="statements"/>, which stays open after it: its
    /// <see cref="ExecuteManyAsync{T}"/> statements come from the cache, prepared once for every session.
    /// </summary>
    internal static async Task<SqlSession> StartHeldAsync(StatementCache statements, SqlDialect dialect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statements);
        ArgumentNullException.ThrowIfNull(dialect);
        var transaction = await statements.Connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        return new SqlSession(statements.Connection, transaction, dialect, statements);
    }

    /// <summary>Commits the session's transaction.</summary>
    public Task CommitAsync(CancellationToken cancellationToken) =>
        (Transaction ?? throw new InvalidOperationException("The session has no transaction.")).CommitAsync(cancellationToken);

    /// <summary>Reads every row of a statement.</summary>
    public Task<List<T>> QueryAsync<T>(string sql, Action<Parameters>? bind, Func<Row, T> read, CancellationToken cancellationToken) =>
        QueryAsync(Statement(sql, bind), read, cancellationToken);

    /// <summary>Reads every row of a statement whose SQL its parameters shape.</summary>
    public async Task<List<T>> QueryAsync<T>(Func<Parameters, string> statement, Func<Row, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        var rows = new List<T>();
        await ForEachAsync(statement, row => rows.Add(read(row)), cancellationToken).ConfigureAwait(false);
        return rows;
    }

    /// <summary>Visits every row of a statement, without keeping them.</summary>
    public async Task ForEachAsync(Func<Parameters, string> statement, Action<Row> each, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(each);
        await using var command = Command(statement);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var row = new Row(reader, Dialect);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            each(row);
        }
    }

    /// <summary>Reads a statement's rows one at a time, as the caller consumes them.</summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(Func<Parameters, string> statement, Func<Row, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        await using var command = Command(statement);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var row = new Row(reader, Dialect);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return read(row);
        }
    }

    /// <summary>Runs a statement; returns the rows it affected.</summary>
    public Task<int> ExecuteAsync(string sql, Action<Parameters>? bind, CancellationToken cancellationToken) =>
        ExecuteAsync(Statement(sql, bind), cancellationToken);

    /// <summary>Runs a statement whose SQL its parameters shape; returns the rows it affected.</summary>
    public async Task<int> ExecuteAsync(Func<Parameters, string> statement, CancellationToken cancellationToken)
    {
        await using var command = Command(statement);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first column of a statement's first row (null when there is none).</summary>
    public async Task<object?> ScalarAsync(string sql, Action<Parameters>? bind, CancellationToken cancellationToken)
    {
        await using var command = Command(Statement(sql, bind));
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>
    /// Runs <paramref name="sql"/> once per row, binding each with <paramref name="bind"/>: as one batch when the provider
    /// batches (Npgsql), else as one prepared statement whose parameter values change from row to row (SQLite).
    /// </summary>
    public async Task ExecuteManyAsync<T>(string sql, IEnumerable<T> rows, Action<Parameters, T> bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(bind);
        if (Connection.CanCreateBatch)
        {
            await using var batch = Connection.CreateBatch();
            batch.Transaction = Transaction;
            foreach (var row in rows)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = sql;
                bind(new Parameters(command.Parameters, command.CreateParameter, Dialect), row);
                batch.BatchCommands.Add(command);
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (_statements is not null)
        {
            DbCommand? held = null;
            foreach (var row in rows)
            {
                var created = false;
                held ??= _statements.Get(sql, Transaction, out created);
                bind(new Parameters(held.Parameters, held.CreateParameter, Dialect), row);
                if (created)
                {
                    await held.PrepareAsync(cancellationToken).ConfigureAwait(false);
                }

                await held.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        DbCommand? single = null;
        try
        {
            foreach (var row in rows)
            {
                var first = single is null;
                single ??= Command(sql);
                bind(new Parameters(single.Parameters, single.CreateParameter, Dialect), row);
                if (first)
                {
                    await single.PrepareAsync(cancellationToken).ConfigureAwait(false);
                }

                await single.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (single is not null)
            {
                await single.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>A command on the session's connection and transaction, with no parameters yet.</summary>
    public DbCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Transaction;
        return command;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null)
        {
            await Transaction.DisposeAsync().ConfigureAwait(false);
        }

        if (_statements is null)
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private DbCommand Command(Func<Parameters, string> statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var command = Command(string.Empty);
        try
        {
            command.CommandText = statement(new Parameters(command.Parameters, command.CreateParameter, Dialect));
            return command;
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    private static Func<Parameters, string> Statement(string sql, Action<Parameters>? bind) => parameters =>
    {
        bind?.Invoke(parameters);
        return sql;
    };
}
