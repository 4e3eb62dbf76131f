import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startHarness, type ToolHarness } from "./harness.js";

/**
 * The balance and escrow reads that tools make before deciding anything are asked again on a transient failure
 * (purpleflea/read-retry.ts), so a 500 from one GET no longer shows up as a failed row, a refused batch or a
 * reconciliation without a server figure. Faults here hit only the read routes, 15 % of their requests.
 */

let h: ToolHarness;
const sandbox = () => h.fleet.deps.sandbox!;
let agents: string[];
beforeAll(async () => {
  h = await startHarness();
  agents = [];
  for (let i = 0; i < 3; i++) {
    agents.push(ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id);
  }
  for (const a of agents) sandbox().fund(a, 5);
});
afterAll(async () => h?.close());

describe("reads asked again on a transient failure", () => {
  it("wallet_balance and pnl_report's reconciliation read every agent's balance through 500s", async () => {
    sandbox().setFaults({ error: 0.15, seed: 11, route: "GET /api/v1/auth/balance" });
    try {
      const before = sandbox().stats().faults.error;
      for (let round = 0; round < 3; round++) {
        const wallet = ok<{ agents: Array<{ agent_id: string; error: unknown }> }>(await h.call("wallet_balance", {}));
        expect(wallet.agents).toHaveLength(3);
        for (const row of wallet.agents) expect(row.error, JSON.stringify(row)).toBeNull();
        const report = ok<{ reconciliation: Array<{ agent_id: string; error?: string }> }>(
          await h.call("pnl_report", { period: "today", reconcile: true }),
        );
        expect(report.reconciliation).toHaveLength(3);
        for (const row of report.reconciliation) expect(row.error, JSON.stringify(row)).toBeUndefined();
      }
      // the faults did hit: without the retries some of those rows would carry the 500
      expect(sandbox().stats().faults.error - before).toBeGreaterThan(0);
    } finally {
      sandbox().setFaults(null);
    }
  });

  it("a batch's balance reads ride out 500s instead of refusing the batch", async () => {
    sandbox().setFaults({ error: 0.15, seed: 5, route: "GET /api/v1/auth/balance" });
    try {
      const before = sandbox().stats().faults.error;
      for (let round = 0; round < 3; round++) {
        const out = ok<{ status: string }>(
          await h.call("place_coinflip_batch", { side: "heads", count: 3, amount: 0.01, agent_ids: agents }),
        );
        expect(out.status).toBe("finished");
      }
      expect(sandbox().stats().faults.error - before).toBeGreaterThan(0);
    } finally {
      sandbox().setFaults(null);
    }
  });
});
