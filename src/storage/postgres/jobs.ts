import { FleetError } from "../../errors.js";
import { TASK } from "../../jobs/tasks/args.js";
import {
  type ChordMemberOutcome,
  type JobEvent,
  type JobFilter,
  type JobState,
  type QueueName,
  TERMINAL_STATES,
} from "../../jobs/types.js";
import type {
  BetBatchTotals,
  ClaimQuery,
  FinishedRun,
  JobActivity,
  JobExpectation,
  JobPatch,
  JobRepo,
  LeaseHolder,
  MemberPage,
  StateCount,
  StoredJob,
} from "../jobs.js";
import type { PgConn } from "./connection.js";
import { decodeJob, encodePatch, INSERT_JOB_SQL, insertValues } from "./job-rows.js";

const TERMINAL_SQL = TERMINAL_STATES.map((s) => `'${s}'`).join(", ");
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

// a conflicting key is not an error here: a failed statement would abort the caller's whole transaction
const INSERT_SQL = `${INSERT_JOB_SQL} ON CONFLICT (idempotency_key) DO NOTHING`;

// A canvas's args.size. PostgreSQL's JSON parser refuses \u0000 and lone surrogates, which JSON.stringify writes
// for such characters in a chord's callback args; every \uXXXX escape is made harmless first (size is a number).
const SIZE = String.raw`(regexp_replace(args, '\\u[0-9a-fA-F]{4}', '\\u0020', 'g')::json ->> 'size')::int`;
// a JSON column as json, made safe the same way: what reads a field of args (an agent id, a seed list, a game)
const json = (column: string) => String.raw`regexp_replace(${column}, '\\u[0-9a-fA-F]{4}', '\\u0020', 'g')::json`;
// its progress text exactly as JSON.stringify({ done, total }) writes it (and SQLite's json_object)
const progressSql = (done: string) => `'{"done":' || (${done}) || ',"total":' || ${SIZE} || '}'`;

type Row = Record<string, unknown>;

const eventValues = (e: JobEvent): unknown[] => [e.jobId, e.at, e.from, e.to, e.reason];

/**
 * Job rows on a PostgreSQL database shared by every pf-fleet process, on any machine (READ COMMITTED). What
 * SQLite gets from its single writer, this gets from row locks: claims lock with SKIP LOCKED, and every move is
 * one conditional UPDATE that re-checks its WHERE against the row as it was committed.
 */
export class PgJobRepo implements JobRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  async insert(job: StoredJob, event: JobEvent): Promise<void> {
    const values = [...insertValues(job), ...eventValues(event)];
    const n = values.length;
    // the row and its first event in one statement (one round trip): the event goes in only with the row
    const sql = `WITH inserted AS (${INSERT_SQL} RETURNING id),
      logged AS (INSERT INTO job_events (job_id, at, from_state, to_state, reason)
        SELECT $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n} FROM inserted)
      SELECT COUNT(*)::int AS n FROM inserted`;
    for (;;) {
      if ((await this.#conn.row<{ n: number }>(sql, values))?.n === 1) {
        this.#wakeIfDue(job, event);
        return;
      }
      // The UNIQUE index is the check (a look-up first would cost every insert a read); say whose key it is.
      const owner = await this.#keyOwner(job.idempotencyKey);
      if (owner !== undefined) {
        throw new FleetError("CONFLICT", `idempotency key \`${job.idempotencyKey}\` already belongs to job ${owner}`, {
          hint: "each money-moving job needs its own key (for bets: a unique client_seed)",
          details: { jobId: owner },
        });
      }
      // its owner was deleted between the two statements: the key is free again
    }
  }

  /**
   * Inside a transaction the row is locked until it ends: the engine reads a job, decides, and writes it back by
   * compare-and-set, and under READ COMMITTED another process could otherwise commit in between (a cancel lost
   * to a concurrent claim). SQLite's single writer gives the same guarantee for free.
   */
  async get(id: string): Promise<StoredJob | undefined> {
    const lock = this.#conn.inTransaction ? " FOR UPDATE" : "";
    const row = await this.#conn.row<Row>(`SELECT * FROM jobs WHERE id = $1${lock}`, [id]);
    return row && decodeJob(row);
  }

  async update(
    job: StoredJob,
    expect: JobExpectation,
    patch: JobPatch,
    event?: JobEvent,
  ): Promise<StoredJob | undefined> {
    const params: unknown[] = [];
    const { assignments, values } = encodePatch(patch, params);
    let where = `id = $${params.push(job.id)} AND state = $${params.push(expect.state)}`;
    if (expect.leaseOwner !== undefined) where += ` AND lease_owner = $${params.push(expect.leaseOwner)}`;
    if (expect.startedAt !== undefined) where += ` AND started_at = $${params.push(expect.startedAt)}`;
    if (expect.noCallbackYet) where += " AND callback_id IS NULL";
    const update = `UPDATE jobs SET ${assignments} WHERE ${where} RETURNING cancel_requested, progress, lease_expires_at`;
    // with an event, one statement writes both, the event only if the update applied
    const sql = event
      ? `WITH moved AS (${update}), logged AS (INSERT INTO job_events (job_id, at, from_state, to_state, reason)
          SELECT ${eventValues(event)
            .map((v) => `$${params.push(v)}`)
            .join(", ")} FROM moved) SELECT * FROM moved`
      : update;
    const moved = await this.#conn.row<{
      cancel_requested: boolean;
      progress: string | null;
      lease_expires_at: number | null;
    }>(sql, params);
    if (!moved) return undefined;
    // what other writers may have changed under a leased row, then this patch on top
    const updated: StoredJob = {
      ...job,
      cancelRequested: moved.cancel_requested,
      progress: moved.progress === null ? null : (JSON.parse(moved.progress) as StoredJob["progress"]),
      leaseExpiresAt: moved.lease_expires_at,
      ...values,
    };
    if (event && patch.state !== undefined) this.#wakeIfDue(updated, event);
    return updated;
  }

  /** a row that became claimable now wakes every process's dispatcher when the transaction commits */
  #wakeIfDue(job: StoredJob, event: JobEvent): void {
    if ((job.state === "queued" || job.state === "retrying") && job.dueAt <= event.at) {
      this.#conn.jobsAvailable(job.queue);
    }
  }

  async appendEvent(event: JobEvent): Promise<void> {
    await this.#conn.run(
      "INSERT INTO job_events (job_id, at, from_state, to_state, reason) VALUES ($1, $2, $3, $4, $5)",
      eventValues(event),
    );
  }

  async setMcpTask(id: string, mark: unknown): Promise<boolean> {
    return (await this.#conn.run("UPDATE jobs SET mcp_task = $1 WHERE id = $2", [JSON.stringify(mark), id])) > 0;
  }

  async events(jobId: string): Promise<JobEvent[]> {
    const rows = await this.#conn.rows<{
      job_id: string;
      at: number;
      from_state: JobState | null;
      to_state: JobState;
      reason: string;
    }>("SELECT job_id, at, from_state, to_state, reason FROM job_events WHERE job_id = $1 ORDER BY seq", [jobId]);
    return rows.map((r) => ({ jobId: r.job_id, at: r.at, from: r.from_state, to: r.to_state, reason: r.reason }));
  }

  async list(filter: JobFilter): Promise<{ jobs: StoredJob[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state !== undefined) {
      const states = Array.isArray(filter.state) ? filter.state : [filter.state];
      where.push(`state = ANY($${params.push(states)}::text[])`);
    }
    for (const [field, column] of [
      ["queue", "queue"],
      ["task", "task"],
      ["canvasId", "canvas_id"],
      ["parentId", "parent_id"],
    ] as const) {
      if (filter[field] === undefined) continue;
      where.push(`${column} = $${params.push(filter[field])}`);
    }
    if (filter.mcpTasks) where.push("mcp_task IS NOT NULL");
    if (filter.roots) where.push("parent_id IS NULL");
    if (filter.agentId !== undefined) {
      const agent = `$${params.push(filter.agentId)}`;
      const agentIds = `${json("args")} -> 'agentIds'`;
      where.push(`(${json("args")} ->> 'agentId' = ${agent}
        OR EXISTS (SELECT 1 FROM json_array_elements_text(
             CASE WHEN json_typeof(${agentIds}) = 'array' THEN ${agentIds} END) AS a (id) WHERE a.id = ${agent})
        OR (kind <> 'task' AND EXISTS (SELECT 1 FROM jobs m
              WHERE m.canvas_id = jobs.id AND ${json("m.args")} ->> 'agentId' = ${agent})))`);
    }
    if (filter.cursor) {
      const [createdAt, id] = decodeCursor(filter.cursor);
      // the same rows as SQLite's `created_at < ? OR (created_at = ? AND id < ?)`, in a form the index can seek
      where.push(`(created_at, id) < ($${params.push(createdAt)}, $${params.push(id)})`);
    }
    const limit = pageSize(filter.limit);
    const rows = await this.#conn.rows<Row>(
      `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
      params,
    );
    const jobs = rows.slice(0, limit).map(decodeJob);
    const last = jobs[jobs.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null;
    return { jobs, nextCursor };
  }

  async claimCandidates(q: ClaimQuery): Promise<StoredJob[]> {
    const rows = await this.#conn.rows<Row>(
      // walked in jobs_claimable's order, stopping at LIMIT; a row another process has locked (claiming it, or
      // moving it) is passed over rather than waited for, and stays locked to this transaction until it ends
      `SELECT * FROM jobs
       WHERE queue = $1 AND state IN ('queued', 'retrying') AND due_at <= $2 AND task = ANY($3::text[])
       ORDER BY priority DESC, due_at ASC, id ASC LIMIT $4
       FOR UPDATE SKIP LOCKED`,
      [q.queue, q.now, q.tasks, q.limit],
    );
    return rows.map(decodeJob);
  }

  async nextDueAt(queue: QueueName, tasks: readonly string[]): Promise<number | null> {
    const row = await this.#conn.row<{ due: number | null }>(
      `SELECT MIN(due_at) AS due FROM jobs
       WHERE queue = $1 AND state IN ('queued', 'retrying') AND task = ANY($2::text[])`,
      [queue, tasks],
    );
    return row?.due ?? null;
  }

  async renewLeases(owner: string, ids: readonly string[], until: number) {
    const rows = await this.#conn.rows<{ id: string; cancel_requested: boolean }>(
      `UPDATE jobs SET lease_expires_at = $1
       WHERE state = 'running' AND lease_owner = $2 AND id = ANY($3::text[])
       RETURNING id, cancel_requested`,
      [until, owner, ids],
    );
    return {
      held: new Set(rows.map((r) => r.id)),
      cancelRequested: new Set(rows.filter((r) => r.cancel_requested).map((r) => r.id)),
    };
  }

  async cancelRequested(owner: string, ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.#conn.rows<{ id: string }>(
      `SELECT id FROM jobs WHERE id = ANY($1::text[])
         AND state = 'running' AND lease_owner = $2 AND cancel_requested`,
      [ids, owner],
    );
    return new Set(rows.map((r) => r.id));
  }

  async abandoned(now: number, owner: string | null, limit: number): Promise<StoredJob[]> {
    const rows = await this.#conn.rows<Row>(
      "SELECT * FROM jobs WHERE state = 'running' AND (lease_expires_at <= $1 OR lease_owner = $2) LIMIT $3",
      [now, owner, limit],
    );
    return rows.map(decodeJob);
  }

  async expiredUnstarted(now: number, limit: number): Promise<StoredJob[]> {
    const rows = await this.#conn.rows<Row>(
      `SELECT * FROM jobs WHERE state IN ('queued', 'retrying') AND expires_at IS NOT NULL AND expires_at <= $1
         AND phase = 'run' LIMIT $2`,
      [now, limit],
    );
    return rows.map(decodeJob);
  }

  async chordsPastDeadline(now: number, limit: number): Promise<StoredJob[]> {
    const rows = await this.#conn.rows<Row>(
      `SELECT * FROM jobs WHERE kind = 'chord' AND state = 'waiting' AND callback_id IS NULL
         AND deadline_at IS NOT NULL AND deadline_at <= $1 LIMIT $2`,
      [now, limit],
    );
    return rows.map(decodeJob);
  }

  async members(canvasId: string, limit?: number): Promise<StoredJob[]> {
    // LIMIT NULL is no limit
    const rows = await this.#conn.rows<Row>("SELECT * FROM jobs WHERE canvas_id = $1 ORDER BY canvas_index LIMIT $2", [
      canvasId,
      limit ?? null,
    ]);
    return rows.map(decodeJob);
  }

  async memberOutcomes(canvasId: string, page?: MemberPage): Promise<ChordMemberOutcome[]> {
    const rows = await this.#conn.rows<{
      id: string;
      task: string;
      state: JobState;
      result: string | null;
      error: string | null;
      args: string | null;
    }>(
      // LIMIT NULL is no limit
      `SELECT id, task, state, result, error,
         CASE WHEN state = 'succeeded' THEN NULL ELSE args END AS args
       FROM jobs WHERE canvas_id = $1 AND canvas_index > $2 ORDER BY canvas_index LIMIT $3`,
      [canvasId, page?.afterIndex ?? -1, page?.limit ?? null],
    );
    return rows.map((r) => {
      const outcome: ChordMemberOutcome = { jobId: r.id, task: r.task, state: r.state };
      if (r.state === "succeeded") outcome.result = r.result === null ? null : JSON.parse(r.result);
      if (r.error !== null) outcome.error = JSON.parse(r.error) as ChordMemberOutcome["error"];
      if (r.args !== null) outcome.args = JSON.parse(r.args);
      return outcome;
    });
  }

  async memberFinished(parentId: string, now: number): Promise<{ open: number; total: number } | undefined> {
    // SET reads the row as it was, RETURNING as it now is; members finishing at once queue on the row lock, and
    // each re-reads the count the previous one committed
    return this.#conn.row<{ open: number; total: number }>(
      `UPDATE jobs SET open_members = open_members - 1, updated_at = $2,
         progress = ${progressSql(`${SIZE} - open_members + 1`)}
       WHERE id = $1 AND state = 'waiting' AND kind IN ('group', 'chord') AND callback_id IS NULL
       RETURNING open_members AS open, ${SIZE} AS total`,
      [parentId, now],
    );
  }

  async memberReopened(parentId: string, now: number): Promise<boolean> {
    const changed = await this.#conn.run(
      `UPDATE jobs SET open_members = open_members + 1, updated_at = $2,
         progress = ${progressSql(`${SIZE} - open_members - 1`)}
       WHERE id = $1 AND state = 'waiting' AND kind IN ('group', 'chord') AND callback_id IS NULL`,
      [parentId, now],
    );
    return changed === 1;
  }

  async delete(ids: readonly string[]): Promise<void> {
    // their events go with them (ON DELETE CASCADE): one statement, atomic on its own
    await this.#conn.run("DELETE FROM jobs WHERE id = ANY($1::text[])", [ids]);
  }

  async prunable(before: number, limit: number): Promise<string[]> {
    const rows = await this.#conn.rows<{ id: string }>(
      // Locked, so a row that moves on in another process (retried from the dead-letter queue) between this read
      // and the caller's delete is not deleted after it: SQLite's writer lock gave that for free. Rows another
      // process holds are left for the next round.
      `SELECT j.id FROM jobs j
       WHERE j.finished_at IS NOT NULL AND j.finished_at < $1
         AND j.state IN ('succeeded', 'failed', 'dead', 'cancelled', 'expired')
         AND NOT EXISTS (SELECT 1 FROM jobs p WHERE p.id = j.parent_id AND p.state NOT IN (${TERMINAL_SQL}))
         AND NOT EXISTS (SELECT 1 FROM jobs m WHERE m.canvas_id = j.id AND m.state NOT IN (${TERMINAL_SQL}))
       LIMIT $2
       FOR UPDATE OF j SKIP LOCKED`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }

  async oldestUnsettledMoneyJobAt(): Promise<number | null> {
    const row = await this.#conn.row<{ at: number | null }>(
      `SELECT MIN(created_at)::bigint AS at FROM jobs
       WHERE kind = 'task' AND money AND state NOT IN ('succeeded', 'cancelled', 'expired')`,
    );
    return row?.at ?? null;
  }

  async stateCounts(kind: "task" | "canvas" = "task"): Promise<StateCount[]> {
    return this.#conn.rows<StateCount>(
      `SELECT queue, state, COUNT(*) AS count FROM jobs WHERE kind ${kind === "task" ? "=" : "<>"} 'task'
       GROUP BY queue, state`,
    );
  }

  async finishedSince(since: number): Promise<FinishedRun[]> {
    // quoted: PostgreSQL folds unquoted aliases to lower case
    return this.#conn.rows<FinishedRun>(
      `SELECT queue, finished_at AS "finishedAt", finished_at - started_at AS "runtimeMs" FROM jobs
       WHERE kind = 'task' AND finished_at >= $1 AND started_at IS NOT NULL`,
      [since],
    );
  }

  async betBatchTotals(canvasIds: readonly string[]): Promise<BetBatchTotals[]> {
    if (canvasIds.length === 0) return [];
    const seeds = "json_array_length(m.args -> 'clientSeeds')";
    const done = `m.state IN (${TERMINAL_SQL})`;
    // SUM of BIGINT is NUMERIC, which the driver would hand over as text: cast back (micro-USD sums stay safe)
    return this.#conn.rows<BetBatchTotals>(
      `WITH m AS (
         SELECT id, canvas_id, state, ${json("args")} AS args FROM jobs WHERE canvas_id = ANY($1::text[]) AND task = $2
       ), b AS (
         SELECT job_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE won) AS wins, SUM(stake) AS staked, SUM(net) AS net
         FROM bets WHERE job_id IN (SELECT id FROM m) GROUP BY job_id
       )
       SELECT m.canvas_id AS "canvasId", MIN(m.args -> 'bet' ->> 'game') AS game,
         COUNT(*)::int AS "callsTotal", COUNT(*) FILTER (WHERE ${done})::int AS "callsDone",
         SUM(${seeds})::int AS "betsTotal",
         SUM(CASE WHEN ${done} THEN ${seeds} ELSE COALESCE(b.n, 0) END)::int AS "betsDone",
         COALESCE(SUM(b.n), 0)::int AS settled, COALESCE(SUM(b.wins), 0)::int AS wins,
         COALESCE(SUM(b.staked), 0)::bigint AS staked, COALESCE(SUM(b.net), 0)::bigint AS pnl
       FROM m LEFT JOIN b ON b.job_id = m.id GROUP BY m.canvas_id`,
      [canvasIds, TASK.betBatch],
    );
  }

  async activity(since: number, limit: number): Promise<JobActivity[]> {
    return this.#conn.rows<JobActivity>(
      `SELECT queue, state, created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt" FROM (
         SELECT * FROM jobs WHERE finished_at >= $1 AND kind = 'task'
         UNION ALL
         SELECT * FROM jobs WHERE state IN ('queued', 'running', 'retrying') AND finished_at IS NULL AND kind = 'task'
       ) j ORDER BY created_at DESC, id DESC LIMIT $2`,
      [since, limit],
    );
  }

  async leaseHolders(): Promise<LeaseHolder[]> {
    return this.#conn.rows<LeaseHolder>(
      `SELECT lease_owner AS owner, COUNT(*)::int AS jobs, MAX(lease_expires_at) AS "leaseExpiresAt" FROM jobs
       WHERE state = 'running' AND lease_owner IS NOT NULL GROUP BY lease_owner ORDER BY lease_owner COLLATE "C"`,
    );
  }

  async #keyOwner(key: string | null): Promise<string | undefined> {
    const row = await this.#conn.row<{ id: string }>("SELECT id FROM jobs WHERE idempotency_key = $1", [key]);
    return row?.id;
  }
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new FleetError("INVALID_INPUT", `limit must be an integer 1–${MAX_PAGE}, got \`${limit}\``);
  }
  return limit;
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    // an integer: created_at is BIGINT, and a fraction would fail in the server rather than here
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the error below
  }
  throw new FleetError("INVALID_INPUT", `cursor \`${cursor}\` is not one this server returned`, {
    hint: "pass the nextCursor of a previous page unchanged",
  });
}
