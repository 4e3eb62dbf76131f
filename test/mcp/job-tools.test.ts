import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { CallToolResultSchema, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { awaitJob } from "../../src/mcp/wait.js";
import { type Harness, ok, startHarness, toolError } from "./harness.js";

interface JobOut {
  job: { id: string; state: string; task: string; error: { code: string } | null; args: unknown; result: unknown };
  finished: boolean;
  members: Record<string, number> | null;
  events?: Array<{ to: string; reason: string }>;
  bets?: Array<Record<string, unknown>>;
}

let h: Harness;
let agentId: string;
let seq = 0;

/** One bet in one `bets/batch` call: $0.01 (10,000 micro-USD) on heads. */
const betArgs = () => ({
  agentId,
  bet: { game: "coin-flip", side: "heads" },
  amount: 10_000,
  clientSeeds: [`job-tools-${Date.now()}-${++seq}`],
});

beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
  h.fleet.deps.sandbox!.fund(agentId, 20);
});
afterAll(async () => h?.close());

describe("job_status", () => {
  it("waits for a job, sending progress notifications while it does", async () => {
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, betArgs(), { dueAt: Date.now() + 300 });
    const progress: number[] = [];
    const result = (await h.client.callTool(
      { name: "job_status", arguments: { job_id: job.id, wait_seconds: 20, include_events: true } },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p.progress) },
    )) as CallToolResult;
    const out = ok<JobOut>(result);
    expect(out.finished).toBe(true);
    expect(out.job.state).toBe("succeeded");
    expect(out.job.result).toMatchObject({
      agentId,
      placed: 1,
      wagered_usd: 0.01,
      refused: [],
    });
    expect(out.bets).toEqual([expect.objectContaining({ client_seed: expect.any(String), stake_usd: 0.01 })]);
    expect(out.events?.map((e) => e.to)).toContain("succeeded");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it("answers at once with the job id and state when the job is not done", async () => {
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, betArgs(), { dueAt: Date.now() + 3_600_000 });
    const out = ok<JobOut>(await h.call("job_status", { job_id: job.id }));
    expect(out).toMatchObject({ finished: false, job: { id: job.id, state: "queued" } });
    await h.fleet.deps.engine.cancel(job.id, "test cleanup");
  });

  it("reports members of a group by state", async () => {
    const group = await h.fleet.deps.engine.group({
      members: [1, 2, 3].map(() => ({ task: TASK.betBatch, args: betArgs() })),
    });
    const out = ok<JobOut>(await h.call("job_status", { job_id: group.id, wait_seconds: 20 }));
    expect(out.finished).toBe(true);
    expect(out.members).toEqual({ succeeded: 3 });
  });

  it("says NOT_FOUND for an unknown id", async () => {
    expect(toolError(await h.call("job_status", { job_id: "no-such-job" })).code).toBe("NOT_FOUND");
  });
});

describe("cancel_job", () => {
  it("revokes a queued job so it never runs", async () => {
    const requests = h.fleet.deps.sandbox!.stats().requests;
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, betArgs(), { dueAt: Date.now() + 3_600_000 });
    const out = ok<{ job: { state: string } }>(
      await h.call("cancel_job", { job_id: job.id, reason: "changed my mind" }),
    );
    expect(out.job.state).toBe("cancelled");
    expect((await h.fleet.deps.engine.get(job.id))?.state).toBe("cancelled");
    expect(h.fleet.deps.sandbox!.stats().requests).toBe(requests);
  });
});

describe("retry_job", () => {
  it("re-queues a failed job, which then succeeds", async () => {
    const warnings: string[] = [];
    h.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      warnings.push(String(n.params.data));
    });
    await h.fleet.deps.fleet.pause({ agentId, reason: "test: hold bets" });
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, betArgs());
    const failed = await h.fleet.deps.engine.wait(job.id, { timeoutMs: 20_000 });
    expect(failed.state).toBe("failed");
    expect(failed.error?.code).toBe("TRADING_PAUSED");
    // The client hears about the failure as an MCP log message.
    await expect.poll(() => warnings.some((w) => w.includes(job.id) && w.includes("TRADING_PAUSED"))).toBe(true);

    const listed = ok<{ jobs: Array<{ id: string }> }>(await h.call("list_jobs", { state: ["failed"] }));
    expect(listed.jobs.map((j) => j.id)).toContain(job.id);

    await h.fleet.deps.fleet.resume({ agentId });
    const retried = ok<{ job: { id: string; state: string } }>(await h.call("retry_job", { job_id: job.id }));
    expect(["queued", "running", "succeeded"]).toContain(retried.job.state);
    const done = ok<JobOut>(await h.call("job_status", { job_id: job.id, wait_seconds: 20 }));
    expect(done.job.state).toBe("succeeded");
  });
});

describe("list_jobs and queue_stats", () => {
  it("pages through jobs with a cursor and filters by task", async () => {
    const first = ok<{ jobs: Array<{ id: string; task: string }>; next_cursor: string | null }>(
      await h.call("list_jobs", { task: TASK.betBatch, limit: 2 }),
    );
    expect(first.jobs).toHaveLength(2);
    expect(first.jobs.every((j) => j.task === TASK.betBatch)).toBe(true);
    expect(first.next_cursor).not.toBeNull();
    const second = ok<{ jobs: Array<{ id: string }> }>(
      await h.call("list_jobs", { task: TASK.betBatch, limit: 2, cursor: first.next_cursor }),
    );
    expect(second.jobs.map((j) => j.id)).not.toContain(first.jobs[0]!.id);
  });

  it("counts work per queue", async () => {
    const out = ok<{ queues: Array<{ queue: string; succeeded: number; concurrency: number }> }>(
      await h.call("queue_stats"),
    );
    const casino = out.queues.find((q) => q.queue === "casino");
    expect(casino?.succeeded).toBeGreaterThanOrEqual(4);
    expect(casino?.concurrency).toBe(8);
  });
});

describe("money in job views", () => {
  it("job_status and list_jobs show a bet batch's stake and outcome in USD; the row keeps micro-USD", async () => {
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, betArgs());
    const out = ok<JobOut>(await h.call("job_status", { job_id: job.id, wait_seconds: 20 }));
    expect(out.job.state).toBe("succeeded");
    expect(out.job.args).toEqual({
      agentId,
      bet: { game: "coin-flip", side: "heads" },
      amount_usd: 0.01,
      clientSeeds: [expect.any(String)],
    });
    // the result's totals and each bet's net, in USD
    const result = out.job.result as Record<string, unknown>;
    expect(result).toMatchObject({ placed: 1, wagered_usd: 0.01, returned_usd: expect.any(Number) });
    for (const micro of ["wagered", "returned", "pnl", "nets"]) expect(result).not.toHaveProperty(micro);
    expect(result.nets_usd).toEqual([result.pnl_usd]);
    expect(result.pnl_usd).toBeCloseTo((result.returned_usd as number) - 0.01, 9);
    // each bet's receipt, read from the ledger
    expect(out.bets).toHaveLength(1);
    const bet = out.bets![0]!;
    expect(bet).toMatchObject({
      client_seed: out.job.args && (out.job.args as { clientSeeds: string[] }).clientSeeds[0],
    });
    expect(bet).toMatchObject({
      stake_usd: 0.01,
      payout_usd: result.returned_usd,
      net_usd: result.pnl_usd,
      source: "response",
    });
    // Internally nothing changed: the job row holds integer micro-USD.
    expect((await h.fleet.deps.engine.get(job.id))?.args).toMatchObject({ amount: 10_000 });

    const listed = ok<{ jobs: Array<{ id: string; args: unknown; result: unknown }> }>(
      await h.call("list_jobs", { task: TASK.betBatch, limit: 200 }),
    );
    expect(listed.jobs.find((j) => j.id === job.id)).toMatchObject({ args: out.job.args, result: out.job.result });
  });

  it("a batch's chord shows its aggregate in USD, matching the batch tool's summary", async () => {
    const batch = ok<{ job_id: string; summary: { wagered_usd: number; total_pnl_usd: number } }>(
      await h.call("place_coinflip_batch", { side: "tails", count: 2, amount: 0.01, agent_ids: [agentId] }),
    );
    const out = ok<JobOut>(await h.call("job_status", { job_id: batch.job_id }));
    expect(out.job.state).toBe("succeeded");
    expect(out.job.result).toMatchObject({
      totalBets: 2,
      wagered_usd: 0.02,
      total_pnl_usd: batch.summary.total_pnl_usd,
      best: { net_usd: expect.any(Number) },
      worst: { net_usd: expect.any(Number) },
    });
    expect(out.job.result).not.toHaveProperty("wagered");
    expect(out.job.result).not.toHaveProperty("totalPnl");
  });
});

describe("awaitJob", () => {
  it("stops waiting when the request is aborted, and cancels the job only when asked", async () => {
    const keep = await h.fleet.deps.engine.enqueue(TASK.betBatch, betArgs(), { dueAt: Date.now() + 3_600_000 });
    const drop = await h.fleet.deps.engine.enqueue(TASK.betBatch, betArgs(), { dueAt: Date.now() + 3_600_000 });
    const ctx = (signal: AbortSignal) => ({ signal, sessionId: undefined, progress: async () => {} });

    const a = new AbortController();
    const waitingKeep = awaitJob(h.fleet.deps, keep.id, { waitSeconds: 50, ctx: ctx(a.signal) });
    const b = new AbortController();
    const waitingDrop = awaitJob(h.fleet.deps, drop.id, { waitSeconds: 50, ctx: ctx(b.signal), cancelOnAbort: true });
    a.abort();
    b.abort();
    const [kept, dropped] = await Promise.all([waitingKeep, waitingDrop]);
    expect(kept).toMatchObject({ aborted: true, cancelled: false, finished: false });
    expect((await h.fleet.deps.engine.get(keep.id))?.state).toBe("queued");
    expect(dropped).toMatchObject({ aborted: true, cancelled: true });
    expect((await h.fleet.deps.engine.get(drop.id))?.state).toBe("cancelled");
    await h.fleet.deps.engine.cancel(keep.id, "test cleanup");
  });
});
