import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type ToolHarness, toolError } from "./harness.js";

/**
 * Every money and analytics tool: bad arguments give INVALID_INPUT with a hint, and touch nothing — no request
 * reaches the sandbox and no row is written. Also what tools/list tells a client about them.
 */

const MONEY_TOOLS = [
  "place_crash_batch",
  "place_coinflip_batch",
  "place_dice_batch",
  "create_escrow_chain",
  "release_escrow",
  "dispute_escrow",
  "settle_escrows",
  "register_domain",
];
const READ_ONLY_TOOLS = ["get_escrow", "pnl_report"];
const OTHER_TOOLS = ["verify_bets", "complete_escrow", "search_domains"];

let h: ToolHarness;
let agent: string;
beforeAll(async () => {
  h = await startHarness();
  agent = await h.agent(5);
});
afterAll(async () => {
  await h?.close();
});

const BAD: Array<[tool: string, args: Record<string, unknown>, field: string]> = [
  ["place_crash_batch", { cash_out_at: 0.5, count: 3, amount: 0.1 }, "cash_out_at"],
  ["place_crash_batch", { cash_out_at: 2, count: 3, amount: "0.10" }, "amount"],
  ["place_crash_batch", { cash_out_at: 2, count: 0, amount: 0.1 }, "count"],
  ["place_crash_batch", { cash_out_at: 2, count: 3, amount: 0.1, wait_seconds: 120 }, "wait_seconds"],
  ["place_coinflip_batch", { side: "edge", count: 3, amount: 0.1 }, "side"],
  ["place_coinflip_batch", { side: "heads", count: 3, amount: 0.001 }, "amount"],
  ["place_dice_batch", { direction: "over", threshold: 100, count: 3, amount: 0.1 }, "threshold"],
  ["place_dice_batch", { direction: "sideways", threshold: 50, count: 3, amount: 0.1 }, "direction"],
  ["verify_bets", { agent_ids: ["agent-1"] }, "agent_ids"],
  ["create_escrow_chain", { counterparty_agent_id: "ag_1234567890ab", amount: 0.05, description: "x" }, "amount"],
  ["complete_escrow", { escrow_id: "123" }, "escrow_id"],
  ["release_escrow", { escrow_id: "esc_1", wait_seconds: -1 }, "escrow_id"],
  ["dispute_escrow", { escrow_id: "esc_1234abcd", reason: "too short" }, "reason"],
  ["get_escrow", { escrow_id: 42 }, "escrow_id"],
  ["settle_escrows", { escrow_ids: [] }, "escrow_ids"],
  ["search_domains", { query: "bad name!" }, "query"],
  ["register_domain", { domain: "not a domain" }, "domain"],
  ["pnl_report", { period: "yesterday" }, "period"],
  ["pnl_report", { period: "all", surprise: true }, "surprise"],
];

describe("invalid arguments", () => {
  it.each(BAD)("%s %j → INVALID_INPUT naming %s, nothing sent or written", async (tool, args, field) => {
    const requests = h.requests();
    const rows = h.rows();
    const err = toolError(await h.call(tool, args));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toContain(field);
    expect(h.requests()).toBe(requests);
    expect(h.rows()).toEqual(rows);
  });

  it("unknown agents are refused before anything is sent", async () => {
    const requests = h.requests();
    const rows = h.rows();
    const stranger = "ag_0123456789ab";
    for (const [tool, args] of [
      ["place_crash_batch", { cash_out_at: 2, count: 1, amount: 0.1, agent_ids: [stranger] }],
      ["create_escrow_chain", { agent_id: stranger, counterparty_agent_id: agent, amount: 1, description: "work" }],
      ["verify_bets", { agent_ids: [stranger] }],
      ["pnl_report", { agent_ids: [stranger] }],
    ] as const) {
      expect(toolError(await h.call(tool, args)).code, tool).toBe("NOT_FOUND");
    }
    expect(h.requests()).toBe(requests);
    expect(h.rows()).toEqual(rows);
  });
});

describe("tools/list", () => {
  it("describes every tool with an output schema and truthful annotations", async () => {
    const { tools } = await h.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of [...MONEY_TOOLS, ...READ_ONLY_TOOLS, ...OTHER_TOOLS]) {
      const tool = byName.get(name);
      expect(tool, name).toBeDefined();
      expect(tool?.outputSchema, name).toBeDefined();
      expect(tool?.description?.length, name).toBeGreaterThan(200);
      const a = tool?.annotations ?? {};
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof a[hint], `${name}.${hint}`).toBe("boolean");
      }
    }
    for (const name of MONEY_TOOLS) {
      expect(byName.get(name)?.annotations, name).toMatchObject({ destructiveHint: true, idempotentHint: false });
      expect(byName.get(name)?.description, name).toMatch(/mode/);
    }
    for (const name of READ_ONLY_TOOLS) {
      expect(byName.get(name)?.annotations, name).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    }
    expect(byName.get("place_crash_batch")?.description).toMatch(/USD per bet/);
    expect(byName.get("place_crash_batch")?.description).toMatch(/job id/);
  });
});
