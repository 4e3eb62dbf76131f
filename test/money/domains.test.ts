import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainRegisterResult } from "../../src/jobs/tasks/domain-register.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { listMovements } from "../../src/ledger/index.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { type Fleet, settled, startFleet } from "./harness.js";

describe("domain purchases", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let accountId: string;
  let key: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    // One reconciliation only: the ambiguous case below is meant to end `unknown` quickly.
    f = await startFleet({ sandbox, engine: { settleMs: 50, maxReconciles: 1 } });
    const account = await f.client.domains.register();
    accountId = account.agentId;
    key = account.apiKey;
    sandbox.fund(accountId, 200);
    await f.fleet.addDomainAccount({ accountId, apiKey: key });
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  /** A free `.com` name: every one costs the same, so charges can be compared. */
  async function availableDomain(): Promise<string> {
    for (;;) {
      const name = `pf-${randomBytes(5).toString("hex")}.com`;
      const [quote] = await f.client.domains.search(key, name);
      if (quote?.domain === name && quote.available) return name;
    }
  }
  let comPrice = 0;

  it("registers a domain and records what the account was charged", async () => {
    const before = (await f.client.domains.account(key)).balance;
    const domain = await availableDomain();
    const done = await settled(f.engine, (await f.engine.enqueue(TASK.domainRegister, { accountId, domain })).id);
    expect(done.state).toBe("succeeded");
    const r = done.result as DomainRegisterResult;
    expect(r.domain).toBe(domain);
    expect((await f.client.domains.account(key)).balance).toBe(before - r.charged);
    comPrice = r.charged;
    expect(
      (await listMovements(f.storage, { agentIds: [accountId], kinds: ["domain_purchase"] })).map((m) => m.amount),
    ).toEqual([-r.charged]);
  });

  it("a purchase refused with a 500 is proven not done by the name still being free, then bought once", async () => {
    const domain = await availableDomain();
    sandbox.setFaults({ error: 1, scope: "money" });
    const job = await f.engine.enqueue(TASK.domainRegister, { accountId, domain });
    while (sandbox.stats().faults.error === 0) await new Promise((r) => setTimeout(r, 5));
    sandbox.setFaults(null);
    const done = await settled(f.engine, job.id);
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(2);
  });

  it("a purchase whose answer was lost is left unknown, not bought again: the API cannot say who took the name", async () => {
    const before = (await f.client.domains.account(key)).balance;
    const domain = await availableDomain();
    sandbox.setFaults({ drop: 1, scope: "money" });
    const done = await settled(f.engine, (await f.engine.enqueue(TASK.domainRegister, { accountId, domain })).id);
    sandbox.setFaults(null);
    expect(done.state).toBe("unknown");
    expect(done.error?.message).toMatch(/no longer available/);
    // exactly one purchase happened: the balance fell by one price, never two
    expect((await f.client.domains.account(key)).balance).toBe(before - comPrice);
  });
});
