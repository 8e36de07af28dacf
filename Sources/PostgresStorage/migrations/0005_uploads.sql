-- task-mcp schema, version 5 (PostgreSQL): files of rows uploaded for createTaskGroup, shared by
-- every replica (the PUT may reach another replica than the POST). Translated from the SQLite
-- migration of the same name.

-- One row per upload slot: secret_hash is the SHA-256 of the URL's secret; body is NULL until the
-- one PUT it accepts. Read by its owner only, deleted once used, purged after expires_at.
CREATE TABLE uploads (
    id              text PRIMARY KEY,
    owner           text NOT NULL,
    secret_hash     bytea NOT NULL,
    created_at      double precision NOT NULL,            -- Unix seconds
    expires_at      double precision NOT NULL,
    max_bytes       bigint NOT NULL,
    uploaded_at     double precision,
    content_type    text,
    body            bytea
);

CREATE INDEX uploads_by_expiry ON uploads (expires_at);
