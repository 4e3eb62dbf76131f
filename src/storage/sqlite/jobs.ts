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
import { limitSql, type SqliteConn } from "./connection.js";
import { decodeJob, encodePatch, INSERT_JOB_SQL, insertValues } from "./job-rows.js";

const TERMINAL_SQL = TERMINAL_STATES.map((s) => `'${s}'`).join(", ");
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

type Row = Record<string, unknown>;

/** Job rows on a SQLite file shared by every pf-fleet process (WAL; writers serialised by BEGIN IMMEDIATE). */
export class SqliteJobRepo implements JobRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  async insert(job: StoredJob, event: JobEvent): Promise<void> {
    try {
      this.#sql(INSERT_JOB_SQL).run(insertValues(job));
      await this.appendEvent(event);
    } catch (err) {
      // The UNIQUE index is the check (a look-up first would cost every insert a read); say whose key it is.
      const owner =
        job.idempotencyKey === null || !isUniqueViolation(err) ? undefined : this.#keyOwner(job.idempotencyKey);
      if (owner === undefined) throw err;
      throw new FleetError("CONFLICT", `idempotency key \`${job.idempotencyKey}\` already belongs to job ${owner}`, {
        hint: "each money-moving job needs its own key (for bets: a unique client_seed)",
        details: { jobId: owner },
      });
    }
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const row = this.#sql("SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
    return row && decodeJob(row);
  }

  async update(
    job: StoredJob,
    expect: JobExpectation,
    patch: JobPatch,
    event?: JobEvent,
  ): Promise<StoredJob | undefined> {
    const { assignments, params, values } = encodePatch(patch);
    params.push(job.id, expect.state);
    let where = "id = ? AND state = ?";
    if (expect.leaseOwner !== undefined) {
      where += " AND lease_owner = ?";
      params.push(expect.leaseOwner);
    }
    if (expect.startedAt !== undefined) {
      where += " AND started_at = ?";
      params.push(expect.startedAt);
    }
    if (expect.noCallbackYet) where += " AND callback_id IS NULL";
    const moved = this.#sql(
      `UPDATE jobs SET ${assignments} WHERE ${where} RETURNING cancel_requested, progress, lease_expires_at`,
    ).get(params) as { cancel_requested: number; progress: string | null; lease_expires_at: number | null } | undefined;
    if (!moved) return undefined;
    if (event) await this.appendEvent(event);
    // what other writers may have changed under a leased row, then this patch on top
    return {
      ...job,
      cancelRequested: moved.cancel_requested === 1,
      progress: moved.progress === null ? null : (JSON.parse(moved.progress) as StoredJob["progress"]),
      leaseExpiresAt: moved.lease_expires_at,
      ...values,
    };
  }

  async appendEvent(event: JobEvent): Promise<void> {
    this.#sql("INSERT INTO job_events (job_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)").run(
      event.jobId,
      event.at,
      event.from,
      event.to,
      event.reason,
    );
  }

  async setMcpTask(id: string, mark: unknown): Promise<boolean> {
    const { changes } = this.#sql("UPDATE jobs SET mcp_task = ? WHERE id = ?").run(JSON.stringify(mark), id);
    return changes > 0;
  }

  async events(jobId: string): Promise<JobEvent[]> {
    const rows = this.#sql(
      "SELECT job_id, at, from_state, to_state, reason FROM job_events WHERE job_id = ? ORDER BY seq",
    ).all(jobId) as Array<{
      job_id: string;
      at: number;
      from_state: JobState | null;
      to_state: JobState;
      reason: string;
    }>;
    return rows.map((r) => ({ jobId: r.job_id, at: r.at, from: r.from_state, to: r.to_state, reason: r.reason }));
  }

  async list(filter: JobFilter): Promise<{ jobs: StoredJob[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.state !== undefined) {
      where.push("state IN (SELECT value FROM json_each(@states))");
      params.states = JSON.stringify(Array.isArray(filter.state) ? filter.state : [filter.state]);
    }
    for (const [field, column] of [
      ["queue", "queue"],
      ["task", "task"],
      ["canvasId", "canvas_id"],
      ["parentId", "parent_id"],
    ] as const) {
      if (filter[field] === undefined) continue;
      where.push(`${column} = @${field}`);
      params[field] = filter[field];
    }
    if (filter.mcpTasks) where.push("mcp_task IS NOT NULL");
    if (filter.roots) where.push("parent_id IS NULL");
    if (filter.agentId !== undefined) {
      where.push(`(json_extract(args, '$.agentId') = @agentId
        OR EXISTS (SELECT 1 FROM json_each(args, '$.agentIds') WHERE value = @agentId)
        OR (kind <> 'task' AND EXISTS (SELECT 1 FROM jobs m
              WHERE m.canvas_id = jobs.id AND json_extract(m.args, '$.agentId') = @agentId)))`);
      params.agentId = filter.agentId;
    }
    if (filter.cursor) {
      const [createdAt, id] = decodeCursor(filter.cursor);
      where.push("(created_at < @cursorAt OR (created_at = @cursorAt AND id < @cursorId))");
      params.cursorAt = createdAt;
      params.cursorId = id;
    }
    const limit = pageSize(filter.limit);
    const rows = this.#sql(
      `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
    ).all(params) as Row[];
    const jobs = rows.slice(0, limit).map(decodeJob);
    const last = jobs[jobs.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null;
    return { jobs, nextCursor };
  }

  async claimCandidates(q: ClaimQuery): Promise<StoredJob[]> {
    const rows = this.#sql(
      // walked in the ORDER BY's own order, stopping at LIMIT, never sorting the backlog
      `SELECT * FROM jobs INDEXED BY jobs_claimable
       WHERE queue = @queue AND state IN ('queued', 'retrying') AND due_at <= @now
         AND task IN (SELECT value FROM json_each(@tasks))
       ORDER BY priority DESC, due_at ASC ${limitSql(q.limit)}`,
    ).all({ queue: q.queue, now: q.now, tasks: JSON.stringify(q.tasks) }) as Row[];
    return rows.map(decodeJob);
  }

  async nextDueAt(queue: QueueName, tasks: readonly string[]): Promise<number | null> {
    const row = this.#sql(
      `SELECT MIN(due_at) AS due FROM jobs
       WHERE queue = @queue AND state IN ('queued', 'retrying') AND task IN (SELECT value FROM json_each(@tasks))`,
    ).get({ queue, tasks: JSON.stringify(tasks) }) as { due: number | null };
    return row.due;
  }

  async renewLeases(owner: string, ids: readonly string[], until: number) {
    const rows = this.#sql(
      `UPDATE jobs SET lease_expires_at = @until
       WHERE state = 'running' AND lease_owner = @owner AND id IN (SELECT value FROM json_each(@ids))
       RETURNING id, cancel_requested`,
    ).all({ owner, until, ids: JSON.stringify(ids) }) as Array<{ id: string; cancel_requested: number }>;
    return {
      held: new Set(rows.map((r) => r.id)),
      cancelRequested: new Set(rows.filter((r) => r.cancel_requested === 1).map((r) => r.id)),
    };
  }

  async cancelRequested(owner: string, ids: readonly string[]): Promise<Set<string>> {
    const rows = this.#sql(
      `SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(@ids))
         AND state = 'running' AND lease_owner = @owner AND cancel_requested = 1`,
    ).all({ owner, ids: JSON.stringify(ids) }) as Array<{ id: string }>;
    return new Set(rows.map((r) => r.id));
  }

  async abandoned(now: number, owner: string | null, limit: number): Promise<StoredJob[]> {
    const rows = this.#sql(
      `SELECT * FROM jobs WHERE state = 'running' AND (lease_expires_at <= @now OR lease_owner = @owner) ${limitSql(limit)}`,
    ).all({ now, owner }) as Row[];
    return rows.map(decodeJob);
  }

  async expiredUnstarted(now: number, limit: number): Promise<StoredJob[]> {
    const rows = this.#sql(
      `SELECT * FROM jobs WHERE state IN ('queued', 'retrying') AND expires_at IS NOT NULL AND expires_at <= @now
         AND phase = 'run' ${limitSql(limit)}`,
    ).all({ now }) as Row[];
    return rows.map(decodeJob);
  }

  async chordsPastDeadline(now: number, limit: number): Promise<StoredJob[]> {
    const rows = this.#sql(
      `SELECT * FROM jobs WHERE kind = 'chord' AND state = 'waiting' AND callback_id IS NULL
         AND deadline_at IS NOT NULL AND deadline_at <= @now ${limitSql(limit)}`,
    ).all({ now }) as Row[];
    return rows.map(decodeJob);
  }

  async members(canvasId: string, limit?: number): Promise<StoredJob[]> {
    const rows = this.#sql(`SELECT * FROM jobs WHERE canvas_id = ? ORDER BY canvas_index ${limitSql(limit ?? -1)}`).all(
      canvasId,
    ) as Row[];
    return rows.map(decodeJob);
  }

  async memberOutcomes(canvasId: string, page?: MemberPage): Promise<ChordMemberOutcome[]> {
    const rows = this.#sql(
      `SELECT id, task, state, result, error,
         CASE WHEN state = 'succeeded' THEN NULL ELSE args END AS args
       FROM jobs WHERE canvas_id = @canvasId AND canvas_index > @after ORDER BY canvas_index ${limitSql(page?.limit ?? -1)}`,
    ).all({ canvasId, after: page?.afterIndex ?? -1 }) as Array<{
      id: string;
      task: string;
      state: JobState;
      result: string | null;
      error: string | null;
      args: string | null;
    }>;
    return rows.map((r) => {
      const outcome: ChordMemberOutcome = { jobId: r.id, task: r.task, state: r.state };
      if (r.state === "succeeded") outcome.result = r.result === null ? null : JSON.parse(r.result);
      if (r.error !== null) outcome.error = JSON.parse(r.error) as ChordMemberOutcome["error"];
      if (r.args !== null) outcome.args = JSON.parse(r.args);
      return outcome;
    });
  }

  async memberFinished(parentId: string, now: number): Promise<{ open: number; total: number } | undefined> {
    return this.#sql(
      `UPDATE jobs SET open_members = open_members - 1, updated_at = @now,
         progress = json_object('done', json_extract(args, '$.size') - open_members + 1,
                                'total', json_extract(args, '$.size'))
       WHERE id = @id AND state = 'waiting' AND kind IN ('group', 'chord') AND callback_id IS NULL
       RETURNING open_members AS open, json_extract(args, '$.size') AS total`,
    ).get({ id: parentId, now }) as { open: number; total: number } | undefined;
  }

  async memberReopened(parentId: string, now: number): Promise<boolean> {
    const { changes } = this.#sql(
      `UPDATE jobs SET open_members = open_members + 1, updated_at = @now,
         progress = json_object('done', json_extract(args, '$.size') - open_members - 1,
                                'total', json_extract(args, '$.size'))
       WHERE id = @id AND state = 'waiting' AND kind IN ('group', 'chord') AND callback_id IS NULL`,
    ).run({ id: parentId, now });
    return changes === 1;
  }

  async delete(ids: readonly string[]): Promise<void> {
    const list = JSON.stringify(ids);
    this.#sql("DELETE FROM job_events WHERE job_id IN (SELECT value FROM json_each(?))").run(list);
    this.#sql("DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))").run(list);
  }

  async prunable(before: number, limit: number): Promise<string[]> {
    const rows = this.#sql(
      `SELECT j.id FROM jobs j
       WHERE j.finished_at IS NOT NULL AND j.finished_at < @before
         AND j.state IN ('succeeded', 'failed', 'dead', 'cancelled', 'expired')
         AND NOT EXISTS (SELECT 1 FROM jobs p WHERE p.id = j.parent_id AND p.state NOT IN (${TERMINAL_SQL}))
         AND NOT EXISTS (SELECT 1 FROM jobs m WHERE m.canvas_id = j.id AND m.state NOT IN (${TERMINAL_SQL}))
       ${limitSql(limit)}`,
    ).all({ before }) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  async oldestUnsettledMoneyJobAt(): Promise<number | null> {
    return this.#sql(
      `SELECT MIN(created_at) FROM jobs
       WHERE kind = 'task' AND money = 1 AND state NOT IN ('succeeded', 'cancelled', 'expired')`,
    )
      .pluck()
      .get() as number | null;
  }

  async stateCounts(kind: "task" | "canvas" = "task"): Promise<StateCount[]> {
    return this.#sql(
      `SELECT queue, state, COUNT(*) AS count FROM jobs WHERE kind ${kind === "task" ? "=" : "<>"} 'task'
       GROUP BY queue, state`,
    ).all() as StateCount[];
  }

  async finishedSince(since: number): Promise<FinishedRun[]> {
    return this.#sql(
      `SELECT queue, finished_at AS finishedAt, finished_at - started_at AS runtimeMs FROM jobs
       WHERE kind = 'task' AND finished_at >= ? AND started_at IS NOT NULL`,
    ).all(since) as FinishedRun[];
  }

  async betBatchTotals(canvasIds: readonly string[]): Promise<BetBatchTotals[]> {
    if (canvasIds.length === 0) return [];
    const seeds = "json_array_length(m.args, '$.clientSeeds')";
    const done = `m.state IN (${TERMINAL_SQL})`;
    return this.#sql(
      `WITH m AS (
         SELECT id, canvas_id, state, args FROM jobs
         WHERE canvas_id IN (SELECT value FROM json_each(@ids)) AND task = @task
       ), b AS (
         SELECT job_id, COUNT(*) AS n, SUM(won) AS wins, SUM(stake) AS staked, SUM(net) AS net FROM bets
         WHERE job_id IN (SELECT id FROM m) GROUP BY job_id
       )
       SELECT m.canvas_id AS canvasId, MIN(json_extract(m.args, '$.bet.game')) AS game,
         COUNT(*) AS callsTotal, SUM(${done}) AS callsDone,
         SUM(${seeds}) AS betsTotal, SUM(CASE WHEN ${done} THEN ${seeds} ELSE COALESCE(b.n, 0) END) AS betsDone,
         COALESCE(SUM(b.n), 0) AS settled, COALESCE(SUM(b.wins), 0) AS wins,
         COALESCE(SUM(b.staked), 0) AS staked, COALESCE(SUM(b.net), 0) AS pnl
       FROM m LEFT JOIN b ON b.job_id = m.id GROUP BY m.canvas_id`,
    ).all({ ids: JSON.stringify(canvasIds), task: TASK.betBatch }) as BetBatchTotals[];
  }

  async activity(since: number, limit: number): Promise<JobActivity[]> {
    // two index walks (jobs_finished, jobs_state) rather than a scan of every row ever kept
    return this.#sql(
      `SELECT queue, state, created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt FROM (
         SELECT * FROM jobs WHERE finished_at >= @since AND kind = 'task'
         UNION ALL
         SELECT * FROM jobs WHERE state IN ('queued', 'running', 'retrying') AND finished_at IS NULL AND kind = 'task'
       ) ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ).all({ since, limit }) as JobActivity[];
  }

  async leaseHolders(): Promise<LeaseHolder[]> {
    return this.#sql(
      `SELECT lease_owner AS owner, COUNT(*) AS jobs, MAX(lease_expires_at) AS leaseExpiresAt FROM jobs
       WHERE state = 'running' AND lease_owner IS NOT NULL GROUP BY lease_owner ORDER BY lease_owner`,
    ).all() as LeaseHolder[];
  }

  #keyOwner(key: string): string | undefined {
    const row = this.#sql("SELECT id FROM jobs WHERE idempotency_key = ?").get(key) as { id: string } | undefined;
    return row?.id;
  }

  #sql(text: string) {
    return this.#conn.sql(text);
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "SQLITE_CONSTRAINT_UNIQUE";
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
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the error below
  }
  throw new FleetError("INVALID_INPUT", `cursor \`${cursor}\` is not one this server returned`, {
    hint: "pass the nextCursor of a previous page unchanged",
  });
}
