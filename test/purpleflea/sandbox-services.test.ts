import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetError } from "../../src/errors.js";
import { payoutMicros, usdToMicros } from "../../src/money.js";
import {
  type BetRequest,
  createPurpleFleaClient,
  findBetsByClientSeed,
  findLedgerByReference,
  type PurpleFleaClient,
  type Registration,
} from "../../src/purpleflea/index.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";

/**
 * Escrow, domains, faucet, real rate limits, and the reconciliation story against the embedded sandbox:
 * a lost answer is classified ambiguous, and the server's records then prove what happened.
 */

let sandbox: RunningSandbox;
let client: PurpleFleaClient;
let alice: Registration;
let bob: Registration;
const startedAt = new Date(Date.now() - 1_000);

beforeAll(async () => {
  sandbox = await startSandbox();
  client = createPurpleFleaClient({ urls: { ...sandbox.urls, wallet: "http://127.0.0.1:9/v1" } });
  alice = await client.casino.register();
  bob = await client.casino.register();
  sandbox.fund(alice.agentId, 50);
});
afterAll(async () => {
  await client?.close();
  await sandbox?.close();
});

const fails = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as FleetError,
  );

describe("escrow", () => {
  it("create → complete → release moves the net amount and is findable by reference on both sides", async () => {
    const escrow = await client.escrow.create(alice.apiKey, {
      amount: 300_000,
      description: "write the weekly report",
      counterpartyAgentId: bob.agentId,
    });
    expect(escrow).toMatchObject({
      status: "funded",
      amount: 300_000,
      commission: 3_000,
      netToCounterparty: 297_000,
      creatorId: alice.agentId,
      counterpartyId: bob.agentId,
      timeoutHours: 24,
    });
    const lock = await findLedgerByReference(client.casino, alice.apiKey, escrow.escrowId);
    expect(lock).toEqual([expect.objectContaining({ id: `${escrow.escrowId}_debit`, type: "debit", amount: 300_000 })]);

    expect(await fails(client.escrow.release(bob.apiKey, escrow.escrowId))).toMatchObject({ code: "FORBIDDEN" });
    expect(await client.escrow.complete(bob.apiKey, escrow.escrowId)).toEqual({
      escrowId: escrow.escrowId,
      status: "completed",
    });
    expect(await fails(client.escrow.complete(bob.apiKey, escrow.escrowId))).toMatchObject({
      code: "CONFLICT",
      upstreamCode: "invalid_status",
    });
    const release = await client.escrow.release(alice.apiKey, escrow.escrowId);
    expect(release).toMatchObject({ status: "released", amountReleased: 297_000, counterpartyId: bob.agentId });

    const seen = await client.escrow.get(escrow.escrowId, alice.apiKey);
    expect(seen).toMatchObject({ status: "released", completedAt: expect.any(String), releasedAt: expect.any(String) });
    const credit = await findLedgerByReference(client.casino, bob.apiKey, escrow.escrowId);
    expect(credit).toEqual([expect.objectContaining({ type: "credit", amount: 297_000 })]);
  });

  it("a dispute ends in disputed; unknown escrows are NOT_FOUND; stats answer", async () => {
    const escrow = await client.escrow.create(alice.apiKey, {
      amount: 100_000,
      description: "translate a page",
      counterpartyAgentId: bob.agentId,
      timeoutHours: 2,
    });
    expect(await client.escrow.dispute(bob.apiKey, escrow.escrowId, "the work was never delivered")).toEqual({
      escrowId: escrow.escrowId,
      status: "disputed",
    });
    expect(await fails(client.escrow.get("esc_0000000000000000"))).toMatchObject({ code: "NOT_FOUND", status: 404 });
    expect(await client.escrow.stats()).toEqual(expect.any(Object));
  });

  it("refuses an escrow the creator cannot fund", async () => {
    const err = await fails(
      client.escrow.create(bob.apiKey, {
        amount: 90_000_000,
        description: "too big",
        counterpartyAgentId: alice.agentId,
      }),
    );
    expect(err).toMatchObject({ code: "INSUFFICIENT_BALANCE", kind: "permanent", status: 402 });
  });
});

describe("domains", () => {
  it("registers an account, searches, and buys a domain from its USD balance", async () => {
    const account = await client.domains.register();
    expect(account.apiKey).toMatch(/^sk_domains_/);
    expect(await fails(client.domains.account(alice.apiKey))).toMatchObject({ code: "UNAUTHORIZED" });
    sandbox.fund(account.agentId, 50);
    expect(await client.domains.account(account.apiKey)).toMatchObject({ balance: 50_000_000, totalDomains: 0 });

    const results = await client.domains.search(account.apiKey, "pf-fleet-integration");
    const offer = results.find((r) => r.available);
    expect(offer).toBeDefined();
    const purchase = await client.domains.registerDomain(account.apiKey, offer!.domain);
    expect(purchase).toMatchObject({ domain: offer!.domain, balance: 50_000_000 - purchase.chargedUsd });
    expect(await client.domains.account(account.apiKey)).toMatchObject({ totalDomains: 1, balance: purchase.balance });
    expect(await fails(client.domains.registerDomain(account.apiKey, offer!.domain))).toMatchObject({
      code: "INVALID_INPUT",
      upstreamCode: "domain_unavailable",
    });
  });
});

describe("lost answers are reconciled from the server's records", () => {
  const bet = (clientSeed: string): BetRequest => ({ game: "coin-flip", side: "heads", amount: 10_000, clientSeed });

  it("a processed bet whose connection dropped is ambiguous, then found in the export", async () => {
    const before = usdToMicros(sandbox.balanceOf(alice.agentId));
    sandbox.setFaults({ drop: 1, scope: "money" });
    const err = await fails(client.casino.bet(alice.apiKey, bet("rc:dropped")));
    sandbox.setFaults(null);
    expect(err).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous" });

    const found = await findBetsByClientSeed(client.casino, alice.apiKey, ["rc:dropped"], { since: startedAt });
    const row = found.get("rc:dropped");
    expect(row).toBeDefined();
    const payout = row!.won ? payoutMicros(row!.amount, row!.payoutMultiplier) : 0;
    expect(usdToMicros(sandbox.balanceOf(alice.agentId))).toBe(before - row!.amount + payout);
  });

  it.each([
    ["a reset before processing", { reset: 1 }, "OUTCOME_UNKNOWN"],
    ["a 500 without processing", { error: 1 }, "OUTCOME_UNKNOWN"],
  ])("%s is ambiguous, and the export proves the bet absent", async (_label, faults, code) => {
    const seed = `rc:${Object.keys(faults)[0]}`;
    sandbox.setFaults({ ...faults, scope: "money" });
    const err = await fails(client.casino.bet(alice.apiKey, bet(seed)));
    sandbox.setFaults(null);
    expect(err).toMatchObject({ code, kind: "ambiguous" });
    const found = await findBetsByClientSeed(client.casino, alice.apiKey, [seed], { since: startedAt });
    expect(found.size).toBe(0);
  });

  it("a 429 burst is rate_limited, not ambiguous", async () => {
    sandbox.setFaults({ burst429: 1, burstLength: 1, scope: "money" });
    const err = await fails(client.casino.bet(alice.apiKey, bet("rc:burst")));
    sandbox.setFaults(null);
    expect(err).toMatchObject({ code: "RATE_LIMITED", kind: "rate_limited" });
    expect(err!.retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});

describe("rate limits and the faucet", () => {
  it("the 11th batch call in a minute is RATE_LIMITED with a wait from reset_at", async () => {
    const carol = await client.casino.register(); // no balance: every entry is refused, nothing moves
    const refused = { game: "coin-flip", side: "heads", amount: 10_000, clientSeed: "rl" } as const;
    for (let i = 0; i < 10; i++) {
      const batch = await client.casino.batch(carol.apiKey, [refused]);
      expect(batch.results[0]).toMatchObject({ ok: false, error: "insufficient_balance" });
    }
    const err = await fails(client.casino.batch(carol.apiKey, [refused]));
    expect(err).toMatchObject({ code: "RATE_LIMITED", kind: "rate_limited", upstreamCode: "rate_limit_exceeded" });
    expect(err!.retryAfterMs).toBeGreaterThan(0);
    expect(err!.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("claims the faucet once per agent; the 24 h IP limit is not worth waiting for", async () => {
    const dave = await client.casino.register();
    const erin = await client.casino.register();
    // the sandbox keys the IP on this client's own address (the casino's claim at registration is "unknown")
    expect(await client.faucet.claim(erin.agentId)).toMatchObject({ credited: 1_000_000 });
    // erin's claim used this IP's one claim for the day
    const limited = await fails(client.faucet.claim(dave.agentId));
    expect(limited).toMatchObject({ code: "RATE_LIMITED", upstreamCode: "ip_rate_limited", retryAfterMs: 86_400_000 });
    expect(limited!.details).toMatchObject({ worthWaiting: false });

    sandbox.advanceClock(25 * 3_600_000);
    const claim = await client.faucet.claim(dave.agentId);
    expect(claim).toMatchObject({ credited: 1_000_000, agentId: dave.agentId });
    expect(await findLedgerByReference(client.casino, dave.apiKey, claim.claimId)).toHaveLength(1);

    sandbox.advanceClock(25 * 3_600_000);
    expect(await fails(client.faucet.claim(dave.agentId))).toMatchObject({
      code: "CONFLICT",
      upstreamCode: "already_claimed",
    });
    expect(await fails(client.faucet.claim("ag_000000000000"))).toMatchObject({ code: "NOT_FOUND" });
    const stats = await client.faucet.stats();
    expect(stats.totalClaims).toBeGreaterThanOrEqual(2);
    expect(stats.totalValue).toBe(stats.totalClaims * 1_000_000);
  });
});
