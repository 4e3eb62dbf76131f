import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usdToMicros } from "../../src/money.js";
import { ok, startHarness, type ToolHarness, toolError } from "./harness.js";

/**
 * The operator's escrow limits and the kill switch at submission, through the MCP tools: a refusal answers with a
 * stable code and a hint, sends nothing (the sandbox's request count stays put) and writes nothing (every table's
 * row count stays put).
 */

let h: ToolHarness;
let creator: string;
let worker: string;

beforeAll(async () => {
  h = await startHarness({ PF_MAX_ESCROW_USD: "3", PF_DAILY_ESCROW_USD: "5" });
  creator = await h.agent(40);
  worker = await h.agent(5);
});
afterAll(async () => {
  await h?.close();
});

const balance = (agentId: string) => usdToMicros(h.fleet.deps.sandbox?.balanceOf(agentId) ?? Number.NaN);
const escrow = (amount: number, extra: Record<string, unknown> = {}) =>
  h.call("create_escrow_chain", {
    agent_id: creator,
    counterparty_agent_id: worker,
    amount,
    description: "deliver the weekly dataset",
    validation: "manual",
    ...extra,
  });

/** the call must be refused with `code`, sending nothing and writing nothing */
async function refusedUntouched(call: () => Promise<unknown>) {
  const [requests, rows, money] = [h.requests(), h.rows(), balance(creator)];
  const result = await call();
  expect(h.requests(), "requests sent").toBe(requests);
  expect(h.rows(), "rows written").toEqual(rows);
  expect(balance(creator)).toBe(money);
  return result;
}

describe("operator limits on escrow amounts", () => {
  it("refuses a $1e9 escrow with LIMIT_EXCEEDED (maxEscrow) and a hint; nothing is sent or written", async () => {
    const err = toolError((await refusedUntouched(() => escrow(1e9))) as Parameters<typeof toolError>[0]);
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("$1000000000.00");
    expect(err.message).toContain("max escrow of $3.00");
    expect(err.hint).toContain("PF_MAX_ESCROW_USD");
  });

  it("holds the fleet's daily total across calls: $3 + $2 go, then $0.10 more is refused", async () => {
    expect(ok<{ outcome: string }>(await escrow(3)).outcome).toBe("not_released");
    expect(ok<{ outcome: string }>(await escrow(2)).outcome).toBe("not_released");
    const err = toolError((await refusedUntouched(() => escrow(0.1))) as Parameters<typeof toolError>[0]);
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("escrowed $5.00 today (UTC) with $0.00 more in flight");
    expect(err.message).toContain("daily escrow limit of $5.00 (headroom $0.00)");
    expect(err.hint).toContain("PF_DAILY_ESCROW_USD");

    const limits = ok<{
      spend_limits: { effective: Record<string, number>; escrow: Record<string, number> };
    }>(await h.call("get_risk_limits", {}));
    expect(limits.spend_limits.effective).toMatchObject({ max_escrow_usd: 3, daily_escrow_usd: 5 });
    expect(limits.spend_limits.escrow).toEqual({ spent_today_usd: 5, in_flight_usd: 0, headroom_usd: 0 });
  });

  it("pause_trading can lower the escrow limits, never raise them", async () => {
    const raised = toolError(
      await h.call("pause_trading", { reason: "try to raise", pause: false, max_escrow_usd: 4 }),
    );
    expect(raised.code).toBe("LIMIT_EXCEEDED");
    const lowered = ok<{ spend_limits: Record<string, number> }>(
      await h.call("pause_trading", { reason: "smaller escrows", pause: false, max_escrow_usd: 1 }),
    );
    expect(lowered.spend_limits).toMatchObject({ max_escrow_usd: 1, daily_escrow_usd: 5 });
    const err = toolError(
      await h.call("pause_trading", { reason: "agent", pause: false, agent_id: creator, daily_escrow_usd: 1 }),
    );
    expect(err.code).toBe("INVALID_INPUT");
  });
});

describe("the kill switch at submission", () => {
  it("refuses every money-moving tool with TRADING_PAUSED while the fleet is paused; nothing is sent or written", async () => {
    ok(await h.call("pause_trading", { reason: "incident review" }));
    const calls: Array<[string, Record<string, unknown>]> = [
      [
        "create_escrow_chain",
        { agent_id: creator, counterparty_agent_id: worker, amount: 0.5, description: "label the images" },
      ],
      ["release_escrow", { escrow_id: "esc_doesnotmatter1" }],
      ["settle_escrows", {}],
      ["register_domain", { domain: "pf-paused-test.com" }],
      ["place_coinflip_batch", { count: 2, amount: 0.1, side: "heads" }],
    ];
    for (const [name, args] of calls) {
      const err = toolError((await refusedUntouched(() => h.call(name, args))) as Parameters<typeof toolError>[0]);
      expect(err.code, name).toBe("TRADING_PAUSED");
      expect(err.message, name).toContain("incident review");
      expect(err.hint, name).toContain("resume_trading");
    }
    ok(await h.call("resume_trading", {}));
  });

  it("an agent's own pause refuses its escrow and its release, not the fleet's other agents", async () => {
    ok(await h.call("pause_trading", { reason: "key rotation", agent_id: creator }));
    const err = toolError((await refusedUntouched(() => escrow(0.5))) as Parameters<typeof toolError>[0]);
    expect(err.code).toBe("TRADING_PAUSED");
    expect(err.message).toContain(creator);
    ok(await h.call("resume_trading", { agent_id: creator }));
  });
});
