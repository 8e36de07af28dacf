-- task-mcp schema, version 4 (PostgreSQL): results of finished runs and groups, shared by every
-- replica. Translated from the SQLite migration of the same name.

-- One row per settled task: its result as the service's stored-result JSON. Written once the task
-- can no longer change; a later write of the same task replaces it. Deleted with its task. The
-- body is large and read whole: TOAST keeps it compressed out of line.
CREATE TABLE task_results (
    task_id         text PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
    stored_at       double precision NOT NULL,            -- Unix seconds
    body            bytea NOT NULL
);
