import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBets } from "../../src/ledger/index.js";
import { BETS_PER_SEED, seedHash } from "../../src/purpleflea/fairness.js";
import { ok, settled, startHarness, type ToolHarness } from "./harness.js";

/**
 * The casino rotates an agent's server seed by itself after 1,000 bets (purpleflea-api.md §2.3). verify_bets
 * reads those reveals from the casino (GET /fairness/seeds) and verifies the bets placed under them, not only the
 * bets under a seed it rotated itself.
 */

interface VerifyOut {
  all_verified: boolean | null;
  checked: number;
  mismatch_count: number;
  agents: Array<{
    rotated: boolean | null;
    checked: number;
    seeds: Array<{ seed_hash: string; bets: number; commitment_ok: boolean }>;
  }>;
}

const BETS = BETS_PER_SEED + 10;

let h: ToolHarness;
let agent: string;
/** bets like `agent`; verified while the seed list cannot be read */
let second: string;

beforeAll(async () => {
  h = await startHarness({
    PF_MAX_BATCH_USD: "100",
    PF_DAILY_LOSS_LIMIT_USD: "100",
    PF_FLEET_DAILY_LOSS_LIMIT_USD: "100",
  });
  agent = await h.agent(30);
  second = await h.agent(30);
  const placed = ok<{ job_id: string }>(
    await h.call("place_coinflip_batch", {
      side: "heads",
      count: 2 * BETS,
      amount: 0.01,
      agent_ids: [agent, second],
      wait_seconds: 0,
    }),
  );
  const done = await settled(h.fleet, placed.job_id, 120_000);
  expect(done.state).toBe("succeeded");
}, 150_000);
afterAll(async () => {
  await h?.close();
});

describe("verify_bets and the casino's own seed rotation", () => {
  it("verifies the bets under the seed the casino rotated after 1,000 bets, without rotating", async () => {
    const key = await h.fleet.deps.fleet.keyFor(agent);
    const seeds = await h.fleet.deps.client.casino.serverSeeds(key);
    // the casino revealed the first seed after its 1,000th bet and started a second, now holding 10 bets
    expect(seeds.map((s) => [s.active, s.betsMade, s.seed !== null])).toEqual([
      [false, BETS_PER_SEED, true],
      [true, BETS - BETS_PER_SEED, false],
    ]);

    const out = ok<VerifyOut>(await h.call("verify_bets", { agent_ids: [agent], rotate: false, wait_seconds: 50 }));
    expect(out.all_verified).toBe(true);
    expect(out.mismatch_count).toBe(0);
    expect(out.checked).toBe(BETS_PER_SEED);
    expect(out.agents[0]?.rotated).toBe(false);
    expect(out.agents[0]?.seeds).toEqual([{ seed_hash: seeds[0]?.seedHash, bets: BETS_PER_SEED, commitment_ok: true }]);
    expect(seedHash(seeds[0]?.seed as string)).toBe(seeds[0]?.seedHash);
  });

  it("the audit of a bet shows its seed once revealed, and hides it while the seed is active", async () => {
    const key = await h.fleet.deps.fleet.keyFor(agent);
    const client = h.fleet.deps.client.casino;
    const [revealed, active] = await client.serverSeeds(key);
    const [newest] = await listBets(h.fleet.deps.storage, { agentIds: [agent], order: "desc", limit: 1 });
    expect(newest?.serverSeedHash).toBe(active?.seedHash);
    const audit = await client.auditBet(key, newest?.betId as string);
    expect(audit).toMatchObject({ serverSeedHash: active?.seedHash, serverSeed: null, nonce: newest?.nonce });
    expect(audit.resultHash).toBe(newest?.resultHash);

    // with rotate: true the active seed is revealed too, and every bet is checked
    const out = ok<VerifyOut>(await h.call("verify_bets", { agent_ids: [agent], wait_seconds: 50 }));
    expect(out).toMatchObject({ all_verified: true, checked: BETS, mismatch_count: 0 });
    const after = await client.auditBet(key, newest?.betId as string);
    expect(after.serverSeed).not.toBeNull();
    expect(seedHash(after.serverSeed as string)).toBe(active?.seedHash);
    expect(revealed?.seed).not.toBeNull();
  });

  it("when the seed list cannot be read, the audit of one bet per unknown seed reveals it", async () => {
    const sandbox = h.fleet.deps.sandbox;
    if (!sandbox) throw new Error("sandbox mode");
    sandbox.resetStats();
    // seed 585 at error 0.5: the next four requests answer 500 (every try of GET /fairness/seeds), then none do
    sandbox.setFaults({ error: 0.5, seed: 585, scope: "all" });
    const out = ok<VerifyOut>(await h.call("verify_bets", { agent_ids: [second], rotate: false, wait_seconds: 50 }));
    sandbox.setFaults(null);
    const routes = sandbox.stats().byRoute;
    expect(routes["GET /api/v1/fairness/seeds"]).toBe(4);
    // one audit for the revealed seed, one for the active seed (which stays hidden)
    expect(routes["GET /api/v1/fairness/audit/:betId"]).toBe(2);
    expect(out).toMatchObject({ all_verified: true, checked: BETS_PER_SEED, mismatch_count: 0 });
    expect(out.agents[0]?.seeds).toEqual([expect.objectContaining({ bets: BETS_PER_SEED, commitment_ok: true })]);
  });
});
