import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { JobEngine, JobEvent, JobListener, JobRow } from "../../src/jobs/types.js";
import { awaitJob } from "../../src/mcp/wait.js";
import { type Harness, ok, startHarness } from "./harness.js";

/**
 * Progress while a call waits: a notification at each further tenth of the total, else every 2 s while the count
 * grows (work done in another process raises no event here), and never one that does not increase.
 */

/** A job that stays running while the test moves its progress; events only when the test emits them. */
function stubEngine() {
  const listeners = new Set<JobListener>();
  const row = { id: "job-1", task: "test.task", state: "running", canvasId: null, parentId: null } as JobRow;
  let finish: (job: JobRow) => void = () => undefined;
  const finished = new Promise<JobRow>((resolve) => {
    finish = resolve;
  });
  const engine = {
    get: async (id: string) => (id === row.id ? { ...row } : undefined),
    on(listener: JobListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    wait: () => finished,
  } as unknown as JobEngine;
  return {
    engine,
    emit() {
      const event: JobEvent = { at: Date.now(), jobId: row.id, from: "queued", to: "running", reason: "test" };
      for (const l of listeners) l({ ...row }, event);
    },
    finish() {
      row.state = "succeeded";
      finish({ ...row });
    },
  };
}

function progressCtx() {
  const sent: number[] = [];
  const ctx = {
    signal: new AbortController().signal,
    sessionId: undefined,
    progress: async (p: { progress: number }) => {
      sent.push(p.progress);
    },
  };
  return { ctx, sent };
}

/** lets the reporter's chained reads run */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("awaitJob progress cadence", () => {
  afterEach(() => vi.useRealTimers());

  it("sends one notification per tenth of the total when progress comes in small steps, not one per step", async () => {
    const stub = stubEngine();
    const { ctx, sent } = progressCtx();
    let done = 0;
    const waiting = awaitJob({ engine: stub.engine }, "job-1", {
      waitSeconds: 30,
      ctx,
      progressOf: async () => ({ done, total: 100 }),
    });
    await settle();
    for (let step = 1; step <= 100; step++) {
      done = step;
      stub.emit();
      await settle();
    }
    stub.finish();
    await waiting;
    expect(sent).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it("reports growth within 2 s even without an engine event, and sends nothing while the count stands still", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const stub = stubEngine();
    const { ctx, sent } = progressCtx();
    let done = 0;
    const waiting = awaitJob({ engine: stub.engine }, "job-1", {
      waitSeconds: 30,
      ctx,
      progressOf: async () => ({ done, total: 100 }),
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(sent).toEqual([0]);
    done = 3; // less than a tenth, and no event: only the 2-second read can see it
    await vi.advanceTimersByTimeAsync(1_500);
    expect(sent).toEqual([0]);
    await vi.advanceTimersByTimeAsync(600);
    expect(sent).toEqual([0, 3]);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(sent).toEqual([0, 3]);
    done = 5;
    await vi.advanceTimersByTimeAsync(2_100);
    expect(sent).toEqual([0, 3, 5]);
    stub.finish();
    await waiting;
  });
});

describe("a 120-bet coin-flip batch over the SDK client", () => {
  let h: Harness;
  let agentId: string;
  beforeAll(async () => {
    h = await startHarness();
    agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
    h.fleet.deps.sandbox!.fund(agentId, 20);
  });
  afterAll(async () => h?.close());

  it("hears progress at least every 10 % of the bets or every 2 s, ending at 120 of 120", async () => {
    const started = Date.now();
    const heard: Array<{ progress: number; total?: number; at: number }> = [];
    const result = (await h.client.callTool(
      {
        name: "place_coinflip_batch",
        arguments: { side: "heads", count: 120, amount: 0.01, agent_ids: [agentId], wait_seconds: 45 },
      },
      CallToolResultSchema,
      { onprogress: (p) => heard.push({ progress: p.progress, total: p.total, at: Date.now() }) },
    )) as CallToolResult;
    const elapsed = Date.now() - started;
    expect(ok<{ status: string }>(result).status).toBe("finished");
    const values = heard.map((p) => p.progress);
    expect(values.at(-1)).toBe(120);
    expect(heard.every((p) => p.total === 120)).toBe(true);
    // strictly increasing, as MCP requires
    expect(values.every((v, i) => i === 0 || v > (values[i - 1] as number))).toBe(true);
    // one agent's bets go out one 20-bet call at a time: each call's settlement is heard on its own
    expect(Math.max(...values.map((v, i) => v - (values[i - 1] ?? 0)))).toBeLessThanOrEqual(20);
    expect(heard.length).toBeGreaterThanOrEqual(Math.min(10, Math.floor(elapsed / 2_000)));
  });
});
