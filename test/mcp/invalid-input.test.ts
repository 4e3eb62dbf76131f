import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, ok, rowCounts, startHarness, toolError } from "./harness.js";

/**
 * Bad arguments get INVALID_INPUT with a hint and touch nothing: no request reaches the sandbox and no row
 * appears in any table (DESIGN.md invariant 6).
 */

const CASES: Array<[tool: string, args: Record<string, unknown>, mentions: string]> = [
  ["register_agent", { referral_code: "friend" }, "referral_code"],
  ["register_agent", { label: "x".repeat(65) }, "label"],
  ["list_agents", { include_keys: true }, "include_keys"],
  ["wallet_balance", { agent_id: "bob" }, "agent_id"],
  ["transaction_history", {}, "agent_id"],
  ["transaction_history", { agent_id: "ag_0123456789ab", source: "bank" }, "source"],
  ["transaction_history", { agent_id: "ag_0123456789ab", limit: 500 }, "limit"],
  ["claim_faucet", { agent_id: "ag_0123456789ab", wait_seconds: 99 }, "wait_seconds"],
  ["claim_faucet", { agent_id: "AG-1" }, "agent_id"],
  ["job_status", {}, "job_id"],
  ["job_status", { job_id: "j1", wait_seconds: -1 }, "wait_seconds"],
  ["list_jobs", { limit: 0 }, "limit"],
  ["list_jobs", { state: ["finished"] }, "state"],
  ["cancel_job", { job_id: "" }, "job_id"],
  ["retry_job", { job_id: 5 }, "job_id"],
  ["queue_stats", { queue: "casino" }, "queue"],
  ["get_risk_limits", { agent_id: "nope" }, "agent_id"],
  ["pause_trading", { reason: "x" }, "reason"],
  ["pause_trading", { reason: "drawdown", max_bet_usd: -1 }, "max_bet_usd"],
  ["pause_trading", { reason: "drawdown", max_bet_usd: "0.5" }, "max_bet_usd"],
  ["resume_trading", { agent_id: 42 }, "agent_id"],
];

let h: Harness;
let agentId: string;

beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", { label: "probe" })).agent.agent_id;
});
afterAll(async () => h?.close());

describe("invalid arguments", () => {
  it.each(CASES)("%s %j → INVALID_INPUT, nothing sent or written", async (tool, args, mentions) => {
    const sandbox = h.fleet.deps.sandbox!;
    const requestsBefore = sandbox.stats().requests;
    const rowsBefore = rowCounts(h.fleet);
    const err = toolError(await h.call(tool, args));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toContain(mentions);
    expect(err.hint).toBeTruthy();
    expect(sandbox.stats().requests).toBe(requestsBefore);
    expect(rowCounts(h.fleet)).toEqual(rowsBefore);
  });

  it("names the value it got and what it expected", async () => {
    const err = toolError(await h.call("pause_trading", { reason: "drawdown", max_bet_usd: -3 }));
    expect(err.message).toMatch(/max_bet_usd: must be a number .*USD.*got `-3`/);
  });

  it("an unknown agent is NOT_FOUND before anything is sent", async () => {
    const requestsBefore = h.fleet.deps.sandbox!.stats().requests;
    const rowsBefore = rowCounts(h.fleet);
    for (const tool of ["wallet_balance", "transaction_history", "claim_faucet"]) {
      const err = toolError(await h.call(tool, { agent_id: "ag_ffffffffffff" }));
      expect(err.code).toBe("NOT_FOUND");
    }
    expect(h.fleet.deps.sandbox!.stats().requests).toBe(requestsBefore);
    expect(rowCounts(h.fleet)).toEqual(rowsBefore);
    expect(agentId).toMatch(/^ag_/);
  });
});
