import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type CallToolResult,
  CallToolResultSchema,
  CreateTaskResultSchema,
  ErrorCode,
  McpError,
  type Task,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { isTerminal } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/log.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";
import { ok, startHarness, type ToolHarness } from "../tools/harness.js";

/**
 * MCP tasks backed by the job table (src/mcp/tasks.ts), through the SDK's own Client: a task-augmented call
 * returns a task whose id is the job's, tasks/get follows the job, tasks/result is the tool's own answer,
 * tasks/cancel cancels unsent bets, and a task outlives the server that created it.
 */

const LONG_TOOLS = [
  "place_crash_batch",
  "place_coinflip_batch",
  "place_dice_batch",
  "create_escrow_chain",
  "settle_escrows",
  "claim_faucet",
  "verify_bets",
  "run_schedule_now",
];

interface BatchOut {
  status: string;
  job_id: string;
  count: number;
  summary: { total_bets: number; failed: number; pending: number; wins: number; losses: number };
  progress: { done: number; total: number };
}

/** A task-augmented tools/call, as a host that speaks 2025-11-25 sends it. */
function callAsTask(client: Client, name: string, args: Record<string, unknown>) {
  return client.request({ method: "tools/call", params: { name, arguments: args } }, CreateTaskResultSchema, {
    task: { ttl: 60_000 },
  });
}

async function rpcError(p: Promise<unknown>): Promise<McpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof McpError)) throw new Error(`expected a JSON-RPC error, got ${JSON.stringify(err)}`);
  return err;
}

/** Polls tasks/get until `done` holds for the task (or fails the test after 20 s). */
async function pollTask(client: Client, taskId: string, done: (t: Task) => boolean): Promise<Task> {
  const until = Date.now() + 20_000;
  for (;;) {
    const task = await client.experimental.tasks.getTask(taskId);
    if (done(task)) return task;
    if (Date.now() > until) throw new Error(`task ${taskId} is still ${task.status}: ${task.statusMessage}`);
    await sleep(25);
  }
}

const betRoute = "POST /api/v1/bets/batch";

describe("MCP tasks over the SDK Client (in memory)", () => {
  let h: ToolHarness;
  let agent: string;
  const sandbox = () => h.fleet.deps.sandbox!;

  beforeAll(async () => {
    // one bet job at a time: which bets are sent, and when, is then up to the test
    h = await startHarness({ PF_CONCURRENCY: "casino=1" });
    agent = await h.agent(50);
  });
  afterAll(async () => {
    sandbox()?.setFaults(null);
    await h?.close();
  });

  it("advertises taskSupport optional on the long tools, and the capability", async () => {
    const { tools } = await h.client.listTools();
    const taskTools = tools.filter((t) => t.execution?.taskSupport === "optional").map((t) => t.name);
    expect(taskTools.sort()).toEqual([...LONG_TOOLS].sort());
    expect(h.client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
  });

  it("a task-augmented batch works with progress, completes, and tasks/result is the tool's own summary", async () => {
    sandbox().setFaults({ latencyMs: 250, scope: "money" });
    const settledBefore = sandbox().stats().betsSettled;
    const created = await callAsTask(h.client, "place_coinflip_batch", {
      side: "heads",
      count: 60,
      amount: 0.01,
      agent_ids: [agent],
    });
    const { taskId } = created.task;
    expect(created.task).toMatchObject({ status: "working", ttl: 24 * 3_600_000, pollInterval: 1_000 });
    // the task is the batch's chord: the job table is the task store
    const chord = await h.fleet.deps.engine.get(taskId);
    const members = (await h.fleet.deps.engine.list({ canvasId: taskId, limit: 10 })).jobs;
    expect(chord?.state).toBe("waiting");
    expect(members.filter((m) => m.task === "casino.bet_batch")).toHaveLength(3);

    const working = await pollTask(h.client, taskId, (t) => /^[1-9]\d* of 60 bets settled/.test(t.statusMessage ?? ""));
    expect(working.status).toBe("working");

    const result = (await h.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    sandbox().setFaults(null);
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as unknown as BatchOut;
    expect(out).toMatchObject({ status: "finished", job_id: taskId, count: 60, progress: { done: 60, total: 60 } });
    expect(out.summary).toMatchObject({ total_bets: 60, failed: 0, pending: 0 });
    expect(out.summary.wins + out.summary.losses).toBe(60);
    expect(sandbox().stats().betsSettled - settledBefore).toBe(60);
    expect(result._meta?.["io.modelcontextprotocol/related-task"]).toEqual({ taskId });
    const text = (result.content[0] as { text: string }).text;
    expect(text).toMatch(
      new RegExp(`^\\[sandbox\\] 60 × \\$0\\.01 coin flips on heads, job ${taskId}: 60 bets settled`),
    );

    expect(await h.client.experimental.tasks.getTask(taskId)).toMatchObject({ status: "completed" });

    // the same answer a call without `task` gives: the same fields, the same sentence
    const plain = await h.call("place_coinflip_batch", { side: "heads", count: 2, amount: 0.01, agent_ids: [agent] });
    const plainOut = ok<BatchOut>(plain);
    expect(plainOut.status).toBe("finished");
    expect(Object.keys(out).sort()).toEqual(Object.keys(plainOut).sort());
    expect((plain.content[0] as { text: string }).text).toMatch(/^\[sandbox\] 2 × \$0\.01 coin flips on heads, job /);
    // …and that call created no task
    const listed = await h.client.experimental.tasks.listTasks();
    expect(listed.tasks.map((t) => t.taskId)).toContain(taskId);
    expect(listed.tasks.map((t) => t.taskId)).not.toContain(plainOut.job_id);
  });

  it("tasks/cancel cancels the unsent bets: the sandbox never sees them", async () => {
    sandbox().setFaults({ latencyMs: 600, scope: "money" });
    sandbox().resetStats();
    // 10 bet jobs of 20, run one at a time
    const created = await callAsTask(h.client, "place_coinflip_batch", {
      side: "tails",
      count: 200,
      amount: 0.01,
      agent_ids: [agent],
    });
    const { taskId } = created.task;
    while ((sandbox().stats().byRoute[betRoute] ?? 0) === 0) await sleep(5);

    const cancelled = await h.client.experimental.tasks.cancelTask(taskId);
    expect(cancelled).toMatchObject({ taskId, status: "cancelled" });
    // the bet job on the wire is reconciled and recorded; every other member ends without being sent
    const members = async () => (await h.fleet.deps.engine.list({ canvasId: taskId, limit: 50 })).jobs;
    const finished = async () => (await members()).every((m) => isTerminal(m.state));
    for (let i = 0; i < 400 && !(await finished()); i++) await sleep(25);
    const ended = (await members()).map((m) => `${m.task} ${m.state}`);
    expect(ended.filter((e) => !e.endsWith("cancelled"))).toEqual(
      ended.filter((e) => e === "casino.bet_batch succeeded"),
    );
    await sleep(200);
    sandbox().setFaults(null);

    const sent = sandbox().stats().byRoute[betRoute] ?? 0;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(2);
    expect(sandbox().stats().betsSettled).toBe(sent * 20);

    expect(await h.client.experimental.tasks.getTask(taskId)).toMatchObject({ status: "cancelled" });
    const result = (await h.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    const out = result.structuredContent as unknown as BatchOut;
    expect(out.status).toBe("cancelled");
    expect(out.summary.total_bets).toBe(sent * 20);
    expect(out.summary.failed + out.summary.total_bets).toBe(200);

    // a cancelled (terminal) task cannot be cancelled again: -32602
    const again = await rpcError(h.client.experimental.tasks.cancelTask(taskId));
    expect(again.code).toBe(ErrorCode.InvalidParams);
  });

  it("answers -32602 for an unknown task id, and for cancelling a completed task", async () => {
    const unknown = "0190a0a0-0000-7000-8000-000000000000";
    for (const p of [
      h.client.experimental.tasks.getTask(unknown),
      h.client.experimental.tasks.getTaskResult(unknown, CallToolResultSchema),
      h.client.experimental.tasks.cancelTask(unknown),
    ]) {
      expect((await rpcError(p)).code).toBe(ErrorCode.InvalidParams);
    }
    // a plain job (not created as a task) is no task either
    const plain = ok<BatchOut>(
      await h.call("place_coinflip_batch", { side: "heads", count: 1, amount: 0.01, agent_ids: [agent] }),
    );
    expect((await rpcError(h.client.experimental.tasks.getTask(plain.job_id))).code).toBe(ErrorCode.InvalidParams);

    const created = await callAsTask(h.client, "verify_bets", { agent_ids: [agent], rotate: false });
    await pollTask(h.client, created.task.taskId, (t) => t.status === "completed");
    const late = await rpcError(h.client.experimental.tasks.cancelTask(created.task.taskId));
    expect(late.code).toBe(ErrorCode.InvalidParams);
    expect(late.message).toMatch(/terminal status: completed/);
  });

  it("refuses a task for a tool without task support (-32601) and bad arguments (-32602), submitting nothing", async () => {
    const rows = h.rows();
    const requests = h.requests();
    const refused = await rpcError(callAsTask(h.client, "register_agent", {}));
    expect(refused.code).toBe(ErrorCode.MethodNotFound);

    const bad = await rpcError(callAsTask(h.client, "place_coinflip_batch", { side: "edge", count: 5, amount: 0.01 }));
    expect(bad.code).toBe(ErrorCode.InvalidParams);
    expect(bad.message).toMatch(/INVALID_INPUT: invalid arguments for place_coinflip_batch: side/);
    expect(bad.data).toMatchObject({ error: { code: "INVALID_INPUT", retryable: false } });

    const dry = await rpcError(
      callAsTask(h.client, "place_coinflip_batch", { side: "heads", count: 5, amount: 0.01, dry_run: true }),
    );
    expect(dry.code).toBe(ErrorCode.InvalidParams);

    const unknownAgent = await rpcError(callAsTask(h.client, "claim_faucet", { agent_id: "ag_0000000000ff" }));
    expect(unknownAgent.data).toMatchObject({ error: { code: "NOT_FOUND" } });

    expect(h.rows()).toEqual(rows);
    expect(h.requests()).toBe(requests);
  });

  it("tasks/list pages through the tasks, newest first, and lists no plain job", async () => {
    const { schedules } = ok<{ schedules: Array<{ name: string }> }>(await h.call("list_schedules", {}));
    expect(schedules.map((s) => s.name)).toContain("daily-pnl-summary");
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) {
      ids.push((await callAsTask(h.client, "run_schedule_now", { name: "daily-pnl-summary" })).task.taskId);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.client.experimental.tasks.listTasks(cursor);
      seen.push(...page.tasks.map((t) => t.taskId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length);
    // newest first: the 21 just created lead, in reverse order of creation
    expect(seen.slice(0, 21)).toEqual([...ids].reverse());

    const last = ids.at(-1)!;
    await pollTask(h.client, last, (t) => t.status === "completed");
    const result = (await h.client.experimental.tasks.getTaskResult(last, CallToolResultSchema)) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ schedule: "daily-pnl-summary", job_id: last, manual: true });
    expect((result.content[0] as { text: string }).text).toMatch(new RegExp(`job ${last} succeeded$`));

    const bad = await rpcError(h.client.experimental.tasks.listTasks("not-a-cursor"));
    expect(bad.code).toBe(ErrorCode.InvalidParams);
  });
});

describe("a task outlives the server that created it", () => {
  let h: ToolHarness;
  let second: FleetServer | undefined;

  afterAll(async () => {
    await second?.close();
    // the first server is closed in the test; its directory is removed here
    if (h) rmSync(dirname(h.fleet.deps.config.dbPath), { recursive: true, force: true });
  });

  it("is answered by tasks/get and tasks/result after a restart on the same database", async () => {
    h = await startHarness({ PF_CONCURRENCY: "casino=1" });
    const agent = await h.agent(20);
    h.fleet.deps.sandbox!.setFaults({ latencyMs: 400, scope: "money" });
    const created = await callAsTask(h.client, "place_dice_batch", {
      direction: "over",
      threshold: 50,
      count: 60,
      amount: 0.01,
      agent_ids: [agent],
    });
    const { taskId } = created.task;
    while ((h.fleet.deps.sandbox!.stats().byRoute[betRoute] ?? 0) === 0) await sleep(5);
    // the server goes away mid-batch, its session with it
    await h.client.close();
    await h.fleet.close();

    second = await createServer(h.fleet.deps.config, { logger: silentLogger, sandbox: { rateLimits: false } });
    const client = new Client({ name: "pf-fleet-tasks-after-restart", version: "1.0.0" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await second.server.connect(serverSide);
    await client.connect(clientSide);

    const task = await client.experimental.tasks.getTask(taskId);
    expect(task.taskId).toBe(taskId);
    expect(["working", "completed"]).toContain(task.status);
    const result = (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    const out = result.structuredContent as unknown as BatchOut;
    expect(out).toMatchObject({ status: "finished", job_id: taskId, progress: { done: 60, total: 60 } });
    expect(out.summary).toMatchObject({ total_bets: 60, failed: 0 });
    expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(taskId);
    await client.close();
  });
});

/** The built CLI over real stdio, as an MCP host spawns it (`npm test` builds first). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "src", "cli.js");

describe("MCP tasks over stdio, across a restart of the process", () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    dir = mkdtempSync(join(tmpdir(), "pf-fleet-tasks-stdio-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function spawnClient(): Promise<Client> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      env: { ...(process.env as Record<string, string>), PF_DB: join(dir, "fleet.db"), PF_TOOLSETS: "all" },
      stderr: "ignore",
    });
    const client = new Client({ name: "pf-fleet-tasks-stdio", version: "1.0.0" });
    await client.connect(transport);
    return client;
  }

  it("runs a faucet claim and a batch as tasks, and answers for the batch after the process restarts", async () => {
    const first = await spawnClient();
    const reg = (await first.callTool({ name: "register_agent", arguments: {} })) as CallToolResult;
    const agent = ok<{ agent: { agent_id: string } }>(reg).agent.agent_id;

    const claim = await callAsTask(first, "claim_faucet", { agent_id: agent });
    const claimed = (await first.experimental.tasks.getTaskResult(
      claim.task.taskId,
      CallToolResultSchema,
    )) as CallToolResult;
    expect(claimed.structuredContent).toMatchObject({ job_id: claim.task.taskId, state: "succeeded", finished: true });
    expect(await first.experimental.tasks.getTask(claim.task.taskId)).toMatchObject({ status: "completed" });

    const batch = await callAsTask(first, "place_coinflip_batch", {
      side: "alternate",
      count: 6,
      amount: 0.01,
      agent_ids: [agent],
    });
    const { taskId } = batch.task;
    const before = (await first.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    expect(before.structuredContent).toMatchObject({ status: "finished", job_id: taskId, progress: { done: 6 } });
    await first.close();

    // a new process on the same database: the task is still there, with the same answer
    const second = await spawnClient();
    try {
      expect(await second.experimental.tasks.getTask(taskId)).toMatchObject({ taskId, status: "completed" });
      const after = (await second.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
      expect(after.structuredContent).toEqual(before.structuredContent);
      expect(after.content).toEqual(before.content);
      const listed = (await second.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
      expect(listed).toEqual([taskId, claim.task.taskId]);
    } finally {
      await second.close();
    }
  });
});

describe("MCP tasks over Streamable HTTP, across sessions", () => {
  let dir: string;
  let fleet: FleetServer;
  let http: RunningHttp;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pf-fleet-tasks-http-"));
    fleet = await createServer(loadConfig({ PF_DB: join(dir, "fleet.db"), PF_TOOLSETS: "all" }), {
      logger: silentLogger,
      sandbox: { rateLimits: false },
    });
    http = await startHttpServer(fleet, { port: 0, host: "127.0.0.1", token: "t".repeat(32), logger: silentLogger });
  });
  afterAll(async () => {
    await http?.close();
    await fleet?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function session(): Promise<Client> {
    const client = new Client({ name: "pf-fleet-tasks-http", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${"t".repeat(32)}` } },
    });
    await client.connect(transport);
    return client;
  }

  it("a task started in one session is polled, listed and answered from a new one after the first hangs up", async () => {
    const first = await session();
    const agent = ok<{ agent: { agent_id: string } }>(
      (await first.callTool({ name: "register_agent", arguments: {} })) as CallToolResult,
    ).agent.agent_id;
    fleet.deps.sandbox?.fund(agent, 5);
    const created = await callAsTask(first, "place_coinflip_batch", {
      side: "heads",
      count: 30,
      amount: 0.01,
      agent_ids: [agent],
    });
    expect(created.task.status).toBe("working");
    await first.close();

    const second = await session();
    try {
      const done = await pollTask(second, created.task.taskId, (t) => t.status !== "working");
      expect(done.status).toBe("completed");
      const result = (await second.experimental.tasks.getTaskResult(
        created.task.taskId,
        CallToolResultSchema,
      )) as CallToolResult;
      expect(result.structuredContent).toMatchObject({
        status: "finished",
        job_id: created.task.taskId,
        summary: { total_bets: 30 },
      });
      expect((await second.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(created.task.taskId);
    } finally {
      await second.close();
    }
  });
});
