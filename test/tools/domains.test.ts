import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startHarness, type ToolHarness, toolError } from "./harness.js";

/** search_domains and register_domain against the sandbox's deterministic registry. */

interface SearchOut {
  account_id: string;
  account_created: boolean;
  results: Array<{ domain: string; available: boolean; price_eur: number; price_usd_estimate: number }>;
}

let h: ToolHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("search_domains", () => {
  it("refuses to create an account when told not to, and writes nothing", async () => {
    const rows = h.rows();
    const err = toolError(await h.call("search_domains", { query: "fleetbot", create_account_if_missing: false }));
    expect(err.code).toBe("NOT_FOUND");
    expect(h.rows()).toEqual(rows);
  });

  it("creates the fleet's domains account once, says so, and returns prices", async () => {
    const first = ok<SearchOut>(await h.call("search_domains", { query: "fleetbot" }));
    expect(first.account_created).toBe(true);
    expect((await h.fleet.deps.fleet.listDomainAccounts()).map((a) => a.accountId)).toEqual([first.account_id]);
    expect(first.results.length).toBeGreaterThan(1);
    for (const r of first.results) expect(r.price_usd_estimate).toBeCloseTo(r.price_eur * 1.08, 2);

    const again = ok<SearchOut>(await h.call("search_domains", { query: "fleetbot" }));
    expect(again).toMatchObject({ account_created: false, account_id: first.account_id });
    expect(await h.fleet.deps.fleet.listDomainAccounts()).toHaveLength(1);
  });

  it("never returns the domains key", async () => {
    const result = await h.call("search_domains", { query: "anotherbot" });
    expect(JSON.stringify(result)).not.toMatch(/sk_domains_/);
  });
});

describe("register_domain", () => {
  async function availableDomain(): Promise<{ domain: string; price: number; account: string }> {
    const out = ok<SearchOut>(await h.call("search_domains", { query: "pf-fleet-agent" }));
    const pick = out.results.find((r) => r.available);
    if (!pick) throw new Error("the sandbox registry offered no available name");
    return { domain: pick.domain, price: pick.price_usd_estimate, account: out.account_id };
  }

  it("refuses before sending when the account cannot pay, or the price is above max_price_usd", async () => {
    const { domain, price } = await availableDomain();
    const jobs = h.rows().jobs;
    const poor = toolError(await h.call("register_domain", { domain }));
    expect(poor.code).toBe("INSUFFICIENT_BALANCE");
    const pricey = toolError(await h.call("register_domain", { domain, max_price_usd: price / 2 }));
    expect(pricey.code).toBe("LIMIT_EXCEEDED");
    expect(h.rows().jobs).toBe(jobs);
  });

  it("buys an available domain with the domains balance", async () => {
    const { domain, price, account } = await availableDomain();
    h.fleet.deps.sandbox!.fund(account, 100);
    const out = ok<{
      mode: string;
      registration: { charged_usd: number; balance_usd: number; domain_id: string } | null;
    }>(await h.call("register_domain", { domain }));
    expect(out.mode).toBe("sandbox");
    expect(out.registration?.charged_usd).toBeCloseTo(price, 2);
    expect(out.registration?.balance_usd).toBeCloseTo(100 - price, 2);

    const taken = toolError(await h.call("register_domain", { domain }));
    expect(taken.code).toBe("CONFLICT");
  });
});
