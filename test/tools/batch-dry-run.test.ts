import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localBalance } from "../../src/ledger/index.js";
import { microsToUsd } from "../../src/money.js";
import { ok, startHarness, type ToolHarness } from "./harness.js";

/**
 * A dry run prices Kelly caps the way the real run will: from the agent's server balance and risk factor
 * (read-only `GET /auth/balance` on the embedded sandbox, a real HTTP server), and says so when it cannot.
 */

interface AgentPlan {
  agent_id: string;
  balance_usd: number;
  risk_factor: number;
  kelly_cap_usd: number;
  within_kelly: boolean;
  balance_source: string;
  balance_read_error?: { code: string; message: string };
}
interface BatchOut {
  status: string;
  job_id: string | null;
  plan: { balance_source: string; agents: AgentPlan[] };
  blocked_by?: { code: string };
}

let h: ToolHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const sandbox = () => h.fleet.deps.sandbox!;
const text = (r: CallToolResult) => (r.content as Array<{ type: string; text?: string }>).map((c) => c.text).join("\n");

/** Rows a batch would write (jobs, their events, bets, stake reservations); not the ledger sync's mirror rows. */
function batchRows(): Array<number | undefined> {
  const all = h.rows();
  return ["jobs", "job_events", "bets", "fleet_reservations", "task_batch_submissions"].map((t) => all[t]);
}

/** Runs `fn` and returns the routes the sandbox saw meanwhile, with their counts. */
async function routesDuring<T>(fn: () => Promise<T>): Promise<{ value: T; routes: Record<string, number> }> {
  const before = sandbox().stats().byRoute;
  const value = await fn();
  const after = sandbox().stats().byRoute;
  const routes: Record<string, number> = {};
  for (const [route, n] of Object.entries(after)) {
    const d = n - (before[route] ?? 0);
    if (d > 0) routes[route] = d;
  }
  return { value, routes };
}

describe("dry runs read the server's bankroll", () => {
  it("at risk factor 1.0 the dry run shows the real run's Kelly cap, reading GET /auth/balance and moving nothing", async () => {
    // $4.48 at the default 0.25 caps a coin flip at $0.56; at 1.0 the cap is $2.24 (the case in issue 11).
    const agent = await h.agent(4.48);
    const key = await h.fleet.deps.fleet.keyFor(agent);
    await h.fleet.deps.client.casino.setRiskFactor(key, 1);
    // A deposit the local ledger has not imported yet: the server's balance is what the cap is priced on.
    sandbox().fund(agent, 1);
    const args = { side: "heads", count: 4, amount: 0.05, agent_ids: [agent] };

    const rows = batchRows();
    const dry = await routesDuring(async () => h.call("place_coinflip_batch", { ...args, dry_run: true }));
    const dryOut = ok<BatchOut>(dry.value);
    expect(dry.routes["GET /api/v1/auth/balance"]).toBe(1);
    expect(Object.keys(dry.routes).filter((r) => !r.startsWith("GET "))).toEqual([]);
    expect(batchRows()).toEqual(rows);
    expect(dryOut).toMatchObject({ status: "dry_run", job_id: null, plan: { balance_source: "server" } });
    const server = sandbox().balanceOf(agent);
    expect(dryOut.plan.agents[0]).toMatchObject({
      balance_usd: server,
      risk_factor: 1,
      // round2(balance × risk factor 1.0 × 50 %)
      kelly_cap_usd: Math.round(server * 0.5 * 100) / 100,
      balance_source: "server",
    });
    expect(dryOut.plan.agents[0]!.balance_read_error).toBeUndefined();
    expect(text(dry.value)).toContain("server's (read-only GET /auth/balance)");

    const real = ok<BatchOut>(await h.call("place_coinflip_batch", args));
    expect(real.status).toBe("finished");
    const pick = (a: AgentPlan) => [a.balance_usd, a.risk_factor, a.kelly_cap_usd, a.within_kelly];
    expect(pick(dryOut.plan.agents[0]!)).toEqual(pick(real.plan.agents[0]!));
  });

  it("when the balance read fails, the dry run still answers and says what it fell back to", async () => {
    const agent = await h.agent(4.48);
    const key = await h.fleet.deps.fleet.keyFor(agent);
    await h.fleet.deps.client.casino.setRiskFactor(key, 1);
    const rows = batchRows();
    const settled = sandbox().stats().betsSettled;
    // Every request (the balance read included) is answered 500 without being processed.
    sandbox().setFaults({ error: 1 });
    let result: CallToolResult;
    try {
      result = await h.call("place_coinflip_batch", {
        side: "tails",
        count: 4,
        amount: 0.05,
        agent_ids: [agent],
        dry_run: true,
      });
    } finally {
      sandbox().setFaults(null);
    }
    const out = ok<BatchOut>(result);
    expect(out.status).toBe("dry_run");
    expect(out.plan.balance_source).toBe("local_ledger");
    const a = out.plan.agents[0]!;
    // The local ledger's balance at the casino default 0.25 (for $4.48: $0.56), flagged as a guess; the server's
    // cap at risk factor 1.0 would be four times that.
    const local = microsToUsd(await localBalance(h.fleet.deps.storage, agent));
    expect(a).toMatchObject({
      balance_usd: local,
      risk_factor: 0.25,
      kelly_cap_usd: Math.round(local * 0.25 * 0.5 * 100) / 100,
      balance_source: "local_ledger",
    });
    expect(a.balance_read_error?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(text(result)).toMatch(
      new RegExp(`Could not read ${agent}'s balance and risk factor from the server \\(UPSTREAM_UNAVAILABLE`),
    );
    expect(text(result)).toContain("local ledger balance at the casino default risk factor 0.25");
    expect(batchRows()).toEqual(rows);
    expect(sandbox().stats().betsSettled).toBe(settled);
  });
});
