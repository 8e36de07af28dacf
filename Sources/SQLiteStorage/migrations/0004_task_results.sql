-- task-mcp schema, version 4: the result of a finished run or group, stored once, so that pages,
-- basis views and the progress page are served without asking Parallel again (and while it is
-- slow or down).

-- One row per settled task: its result as the service's stored-result JSON (a format number,
-- Parallel's run, output, group and rows). Written only once the task can no longer change; a
-- later write of the same task replaces it. Deleted with its task.
CREATE TABLE task_results (
    task_id         TEXT PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
    stored_at       REAL NOT NULL,                        -- Unix seconds
    body            BLOB NOT NULL
) WITHOUT ROWID;
