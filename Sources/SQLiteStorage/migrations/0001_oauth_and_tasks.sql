-- task-mcp schema, version 1: OAuth clients, consents, pending authorizations, codes, grants,
-- tokens, and the per-user task registry.
--
-- Released migrations are never edited; a change is a new numbered file.
-- Secrets are never stored in clear: codes, tokens, client secrets, CSRF tokens, upstream
-- `state` values and browser bindings are SHA-256 hashes; the Parallel API key and the upstream
-- PKCE verifier are AES-GCM sealed (`*_key_id` names the sealing key, so keys can rotate).
-- Times are Unix seconds (REAL).

-- OAuth clients: registered by DCR (RFC 7591) or known by their Client ID Metadata Document URL.
CREATE TABLE clients (
    id                          TEXT PRIMARY KEY,
    kind                        TEXT NOT NULL CHECK (kind IN ('dcr', 'cimd')),
    name                        TEXT NOT NULL,
    redirect_uris               TEXT NOT NULL,            -- JSON array of strings
    token_endpoint_auth_method  TEXT NOT NULL CHECK (token_endpoint_auth_method IN ('none', 'client_secret_basic', 'client_secret_post')),
    secret_hash                 BLOB,                     -- SHA-256 of the client secret, confidential clients only
    metadata                    TEXT NOT NULL,            -- the registered (or fetched) metadata, JSON
    created_at                  REAL NOT NULL,
    expires_at                  REAL,                     -- DCR: registration lifetime; CIMD: cache expiry
    last_used_at                REAL
);

-- A user's approval of a client, recorded when the sign-in completes.
CREATE TABLE consents (
    user_id       TEXT NOT NULL,
    client_id     TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope         TEXT NOT NULL,
    first_at      REAL NOT NULL,
    last_at       REAL NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_by_client ON consents(client_id);

-- An authorization request between our /authorize and the upstream /callback.
CREATE TABLE pending_authorizations (
    id                      TEXT PRIMARY KEY,             -- random, carried by the consent form
    client_id               TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    redirect_uri            TEXT NOT NULL,
    client_state            TEXT,
    code_challenge          TEXT NOT NULL,
    scope                   TEXT NOT NULL,
    resource                TEXT NOT NULL,
    browser_binding_hash    BLOB NOT NULL,
    csrf_hash               BLOB NOT NULL,
    state_hash              BLOB UNIQUE,                  -- set only once consent is approved
    upstream_verifier_key_id TEXT,
    upstream_verifier       BLOB,
    created_at              REAL NOT NULL,
    expires_at              REAL NOT NULL
);
CREATE INDEX pending_authorizations_by_client ON pending_authorizations(client_id);

-- A user's authorization of one client: holds the sealed Parallel API key.
CREATE TABLE grants (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,                        -- keyed hash of the API key
    client_id       TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    resource        TEXT NOT NULL,
    api_key_key_id  TEXT NOT NULL,
    api_key         BLOB NOT NULL,
    created_at      REAL NOT NULL,
    last_used_at    REAL
);
CREATE INDEX grants_by_user ON grants(user_id);
CREATE INDEX grants_by_client ON grants(client_id);

-- Authorization codes; kept after use until expiry so that a replay can be detected.
CREATE TABLE authorization_codes (
    hash            BLOB PRIMARY KEY,
    grant_id        TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    created_at      REAL NOT NULL,
    expires_at      REAL NOT NULL,
    used_at         REAL
);
CREATE INDEX authorization_codes_by_grant ON authorization_codes(grant_id);

-- Access and refresh tokens. A refresh token is 'active', then 'previous' after one rotation
-- (honoured once more, for a client retrying a lost response), then 'retired' (its use revokes
-- the grant).
CREATE TABLE tokens (
    id              TEXT PRIMARY KEY,                     -- public handle for the admin CLI
    hash            BLOB NOT NULL UNIQUE,
    grant_id        TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    scope           TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'previous', 'retired')),
    created_at      REAL NOT NULL,
    expires_at      REAL NOT NULL,
    last_used_at    REAL
);
CREATE INDEX tokens_by_grant ON tokens(grant_id);

-- Tasks created through this server, for listTasks and view links.
CREATE TABLE tasks (
    id                  TEXT PRIMARY KEY,                 -- trun_… or tgrp_…
    kind                TEXT NOT NULL CHECK (kind IN ('run', 'group')),
    owner               TEXT NOT NULL,
    created_at          REAL NOT NULL,
    processor           TEXT NOT NULL,
    label               TEXT NOT NULL,
    run_count           INTEGER,
    link_nonce          TEXT NOT NULL,
    credential_key_id   TEXT NOT NULL,
    credential          BLOB NOT NULL
);
CREATE INDEX tasks_by_owner ON tasks(owner, created_at DESC);
