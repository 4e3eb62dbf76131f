import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/index.js";
import { call, startTestSandbox } from "./helpers.js";

let sb: RunningSandbox;
beforeEach(async () => {
  sb = await startTestSandbox();
});
afterEach(async () => {
  await sb.close();
});

async function domainsAccount() {
  const res = await call(sb, "domains", "POST", "/auth/register", { body: {} });
  expect(res.status).toBe(201);
  expect(res.body.api_key).toMatch(/^sk_domains_[0-9a-f]{48}$/);
  return { agentId: res.body.agent_id as string, key: res.body.api_key as string };
}

describe("domains", () => {
  it("keeps separate accounts: a casino key is refused", async () => {
    const casino = await call(sb, "casino", "POST", "/auth/register", { body: {} });
    const res = await call(sb, "domains", "GET", "/auth/account", { key: casino.body.api_key });
    expect(res.status).toBe(401);
  });

  it("searches deterministically and registers at EUR base × 1.2 × 1.08 in USD", async () => {
    const account = await domainsAccount();
    const first = await call(sb, "domains", "GET", "/domains/search?q=purple-agent", { key: account.key });
    const again = await call(sb, "domains", "GET", "/domains/search?q=purple-agent", { key: account.key });
    expect(first.body.results).toEqual(again.body.results);
    expect(first.body).toMatchObject({ currency: "EUR", markup: "20%" });
    const offer = first.body.results.find((r: { available: boolean }) => r.available);
    expect(offer).toBeDefined();
    expect(offer.price_eur).toBe(Math.round(offer.base_price_eur * 1.2 * 100) / 100);

    const broke = await call(sb, "domains", "POST", "/domains/register", {
      key: account.key,
      body: { domain: offer.domain },
    });
    expect([broke.status, broke.body.error]).toEqual([400, "insufficient_balance"]);

    sb.fund(account.agentId, 200);
    const bought = await call(sb, "domains", "POST", "/domains/register", {
      key: account.key,
      body: { domain: offer.domain },
    });
    expect(bought.status).toBe(201);
    const usd = Math.round(offer.price_eur * 1.08 * 100) / 100;
    expect(bought.body.cost).toMatchObject({
      total_charged_eur: offer.price_eur,
      total_charged_usd: usd,
      exchange_rate: 1.08,
    });
    expect(sb.balanceOf(account.agentId)).toBe(200 - usd);

    const taken = await call(sb, "domains", "POST", "/domains/register", {
      key: account.key,
      body: { domain: offer.domain },
    });
    expect(taken.body.error).toBe("domain_unavailable");
    const invalid = await call(sb, "domains", "POST", "/domains/register", {
      key: account.key,
      body: { domain: "nodot" },
    });
    expect(invalid.body.error).toBe("invalid_domain");
    const view = await call(sb, "domains", "GET", "/auth/account", { key: account.key });
    expect(view.body).toMatchObject({ total_domains: 1, total_spent: usd });
  });
});
