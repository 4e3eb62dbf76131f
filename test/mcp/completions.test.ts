import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { utcDateKey } from "../../src/ledger/index.js";
import { type Harness, ok, startHarness } from "./harness.js";

let h: Harness;
let agentId: string;
let batchId: string;
let groupId: string;
let parked: string[];

const resource = (uri: string, name: string, value: string) =>
  h.client.complete({ ref: { type: "ref/resource", uri }, argument: { name, value } });
const prompt = (promptName: string, name: string, value: string) =>
  h.client.complete({ ref: { type: "ref/prompt", name: promptName }, argument: { name, value } });

beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
  h.fleet.deps.sandbox!.fund(agentId, 5);
  // a real batch: bets in today's ledger, a chord with members in the job table
  const batch = ok<{ job_id: string; status: string }>(
    await h.call("place_coinflip_batch", {
      side: "heads",
      count: 3,
      amount: 0.01,
      agent_ids: [agentId],
      wait_seconds: 30,
    }),
  );
  expect(batch.status).toBe("finished");
  batchId = batch.job_id;
  // then a group of 110 jobs parked an hour ahead and cancelled: more members than one answer may hold
  const group = await h.fleet.deps.engine.group({
    members: Array.from({ length: 110 }, (_, i) => ({
      task: TASK.betBatch,
      args: { agentId, bet: { game: "coin-flip", side: "heads" }, amount: 10_000, clientSeeds: [`completions-${i}`] },
      options: { dueAt: Date.now() + 3_600_000 },
    })),
  });
  groupId = group.id;
  parked = (await h.fleet.deps.engine.list({ canvasId: groupId, limit: 500 })).jobs.map((j) => j.id);
  await h.fleet.deps.engine.cancel(groupId, "test: parked");
});
afterAll(async () => h?.close());

describe("completion/complete", () => {
  it("is a declared capability", () => {
    expect(h.client.getServerCapabilities()?.completions).toBeDefined();
  });

  it("jobs://{id}: at most 100 recent job ids, the jobs a user started before any batch's members", async () => {
    const { completion } = await resource("jobs://{id}", "id", "");
    expect(completion.values).toHaveLength(100);
    expect(completion.hasMore).toBe(true);
    expect(completion.total).toBeGreaterThan(110);
    const rows = await Promise.all(completion.values.map((id) => h.fleet.deps.engine.get(id)));
    const isRoot = rows.map((r) => r?.parentId === null);
    const lastRoot = isRoot.lastIndexOf(true);
    const firstMember = isRoot.indexOf(false);
    expect(lastRoot).toBeLessThan(firstMember);
    expect(completion.values.slice(0, lastRoot + 1)).toEqual(expect.arrayContaining([groupId, batchId]));
    expect(completion.values.indexOf(groupId)).toBeLessThan(completion.values.indexOf(batchId));
  });

  it("jobs://{id}: filters by the prefix typed", async () => {
    const member = parked[42] as string;
    expect((await resource("jobs://{id}", "id", member.slice(0, -2))).completion.values).toEqual([member]);
    expect((await resource("jobs://{id}", "id", batchId)).completion.values).toEqual([batchId]);
    expect((await resource("jobs://{id}", "id", "no-such-prefix")).completion.values).toEqual([]);
  });

  it("pnl://daily/{date}: the days the ledger holds bets on", async () => {
    const today = utcDateKey(Date.now());
    expect((await resource("pnl://daily/{date}", "date", "")).completion.values).toEqual([today]);
    expect((await resource("pnl://daily/{date}", "date", today.slice(0, 4))).completion.values).toEqual([today]);
    expect((await resource("pnl://daily/{date}", "date", "1999-")).completion.values).toEqual([]);
  });

  it("prompt arguments: fleet agent ids, games, periods (with the ledger's days), schedule names", async () => {
    expect((await prompt("run_small_strategy", "agent_id", "")).completion.values).toEqual([agentId]);
    expect((await prompt("run_small_strategy", "agent_id", agentId.slice(0, 5))).completion.values).toEqual([agentId]);
    expect((await prompt("run_small_strategy", "agent_id", "zz")).completion.values).toEqual([]);
    expect((await prompt("run_small_strategy", "game", "c")).completion.values.sort()).toEqual(["coinflip", "crash"]);
    expect((await prompt("review_pnl", "period", "")).completion.values).toEqual([
      "today",
      "yesterday",
      "this_week",
      "last_week",
      "all",
      utcDateKey(Date.now()),
    ]);
    expect((await prompt("review_pnl", "period", "la")).completion.values).toEqual(["last_week"]);
    expect((await prompt("review_pnl", "agent_id", "")).completion.values).toEqual([agentId]);
    expect((await prompt("fleet_health", "schedule", "wallet")).completion.values).toEqual(["wallet-balance-check"]);
    const schedules = (await h.fleet.deps.scheduler.list()).map((s) => s.name).sort();
    expect((await prompt("fleet_health", "schedule", "")).completion.values.sort()).toEqual(schedules);
  });
});
