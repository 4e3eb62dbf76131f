/**
 * The job engine's tables on PostgreSQL: SQLite's schema as it stands after its migrations (`open_members`
 * included), in PostgreSQL types. SQLite's later data migrations have nothing to convert here, and its
 * `rate_buckets` table, unused since rate limits moved to `rate_calls` (rate-limits.ts), is not created. Append
 * only; never edit a shipped migration.
 */
export const PG_JOBS_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    -- job ids compare bytewise, as on SQLite: list's keyset order must not depend on the database's locale
    id                 TEXT COLLATE "C" PRIMARY KEY,
    task               TEXT NOT NULL,
    queue              TEXT NOT NULL,
    kind               TEXT NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'group', 'chord', 'chain')),
    state              TEXT NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed', 'dead',
                         'cancelled', 'expired', 'unknown', 'waiting')),
    priority           INTEGER NOT NULL DEFAULT 0,
    -- JSON kept as the exact text written (args, result, error, progress), not jsonb
    args               TEXT NOT NULL,
    result             TEXT,
    error              TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    max_attempts       INTEGER NOT NULL,
    money              BOOLEAN NOT NULL DEFAULT FALSE,
    money_state        TEXT CHECK (money_state IN ('intent', 'done', 'not_done', 'unknown')),
    -- run: the next claim calls run(); reconcile: the next claim asks the server what happened, and never sends
    phase              TEXT NOT NULL DEFAULT 'run' CHECK (phase IN ('run', 'reconcile')),
    reconcile_attempts INTEGER NOT NULL DEFAULT 0,
    cancel_requested   BOOLEAN NOT NULL DEFAULT FALSE,
    idempotency_key    TEXT UNIQUE,
    parent_id          TEXT COLLATE "C",
    canvas_id          TEXT COLLATE "C",
    canvas_index       INTEGER,
    -- chord: the callback job, set exactly once by a conditional update
    callback_id        TEXT COLLATE "C",
    deadline_at        BIGINT,
    -- group/chord parents: members not yet terminal (a chord's callback not counted). Each member's terminal
    -- transition decrements it in its own transaction, and a retried member's return increments it, so the last
    -- member is found by a conditional update instead of by counting the canvas.
    open_members       INTEGER,
    progress           TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    due_at             BIGINT NOT NULL,
    expires_at         BIGINT,
    started_at         BIGINT,
    finished_at        BIGINT,
    lease_owner        TEXT,
    lease_expires_at   BIGINT
  );
  -- the claim query walks this in order (priority first) and stops at its LIMIT; id breaks ties first come,
  -- first served (ids are UUIDv7), as SQLite's rowid does
  CREATE INDEX jobs_claimable ON jobs (queue, priority DESC, due_at, id) WHERE state IN ('queued', 'retrying');
  CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state = 'running';
  CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE state IN ('queued', 'retrying') AND expires_at IS NOT NULL;
  CREATE INDEX jobs_canvas ON jobs (canvas_id, canvas_index) WHERE canvas_id IS NOT NULL;
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX jobs_listing ON jobs (created_at DESC, id DESC);
  CREATE INDEX jobs_state ON jobs (state, queue);
  CREATE INDEX jobs_chord_deadline ON jobs (deadline_at)
    WHERE kind = 'chord' AND state = 'waiting' AND callback_id IS NULL AND deadline_at IS NOT NULL;

  CREATE TABLE job_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id     TEXT COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL
  );
  CREATE INDEX job_events_job ON job_events (job_id, seq);
  `,
  // A job created by a task-augmented MCP tools/call carries the task's bookkeeping (src/mcp/tasks.ts): the tool,
  // what its answer needs, a client's cancel. It is pruned with the row, so a task lives as long as its job.
  `
  ALTER TABLE jobs ADD COLUMN mcp_task TEXT;
  CREATE INDEX jobs_mcp_tasks ON jobs (created_at DESC, id DESC) WHERE mcp_task IS NOT NULL;
  `,
];
