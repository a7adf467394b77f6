-- Fencing (docs/cluster.md): who writes each partition. A server takes a partition over by raising its epoch; every
-- commit of the partition carries the epoch it was given and is refused once another server raised it, in the same
-- transaction as its rows. Times are microseconds since the Unix epoch (UTC).
CREATE TABLE partition_owners (
    partition_index INTEGER PRIMARY KEY,
    epoch INTEGER NOT NULL,
    owner TEXT NOT NULL,
    taken_at INTEGER NOT NULL
);
