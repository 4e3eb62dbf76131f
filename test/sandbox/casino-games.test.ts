import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GameBet, seedHash, settle, verifyRoll } from "../../src/purpleflea/fairness.js";
import type { RunningSandbox } from "../../src/sandbox/index.js";
import { call, registerAgent, startTestSandbox } from "./helpers.js";

let sb: RunningSandbox;
beforeEach(async () => {
  sb = await startTestSandbox();
});
afterEach(async () => {
  await sb.close();
});

describe("casino games are provably fair end to end", () => {
  it("every result equals settle(verifyRoll(revealed seed, client_seed, nonce)) once the seed rotates", async () => {
    const agent = await registerAgent(sb, { fund: 1000, riskFactor: 1 });
    const committed = await call(sb, "casino", "GET", "/fairness/seed-hash", { key: agent.apiKey });
    const plays: Array<{ path: string; body: Record<string, unknown>; bet: GameBet }> = [
      { path: "/games/coin-flip", body: { side: "tails" }, bet: { game: "coin-flip", side: "tails" } },
      {
        path: "/games/dice",
        body: { direction: "under", threshold: 40 },
        bet: { game: "dice", direction: "under", threshold: 40 },
      },
      { path: "/games/crash", body: { cash_out_at: 1.5 }, bet: { game: "crash", cash_out_at: 1.5 } },
      {
        path: "/games/multiplier",
        body: { target_multiplier: 3.3 },
        bet: { game: "multiplier", target_multiplier: 3.3 },
      },
    ];
    const placed = [];
    for (const [i, play] of plays.entries()) {
      const res = await call(sb, "casino", "POST", play.path, {
        key: agent.apiKey,
        body: { ...play.body, amount: 1, client_seed: `seed-${i}` },
      });
      expect(res.status).toBe(200);
      expect(res.body.proof.server_seed_hash).toBe(committed.body.server_seed_hash);
      expect(res.body.proof.nonce).toBe(i);
      placed.push({ play, res: res.body });
    }

    const rotated = await call(sb, "casino", "POST", "/fairness/rotate", { key: agent.apiKey });
    const seed: string = rotated.body.previous_seed.seed;
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    expect(seedHash(seed)).toBe(committed.body.server_seed_hash);
    expect(rotated.body.new_seed_hash).not.toBe(committed.body.server_seed_hash);

    for (const { play, res } of placed) {
      const { roll, resultHash } = verifyRoll(seed, res.proof.client_seed, res.proof.nonce);
      const outcome = settle(play.bet, roll);
      expect(res.proof.result_hash).toBe(resultHash);
      expect(res.result.roll).toBe(roll);
      expect(res.won).toBe(outcome.won);
      expect(res.payout_multiplier).toBe(outcome.payoutMultiplier);
      const verified = await call(sb, "casino", "POST", "/fairness/verify", {
        key: agent.apiKey,
        body: { bet_id: res.bet_id },
      });
      expect(verified.body.verified).toBe(true);
      expect(verified.body.proof.server_seed).toBe(seed);
    }

    const next = await call(sb, "casino", "POST", "/games/coin-flip", {
      key: agent.apiKey,
      body: { side: "heads", amount: 0.5 },
    });
    expect(next.body.proof.nonce).toBe(0);
    expect(next.body.proof.client_seed).toMatch(/^auto_\d+$/);
  });

  it("answers seed_not_yet_revealed before rotation and verifies manual proofs", async () => {
    const agent = await registerAgent(sb, { fund: 10 });
    const bet = await call(sb, "casino", "POST", "/games/coin-flip", {
      key: agent.apiKey,
      body: { side: "heads", amount: 0.5, client_seed: "abc" },
    });
    const early = await call(sb, "casino", "POST", "/fairness/verify", {
      key: agent.apiKey,
      body: { bet_id: bet.body.bet_id },
    });
    expect(early.body.status).toBe("seed_not_yet_revealed");
    expect(early.body.server_seed).toBeUndefined();

    const seed = "ab".repeat(32);
    const manual = await call(sb, "casino", "POST", "/fairness/verify", {
      key: agent.apiKey,
      body: { server_seed: seed, server_seed_hash: seedHash(seed), client_seed: "x", nonce: 7 },
    });
    expect(manual.body).toMatchObject({ verified: true, result: verifyRoll(seed, "x", 7).roll });
  });
});

describe("casino bet validation", () => {
  it("refuses bad amounts and game fields with the engine's codes, touching nothing", async () => {
    const agent = await registerAgent(sb, { fund: 10 });
    const before = sb.balanceOf(agent.agentId);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["/games/coin-flip", { side: "heads", amount: "0.5" }, "invalid_amount"],
      ["/games/coin-flip", { side: "heads", amount: 0 }, "invalid_amount"],
      ["/games/coin-flip", { side: "heads", amount: 0.005 }, "minimum_bet"],
      ["/games/coin-flip", { side: "heads", amount: 500 }, "insufficient_balance"],
      ["/games/coin-flip", { side: "edge", amount: 0.5 }, "invalid_side"],
      ["/games/dice", { direction: "sideways", threshold: 50, amount: 0.5 }, "invalid_direction"],
      ["/games/dice", { direction: "over", threshold: 100, amount: 0.5 }, "invalid_threshold"],
      ["/games/crash", { cash_out_at: 1.0, amount: 0.5 }, "invalid_cashout"],
      ["/games/crash", { cash_out_at: 101, amount: 0.5 }, "invalid_cashout"],
      ["/games/multiplier", { target_multiplier: 1001, amount: 0.5 }, "invalid_multiplier"],
    ];
    for (const [path, body, code] of cases) {
      const res = await call(sb, "casino", "POST", path, { key: agent.apiKey, body });
      expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 400, error: code });
      expect(typeof res.body.message).toBe("string");
    }
    // game fields are checked before the amount, as in the engine
    const both = await call(sb, "casino", "POST", "/games/coin-flip", {
      key: agent.apiKey,
      body: { side: "x", amount: "1" },
    });
    expect(both.body.error).toBe("invalid_side");
    expect(sb.balanceOf(agent.agentId)).toBe(before);
  });

  it("caps each bet at round2(balance × risk_factor × p) and says so", async () => {
    const agent = await registerAgent(sb, { fund: 9 });
    const balance = sb.balanceOf(agent.agentId); // 10 when the faucet's automatic $1 landed
    const cap = Math.round(balance * 0.25 * 0.5 * 100) / 100;
    const over = await call(sb, "casino", "POST", "/games/coin-flip", {
      key: agent.apiKey,
      body: { side: "heads", amount: cap + 0.01 },
    });
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ error: "kelly_limit_exceeded", max_bet: cap });
    expect(over.body.kelly.max_bet).toBe(cap);

    const limits = await call(sb, "casino", "GET", "/kelly/limits", { key: agent.apiKey });
    expect(limits.body.limits.coin_flip.max_bet).toBe(cap);

    const raised = await call(sb, "casino", "PUT", "/kelly/config", { key: agent.apiKey, body: { risk_factor: 1 } });
    expect(raised.body.risk_factor).toBe(1);
    const ok = await call(sb, "casino", "POST", "/games/coin-flip", {
      key: agent.apiKey,
      body: { side: "heads", amount: cap + 0.01 },
    });
    expect(ok.status).toBe(200);

    for (const bad of [0.05, 1.5, "0.5"]) {
      const res = await call(sb, "casino", "PUT", "/kelly/config", { key: agent.apiKey, body: { risk_factor: bad } });
      expect(res.body.error).toBe("invalid_risk_factor");
    }
  });

  it("needs a valid Bearer key and valid JSON", async () => {
    const none = await call(sb, "casino", "POST", "/games/coin-flip", { body: { side: "heads", amount: 1 } });
    expect(none.status).toBe(401);
    const wrong = await call(sb, "casino", "POST", "/games/coin-flip", { key: "sk_live_nope", body: {} });
    expect(wrong.body).toMatchObject({ error: "unauthorized", message: "Invalid API key" });
    const agent = await registerAgent(sb);
    const broken = await call(sb, "casino", "POST", "/games/dice", { key: agent.apiKey, rawBody: "{nope" });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe("invalid_json");
  });
});

describe("casino crediting", () => {
  it("credits the exact stake × multiplier while the response rounds to 2 dp", async () => {
    const agent = await registerAgent(sb, { fund: 100, riskFactor: 1 });
    let start = sb.balanceOf(agent.agentId);
    let sawUnroundedWin = false;
    for (let i = 0; i < 40 && !sawUnroundedWin; i++) {
      const res = await call(sb, "casino", "POST", "/games/multiplier", {
        key: agent.apiKey,
        body: { target_multiplier: 1.37, amount: 0.03, client_seed: `exact-${i}` },
      });
      expect(res.status).toBe(200);
      const after = sb.balanceOf(agent.agentId);
      const expected = res.body.won ? start - 0.03 + 0.03 * 1.37 : start - 0.03;
      expect(after).toBe(expected);
      expect(res.body.new_balance).toBe(Math.round(after * 100) / 100);
      if (res.body.won) {
        expect(res.body.amount_won).toBe(0.04);
        sawUnroundedWin = true;
      }
      start = after;
    }
    expect(sawUnroundedWin).toBe(true);
  });

  it("reports the raw float balance and lifetime totals", async () => {
    const agent = await registerAgent(sb, { fund: 5 });
    await call(sb, "casino", "POST", "/games/coin-flip", { key: agent.apiKey, body: { side: "heads", amount: 0.3 } });
    const res = await call(sb, "casino", "GET", "/auth/balance", { key: agent.apiKey });
    expect(res.body.balance_usd).toBe(sb.balanceOf(agent.agentId));
    expect(res.body.lifetime.total_wagered).toBe(0.3);
    expect(res.body._info.service).toBe("agent-casino");
  });
});
