import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { listBets } from "../../src/ledger/index.js";
import type { StoredBet } from "../../src/ledger/types.js";
import { usdToMicros } from "../../src/money.js";
import { ok, startHarness, type ToolHarness } from "./harness.js";

/**
 * `side: "alternate"` coin flips against the embedded sandbox (a real HTTP server on 127.0.0.1) and a real SQLite
 * file: `bets/batch` takes mixed bets, so an agent's alternating flips share calls, ≤ 20 a call.
 */

interface BatchOut {
  status: string;
  job_id: string | null;
  summary?: { total_bets: number; failed: number; pending: number; total_pnl_usd: number };
}

const BATCH_ROUTE = "POST /api/v1/bets/batch";

let h: ToolHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const sandbox = () => h.fleet.deps.sandbox!;

/** The agent's bets in plan order (the client seed's suffix is the bet's index in the plan). */
async function betsInPlanOrder(agent: string): Promise<StoredBet[]> {
  const bets = await listBets(h.fleet.deps.storage, { agentIds: [agent], limit: 1000 });
  const index = (b: StoredBet) => Number(b.clientSeed.slice(b.clientSeed.lastIndexOf("-") + 1));
  return bets.sort((a, b) => index(a) - index(b));
}

/** The server settled each bet on the side it was sent with: heads wins below 50, tails at 50 and above. */
function settledOnItsSide(b: StoredBet): boolean {
  const outcome = (b.roll as number) < 50 ? "heads" : "tails";
  return b.won === (outcome === b.params.side);
}

const alternating = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? "heads" : "tails"));

describe("alternate coin flips share bets/batch calls", () => {
  it("40 alternate flips of one agent go out in exactly 2 calls; sides alternate; the ledger holds all 40", async () => {
    const agent = await h.agent(30);
    const before = usdToMicros(sandbox().balanceOf(agent));
    sandbox().resetStats();

    const out = ok<BatchOut>(
      await h.call("place_coinflip_batch", {
        side: "alternate",
        count: 40,
        amount: 0.02,
        agent_ids: [agent],
        wait_seconds: 50,
      }),
    );

    expect(out.status).toBe("finished");
    expect(out.summary).toMatchObject({ total_bets: 40, failed: 0, pending: 0 });
    const stats = sandbox().stats();
    expect(stats.byRoute[BATCH_ROUTE]).toBe(2);
    expect(stats.betsSettled).toBe(40);
    const members = await h.fleet.deps.engine.list({ canvasId: out.job_id!, task: TASK.betBatch, limit: 100 });
    expect(members.jobs).toHaveLength(2);

    const bets = await betsInPlanOrder(agent);
    expect(bets).toHaveLength(40);
    expect(new Set(bets.map((b) => b.clientSeed)).size).toBe(40);
    expect(bets.map((b) => b.params.side)).toEqual(alternating(40));
    expect(bets.every((b) => b.source === "response")).toBe(true);
    // `won` and the roll are the server's: they agree with the side recorded only if that side was the one sent.
    expect(bets.filter((b) => !settledOnItsSide(b))).toEqual([]);
    const net = bets.reduce((s, b) => s + b.net, 0);
    expect(usdToMicros(out.summary!.total_pnl_usd)).toBe(net);
    expect(usdToMicros(sandbox().balanceOf(agent)) - before).toBe(net);
  });

  it("a mixed call whose answer is lost is reconciled seed by seed: each bet once, on its own side", async () => {
    const agent = await h.agent(30);
    sandbox().resetStats();
    // Every money call is processed and its answer dropped until the first drop is seen; reads stay answered.
    sandbox().setFaults({ drop: 1, scope: "money" });
    try {
      const out = ok<BatchOut>(
        await h.call("place_coinflip_batch", {
          side: "alternate",
          count: 20,
          amount: 0.02,
          agent_ids: [agent],
          wait_seconds: 0,
        }),
      );
      await expect.poll(() => sandbox().stats().faults.drop, { timeout: 20_000 }).toBeGreaterThan(0);
      sandbox().setFaults(null);
      const done = await h.fleet.deps.engine.wait(out.job_id!, { timeoutMs: 30_000 });
      expect(done.state).toBe("succeeded");
    } finally {
      sandbox().setFaults(null);
    }

    // One call, processed once; never re-sent, because every bet was found by its client seed.
    expect(sandbox().stats().byRoute[BATCH_ROUTE]).toBe(1);
    expect(sandbox().stats().betsSettled).toBe(20);
    const bets = await betsInPlanOrder(agent);
    expect(bets).toHaveLength(20);
    expect(bets.every((b) => b.source === "reconciled")).toBe(true);
    expect(bets.map((b) => b.params.side)).toEqual(alternating(20));
    expect(bets.filter((b) => !settledOnItsSide(b))).toEqual([]);
  });
});
