-- task-mcp schema, version 3 (PostgreSQL): rate limits shared by every replica on this database.
-- Translated from the SQLite migration of the same name; tat is a timestamptz on the database's
-- clock (one clock for all replicas, whatever theirs say).

-- One row per (bucket, key): its theoretical arrival time (GCRA). UNLOGGED: no WAL for a row every
-- allowed request rewrites; after a crash the table comes back empty, which only resets the limits
-- (and an UNLOGGED table is not copied to standbys). fillfactor leaves room in each page so that
-- the update of tat (not indexed) stays a HOT update. The purge deletes rows whose time has passed.
CREATE UNLOGGED TABLE rate_limits (
    bucket          text NOT NULL,                        -- register | authorize | token
    limit_key       text NOT NULL,                        -- the client's address (IPv4, or IPv6 /64)
    tat             timestamptz NOT NULL,
    PRIMARY KEY (bucket, limit_key)
) WITH (fillfactor = 70);
