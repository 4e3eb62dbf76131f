import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness.js";

const EXPECTED = [
  "register_agent",
  "list_agents",
  "wallet_balance",
  "transaction_history",
  "claim_faucet",
  "place_crash_batch",
  "place_coinflip_batch",
  "place_dice_batch",
  "verify_bets",
  "create_escrow_chain",
  "complete_escrow",
  "release_escrow",
  "dispute_escrow",
  "get_escrow",
  "settle_escrows",
  "search_domains",
  "register_domain",
  "pnl_report",
  "job_status",
  "list_jobs",
  "cancel_job",
  "retry_job",
  "queue_stats",
  "get_risk_limits",
  "pause_trading",
  "resume_trading",
  "list_schedules",
  "set_schedule",
  "create_schedule",
  "delete_schedule",
  "run_schedule_now",
  // sandbox mode only
  "sandbox_fund_agent",
  "sandbox_advance_clock",
];

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { startEngine: false });
});
afterAll(async () => h?.close());

describe("the tool catalogue an LLM sees", () => {
  it("offers every tool, each described, with an output schema and all four annotations", async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...EXPECTED].sort());
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(80);
      expect(tool.outputSchema?.type, tool.name).toBe("object");
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof tool.annotations?.[hint], `${tool.name}.${hint}`).toBe("boolean");
      }
    }
  });

  it("marks money-moving tools destructive and not idempotent", async () => {
    const { tools } = await h.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of [
      "claim_faucet",
      "place_crash_batch",
      "place_coinflip_batch",
      "place_dice_batch",
      "create_escrow_chain",
      "release_escrow",
      "settle_escrows",
      "register_domain",
    ]) {
      expect(byName.get(name)?.annotations, name).toMatchObject({ destructiveHint: true, idempotentHint: false });
    }
    for (const name of ["list_agents", "job_status", "list_jobs", "queue_stats", "get_risk_limits", "wallet_balance"]) {
      expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(true);
    }
  });

  it("tells the model that money in job views is USD under `_usd` names", async () => {
    const { tools } = await h.client.listTools();
    for (const name of ["job_status", "list_jobs"]) {
      const tool = tools.find((t) => t.name === name);
      expect(tool?.description, name).toMatch(/USD under `_usd` names/);
      expect(JSON.stringify(tool?.outputSchema), name).toMatch(/amount_usd: 0\.01 is one cent/);
    }
  });
});
