import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBets } from "../../src/ledger/index.js";
import { ok, startHarness, type ToolHarness, toolError } from "./harness.js";

/**
 * Issue 13: a batch without agent_ids bets with the agents that can afford their share and names the others;
 * when none can, the refusal points to funding. No hint ever asks for a stake of $0.00 or less.
 */

interface Skipped {
  agent_id: string;
  balance_usd: number;
  kelly_cap_usd: number;
  reason: string;
}
interface BatchOut {
  status: string;
  plan: { agents: Array<{ agent_id: string; bets: number }>; skipped: Skipped[] };
  blocked_by?: { code: string; message: string; hint?: string };
  summary?: { total_bets: number; failed: number };
}

const text = (r: { content: unknown }) => (r.content as Array<{ text: string }>)[0]?.text ?? "";
/** A stake cap a model cannot follow: $0.00, or below zero. */
const UNFOLLOWABLE = /≤ \$0\.00|≤ \$-|\$-\d/;

let h: ToolHarness;
let rich: string;
/** $0.05: a coin-flip Kelly cap of $0.01, so one cent bet, not six */
let poor: string;
let broke: string;
const sandbox = () => h.fleet.deps.sandbox!;

beforeAll(async () => {
  h = await startHarness();
  rich = await h.agent(30);
  poor = await h.agent(0.05);
  broke = await h.agent(0);
  // the first registration got the casino's automatic $1: take it back out of the picture
  for (const id of [poor, broke]) expect(sandbox().balanceOf(id)).toBeLessThanOrEqual(0.05);
});
afterAll(async () => h?.close());

describe("a batch without agent_ids", () => {
  it("bets with the agents that can afford their share, and says which were skipped and why", async () => {
    const settled = sandbox().stats().betsSettled;
    const result = await h.call("place_coinflip_batch", { side: "heads", count: 12, amount: 0.01 });
    const out = ok<BatchOut>(result);
    expect(out.status).toBe("finished");
    expect(out.summary).toMatchObject({ total_bets: 12, failed: 0 });
    expect(out.plan.agents.map((a) => [a.agent_id, a.bets])).toEqual([[rich, 12]]);
    const skipped = new Map(out.plan.skipped.map((s) => [s.agent_id, s]));
    expect([...skipped.keys()].sort()).toEqual([poor, broke].sort());
    // the poor agent could place a cent, but not its share of 6 (later 4) bets
    expect(skipped.get(poor)?.reason).toMatch(/balance \$0\.05 does not cover its \d+ bet\(s\)/);
    expect(skipped.get(broke)?.reason).toMatch(/Kelly cap \$0\.00 .* below the \$0\.01 stake/);
    expect(text(result)).toMatch(/Skipped 2 agent\(s\) that cannot afford their share/);
    expect(sandbox().stats().betsSettled - settled).toBe(12);
    expect(await listBets(h.fleet.deps.storage, { agentIds: [poor, broke] })).toEqual([]);
  });

  it("a dry run shows the same choice, and a share it can afford keeps the poor agent in", async () => {
    const out = ok<BatchOut>(
      await h.call("place_coinflip_batch", { side: "heads", count: 2, amount: 0.01, dry_run: true }),
    );
    expect(out.blocked_by).toBeUndefined();
    expect(out.plan.agents.map((a) => [a.agent_id, a.bets])).toEqual([
      [rich, 1],
      [poor, 1],
    ]);
    expect(out.plan.skipped.map((s) => s.agent_id)).toEqual([broke]);
  });

  it("an explicit agent list is taken as given: a broke agent is refused with a funding hint", async () => {
    const err = toolError(
      await h.call("place_coinflip_batch", { side: "heads", count: 2, amount: 0.01, agent_ids: [rich, broke] }),
    );
    expect(err.code).toBe("KELLY_LIMIT_EXCEEDED");
    expect(err.hint).toMatch(new RegExp(`fund ${broke}: claim_faucet .* sandbox_fund_agent`));
    expect(err.hint).not.toMatch(UNFOLLOWABLE);
  });

  it("when no agent can afford it: refused before anything is sent, pointing to funding, never to $0.00", async () => {
    const jobs = h.rows().jobs;
    const requests = sandbox().stats().byRoute["POST /api/v1/bets/batch"] ?? 0;
    // crash at 50× is priced at p ≈ 0.02: $0.50 is above every Kelly cap, the rich agent's ~$0.15 included
    const err = toolError(await h.call("place_crash_batch", { cash_out_at: 50, count: 3, amount: 0.5 }));
    expect(err.code).toBe("INSUFFICIENT_BALANCE");
    expect(err.message).toMatch(/no fleet agent can afford its share/);
    expect(err.hint).toMatch(/claim_faucet .* sandbox_fund_agent/);
    // the rich agent could bet less: the stake it could afford is offered, floored at the minimum bet
    expect(err.hint).toMatch(/lower the stake to ≤ \$0\.1\d/);
    expect(err.hint).not.toMatch(UNFOLLOWABLE);
    expect(h.rows().jobs).toBe(jobs);
    expect(sandbox().stats().byRoute["POST /api/v1/bets/batch"] ?? 0).toBe(requests);

    ok(await h.call("pause_trading", { agent_id: rich, reason: "only the broke ones left" }));
    try {
      // the poor agent's $0.05 covers a cent's bet but not six of them; the broke one covers none
      const dry = ok<BatchOut>(
        await h.call("place_coinflip_batch", { side: "heads", count: 6, amount: 0.01, dry_run: true }),
      );
      expect(dry.blocked_by?.code).toBe("INSUFFICIENT_BALANCE");
      expect(dry.blocked_by?.hint).toMatch(
        /^fund .*: claim_faucet .* sandbox_fund_agent \(play money\), or place fewer bets; nothing was sent$/,
      );
      expect(dry.blocked_by?.hint).not.toMatch(/lower the stake/);
      const real = toolError(await h.call("place_coinflip_batch", { side: "heads", count: 6, amount: 0.01 }));
      expect(real.code).toBe("INSUFFICIENT_BALANCE");
      expect(real.hint).not.toMatch(UNFOLLOWABLE);
    } finally {
      ok(await h.call("resume_trading", { agent_id: rich }));
    }
  });
});
