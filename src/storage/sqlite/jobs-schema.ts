/**
 * The job engine's tables. SQLite is the queue and the source of truth: a job exists once its row is committed,
 * and every process sharing the file sees the same queue. Append only; never edit a shipped migration.
 */
export const JOBS_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    id                 TEXT PRIMARY KEY,
    task               TEXT NOT NULL,
    queue              TEXT NOT NULL,
    kind               TEXT NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'group', 'chord', 'chain')),
    state              TEXT NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed', 'dead',
                         'cancelled', 'expired', 'unknown', 'waiting')),
    priority           INTEGER NOT NULL DEFAULT 0,
    args               TEXT NOT NULL,
    result             TEXT,
    error              TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    max_attempts       INTEGER NOT NULL,
    money              INTEGER NOT NULL DEFAULT 0,
    money_state        TEXT CHECK (money_state IN ('intent', 'done', 'not_done', 'unknown')),
    -- run: the next claim calls run(); reconcile: the next claim asks the server what happened, and never sends
    phase              TEXT NOT NULL DEFAULT 'run' CHECK (phase IN ('run', 'reconcile')),
    reconcile_attempts INTEGER NOT NULL DEFAULT 0,
    cancel_requested   INTEGER NOT NULL DEFAULT 0,
    idempotency_key    TEXT UNIQUE,
    parent_id          TEXT,
    canvas_id          TEXT,
    canvas_index       INTEGER,
    -- chord: the callback job, set exactly once by a conditional update
    callback_id        TEXT,
    deadline_at        INTEGER,
    progress           TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    due_at             INTEGER NOT NULL,
    expires_at         INTEGER,
    started_at         INTEGER,
    finished_at        INTEGER,
    lease_owner        TEXT,
    lease_expires_at   INTEGER
  );
  -- the claim query walks this in order (priority first) and stops at its LIMIT
  CREATE INDEX jobs_claimable ON jobs (queue, priority DESC, due_at) WHERE state IN ('queued', 'retrying');
  CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state = 'running';
  CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE state IN ('queued', 'retrying') AND expires_at IS NOT NULL;
  CREATE INDEX jobs_canvas ON jobs (canvas_id, canvas_index) WHERE canvas_id IS NOT NULL;
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX jobs_listing ON jobs (created_at DESC, id DESC);
  CREATE INDEX jobs_state ON jobs (state, queue);
  CREATE INDEX jobs_chord_deadline ON jobs (deadline_at)
    WHERE kind = 'chord' AND state = 'waiting' AND callback_id IS NULL AND deadline_at IS NOT NULL;

  CREATE TABLE job_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL
  );
  CREATE INDEX job_events_job ON job_events (job_id, seq);

  -- token buckets shared by every process on this database
  CREATE TABLE rate_buckets (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- group/chord parents: members not yet terminal (a chord's callback not counted). Each member's terminal
  -- transition decrements it in its own transaction, and a retried member's return increments it, so the last
  -- member is found by a conditional update instead of by counting the canvas. Backfilled for open canvases.
  ALTER TABLE jobs ADD COLUMN open_members INTEGER;
  UPDATE jobs SET open_members = (
    SELECT COUNT(*) FROM jobs m
    WHERE m.canvas_id = jobs.id AND m.id IS NOT jobs.callback_id
      AND m.state NOT IN ('succeeded', 'failed', 'dead', 'cancelled', 'expired', 'unknown')
  ) WHERE kind IN ('group', 'chord');
  `,
  // casino.bet (one bet per job) is gone: a job an earlier version queued becomes the one-bet casino.bet_batch it
  // always was on the wire. Same client seed (its idempotency key), same money state and phase, so a bet whose
  // answer was lost is still reconciled, never re-sent; a finished bet's result takes the batch's shape.
  `
  UPDATE jobs SET
    task = 'casino.bet_batch',
    args = json_object(
      'agentId', json_extract(args, '$.agentId'),
      'bet', json(json_extract(args, '$.bet')),
      'amount', json_extract(args, '$.amount'),
      'clientSeeds', json_array(json_extract(args, '$.clientSeed'))),
    result = CASE WHEN state = 'succeeded' AND result IS NOT NULL THEN json_object(
      'agentId', json_extract(result, '$.agentId'),
      'bets', json_array(json(result)),
      'refused', json_array()) ELSE result END
  WHERE task = 'casino.bet';
  `,
  // A job created by a task-augmented MCP tools/call carries the task's bookkeeping (src/mcp/tasks.ts): the tool,
  // what its answer needs, a client's cancel. It is pruned with the row, so a task lives as long as its job.
  `
  ALTER TABLE jobs ADD COLUMN mcp_task TEXT;
  CREATE INDEX jobs_mcp_tasks ON jobs (created_at DESC, id DESC) WHERE mcp_task IS NOT NULL;
  `,
];
