-- task-mcp schema, version 2 (PostgreSQL): MCP tasks, upstream completion learned from
-- Parallel's webhooks, and webhook replay protection. Translated from the SQLite migration of the
-- same name.

-- An MCP task: a task-augmented tools/call whose work is a Parallel run or group. Bound to the
-- caller that created it; gone after expires_at.
CREATE TABLE mcp_tasks (
    id              text PRIMARY KEY,                     -- random (at least 128 bits), handed to the client
    owner           text NOT NULL,                        -- the creating caller's subject
    upstream_id     text NOT NULL,                        -- trun_… or tgrp_…
    tool            text NOT NULL,                        -- the tool that was called
    status          text NOT NULL CHECK (status IN ('working', 'input_required', 'completed', 'failed', 'cancelled')),
    status_message  text,
    created_at      double precision NOT NULL,
    updated_at      double precision NOT NULL,
    ttl_ms          bigint,                               -- retention from creation; NULL = unlimited
    expires_at      double precision                      -- created_at + ttl; NULL = never
);
CREATE INDEX mcp_tasks_by_owner ON mcp_tasks(owner, created_at DESC, id DESC);
CREATE INDEX mcp_tasks_by_upstream ON mcp_tasks(upstream_id);
CREATE INDEX mcp_tasks_by_expiry ON mcp_tasks(expires_at) WHERE expires_at IS NOT NULL;

-- A run's terminal status as told by a verified webhook, so status reads need no upstream call.
ALTER TABLE tasks ADD COLUMN settled_status text;    -- 'completed' | 'failed' | 'cancelled'
ALTER TABLE tasks ADD COLUMN settled_message text;   -- the run's error message, if it failed
ALTER TABLE tasks ADD COLUMN settled_at double precision;

-- Webhook deliveries already accepted (Standard Webhooks webhook-id), kept past the timestamp
-- tolerance so that a replay is rejected.
CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    received_at     double precision NOT NULL
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries(received_at);
