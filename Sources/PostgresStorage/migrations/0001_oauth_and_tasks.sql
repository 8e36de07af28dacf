-- task-mcp schema, version 1 (PostgreSQL): OAuth clients, consents, pending authorizations,
-- codes, grants, tokens, and the per-user task registry. Translated from the SQLite migration of
-- the same name.
--
-- Released migrations are never edited; a change is a new numbered file.
-- Secrets are never stored in clear: codes, tokens, client secrets, CSRF tokens, upstream
-- state values and browser bindings are SHA-256 hashes; the Parallel API key and the upstream
-- PKCE verifier are AES-GCM sealed (*_key_id names the sealing key, so keys can rotate).
-- Times are Unix seconds (double precision).

-- OAuth clients: registered by DCR (RFC 7591) or known by their Client ID Metadata Document URL.
CREATE TABLE clients (
    id                          text PRIMARY KEY,
    kind                        text NOT NULL CHECK (kind IN ('dcr', 'cimd')),
    name                        text NOT NULL,
    redirect_uris               text NOT NULL,            -- JSON array of strings
    token_endpoint_auth_method  text NOT NULL CHECK (token_endpoint_auth_method IN ('none', 'client_secret_basic', 'client_secret_post')),
    secret_hash                 bytea,                    -- SHA-256 of the client secret, confidential clients only
    metadata                    text NOT NULL,            -- the registered (or fetched) metadata, JSON
    created_at                  double precision NOT NULL,
    expires_at                  double precision,         -- DCR: registration lifetime; CIMD: cache expiry
    last_used_at                double precision
);

-- A user's approval of a client, recorded when the sign-in completes.
CREATE TABLE consents (
    user_id       text NOT NULL,
    client_id     text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope         text NOT NULL,
    first_at      double precision NOT NULL,
    last_at       double precision NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_by_client ON consents(client_id);

-- An authorization request between our /authorize and the upstream /callback.
CREATE TABLE pending_authorizations (
    id                       text PRIMARY KEY,            -- random, carried by the consent form
    client_id                text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    redirect_uri             text NOT NULL,
    client_state             text,
    code_challenge           text NOT NULL,
    scope                    text NOT NULL,
    resource                 text NOT NULL,
    browser_binding_hash     bytea NOT NULL,
    csrf_hash                bytea NOT NULL,
    state_hash               bytea UNIQUE,                -- set only once consent is approved
    upstream_verifier_key_id text,
    upstream_verifier        bytea,
    created_at               double precision NOT NULL,
    expires_at               double precision NOT NULL
);
CREATE INDEX pending_authorizations_by_client ON pending_authorizations(client_id);

-- A user's authorization of one client: holds the sealed Parallel API key.
CREATE TABLE grants (
    id              text PRIMARY KEY,
    user_id         text NOT NULL,                        -- keyed hash of the API key
    client_id       text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope           text NOT NULL,
    resource        text NOT NULL,
    api_key_key_id  text NOT NULL,
    api_key         bytea NOT NULL,
    created_at      double precision NOT NULL,
    last_used_at    double precision
);
CREATE INDEX grants_by_user ON grants(user_id);
CREATE INDEX grants_by_client ON grants(client_id);

-- Authorization codes; kept after use until expiry so that a replay can be detected.
CREATE TABLE authorization_codes (
    hash            bytea PRIMARY KEY,
    grant_id        text NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    client_id       text NOT NULL,
    redirect_uri    text NOT NULL,
    code_challenge  text NOT NULL,
    created_at      double precision NOT NULL,
    expires_at      double precision NOT NULL,
    used_at         double precision
);
CREATE INDEX authorization_codes_by_grant ON authorization_codes(grant_id);

-- Access and refresh tokens. A refresh token is 'active', then 'previous' after one rotation
-- (honoured once more, for a client retrying a lost response), then 'retired' (its use revokes
-- the grant). seq orders tokens created in the same second, as SQLite's rowid does.
CREATE TABLE tokens (
    id              text PRIMARY KEY,                     -- public handle for the admin CLI
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    hash            bytea NOT NULL UNIQUE,
    grant_id        text NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('access', 'refresh')),
    scope           text NOT NULL,
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'previous', 'retired')),
    created_at      double precision NOT NULL,
    expires_at      double precision NOT NULL,
    last_used_at    double precision
);
CREATE INDEX tokens_by_grant ON tokens(grant_id);

-- Tasks created through this server, for listTasks and view links.
CREATE TABLE tasks (
    id                  text PRIMARY KEY,                 -- trun_… or tgrp_…
    seq                 bigint GENERATED ALWAYS AS IDENTITY,
    kind                text NOT NULL CHECK (kind IN ('run', 'group')),
    owner               text NOT NULL,
    created_at          double precision NOT NULL,
    processor           text NOT NULL,
    label               text NOT NULL,
    run_count           bigint,
    link_nonce          text NOT NULL,
    credential_key_id   text NOT NULL,
    credential          bytea NOT NULL
);
CREATE INDEX tasks_by_owner ON tasks(owner, created_at DESC);
