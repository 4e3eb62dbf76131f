import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetError } from "../../src/errors.js";
import { usdToMicros } from "../../src/money.js";
import {
  type BetReceipt,
  type BetRequest,
  createPurpleFleaClient,
  findBetsByClientSeed,
  type PurpleFleaClient,
  type Registration,
  settle,
  seedHash as sha256Commitment,
  verifyRoll,
} from "../../src/purpleflea/index.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";

/**
 * Every casino method against the real embedded sandbox, in one story: the local sum of exact receipts must
 * equal the server's balance to the micro-dollar (DESIGN invariant 3).
 */

let sandbox: RunningSandbox;
let client: PurpleFleaClient;
let alice: Registration;
let expected = 0; // alice's balance as pf-fleet would compute it, in micros
const startedAt = new Date(Date.now() - 1_000);
const receipts: Array<{ bet: BetRequest; receipt: BetReceipt }> = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  client = createPurpleFleaClient({ urls: { ...sandbox.urls, wallet: "http://127.0.0.1:9/v1" } });
  alice = await client.casino.register();
});
afterAll(async () => {
  await client?.close();
  await sandbox?.close();
});

const serverMicros = () => usdToMicros(sandbox.balanceOf(alice.agentId));

describe("casino against the sandbox", () => {
  it("registers an agent whose first registration of the day got the faucet's $1", async () => {
    expect(alice.agentId).toMatch(/^ag_[0-9a-f]{12}$/);
    expect(alice.apiKey).toMatch(/^sk_live_[0-9a-f]{48}$/);
    const balance = await client.casino.balance(alice.apiKey);
    expect(balance).toMatchObject({ agentId: alice.agentId, balance: 1_000_000, riskFactor: 0.25 });
    expect(balance.recentActivity[0]).toMatchObject({ type: "credit", amount: 1_000_000, service: "faucet" });
    sandbox.fund(alice.agentId, 100);
    expected = 101_000_000;
    expect((await client.casino.ledger(alice.apiKey)).map((e) => e.reason)).toContain("sandbox_fund");
  });

  it("raises the risk factor and reads the Kelly caps", async () => {
    await client.casino.setRiskFactor(alice.apiKey, 1);
    const kelly = await client.casino.kellyLimits(alice.apiKey);
    expect(kelly).toMatchObject({ balance: 101_000_000, riskFactor: 1 });
    expect(kelly.limits.find((l) => l.game === "coin-flip")?.maxBet).toBe(50_500_000);
  });

  it("places one bet of each game with exact receipts", async () => {
    expect(await client.casino.seedHash(alice.apiKey)).toMatchObject({ nonce: 0 });
    const bets: BetRequest[] = [
      { game: "coin-flip", side: "heads", amount: 330_000, clientSeed: "it:coin" },
      { game: "dice", direction: "over", threshold: 66, amount: 270_000, clientSeed: "it:dice" },
      { game: "crash", cash_out_at: 1.37, amount: 30_000, clientSeed: "it:crash" },
      { game: "multiplier", target_multiplier: 2.5, amount: 110_000, clientSeed: "it:mult" },
    ];
    for (const [i, bet] of bets.entries()) {
      const receipt = await client.casino.bet(alice.apiKey, bet);
      expect(receipt).toMatchObject({
        game: bet.game,
        stake: bet.amount,
        proof: { clientSeed: bet.clientSeed, nonce: i },
      });
      receipts.push({ bet, receipt });
      expected += receipt.net;
    }
    expect(serverMicros()).toBe(expected);
    expect((await client.casino.seedHash(alice.apiKey)).nonce).toBe(4);
  });

  it("places a batch, keeping a Kelly refusal as a per-bet error", async () => {
    const bets: BetRequest[] = [
      { game: "coin-flip", side: "tails", amount: 70_000, clientSeed: "it:b0" },
      { game: "dice", direction: "under", threshold: 30, amount: 50_000, clientSeed: "it:b1" },
      { game: "coin-flip", side: "heads", amount: 60_000_000, clientSeed: "it:b2" },
    ];
    const batch = await client.casino.batch(alice.apiKey, bets);
    expect(batch.results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(batch.results[2]).toMatchObject({ ok: false, error: "kelly_limit_exceeded" });
    for (const [i, r] of batch.results.entries()) {
      if (!r.ok) continue;
      receipts.push({ bet: bets[i]!, receipt: r.receipt });
      expected += r.receipt.net;
    }
    expect(serverMicros()).toBe(expected);
    expect(Math.abs(batch.balanceAfter - expected)).toBeLessThanOrEqual(5_000);
  });

  it("refuses a stake over the Kelly cap with the cap in the hint", async () => {
    const bet = { game: "coin-flip", side: "heads", amount: 60_000_000, clientSeed: "it:greedy" } as const;
    const err = (await client.casino.bet(alice.apiKey, bet).catch((e: unknown) => e)) as FleetError;
    expect(err).toMatchObject({
      code: "KELLY_LIMIT_EXCEEDED",
      kind: "permanent",
      upstreamCode: "kelly_limit_exceeded",
    });
    expect(err.hint).toMatch(/≤ \$\d+\.\d\d/);
  });

  it("lists the bets in history with API game names", async () => {
    const history = await client.casino.history(alice.apiKey, { limit: 50 });
    expect(history).toHaveLength(receipts.length);
    expect(new Set(history.map((b) => b.game))).toEqual(new Set(["coin-flip", "dice", "crash", "multiplier"]));
    expect(await client.casino.history(alice.apiKey, { game: "coin-flip" })).toHaveLength(2);
  });

  it("finds every placed bet by client seed in the export, and not one that was never sent", async () => {
    const seeds = [...receipts.map((r) => r.bet.clientSeed), "it:never"];
    const found = await findBetsByClientSeed(client.casino, alice.apiKey, seeds, { since: startedAt });
    expect(found.has("it:never")).toBe(false);
    for (const { bet, receipt } of receipts) {
      expect(found.get(bet.clientSeed)).toMatchObject({
        betId: receipt.betId,
        game: bet.game,
        nonce: receipt.proof.nonce,
      });
    }
    const coinOnly = await client.casino.exportBets(alice.apiKey, { game: "coin-flip" });
    expect(coinOnly.map((b) => b.clientSeed).sort()).toEqual(["it:b0", "it:coin"]);
  });

  it("rotates the seed and every roll verifies against the revealed seed", async () => {
    const before = await client.casino.seedHash(alice.apiKey);
    const rotated = await client.casino.rotateSeed(alice.apiKey);
    expect(rotated.previousSeedHash).toBe(before.serverSeedHash);
    expect(sha256Commitment(rotated.previousSeed)).toBe(before.serverSeedHash);
    expect((await client.casino.seedHash(alice.apiKey)).serverSeedHash).toBe(rotated.newSeedHash);
    for (const { bet, receipt } of receipts) {
      const { roll, resultHash } = verifyRoll(rotated.previousSeed, bet.clientSeed, receipt.proof.nonce);
      expect({ roll, resultHash }).toEqual({ roll: receipt.roll, resultHash: receipt.proof.resultHash });
      expect(settle(bet, roll).won).toBe(receipt.won);
    }
    const verdict = await client.casino.verifyBet(alice.apiKey, receipts[0]!.receipt.betId);
    expect(verdict).toMatchObject({ status: "verified", verified: true });
    expect(verdict).not.toHaveProperty("_info");
  });

  it("pays another agent and the transfer is findable by reference", async () => {
    const bob = await client.casino.register();
    const transfer = await client.casino.pay(alice.apiKey, { toAgentId: bob.agentId, amount: 500_000, memo: "thanks" });
    expected -= 500_000;
    expect(transfer).toMatchObject({ amount: 500_000, toAgentId: bob.agentId });
    expect(transfer.transferId).toBeTruthy();
    expect((await client.casino.balance(bob.apiKey)).balance).toBe(500_000);
    expect(serverMicros()).toBe(expected);
    expect(transfer.newBalance).toBe(expected);
  });

  it("rejects a wrong key as UNAUTHORIZED", async () => {
    const err = await client.casino.balance(`sk_live_${"0".repeat(48)}`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "UNAUTHORIZED", kind: "permanent", status: 401 });
  });

  it("keeps balance, receipts and the server in exact agreement", async () => {
    expect((await client.casino.balance(alice.apiKey)).balance).toBe(expected);
  });
});
