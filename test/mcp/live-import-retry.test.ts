/**
 * D2: in live mode the PF_API_KEY import at start is retried. A "staging" sandbox reached only through the
 * PF_*_URL settings answers every request with a 500 (its fault injection) while pf-fleet starts: the server
 * comes up anyway, Beat fires, every tool answer says the primary agent is not yet imported; once the faults
 * stop the import succeeds on its own, with its opening balance, and the notice is gone.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createPurpleFleaClient } from "../../src/purpleflea/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { RunningSandbox } from "../../src/sandbox/types.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";

let dir: string;
let staging: RunningSandbox;
let key: string;
let agentId: string;

const envFor = (db: string, apiKey: string) => ({
  PF_MODE: "live",
  PF_API_KEY: apiKey,
  PF_DB: join(dir, db),
  PF_CASINO_URL: staging.urls.casino,
  PF_ESCROW_URL: staging.urls.escrow,
  PF_FAUCET_URL: staging.urls.faucet,
  PF_DOMAINS_URL: staging.urls.domains,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-live-retry-"));
  staging = await startSandbox({ rateLimits: false });
  const client = createPurpleFleaClient({ urls: { ...staging.urls, wallet: `${staging.controlUrl}/v1` } });
  const reg = await client.casino.register();
  await client.close();
  key = reg.apiKey;
  agentId = reg.agentId;
  staging.fund(agentId, 3);
});
afterAll(async () => {
  await staging?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(fleet: FleetServer) {
  const client = new Client({ name: "pf-fleet-live-retry-test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await fleet.server.connect(serverSide);
  await client.connect(clientSide);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { client, call };
}

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

describe("live start with a failing casino", () => {
  it("retries the PF_API_KEY import, runs Beat meanwhile, says so in every answer, and imports once it can", async () => {
    staging.setFaults({ error: 1 });
    const balanceChecksBefore = staging.stats().faults.error ?? 0;
    const fleet = await createServer(loadConfig(envFor("retry.db", key)), {
      logger: silentLogger,
      startScheduler: true,
      importRetry: { baseDelayMs: 100, maxDelayMs: 400 },
    });
    try {
      // up, not imported, and retrying (not stopped by the first failure)
      expect(fleet.primaryImport?.status().state).toMatch(/retrying|importing/);
      expect(await fleet.deps.fleet.getAgent(agentId)).toBeUndefined();
      const { client, call } = await connect(fleet);

      // every answer says the import is pending: a read, and an error answer too
      const agents = await call("list_agents");
      expect(textOf(agents)).toMatch(/Notice: the primary agent \(PF_API_KEY\) is not yet imported/);
      expect(JSON.stringify(agents)).not.toContain(key);
      expect(agents.structuredContent?.notices).toEqual([expect.stringMatching(/not yet imported.*retried/)]);
      const bad = await call("job_status", { job_id: "no-such-job" });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/Notice: the primary agent \(PF_API_KEY\) is not yet imported/);

      // Beat runs regardless of the import: a one-second schedule fires while the casino still fails
      await fleet.deps.scheduler.set("wallet-balance-check", { intervalSeconds: 1 });
      const firedWhileFailing = await waitFor(async () => {
        const f = (await fleet.deps.scheduler.get("wallet-balance-check"))?.lastFiring;
        return f?.outcome === "enqueued" ? f : undefined;
      }, 5_000);
      expect(fleet.primaryImport?.status().state).not.toBe("imported");
      // several tries really failed against the sandbox
      await waitFor(async () => ((fleet.primaryImport?.status().attempts ?? 0) >= 3 ? true : undefined), 5_000);
      expect((staging.stats().faults.error ?? 0) - balanceChecksBefore).toBeGreaterThanOrEqual(3);

      // the casino recovers: the import completes on its own, with the opening balance
      staging.setFaults(null);
      await waitFor(async () => (fleet.primaryImport?.status().state === "imported" ? true : undefined), 5_000);
      expect(await fleet.deps.fleet.getAgent(agentId)).toMatchObject({ label: "primary", source: "imported" });
      const opening = sqliteDbForTests(fleet.deps.storage)
        .prepare("SELECT amount FROM movements WHERE agent_id = ? AND kind = 'opening_balance'")
        .pluck()
        .get(agentId);
      expect(opening).toBe(Math.round(staging.balanceOf(agentId) * 1e6));

      // and the schedules keep firing, now for an imported agent; the notice is gone
      const later = await waitFor(async () => {
        const f = (await fleet.deps.scheduler.get("wallet-balance-check"))?.lastFiring;
        return f && f.firedAt > firedWhileFailing.firedAt && f.outcome === "enqueued" ? f : undefined;
      }, 5_000);
      expect(later.jobId).not.toBeNull();
      const after = await call("list_agents");
      expect(textOf(after)).not.toMatch(/Notice:/);
      expect(after.structuredContent?.notices).toBeUndefined();
      expect(textOf(after)).toContain(agentId);
      await client.close();
    } finally {
      staging.setFaults(null);
      await fleet.close();
    }
  }, 30_000);

  it("a key the casino refuses (401) is not retried, and every answer says why", async () => {
    const fleet = await createServer(loadConfig(envFor("refused.db", `sk_live_${"0".repeat(32)}`)), {
      logger: silentLogger,
      importRetry: { baseDelayMs: 50, maxDelayMs: 100 },
    });
    try {
      await fleet.primaryImport?.done;
      expect(fleet.primaryImport?.status()).toMatchObject({ state: "failed", attempts: 1 });
      const { client, call } = await connect(fleet);
      const agents = await call("list_agents");
      expect(textOf(agents)).toMatch(/could not be imported and will not be retried.*UNAUTHORIZED.*Fix PF_API_KEY/s);
      await client.close();
    } finally {
      await fleet.close();
    }
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, withinMs: number): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
