using System.Data.Common;
using System.Reflection;

namespace Cairn.Storage.Relational;

/// <summary>
/// What differs between the databases under the SQL they share: how a time is stored and read, whether commits take
/// turns, how migrations are found and serialised, and how a commit appends events. Everything else — the schema, the
/// queries, the order of a commit — is the same on every database.
/// </summary>
public abstract class SqlDialect
{
    /// <summary>The provider's name: <c>sqlite</c> or <c>postgresql</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// True when the database has one writer (SQLite): every commit then goes through one writer loop that groups
    /// concurrent commits into one transaction. False by default: partitions commit concurrently, and a commit a
    /// transient failure rolled back (a deadlock, a serialization failure) is written again.
    /// </summary>
    public virtual bool SingleWriter => false;

    /// <summary>The assembly whose embedded <c>Migrations/NNNN_name.sql</c> resources hold the schema.</summary>
    public abstract Assembly MigrationsAssembly { get; }

    /// <summary>SQL run inside the migration transaction before anything else (PostgreSQL takes an advisory lock); none by default.</summary>
    public virtual string? MigrationLockSql => null;

    /// <summary>The commit's writer of events: one <c>INSERT … ON CONFLICT DO NOTHING</c> per event by default.</summary>
    public virtual CommitWriter EventWriter => EventRows.Instance;

    /// <summary>
    /// Whether contacts' search text has an FTS5 trigram table (<c>contacts_fts</c>, SQLite) rather than a trigram index on
    /// the column (PostgreSQL's pg_trgm), and prefix ranges compare in byte order without a collation.
    /// </summary>
    public virtual bool FullTextContacts => false;

    /// <summary>The parameter value of a time column.</summary>
    public abstract object TimeValue(DateTimeOffset time);

    /// <summary>Reads a time column.</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>The SQL of the whole microseconds from the time <paramref name="earlier"/> to the time <paramref name="later"/> (two column expressions), as an integer.</summary>
    public abstract string MicrosecondsBetween(string later, string earlier);

    /// <summary>
    /// What a <c>SELECT</c> ends with to lock the rows it reads until the transaction ends (<c>FOR UPDATE</c>); empty for
    /// a single-writer database, whose write transaction holds the whole database already.
    /// </summary>
    public virtual string LockRows => string.Empty;

    /// <summary>
    /// The SQL of "<paramref name="column"/> holds the text of <paramref name="parameter"/>, compared without case" (a plain
    /// substring, no wildcards): PostgreSQL's <c>strpos</c> by default.
    /// </summary>
    public virtual string ContainsText(string column, string parameter) => $"strpos(lower({column}), lower({parameter})) > 0";
}
