import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { ok, startHarness, type ToolHarness } from "./harness.js";

/** verify_bets re-derives the sandbox's provably-fair rolls from the revealed seed. */

interface VerifyOut {
  mode: string;
  all_verified: boolean | null;
  checked: number;
  mismatch_count: number;
  agents: Array<{
    agent_id: string;
    state: string;
    rotated: boolean | null;
    checked: number;
    seeds: Array<{ commitment_ok: boolean }>;
    mismatches: Array<{ bet_id: string; field: string }>;
  }>;
}

let h: ToolHarness;
let a: string;
let b: string;

beforeAll(async () => {
  h = await startHarness();
  a = await h.agent(20);
  b = await h.agent(20);
  ok(await h.call("place_dice_batch", { direction: "over", threshold: 40, count: 6, amount: 0.05, agent_ids: [a, b] }));
});
afterAll(async () => {
  await h?.close();
});

describe("verify_bets", () => {
  it("rotates each agent's seed and finds every settled bet fair", async () => {
    const out = ok<VerifyOut>(await h.call("verify_bets", {}));
    expect(out).toMatchObject({ mode: "sandbox", all_verified: true, checked: 6, mismatch_count: 0 });
    expect(out.agents.map((x) => [x.agent_id, x.state, x.rotated, x.checked])).toEqual([
      [a, "succeeded", true, 3],
      [b, "succeeded", true, 3],
    ]);
    expect(out.agents.every((x) => x.seeds.every((s) => s.commitment_ok))).toBe(true);
  });

  it("reports a bet whose recorded roll the revealed seed does not give", async () => {
    const db = sqliteDbForTests(h.fleet.deps.storage);
    const bet = db.prepare("SELECT bet_id, roll FROM bets WHERE agent_id = ? ORDER BY id LIMIT 1").get(a) as {
      bet_id: string;
      roll: number;
    };
    db.prepare("UPDATE bets SET roll = ? WHERE bet_id = ?").run((bet.roll + 1) % 100, bet.bet_id);
    const out = ok<VerifyOut>(await h.call("verify_bets", { agent_ids: [a], rotate: false }));
    expect(out.all_verified).toBe(false);
    expect(out.agents[0]?.rotated).toBe(false);
    expect(out.agents[0]?.mismatches).toContainEqual(expect.objectContaining({ bet_id: bet.bet_id, field: "roll" }));
  });
});
