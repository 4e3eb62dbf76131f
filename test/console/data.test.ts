/**
 * The console's read models against a real fleet: the embedded sandbox, the real engine and SQLite, work done
 * through the MCP tools. Each view is checked against what the store holds, read independently (SQL on the
 * database file) or through the tool that reports the same figure.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  consoleHealth,
  consoleJobDetail,
  consoleJobs,
  consoleMoney,
  consoleOverview,
  consoleSchedules,
  type JobItem,
} from "../../src/console/data/index.js";
import { FleetError } from "../../src/errors.js";
import { DEFAULT_LEASE_MS } from "../../src/jobs/engine.js";
import { buildTaskJob } from "../../src/jobs/job-factory.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import type { TaskDefinition } from "../../src/jobs/types.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { type Harness, ok, startHarness } from "../mcp/harness.js";

let h: Harness;
let agentA: string;
let agentB: string;
let batchA: string;
let batchB: string;
let retried: string;
let escrowId: string;
const summaryA = { total_bets: 0, wins: 0, losses: 0, total_pnl_usd: 0 };

const deps = () => h.fleet.deps;
const q = (params: Record<string, string> = {}) => new URLSearchParams(params);
const sql = <T>(text: string, ...params: unknown[]) =>
  sqliteDbForTests(deps().storage)
    .prepare(text)
    .all(...params) as T[];

beforeAll(async () => {
  // pf-fleet's own rate limiter on (and the sandbox's), so the health view has keys to show
  h = await startHarness({}, { sandbox: { rateLimits: true } });
  const register = async () => ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
  agentA = await register();
  agentB = await register();
  for (const agent_id of [agentA, agentB]) ok(await h.call("sandbox_fund_agent", { agent_id, amount: 5 }));

  const flips = async (agent: string, count: number) =>
    ok<{ job_id: string; status: string; summary: typeof summaryA }>(
      await h.call("place_coinflip_batch", {
        side: "heads",
        count,
        amount: 0.01,
        agent_ids: [agent],
        wait_seconds: 30,
      }),
    );
  const a = await flips(agentA, 60);
  expect(a.status).toBe("finished");
  batchA = a.job_id;
  Object.assign(summaryA, a.summary);
  batchB = (await flips(agentB, 20)).job_id;

  // a job that fails (its agent is paused), then is retried through the tool and succeeds: two attempts
  ok(await h.call("pause_trading", { agent_id: agentA, reason: "console test: hold A" }));
  const job = await deps().engine.enqueue(TASK.betBatch, {
    agentId: agentA,
    bet: { game: "coin-flip", side: "tails" },
    amount: 10_000,
    clientSeeds: [`console-data-${Date.now()}`],
  });
  expect((await deps().engine.wait(job.id, { timeoutMs: 20_000 })).state).toBe("failed");
  ok(await h.call("resume_trading", { agent_id: agentA }));
  ok(await h.call("retry_job", { job_id: job.id }));
  expect((await deps().engine.wait(job.id, { timeoutMs: 20_000 })).state).toBe("succeeded");
  retried = job.id;

  // an escrow that stays open (manual validation: never released automatically); its description is markup
  const escrow = ok<{ escrow_id: string | null }>(
    await h.call("create_escrow_chain", {
      agent_id: agentA,
      counterparty_agent_id: agentB,
      amount: 0.5,
      description: "<img src=x onerror=alert(1)> console test work",
      validation: "manual",
      wait_seconds: 20,
    }),
  );
  escrowId = escrow.escrow_id as string;
  expect(escrowId).toMatch(/^esc_/);

  // the wallet monitor's snapshot: what the money view shows as the server balance
  const fired = ok<{ job_id: string }>(await h.call("run_schedule_now", { name: "wallet-balance-check" }));
  expect((await deps().engine.wait(fired.job_id, { timeoutMs: 20_000 })).state).toBe("succeeded");
}, 60_000);
afterAll(async () => h?.close());

/** every page of a jobs query, following next_cursor */
async function allPages(params: Record<string, string>): Promise<{ ids: string[]; pages: number; jobs: JobItem[] }> {
  const jobs: JobItem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await consoleJobs(deps(), q({ ...params, ...(cursor ? { cursor } : {}) }));
    jobs.push(...page.jobs);
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < 100);
  return { ids: jobs.map((j) => j.id), pages, jobs };
}

async function invalid(fn: () => Promise<unknown>): Promise<FleetError> {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FleetError);
  expect((err as FleetError).code).toBe("INVALID_INPUT");
  expect((err as FleetError).hint).toBeTruthy();
  return err as FleetError;
}

describe("the jobs list", () => {
  it("shows a bet batch as ONE root row whose totals are the ledger's and the batch tool's", async () => {
    const roots = await allPages({ limit: "200" });
    const row = roots.jobs.find((j) => j.id === batchA);
    expect(row).toMatchObject({ kind: "chord", state: "succeeded", agent_id: null, parent_id: null });
    // none of its members is a root row
    const members = sql<{ id: string }>("SELECT id FROM jobs WHERE canvas_id = ?", batchA).map((m) => m.id);
    expect(members.length).toBe(4); // three calls of 20 bets and the aggregate callback
    expect(roots.ids.filter((id) => members.includes(id))).toEqual([]);

    const [ledger] = sql<{ n: number; wins: number; staked: number; pnl: number }>(
      `SELECT COUNT(*) AS n, SUM(won) AS wins, SUM(stake) AS staked, SUM(net) AS pnl FROM bets
       WHERE job_id IN (SELECT id FROM jobs WHERE canvas_id = ?)`,
      batchA,
    );
    expect(row?.batch).toEqual({
      game: "coin-flip",
      calls_total: 3,
      calls_done: 3,
      bets_total: 60,
      bets_done: 60,
      wins: ledger?.wins,
      losses: (ledger?.n ?? 0) - (ledger?.wins ?? 0),
      staked_usd: (ledger?.staked ?? 0) / 1e6,
      pnl_usd: (ledger?.pnl ?? 0) / 1e6,
    });
    expect(ledger?.n).toBe(60);
    expect(row?.batch).toMatchObject({
      wins: summaryA.wins,
      losses: summaryA.losses,
      pnl_usd: summaryA.total_pnl_usd,
    });
  });

  it("pages through the roots past the first page with no duplicate and no gap", async () => {
    const paged = await allPages({ limit: "2" });
    const expected = sql<{ id: string }>(
      "SELECT id FROM jobs WHERE parent_id IS NULL ORDER BY created_at DESC, id DESC",
    ).map((r) => r.id);
    expect(paged.pages).toBeGreaterThan(2);
    expect(paged.ids).toEqual(expected);
    expect(new Set(paged.ids).size).toBe(paged.ids.length);
  });

  it("lists one canvas's members in pages, and filters by state, task and agent", async () => {
    const members = await allPages({ canvas: batchA, limit: "1" });
    expect(members.pages).toBe(4);
    expect(new Set(members.jobs.map((j) => j.task))).toEqual(new Set([TASK.betBatch, TASK.aggregateBets]));
    expect(members.jobs.every((j) => j.canvas_id === batchA && j.parent_id === batchA)).toBe(true);
    expect(members.jobs.filter((j) => j.task === TASK.betBatch).every((j) => j.agent_id === agentA)).toBe(true);

    const failedOrDone = await allPages({ view: "all", state: "failed,succeeded", task: TASK.betBatch, limit: "3" });
    const expected = sql<{ id: string }>(
      "SELECT id FROM jobs WHERE task = ? AND state IN ('failed', 'succeeded') ORDER BY created_at DESC, id DESC",
      TASK.betBatch,
    ).map((r) => r.id);
    expect(failedOrDone.ids).toEqual(expected);
    expect(failedOrDone.ids).toContain(retried);

    const ofA = await allPages({ agent: agentA, limit: "2" });
    expect(ofA.ids).toContain(batchA);
    expect(ofA.ids).toContain(retried);
    expect(ofA.ids).not.toContain(batchB);
    const ofB = await allPages({ agent: agentB });
    expect(ofB.ids).toContain(batchB);
    expect(ofB.ids).not.toContain(batchA);
    // every row names the agent itself, or is a canvas one of whose members does
    for (const j of ofA.jobs.filter((j) => j.agent_id !== agentA)) {
      expect(j.kind).not.toBe("task");
      const detail = await consoleJobDetail(deps(), j.id);
      const ids = detail?.job.canvas?.members.map((m) => m.id) ?? [];
      const agents = await Promise.all(
        ids.map(async (id) => (await consoleJobDetail(deps(), id as string))?.job.agent_id),
      );
      expect(agents).toContain(agentA);
    }
  });

  it("refuses values it cannot mean with INVALID_INPUT and a hint", async () => {
    const bad: Array<Record<string, string>> = [
      { state: "running,bogus" },
      { limit: "0" },
      { limit: "201" },
      { limit: "ten" },
      { queue: "nowhere" },
      { agent: "<script>" },
      { view: "tree" },
      { canvas: batchA, view: "roots" },
      { cursor: "not a cursor!" },
      { cursor: Buffer.from('{"x":1}').toString("base64url") },
      { colour: "red" },
    ];
    for (const params of bad) {
      await invalid(() => consoleJobs(deps(), q(params)));
    }
    await invalid(() => consoleHealth(deps(), q({ window: "week" })));
  });
});

describe("the job detail", () => {
  it("lists every state change in order and each attempt with its duration and outcome", async () => {
    const detail = await consoleJobDetail(deps(), retried);
    const job = detail?.job;
    expect(job).toMatchObject({ state: "succeeded", attempts: 1, agent_id: agentA, canvas: null });
    const stored = await deps().engine.events(retried);
    expect(job?.events.map((e) => [e.from, e.to])).toEqual(stored.map((e) => [e.from, e.to]));
    const times = job?.events.map((e) => Date.parse(e.at)) ?? [];
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(job?.events[0]).toMatchObject({ from: null, to: "queued" });

    expect(job?.attempts_detail.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    for (const a of job?.attempts_detail ?? []) {
      expect(a.duration_ms).toBe(Date.parse(a.ended_at as string) - Date.parse(a.started_at));
    }
    // amounts in USD, never micro-USD
    expect(job?.args).toMatchObject({ agentId: agentA, amount_usd: 0.01 });
    expect(JSON.stringify(job?.args)).not.toContain("10000");
    expect(job?.actions).toEqual({ retry: false, cancel: false });
  });

  it("shows a batch's canvas: its members in order, and a member's parent", async () => {
    const chord = (await consoleJobDetail(deps(), batchA))?.job;
    expect(chord?.canvas).toMatchObject({ parent: null, members_total: 4, next_step: null });
    expect(chord?.canvas?.members.map((m) => m.task)).toEqual([
      TASK.betBatch,
      TASK.betBatch,
      TASK.betBatch,
      TASK.aggregateBets,
    ]);
    expect(chord?.result).toMatchObject({ totalBets: 60, totalPnl_usd: summaryA.total_pnl_usd });
    const member = chord?.canvas?.members[0]?.id as string;
    const detail = (await consoleJobDetail(deps(), member))?.job;
    expect(detail?.canvas?.parent).toMatchObject({ id: batchA, task: "chord", state: "succeeded" });
    expect(detail?.result).toMatchObject({ agentId: agentA });
    expect(await consoleJobDetail(deps(), "01900000-0000-7000-8000-000000000000")).toBeUndefined();
  });
});

describe("the overview", () => {
  it("counts task jobs by state as the store holds them", async () => {
    const o = await consoleOverview(deps());
    const counts = sql<{ state: string; n: number }>(
      "SELECT state, COUNT(*) AS n FROM jobs WHERE kind = 'task' GROUP BY state",
    );
    for (const c of counts) expect(o.counts[c.state as keyof typeof o.counts]).toBe(c.n);
    expect(o.mode).toBe("sandbox");
    expect(o.queues.find((x) => x.queue === "casino")?.succeeded).toBe(
      sql<{ n: number }>(
        "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'task' AND queue = 'casino' AND state = 'succeeded'",
      )[0]?.n,
    );
  });
});

describe("the money view", () => {
  it("agrees with wallet_balance, get_risk_limits and pnl_report, and lists the open escrow", async () => {
    const money = await consoleMoney(deps());
    const risk = ok<{
      fleet_loss_headroom_usd: number;
      fleet_lost_today_usd: number;
      agents: Array<{ agent_id: string; lost_today_usd: number; loss_headroom_usd: number }>;
    }>(await h.call("get_risk_limits", {}));
    const wallet = ok<{ agents: Array<{ agent_id: string; balance_usd: number; local_ledger_usd: number }> }>(
      await h.call("wallet_balance", {}),
    );
    const pnl = ok<{ totals: { pnl_usd: number } }>(await h.call("pnl_report", { period: "today" }));

    expect(money.fleet.loss_headroom_usd).toBe(risk.fleet_loss_headroom_usd);
    expect(Math.max(0, -money.fleet.today_pnl_usd)).toBe(risk.fleet_lost_today_usd);
    expect(money.fleet.today_pnl_usd).toBeCloseTo(pnl.totals.pnl_usd, 6);
    for (const id of [agentA, agentB]) {
      const line = money.agents.find((a) => a.agent_id === id);
      const r = risk.agents.find((a) => a.agent_id === id);
      const w = wallet.agents.find((a) => a.agent_id === id);
      expect(line?.loss_headroom_usd).toBe(r?.loss_headroom_usd);
      expect(Math.max(0, -(line?.today_pnl_usd ?? 0))).toBeCloseTo(r?.lost_today_usd ?? -1, 6);
      expect(line?.local_ledger_usd).toBe(w?.local_ledger_usd);
      // the monitor's snapshot was taken after the last money moved: it is the balance the server reports now
      expect(line?.server_balance_usd).toBeCloseTo(w?.balance_usd ?? -1, 6);
      expect(line).toMatchObject({ difference_usd: 0, explanation: null });
      expect(line?.loss_used_fraction).toBeGreaterThanOrEqual(0);
      expect(line?.loss_used_fraction).toBeLessThanOrEqual(1);
    }
    expect(money.escrows).toEqual([
      expect.objectContaining({
        escrow_id: escrowId,
        agent_id: agentA,
        counterparty: agentB,
        amount_usd: 0.5,
        state: "funded",
        description: "<img src=x onerror=alert(1)> console test work",
      }),
    ]);
    expect(Date.parse(money.escrows[0]?.deadline_at as string)).toBeGreaterThan(Date.now());

    // one day of bets so far: the cumulative fleet PnL is every bet's net
    const [all] = sql<{ pnl: number }>("SELECT SUM(net) AS pnl FROM bets");
    expect(money.pnl_series.days).toHaveLength(1);
    expect(money.pnl_series.fleet).toEqual([(all?.pnl ?? 0) / 1e6]);
    const [ofA] = sql<{ pnl: number }>("SELECT SUM(net) AS pnl FROM bets WHERE agent_id = ?", agentA);
    expect(money.pnl_series.agents[agentA]).toEqual([(ofA?.pnl ?? 0) / 1e6]);
  });
});

describe("the health view", () => {
  it("buckets every job that finished in the window, and shows rate-limit keys and processes", async () => {
    // another process's running job: its lease names it, renewed a moment ago
    const now = Date.now();
    const refresh: TaskDefinition = {
      name: TASK.ledgerRefresh,
      queue: "wallet",
      moneyMoving: false,
      timeLimitMs: 60_000,
      retry: { maxAttempts: 1, baseDelayMs: 1_000, maxDelayMs: 1_000, jitter: 0 },
      args: z.object({}),
      run: async () => null,
    };
    const ghost = buildTaskJob(refresh, {}, {}, now);
    await deps().storage.transaction(async (tx) => {
      await tx.jobs.insert(
        {
          ...ghost,
          state: "running",
          attempts: 1,
          startedAt: now,
          leaseOwner: "other-host:42",
          leaseExpiresAt: now + DEFAULT_LEASE_MS,
        },
        { at: now, jobId: ghost.id, from: null, to: "running", reason: "claimed by other-host:42" },
      );
    });
    try {
      for (const window of ["hour", "day"] as const) {
        const health = await consoleHealth(deps(), q({ window }));
        const start = health.series.t[0] as number;
        expect(health.series.t).toHaveLength(window === "hour" ? 60 : 48);
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        const [finished] = sql<{ ok: number; bad: number }>(
          `SELECT SUM(state = 'succeeded') AS ok, SUM(state IN ('failed', 'dead', 'unknown')) AS bad FROM jobs
           WHERE kind = 'task' AND finished_at >= ?`,
          start * 1000,
        );
        expect(sum(health.series.succeeded)).toBe(finished?.ok);
        expect(sum(health.series.failed)).toBe(finished?.bad ?? 0);
        expect(health.series.running.at(-1)).toBe(1);
        // this process's engine (its heartbeat row, test/console/processes.test.ts), and the lease holder without one
        expect(health.processes.map((p) => [p.pid, p.status])).toEqual([
          [process.pid, "alive"],
          [null, "stale"],
        ]);
        expect(health.processes[1]).toMatchObject({
          owner: "other-host:42",
          jobs_leased: 1,
          last_heartbeat_at: null,
          lease_expires_at: new Date(now + DEFAULT_LEASE_MS).toISOString(),
        });
      }
      const health = await consoleHealth(deps(), q());
      const key = `casino:agent:${agentA}:batch`;
      const [calls] = sql<{ used: number }>(
        "SELECT SUM(cost) AS used FROM rate_calls WHERE key = ? AND at > ?",
        key,
        Date.now() - 61_000,
      );
      expect(health.rate_limits.find((r) => r.key === key)).toMatchObject({
        scope: "agent",
        agent_id: agentA,
        egress: null,
        used: calls?.used,
        limit: 10,
        window_seconds: 61,
        waiting_jobs: 0,
      });
      // the per-IP bucket of bets/batch is drawn per egress (this process's), for every agent together
      const egress = health.rate_limits.find((r) => r.key.startsWith("casino:ip:/bets/batch@egress:"));
      expect(egress).toMatchObject({ scope: "egress", agent_id: null, limit: 60, window_seconds: 61 });
      expect(egress?.egress).toBe(egress?.key.split("@egress:")[1]);
      expect(egress?.used).toBeGreaterThan(calls?.used ?? 0);
    } finally {
      await deps().storage.jobs.delete([ghost.id]);
    }
  });
});

describe("the schedules view", () => {
  it("lists what list_schedules lists, with the last manual run's job", async () => {
    const { schedules } = await consoleSchedules(deps());
    const listed = ok<{ schedules: Array<{ name: string; enabled: boolean; next_run_at: string | null }> }>(
      await h.call("list_schedules", {}),
    );
    expect(schedules.map((s) => [s.name, s.enabled])).toEqual(listed.schedules.map((s) => [s.name, s.enabled]));
    const check = schedules.find((s) => s.name === "wallet-balance-check");
    expect(check).toMatchObject({ task: TASK.balanceCheck, when: "every 300 s", money: false, origin: "builtin" });
    expect(check?.last_job_state).toBe("succeeded");
    expect(check?.last_job_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
