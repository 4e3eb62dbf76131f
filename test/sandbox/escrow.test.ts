import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/index.js";
import { call, registerAgent, startTestSandbox, type TestAgent } from "./helpers.js";

let sb: RunningSandbox;
let creator: TestAgent;
let worker: TestAgent;
beforeEach(async () => {
  sb = await startTestSandbox();
  await registerAgent(sb); // takes the automatic faucet $1, so balances below are exactly what was funded
  creator = await registerAgent(sb, { fund: 10 });
  worker = await registerAgent(sb);
});
afterEach(async () => {
  await sb.close();
});

async function create(body: Record<string, unknown>, key = creator.apiKey) {
  return call(sb, "escrow", "POST", "/escrow/create", {
    key,
    body: { description: "scrape 100 pages", counterparty_agent_id: worker.agentId, ...body },
  });
}

describe("escrow state machine", () => {
  it("locks the full amount at create, pays the counterparty amount × 0.99 on release", async () => {
    const created = await create({ amount_usd: 4 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      amount_usd: 4,
      commission_usd: 0.04,
      net_to_counterparty: 3.96,
      status: "funded",
      timeout_hours: 24,
    });
    const id: string = created.body.escrow_id;
    expect(id).toMatch(/^esc_[0-9a-f]{16}$/);
    expect(sb.balanceOf(creator.agentId)).toBe(6);

    const ledger = await call(sb, "casino", "GET", "/auth/ledger", { key: creator.apiKey });
    expect(ledger.body.entries.find((e: { id: string }) => e.id === `${id}_debit`)).toMatchObject({
      id: `${id}_debit`,
      reference: id,
      type: "debit",
      amount: 4,
      service: "escrow",
    });

    const completed = await call(sb, "escrow", "POST", `/escrow/complete/${id}`, { key: worker.apiKey });
    expect(completed.body.status).toBe("completed");
    const released = await call(sb, "escrow", "POST", `/escrow/release/${id}`, { key: creator.apiKey });
    expect(released.body).toMatchObject({ status: "released", amount_released: 3.96, commission: 0.04 });
    expect(sb.balanceOf(worker.agentId)).toBe(3.96);

    const view = await call(sb, "escrow", "GET", `/escrow/${id}`, { key: worker.apiKey });
    expect(view.body.status).toBe("released");
    expect(view.body.events.map((e: { event: string }) => e.event)).toEqual(["created", "completed", "released"]);
    const anonymous = await call(sb, "escrow", "GET", `/escrow/${id}`);
    expect(anonymous.body.events).toBeUndefined();

    const stats = await call(sb, "escrow", "GET", "/escrow/stats");
    expect(stats.body).toMatchObject({
      total_created: 1,
      total_released: 1,
      total_volume_usd: 4,
      total_commission_usd: 0.04,
    });
  });

  it("lets the creator release straight from funded and refuses what the roles and statuses forbid", async () => {
    const id = (await create({ amount_usd: 1 })).body.escrow_id;
    const notYours = await call(sb, "escrow", "POST", `/escrow/complete/${id}`, { key: creator.apiKey });
    expect([notYours.status, notYours.body.error]).toEqual([403, "forbidden"]);
    const workerRelease = await call(sb, "escrow", "POST", `/escrow/release/${id}`, { key: worker.apiKey });
    expect([workerRelease.status, workerRelease.body.error]).toEqual([403, "forbidden"]);
    const stranger = await registerAgent(sb);
    const strangerDispute = await call(sb, "escrow", "POST", `/escrow/dispute/${id}`, { key: stranger.apiKey });
    expect(strangerDispute.status).toBe(403);

    expect((await call(sb, "escrow", "POST", `/escrow/release/${id}`, { key: creator.apiKey })).status).toBe(200);
    const again = await call(sb, "escrow", "POST", `/escrow/release/${id}`, { key: creator.apiKey });
    expect([again.status, again.body.error]).toEqual([409, "invalid_status"]);
    const lateComplete = await call(sb, "escrow", "POST", `/escrow/complete/${id}`, { key: worker.apiKey });
    expect(lateComplete.status).toBe(409);
    expect((await call(sb, "escrow", "POST", "/escrow/release/esc_missing", { key: creator.apiKey })).status).toBe(404);
    expect((await call(sb, "escrow", "POST", `/escrow/release/${id}`)).status).toBe(401);
  });

  it("freezes a disputed escrow: no release, no timeout refund", async () => {
    const id = (await create({ amount_usd: 2 })).body.escrow_id;
    const disputed = await call(sb, "escrow", "POST", `/escrow/dispute/${id}`, {
      key: worker.apiKey,
      body: { reason: "creator moved the goalposts" },
    });
    expect(disputed.body).toMatchObject({ status: "disputed", reason: "creator moved the goalposts" });
    expect((await call(sb, "escrow", "POST", `/escrow/release/${id}`, { key: creator.apiKey })).status).toBe(409);
    sb.advanceClock(48 * 3_600_000);
    expect((await call(sb, "escrow", "GET", `/escrow/${id}`)).body.status).toBe("disputed");
    expect(sb.balanceOf(creator.agentId)).toBe(8);
  });
});

describe("escrow money rules", () => {
  it("refunds the CREATOR less 1% when the timeout passes, even after complete", async () => {
    const id = (await create({ amount_usd: 0.3, timeout_hours: 0 })).body.escrow_id;
    await call(sb, "escrow", "POST", `/escrow/complete/${id}`, { key: worker.apiKey });
    sb.advanceClock(59 * 60_000);
    expect((await call(sb, "escrow", "GET", `/escrow/${id}`)).body.status).toBe("completed");
    sb.advanceClock(60_000);
    const view = await call(sb, "escrow", "GET", `/escrow/${id}`);
    expect(view.body.status).toBe("refunded");
    expect(view.body.timeout_hours).toBe(1);
    expect(sb.balanceOf(creator.agentId)).toBeCloseTo(9.997, 12);
    expect(sb.balanceOf(worker.agentId)).toBe(0);
    const ledger = await call(sb, "casino", "GET", "/auth/ledger", { key: creator.apiKey });
    const refund = ledger.body.entries.find((e: { reference: string }) => e.reference === `${id}_timeout`);
    expect(refund).toMatchObject({ type: "credit", service: "escrow" });
    expect(refund.amount).toBeCloseTo(0.297, 12);
  });

  it("pays 15% of the commission to the referral_code owner, else to the creator's referrer", async () => {
    const owner = await registerAgent(sb);
    const id = (await create({ amount_usd: 10, referral_code: owner.referralCode })).body.escrow_id;
    const released = await call(sb, "escrow", "POST", `/escrow/release/${id}`, { key: creator.apiKey });
    expect(released.body.referral_commission).toBe(0.015);
    expect(sb.balanceOf(owner.agentId)).toBe(0.015);

    const referred = await registerAgent(sb, { fund: 5, referralCode: owner.referralCode });
    const second = await call(sb, "escrow", "POST", "/escrow/create", {
      key: referred.apiKey,
      body: { amount_usd: 2, description: "second job", counterparty_agent_id: worker.agentId, timeout_hours: 1 },
    });
    sb.advanceClock(2 * 3_600_000);
    expect((await call(sb, "escrow", "GET", `/escrow/${second.body.escrow_id}`)).body.status).toBe("refunded");
    expect(sb.balanceOf(owner.agentId)).toBeCloseTo(0.015 + 0.003, 12);
  });

  it("validates create in the service's order and moves nothing on refusal", async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ amount_usd: 0.05 }, 400, "invalid_amount"],
      [{ amount_usd: "abc" }, 400, "invalid_amount"],
      [{ amount_usd: 1, description: "ab" }, 400, "invalid_description"],
      [{ amount_usd: 1, counterparty_agent_id: "bob" }, 400, "invalid_counterparty"],
      [{ amount_usd: 1, counterparty_agent_id: creator.agentId }, 400, "self_escrow"],
      [{ amount_usd: 1, counterparty_agent_id: "ag_ffffffffffff" }, 404, "counterparty_not_found"],
      [{ amount_usd: 11 }, 402, "insufficient_balance"],
    ];
    for (const [body, status, code] of cases) {
      const res = await create(body);
      expect({ body, status: res.status, error: res.body.error }).toEqual({ body, status, error: code });
    }
    const numericString = await create({ amount_usd: "1.5", timeout_hours: 5000 });
    expect(numericString.body).toMatchObject({ amount_usd: 1.5, timeout_hours: 720 });
    expect(sb.balanceOf(creator.agentId)).toBe(8.5);
    expect((await create({ amount_usd: 1 }, "sk_live_bogus")).status).toBe(401);
  });
});
