import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/index.js";
import { call, parseCsv, registerAgent, startTestSandbox } from "./helpers.js";

let sb: RunningSandbox;
beforeEach(async () => {
  sb = await startTestSandbox({ now: Date.parse("2026-03-01T12:00:00.400Z") });
});
afterEach(async () => {
  await sb.close();
});

describe("bets/export.csv", () => {
  it("lists every bet with the §11 columns, 2-dp amounts, whole-second UTC times and engine game names", async () => {
    const agent = await registerAgent(sb, { fund: 100, riskFactor: 1 });
    // biome-ignore lint/suspicious/noExplicitAny: bet responses are read field by field
    const placed = new Map<string, any>();
    const plays: Array<[string, Record<string, unknown>]> = [
      ["/games/coin-flip", { side: "heads" }],
      ["/games/dice", { direction: "over", threshold: 30 }],
      ["/games/crash", { cash_out_at: 2 }],
      ["/games/multiplier", { target_multiplier: 1.37 }],
    ];
    for (const [i, [path, fields]] of plays.entries()) {
      const res = await call(sb, "casino", "POST", path, {
        key: agent.apiKey,
        body: { ...fields, amount: 0.033, client_seed: `csv-${i}` },
      });
      placed.set(`csv-${i}`, res.body);
    }
    const res = await call(sb, "casino", "GET", "/bets/export.csv", { key: agent.apiKey });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const [header] = res.text.split("\r\n");
    expect(header).toBe(
      "bet_id,game,amount_usd,amount_won_usd,net_usd,payout_multiplier,won,server_seed_hash,client_seed,nonce,result_hash,timestamp_utc",
    );
    const rows = parseCsv(res.text);
    expect(rows.map((r) => r.game).sort()).toEqual(["coin_flip", "crash", "dice", "multiplier"]);
    for (const row of rows) {
      const bet = placed.get(row.client_seed as string);
      expect(row.bet_id).toBe(bet.bet_id);
      expect(row.amount_usd).toBe("0.03");
      expect(row.amount_won_usd).toBe((Math.round(bet.amount_won * 100) / 100).toFixed(2));
      expect(row.won).toBe(String(bet.won));
      expect(Number(row.payout_multiplier)).toBe(bet.payout_multiplier);
      expect(row.nonce).toBe(String(bet.proof.nonce));
      expect(row.result_hash).toBe(bet.proof.result_hash);
      expect(row.timestamp_utc).toBe("2026-03-01T12:00:00.000Z");
    }
  });

  it("filters by since/until and game", async () => {
    const agent = await registerAgent(sb, { fund: 50 });
    await call(sb, "casino", "POST", "/games/dice", {
      key: agent.apiKey,
      body: { direction: "over", threshold: 50, amount: 0.1 },
    });
    sb.advanceClock(3_600_000);
    await call(sb, "casino", "POST", "/games/coin-flip", { key: agent.apiKey, body: { side: "tails", amount: 0.1 } });
    const later = await call(sb, "casino", "GET", "/bets/export.csv?since=2026-03-01T12:30:00Z", { key: agent.apiKey });
    expect(parseCsv(later.text).map((r) => r.game)).toEqual(["coin_flip"]);
    const earlier = await call(sb, "casino", "GET", "/bets/export.csv?until=2026-03-01T12:30:00Z", {
      key: agent.apiKey,
    });
    expect(parseCsv(earlier.text).map((r) => r.game)).toEqual(["dice"]);
    const dice = await call(sb, "casino", "GET", "/bets/export.csv?game=dice", { key: agent.apiKey });
    expect(parseCsv(dice.text)).toHaveLength(1);
  });
});

describe("bets/history and bets/batch", () => {
  it("pages history newest first and rejects unknown game filters", async () => {
    const agent = await registerAgent(sb, { fund: 50 });
    for (let i = 0; i < 3; i++) {
      await call(sb, "casino", "POST", "/games/coin-flip", { key: agent.apiKey, body: { side: "heads", amount: 0.1 } });
    }
    const page = await call(sb, "casino", "GET", "/bets/history?limit=2", { key: agent.apiKey });
    expect(page.body.bets).toHaveLength(2);
    expect(page.body.pagination).toMatchObject({ total: 3, limit: 2, has_more: true });
    expect(page.body.bets[0].game).toBe("coin_flip");
    const bad = await call(sb, "casino", "GET", "/bets/history?game=poker", { key: agent.apiKey });
    expect(bad.body.error).toBe("invalid_game");
  });

  it("settles each entry in order, reports per-bet errors, and keeps the total_wagered=0 bug", async () => {
    const agent = await registerAgent(sb, { fund: 100, riskFactor: 1 });
    const res = await call(sb, "casino", "POST", "/bets/batch", {
      key: agent.apiKey,
      body: {
        bets: [
          { game: "coin_flip", amount: 0.5, side: "tails", client_seed: "b-1" },
          { game: "dice", amount: 0.5, direction: "under", threshold: 60, client_seed: "b-2" },
          { game: "crash", amount: 0.5, cash_out_at: 3 },
          { game: "multiplier", amount: "0.5" },
          { game: "roulette", amount: 0.5 },
          { game: "poker", amount: 0.5 },
        ],
      },
    });
    expect(res.status).toBe(200);
    const [flip, dice, crash, badAmount, roulette, poker] = res.body.results;
    expect(flip.proof.client_seed).toBe("b-1");
    expect(dice.proof.nonce).toBe(1);
    expect(crash.result.cash_out_at).toBe(3);
    expect(badAmount.error).toBe("invalid_amount");
    expect(roulette.error).toBe("unsupported_game");
    expect(poker.error).toBe("unknown_game");
    expect(res.body.summary).toMatchObject({ total: 6, errors: 3, total_wagered: 0 });
    expect(res.body.summary.won + res.body.summary.lost).toBe(3);
    expect(res.body.balance_after).toBe(Math.round(sb.balanceOf(agent.agentId) * 100) / 100);

    const tooMany = await call(sb, "casino", "POST", "/bets/batch", {
      key: agent.apiKey,
      body: { bets: Array.from({ length: 21 }, () => ({ game: "coin_flip", amount: 0.1 })) },
    });
    expect(tooMany.body.error).toBe("too_many_bets");
    const empty = await call(sb, "casino", "POST", "/bets/batch", { key: agent.apiKey, body: { bets: [] } });
    expect(empty.body.error).toBe("invalid_bets");
  });
});

describe("ledger, transfers and referral commissions", () => {
  it("moves money agent to agent with a ledger row on each side sharing the reference", async () => {
    const alice = await registerAgent(sb, { fund: 10 });
    const bob = await registerAgent(sb);
    const aliceBefore = sb.balanceOf(alice.agentId);
    const bobBefore = sb.balanceOf(bob.agentId);
    const paid = await call(sb, "casino", "POST", "/stats/pay", {
      key: alice.apiKey,
      body: { to_agent_id: bob.agentId, amount: 2.5, memo: "thanks" },
    });
    expect(paid.status).toBe(200);
    expect(sb.balanceOf(alice.agentId)).toBe(aliceBefore - 2.5);
    expect(sb.balanceOf(bob.agentId)).toBe(bobBefore + 2.5);

    const aliceLedger = await call(sb, "casino", "GET", "/auth/ledger", { key: alice.apiKey });
    const bobLedger = await call(sb, "casino", "GET", "/auth/ledger", { key: bob.apiKey });
    // production's answer and rows (purpleflea-api.md §12): a pay_ id, no memo stored anywhere
    expect(paid.body).toMatchObject({ from: alice.agentId, to: bob.agentId, amount: 2.5, memo: "thanks" });
    expect(paid.body.tx_id).toMatch(/^pay_[0-9a-f]{16}$/);
    expect(paid.body.sender_new_balance).toBe(aliceBefore - 2.5);
    const byTx = (e: { reference: string }) => e.reference === paid.body.tx_id;
    const out = aliceLedger.body.entries.find(byTx);
    const incoming = bobLedger.body.entries.find(byTx);
    expect(out).toMatchObject({ type: "debit", amount: 2.5, reason: "payment_sent", service: "payment" });
    expect(incoming).toMatchObject({ type: "credit", amount: 2.5, reason: "payment_received", agentId: bob.agentId });
    expect(JSON.stringify([aliceLedger.body, bobLedger.body])).not.toContain("thanks");
    expect(Object.keys(out).sort()).toEqual([
      "agentId",
      "amount",
      "at",
      "balanceAfter",
      "createdAt",
      "id",
      "reason",
      "reference",
      "service",
      "type",
    ]);

    for (const [body, code] of [
      [{ to_agent_id: alice.agentId, amount: 1 }, "self_transfer"],
      [{ to_agent_id: "ag_000000000000", amount: 1 }, "recipient_not_found"],
      [{ to_agent_id: bob.agentId, amount: 0.001 }, "invalid_amount"],
      [{ to_agent_id: bob.agentId, amount: 1000 }, "insufficient_balance"],
    ] as const) {
      const res = await call(sb, "casino", "POST", "/stats/pay", { key: alice.apiKey, body });
      expect(res.body.error).toBe(code);
    }
  });

  it("never overdraws when transfers race each other", async () => {
    const payer = await registerAgent(sb, { fund: 1 });
    const payee = await registerAgent(sb);
    const start = sb.balanceOf(payer.agentId);
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        call(sb, "casino", "POST", "/stats/pay", {
          key: payer.apiKey,
          body: { to_agent_id: payee.agentId, amount: 0.3 },
        }),
      ),
    );
    const paid = results.filter((r) => r.status === 200).length;
    expect(paid).toBe(Math.floor(start / 0.3 + 1e-9));
    expect(results.filter((r) => r.status !== 200).every((r) => r.body.error === "insufficient_balance")).toBe(true);
    expect(sb.balanceOf(payer.agentId)).toBeGreaterThanOrEqual(0);
    expect(sb.balanceOf(payee.agentId)).toBeCloseTo(paid * 0.3, 12);
  });

  it("writes a reservation row per bet, a release row per win, and referral commissions", async () => {
    const referrer = await registerAgent(sb);
    const player = await registerAgent(sb, { fund: 20, referralCode: referrer.referralCode, riskFactor: 1 });
    let lost = 0;
    const won: string[] = [];
    const betIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await call(sb, "casino", "POST", "/games/multiplier", {
        key: player.apiKey,
        body: { target_multiplier: 1.5, amount: 0.2 },
      });
      betIds.push(res.body.bet_id);
      if (res.body.won) won.push(res.body.bet_id);
      else lost++;
    }
    const playerLedger = await call(sb, "casino", "GET", "/auth/ledger", { key: player.apiKey });
    type Row = { reason: string; reference: string; type: string; amount: number; service: string };
    const rows: Row[] = playerLedger.body.entries;
    const reservations = rows.filter((e) => e.reason === "reservation");
    expect(reservations.map((e) => e.reference).sort()).toEqual([...betIds].sort());
    expect(reservations.every((e) => e.type === "debit" && e.amount === 0.2 && e.service === "casino")).toBe(true);
    const releases = rows.filter((e) => e.reason === "reservation_release");
    expect(releases.map((e) => e.reference).sort()).toEqual([...won].sort());
    expect(releases.every((e) => e.type === "credit" && Math.abs(e.amount - 0.3) < 1e-12)).toBe(true);
    expect(rows.filter((e) => e.reason === "sandbox_fund")).toHaveLength(1);

    const referrerLedger = await call(sb, "casino", "GET", "/auth/ledger", { key: referrer.apiKey });
    const commissions = referrerLedger.body.entries.filter((e: { reason: string }) =>
      e.reason.startsWith("referral_commission_l1:bet_"),
    );
    expect(commissions).toHaveLength(lost);
    for (const c of commissions) expect(c.amount).toBe(0.02);
  });
});

describe("fairness audit and seeds", () => {
  it("GET /fairness/audit/:betId hides the seed until it rotates, and only the bet's agent may read it", async () => {
    const agent = await registerAgent(sb, { fund: 20 });
    const other = await registerAgent(sb, { fund: 20 });
    const bet = await call(sb, "casino", "POST", "/games/coin-flip", {
      key: agent.apiKey,
      body: { side: "heads", amount: 0.1, client_seed: "audit-1" },
    });
    const path = `/fairness/audit/${bet.body.bet_id}`;
    const hidden = await call(sb, "casino", "GET", path, { key: agent.apiKey });
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({
      bet_id: bet.body.bet_id,
      game: "coin_flip",
      fairness: {
        server_seed_hash: bet.body.proof.server_seed_hash,
        server_seed: "[hidden until seed rotation]",
        client_seed: "audit-1",
        nonce: bet.body.proof.nonce,
        result_hash: bet.body.proof.result_hash,
        seed_revealed: false,
        seed_revealed_at: null,
      },
      timestamp: "2026-03-01T12:00:00.000Z",
    });

    const rotated = await call(sb, "casino", "POST", "/fairness/rotate", { key: agent.apiKey });
    const shown = await call(sb, "casino", "GET", path, { key: agent.apiKey });
    expect(shown.body.fairness).toMatchObject({
      server_seed: rotated.body.previous_seed.seed,
      seed_revealed: true,
      seed_revealed_at: "2026-03-01T12:00:00.000Z",
    });
    const seeds = await call(sb, "casino", "GET", "/fairness/seeds", { key: agent.apiKey });
    expect(seeds.body.seeds[0]).toMatchObject({ seed: rotated.body.previous_seed.seed, active: false, bets_made: 1 });

    const forbidden = await call(sb, "casino", "GET", path, { key: other.apiKey });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe("forbidden");
    expect((await call(sb, "casino", "GET", "/fairness/audit/bet_nope", { key: agent.apiKey })).status).toBe(404);
    // verify by bet id looks among the caller's own bets only, as production does
    const foreign = await call(sb, "casino", "POST", "/fairness/verify", {
      key: other.apiKey,
      body: { bet_id: bet.body.bet_id },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toBe("bet_not_found");
  });
});
