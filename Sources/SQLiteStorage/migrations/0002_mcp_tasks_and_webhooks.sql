-- task-mcp schema, version 2: MCP tasks (2025-11-25 tasks and the 2026-07-28 tasks extension),
-- upstream completion learned from Parallel's webhooks, and webhook replay protection.

-- An MCP task: a task-augmented tools/call whose work is a Parallel run or group. Bound to the
-- caller that created it (another caller asking for its id is told "not found"); gone after
-- expires_at.
CREATE TABLE mcp_tasks (
    id              TEXT PRIMARY KEY,                     -- random (≥128 bits), handed to the client
    owner           TEXT NOT NULL,                        -- the creating caller's subject
    upstream_id     TEXT NOT NULL,                        -- trun_… or tgrp_…
    tool            TEXT NOT NULL,                        -- the tool that was called
    status          TEXT NOT NULL CHECK (status IN ('working', 'input_required', 'completed', 'failed', 'cancelled')),
    status_message  TEXT,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    ttl_ms          INTEGER,                              -- retention from creation; NULL = unlimited
    expires_at      REAL                                  -- created_at + ttl; NULL = never
);
CREATE INDEX mcp_tasks_by_owner ON mcp_tasks(owner, created_at DESC, id DESC);
CREATE INDEX mcp_tasks_by_upstream ON mcp_tasks(upstream_id);
CREATE INDEX mcp_tasks_by_expiry ON mcp_tasks(expires_at) WHERE expires_at IS NOT NULL;

-- A run's terminal status as told by a verified webhook, so status reads need no upstream call.
ALTER TABLE tasks ADD COLUMN settled_status TEXT;    -- 'completed' | 'failed' | 'cancelled'
ALTER TABLE tasks ADD COLUMN settled_message TEXT;   -- the run's error message, if it failed
ALTER TABLE tasks ADD COLUMN settled_at REAL;

-- Webhook deliveries already accepted (Standard Webhooks `webhook-id`), kept past the timestamp
-- tolerance so that a replay is rejected.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    received_at     REAL NOT NULL
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries(received_at);
