import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/index.js";
import { call, registerAgent, startTestSandbox } from "./helpers.js";

let sb: RunningSandbox;
beforeEach(async () => {
  sb = await startTestSandbox();
});
afterEach(async () => {
  await sb.close();
});

const claim = (body: unknown, ip?: string) =>
  call(sb, "faucet", "POST", "/faucet/claim", { body, headers: ip ? { "x-forwarded-for": `${ip}, 10.0.0.1` } : {} });

describe("faucet claim", () => {
  it("gives only the first registration in a 24 h window the automatic $1", async () => {
    const first = await registerAgent(sb);
    const second = await registerAgent(sb);
    expect(sb.balanceOf(first.agentId)).toBe(1);
    expect(sb.balanceOf(second.agentId)).toBe(0);
    const ledger = await call(sb, "casino", "GET", "/auth/ledger", { key: first.apiKey });
    expect(ledger.body.entries[0]).toMatchObject({ type: "credit", amount: 1, service: "faucet" });
    expect(ledger.body.entries[0].id).toBe(`${ledger.body.entries[0].reference}_ledger`);

    sb.advanceClock(24 * 3_600_000);
    const third = await registerAgent(sb);
    expect(sb.balanceOf(third.agentId)).toBe(1);
  });

  it("runs its checks in the real order, one outcome each", async () => {
    await registerAgent(sb); // the casino's own claim at registration uses up the "unknown" IP for 24 h
    const fresh = await registerAgent(sb);
    const funded = await registerAgent(sb, { fund: 5 });
    const spender = await registerAgent(sb);
    expect((await claim({ agent_casino_id: spender.agentId }, "9.9.9.9")).status).toBe(200);

    const invalid = await claim({ agent_casino_id: "bob" }, "1.1.1.1");
    expect([invalid.status, invalid.body.error]).toEqual([400, "invalid_request"]);
    // IP check comes before the agent lookup: an unknown agent from a spent IP gets 429
    const spentIp = await claim({ agent_casino_id: "ag_ffffffffffff" }, "9.9.9.9");
    expect([spentIp.status, spentIp.body.error]).toEqual([429, "ip_rate_limited"]);
    const missing = await claim({ agent_casino_id: "ag_ffffffffffff" }, "2.2.2.2");
    expect([missing.status, missing.body.error]).toEqual([404, "agent_not_found"]);
    const deposited = await claim({ agent_casino_id: funded.agentId }, "3.3.3.3");
    expect([deposited.status, deposited.body.error]).toEqual([403, "has_deposits"]);

    const ok = await claim({ agent_casino_id: fresh.agentId }, "4.4.4.4");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ credited: 1, agent_id: fresh.agentId, referral_tracked: false });
    expect(ok.body.claim_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sb.balanceOf(fresh.agentId)).toBe(1);

    const twice = await claim({ agent_casino_id: fresh.agentId }, "5.5.5.5");
    expect([twice.status, twice.body.error]).toEqual([409, "already_claimed"]);
    expect(sb.balanceOf(fresh.agentId)).toBe(1);

    const stats = await call(sb, "faucet", "GET", "/faucet/stats");
    expect(stats.body).toMatchObject({ total_claims: 3, total_agents: 3, total_value_usd: 3, avg_per_agent: 1 });
  });

  it("tracks a referral from the agent's casino referrer", async () => {
    const referrer = await registerAgent(sb);
    const referred = await registerAgent(sb, { referralCode: referrer.referralCode });
    const res = await claim({ agent_casino_id: referred.agentId }, "9.9.9.9");
    expect(res.body.referral_tracked).toBe(true);
  });
});
