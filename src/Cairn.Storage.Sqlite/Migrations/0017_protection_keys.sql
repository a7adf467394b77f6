-- The console's session keys (the ASP.NET Core data-protection key ring, one XML element a row), so that sessions
-- survive a restart and every node of a cluster reads the same keys. Used on PostgreSQL; SQLite keeps its key ring
-- in the data directory (protection-keys/), and has the table so both schemas stay the same.
CREATE TABLE protection_keys (
    name TEXT PRIMARY KEY,
    xml TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
