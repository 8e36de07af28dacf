-- task-mcp schema, version 5: files of rows uploaded for createTaskGroup (POST /v1/uploads, then a
-- PUT to the one-time URL it returns), bound to their creator and short-lived.

-- One row per upload slot. secret_hash is the SHA-256 of the URL's secret (the URL itself is never
-- stored); body is NULL until the one PUT it accepts. Read by its owner only, deleted once a group
-- is created from it, and purged after expires_at.
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    secret_hash     BLOB NOT NULL,
    created_at      REAL NOT NULL,                        -- Unix seconds
    expires_at      REAL NOT NULL,
    max_bytes       INTEGER NOT NULL,
    uploaded_at     REAL,
    content_type    TEXT,
    body            BLOB
) WITHOUT ROWID;

CREATE INDEX uploads_by_expiry ON uploads (expires_at);
