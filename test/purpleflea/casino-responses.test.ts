import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { payoutMicros, usdToMicros } from "../../src/money.js";
import { createPurpleFleaClient, type PurpleFleaClient } from "../../src/purpleflea/index.js";
import { betBody, INFO, json, type ScriptedServer, startScriptedServer } from "./scripted-server.js";

const KEY = `sk_live_${"fedcba9876543210".repeat(3)}`;
const logLines: string[] = [];

let server: ScriptedServer;
let client: PurpleFleaClient;

beforeAll(async () => {
  server = await startScriptedServer();
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  client = createPurpleFleaClient({ urls: server.urls, logger: pino({ level: "debug" }, sink) });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(() => {
  server.received.length = 0;
});

describe("bet receipts", () => {
  it("carry the exact payout, not the response's 2-dp rounding (§11: $0.03 at 1.37× credits $0.0411)", async () => {
    server.script((_req, res) =>
      json(res, 200, betBody({ game: "multiplier", amount: 0.03, multiplier: 1.37, won: true, newBalance: 1.0111 })),
    );
    const receipt = await client.casino.bet(KEY, {
      game: "multiplier",
      target_multiplier: 1.37,
      amount: 30_000,
      clientSeed: "s-1",
    });
    expect(receipt.payout).toBe(41_100); // the response said amount_won 0.04
    expect(receipt.net).toBe(11_100);
    expect(receipt.stake).toBe(30_000);
    expect(receipt.newBalanceRounded).toBe(1_011_100);
    expect(receipt.game).toBe("multiplier");
    expect(receipt.roll).toBe(12.34);
    expect(receipt.result).not.toHaveProperty("roll");
    expect(receipt.proof).toEqual({
      serverSeedHash: "ab".repeat(32),
      clientSeed: "seed-1",
      nonce: 0,
      resultHash: "cd".repeat(32),
    });
    expect(receipt.kelly).toEqual({ bankroll: 1.0111, riskFactor: 0.25, maxBetThisGame: 0.12 });
    expect(server.received[0]!.url).toBe("/api/v1/games/multiplier");
  });

  it("pay nothing on a loss", async () => {
    server.script((_req, res) =>
      json(res, 200, betBody({ amount: 0.05, multiplier: 1.99, won: false, newBalance: 0.95 })),
    );
    const receipt = await client.casino.bet(KEY, {
      game: "coin-flip",
      side: "tails",
      amount: 50_000,
      clientSeed: "s-2",
    });
    expect(receipt).toMatchObject({ won: false, payout: 0, net: -50_000, payoutMultiplier: 1.99, game: "coin-flip" });
  });

  it("a batch sends underscore game names and keeps per-bet refusals in order", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        results: [
          betBody({ amount: 0.02, multiplier: 1.99, won: true, newBalance: 1.0198, nonce: 4 }),
          { error: "kelly_limit_exceeded", message: "Bet $5.00 exceeds Kelly limit of $0.12", max_bet: 0.12 },
        ],
        summary: { total: 2, won: 1, lost: 0, errors: 1, total_wagered: 0 },
        balance_after: 1.02,
        kelly_max_next_bet: 0.25,
        ...INFO,
      }),
    );
    const result = await client.casino.batch(KEY, [
      { game: "coin-flip", side: "heads", amount: 20_000, clientSeed: "b-0" },
      { game: "dice", direction: "over", threshold: 50, amount: 5_000_000, clientSeed: "b-1" },
    ]);
    expect(JSON.parse(server.received[0]!.body)).toEqual({
      bets: [
        { game: "coin_flip", side: "heads", amount: 0.02, client_seed: "b-0" },
        { game: "dice", direction: "over", threshold: 50, amount: 5, client_seed: "b-1" },
      ],
    });
    expect(result.balanceAfter).toBe(1_020_000);
    expect(result.results[0]).toMatchObject({ ok: true, receipt: { payout: 39_800, game: "coin-flip" } });
    expect(result.results[1]).toEqual({
      ok: false,
      error: "kelly_limit_exceeded",
      message: "Bet $5.00 exceeds Kelly limit of $0.12",
    });
  });

  it("a batch answer with the wrong number of results is ambiguous, not silently short", async () => {
    server.script((_req, res) => json(res, 200, { results: [], balance_after: 1 }));
    const err = await client.casino
      .batch(KEY, [{ game: "coin-flip", side: "heads", amount: 20_000, clientSeed: "b-0" }])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous" });
  });
});

describe("account", () => {
  it("balance keeps the raw float and converts it exactly to micros", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        agent_id: "ag_0123456789ab",
        balance_usd: 0.5469999999999999,
        tier: "free",
        risk_factor: 0.25,
        lifetime: {},
        recent_activity: [
          {
            type: "credit",
            amount: 1,
            balance_after: 1,
            reason: "faucet_claim",
            service: "faucet",
            at: "2025-01-01T00:00:00.000Z",
          },
        ],
        ...INFO,
      }),
    );
    const balance = await client.casino.balance(KEY);
    expect(balance).toMatchObject({ agentId: "ag_0123456789ab", balance: 547_000, balanceUsd: 0.5469999999999999 });
    expect(balance.recentActivity).toEqual([
      {
        id: "",
        type: "credit",
        amount: 1_000_000,
        balanceAfter: 1_000_000,
        reason: "faucet_claim",
        reference: null,
        service: "faucet",
        at: "2025-01-01T00:00:00.000Z",
      },
    ]);
  });

  it("ledger maps the raw database rows", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        entries: [
          {
            id: "esc_00112233aabbccdd_debit",
            agentId: "ag_0123456789ab",
            type: "debit",
            amount: 0.3,
            balanceAfter: 0.7,
            reason: "escrow_lock",
            reference: "esc_00112233aabbccdd",
            service: "escrow",
            createdAt: 1_735_689_600,
          },
        ],
      }),
    );
    expect(await client.casino.ledger(KEY)).toEqual([
      {
        id: "esc_00112233aabbccdd_debit",
        type: "debit",
        amount: 300_000,
        balanceAfter: 700_000,
        reason: "escrow_lock",
        reference: "esc_00112233aabbccdd",
        service: "escrow",
        at: "2025-01-01T00:00:00.000Z",
      },
    ]);
  });

  it("history maps game names and amounts, and sends the filter in the server's naming", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        bets: [
          {
            id: "bet_1",
            game: "coin_flip",
            amount: 0.05,
            amount_won: 0.1,
            multiplier: 1.99,
            won: true,
            net: 0.05,
            at: "2025-01-01T00:00:00.000Z",
          },
        ],
        pagination: { total: 1 },
      }),
    );
    const bets = await client.casino.history(KEY, { game: "coin-flip", outcome: "won", limit: 10 });
    expect(bets).toEqual([
      {
        id: "bet_1",
        game: "coin-flip",
        amount: 50_000,
        amountWon: 100_000,
        multiplier: 1.99,
        won: true,
        net: 50_000,
        at: "2025-01-01T00:00:00.000Z",
      },
    ]);
    expect(server.received[0]!.url).toBe("/api/v1/bets/history?game=coin_flip&outcome=won&limit=10");
  });

  it("seedHash falls back to the seed list for the nonce when the route omits it", async () => {
    server.script((req, res) =>
      req.url.endsWith("/fairness/seed-hash")
        ? json(res, 200, { server_seed_hash: "h2", note: "…" })
        : json(res, 200, {
            seeds: [
              { id: 1, seed_hash: "h1", seed: "s1", active: false, bets_made: 1000 },
              { id: 2, seed_hash: "h2", seed: "[active - not yet revealed]", active: true, bets_made: 7 },
            ],
          }),
    );
    expect(await client.casino.seedHash(KEY)).toEqual({ serverSeedHash: "h2", nonce: 7 });
  });

  it("kellyLimits accepts production's object keyed by scenario", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        bankroll: 1,
        risk_factor: 0.25,
        limits: { coin_flip: { max_bet: 0.13, kelly_fraction: -0.01 }, dice_over_75: { max_bet: 0.06 } },
      }),
    );
    expect(await client.casino.kellyLimits(KEY)).toEqual({
      balance: 1_000_000,
      riskFactor: 0.25,
      limits: [
        { game: "coin-flip", maxBet: 130_000 },
        { game: "dice-over-75", maxBet: 60_000 },
      ],
    });
  });
});

describe("logging", () => {
  it("logs method, path and status at debug, and never a key", () => {
    const all = logLines.join("");
    expect(all).toContain('"path":"/games/multiplier"');
    expect(all).toContain('"status":200');
    expect(all).not.toContain(KEY);
    expect(all).not.toContain("sk_domains_abc");
  });
});

describe("amount conversion", () => {
  it("rounds server float noise to the nearest micro and computes payouts in integers", () => {
    expect(usdToMicros(0.1 + 0.2)).toBe(300_000);
    expect(payoutMicros(30_000, 1.37)).toBe(41_100);
    expect(payoutMicros(10_000, 1.99)).toBe(19_900);
    expect(payoutMicros(1, 1.9999)).toBe(2);
  });
});
