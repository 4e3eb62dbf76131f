import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { type Harness, ok, startHarness } from "./harness.js";

/**
 * Keys never appear in a tool result, a resource, a log line or a job row (DESIGN.md invariant 5): a tour of
 * every read surface after real work, grepping for each agent's actual key.
 */

let h: Harness;
let agentIds: string[];
const seen: string[] = [];

beforeAll(async () => {
  h = await startHarness({ LOG_LEVEL: "debug" });
  agentIds = [];
  for (const label of ["k1", "k2"]) {
    const out = await h.call("register_agent", { label });
    seen.push(JSON.stringify(out));
    agentIds.push(ok<{ agent: { agent_id: string } }>(out).agent.agent_id);
  }
  for (const id of agentIds) h.fleet.deps.sandbox!.fund(id, 5);
  const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, {
    agentId: agentIds[0],
    bet: { game: "crash", cash_out_at: 2 },
    amount: 10_000,
    clientSeeds: [`keys-${Date.now()}`],
  });
  await h.fleet.deps.engine.wait(job.id, { timeoutMs: 20_000 });
});
afterAll(async () => h?.close());

describe("keys", () => {
  it("appear nowhere a user or the model can read", async () => {
    const keys = await Promise.all(agentIds.map((id) => h.fleet.deps.fleet.keyFor(id)));
    for (const key of keys) expect(key).toMatch(/^sk_live_/);

    const calls: Array<[string, Record<string, unknown>]> = [
      ["list_agents", {}],
      ["wallet_balance", {}],
      ["transaction_history", { agent_id: agentIds[0] }],
      ["claim_faucet", { agent_id: agentIds[1], wait_seconds: 20 }],
      ["list_jobs", {}],
      ["queue_stats", {}],
      ["get_risk_limits", {}],
      ["pause_trading", { reason: "key tour", agent_id: agentIds[1] }],
      ["resume_trading", { agent_id: agentIds[1] }],
    ];
    for (const [name, args] of calls) seen.push(JSON.stringify(await h.call(name, args)));
    for (const job of (await h.fleet.deps.engine.list({ limit: 200 })).jobs) {
      seen.push(JSON.stringify(await h.call("job_status", { job_id: job.id, include_events: true })));
    }
    const { resources } = await h.client.listResources();
    for (const r of resources) seen.push(JSON.stringify(await h.client.readResource({ uri: r.uri })));

    const db = sqliteDbForTests(h.fleet.deps.storage);
    const jobRows = JSON.stringify(db.prepare("SELECT * FROM jobs").all());
    const log = h.logText();
    expect(log.length).toBeGreaterThan(0);
    for (const key of keys) {
      for (const text of seen) expect(text).not.toContain(key);
      expect(jobRows).not.toContain(key);
      expect(log).not.toContain(key);
    }
    expect(seen.join("\n")).not.toMatch(/sk_live_[0-9a-f]{8}/);
  });
});
