using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Cairn.Storage.Relational;

/// <summary>Sets the named parameters of a command or a batch command (null becomes DBNull; times in the dialect's form).</summary>
public readonly struct Parameters
{
    private static readonly ConcurrentDictionary<string, string> PrefixedNames = new(StringComparer.Ordinal);

    private readonly DbParameterCollection _collection;
    private readonly Func<DbParameter> _create;
    private readonly SqlDialect _dialect;

    /// <summary>Parameters of the command whose <paramref name="collection"/> this is, created with <paramref name="create"/>.</summary>
    public Parameters(DbParameterCollection collection, Func<DbParameter> create, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(dialect);
        _collection = collection;
        _create = create;
        _dialect = dialect;
    }

    /// <summary>Sets the parameter's value, adding the parameter the first time.</summary>
    public void Add(string name, object? value)
    {
        var prefixed = Prefixed(name);
        if (_collection.Contains(prefixed))
        {
            _collection[prefixed].Value = value ?? DBNull.Value;
            return;
        }

        var parameter = _create();
        parameter.ParameterName = prefixed;
        parameter.Value = value ?? DBNull.Value;
        _collection.Add(parameter);
    }

    /// <summary>Sets a time parameter, in the form the dialect stores times.</summary>
    public void AddTime(string name, DateTimeOffset time) => Add(name, _dialect.TimeValue(time));

    /// <summary>Sets a time parameter, or null.</summary>
    public void AddTime(string name, DateTimeOffset? time) => Add(name, time is { } value ? _dialect.TimeValue(value) : null);

    /// <summary>Adds one parameter per value, named <paramref name="prefix"/>0, 1 …, and returns them as SQL: <c>@p0, @p1</c>.</summary>
    public string List<T>(string prefix, IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sql = new StringBuilder();
        var index = 0;
        foreach (var value in values)
        {
            var name = prefix + index.ToString(CultureInfo.InvariantCulture);
            Add(name, value);
            sql.Append(index++ == 0 ? "@" : ", @").Append(name);
        }

        return sql.ToString();
    }

    /// <summary>
    /// The parameter's name as the SQL writes it (<c>@name</c>): Microsoft.Data.Sqlite then finds it at the first
    /// lookup instead of trying each prefix on every execution (a quarter of the write path's CPU); Npgsql takes both.
    /// </summary>
    internal static string Prefixed(string name) => name.StartsWith('@') ? name : PrefixedNames.GetOrAdd(name, static bare => "@" + bare);
}
