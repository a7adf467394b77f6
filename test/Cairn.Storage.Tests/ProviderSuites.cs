using Cairn.Storage.Sqlite;
using Cairn.Testing;

[assembly: AssemblyFixture(typeof(PostgresFixture))]

namespace Cairn.Storage.Tests;

// Each port's compliance suite, once per provider: SQLite in a temporary directory, PostgreSQL on a throwaway database
// of the test cluster (skipped with the reason when no cluster can be started locally; a failure on CI).

public sealed class SqliteStoreLifecycleTests() : StoreLifecycleCompliance(new SqliteProvider())
{
    [Fact]
    public void Store_LivesInCairnDbUnderTheDataDirectory() =>
        Assert.Equal(Path.Combine(((SqliteProvider)Provider).Directory, "cairn.db"), ((SqliteCairnStore)Store).DatabasePath);
}

public sealed class PostgreSqlStoreLifecycleTests(PostgresFixture postgres) : StoreLifecycleCompliance(new PostgreSqlProvider(postgres));

public sealed class SqlitePartitionWriterTests() : PartitionWriterCompliance(new SqliteProvider());

public sealed class PostgreSqlPartitionWriterTests(PostgresFixture postgres) : PartitionWriterCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteEventLogTests() : EventLogCompliance(new SqliteProvider());

public sealed class PostgreSqlEventLogTests(PostgresFixture postgres) : EventLogCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteContactStoreTests() : ContactStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlContactStoreTests(PostgresFixture postgres) : ContactStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteDocumentStoreTests() : DocumentStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlDocumentStoreTests(PostgresFixture postgres) : DocumentStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteSettingsStoreTests() : SettingsStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlSettingsStoreTests(PostgresFixture postgres) : SettingsStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteJourneyIndexTests() : JourneyIndexCompliance(new SqliteProvider());

public sealed class PostgreSqlJourneyIndexTests(PostgresFixture postgres) : JourneyIndexCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteOutboxTests() : OutboxCompliance(new SqliteProvider());

public sealed class PostgreSqlOutboxTests(PostgresFixture postgres) : OutboxCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteMessageStatsTests() : MessageStatsCompliance(new SqliteProvider());

public sealed class PostgreSqlMessageStatsTests(PostgresFixture postgres) : MessageStatsCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteSuppressionListTests() : SuppressionListCompliance(new SqliteProvider());

public sealed class PostgreSqlSuppressionListTests(PostgresFixture postgres) : SuppressionListCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteRecipientStoreTests() : RecipientStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlRecipientStoreTests(PostgresFixture postgres) : RecipientStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteHandOffStoreTests() : HandOffStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlHandOffStoreTests(PostgresFixture postgres) : HandOffStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteErasureStoreTests() : ErasureStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlErasureStoreTests(PostgresFixture postgres) : ErasureStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteEnrollmentRowsMigrationTests() : EnrollmentRowsMigrationCompliance(new SqliteProvider());

public sealed class PostgreSqlEnrollmentRowsMigrationTests(PostgresFixture postgres) : EnrollmentRowsMigrationCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteAuditStoreTests() : AuditStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlAuditStoreTests(PostgresFixture postgres) : AuditStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteUserStoreTests() : UserStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlUserStoreTests(PostgresFixture postgres) : UserStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteSplitStoreTests() : SplitStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlSplitStoreTests(PostgresFixture postgres) : SplitStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteAttributionStoreTests() : AttributionStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlAttributionStoreTests(PostgresFixture postgres) : AttributionStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteExportStoreTests() : ExportStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlExportStoreTests(PostgresFixture postgres) : ExportStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteAlertStoreTests() : AlertStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlAlertStoreTests(PostgresFixture postgres) : AlertStoreCompliance(new PostgreSqlProvider(postgres));

public sealed class SqliteRetentionStoreTests() : RetentionStoreCompliance(new SqliteProvider());

public sealed class PostgreSqlRetentionStoreTests(PostgresFixture postgres) : RetentionStoreCompliance(new PostgreSqlProvider(postgres));
