-- Fencing (docs/cluster.md): who writes each partition. A server takes a partition over by raising its epoch; every
-- commit of the partition carries the epoch it was given and is refused once another server raised it, in the same
-- transaction as its rows (the commit locks the row, so a takeover waits for a commit under way and the next one sees it).
CREATE TABLE partition_owners (
    partition_index INTEGER PRIMARY KEY,
    epoch BIGINT NOT NULL,
    owner TEXT NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL
);
