using System.Data.Common;

namespace Cairn.Storage.Relational;

/// <summary>
/// Prepared commands on one long-lived connection, one per SQL text, kept across transactions: the commit loop of a
/// single-writer database writes each row kind with the same statement commit after commit, so it prepares each once
/// instead of once per commit. Each use points the command at the current transaction and sets its parameters by name.
/// </summary>
internal sealed class StatementCache : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The connection the commands run on (the cache does not own it).</summary>
    public StatementCache(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
    }

    /// <summary>The connection the commands run on.</summary>
    public DbConnection Connection { get; }

    /// <summary>The command for <paramref name="sql"/>, in <paramref name="transaction"/>; <paramref name="created"/> when it is new (not prepared yet).</summary>
    public DbCommand Get(string sql, DbTransaction? transaction, out bool created)
    {
        created = !_commands.TryGetValue(sql, out var command);
        if (created)
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands.Add(sql, command);
        }

        command!.Transaction = transaction;
        return command;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        _commands.Clear();
    }
}
