-- task-mcp schema, version 3: rate limits kept in the database (TASK_MCP_RATE_LIMIT_SCOPE=shared),
-- so that every process on this file counts against one limit.

-- One row per (bucket, key): its theoretical arrival time (GCRA) in Unix microseconds on the store's
-- clock. A row whose time has passed behaves like no row, and the purge deletes it. No index on tat:
-- the purge scans this small table hourly, and every request would otherwise update an index too.
CREATE TABLE rate_limits (
    bucket          TEXT NOT NULL,                        -- register | authorize | token
    limit_key       TEXT NOT NULL,                        -- the client's address (IPv4, or IPv6 /64)
    tat             INTEGER NOT NULL,
    PRIMARY KEY (bucket, limit_key)
) WITHOUT ROWID;
