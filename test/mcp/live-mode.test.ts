import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createPurpleFleaClient } from "../../src/purpleflea/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { RunningSandbox } from "../../src/sandbox/types.js";
import { createServer } from "../../src/server.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";

/**
 * Live mode against a "staging" copy of the services: a sandbox started separately, reached only through
 * the PF_*_URL settings — nothing may assume production host names. PF_API_KEY becomes the primary agent.
 */

let dir: string;
let staging: RunningSandbox;
let env: Record<string, string>;
let key: string;
let agentId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-live-"));
  staging = await startSandbox({ rateLimits: false });
  const urls = { ...staging.urls, wallet: `${staging.controlUrl}/v1` };
  const client = createPurpleFleaClient({ urls });
  const reg = await client.casino.register();
  await client.close();
  key = reg.apiKey;
  agentId = reg.agentId;
  staging.fund(agentId, 3);
  env = {
    PF_MODE: "live",
    PF_API_KEY: key,
    PF_DB: join(dir, "live.db"),
    PF_CASINO_URL: staging.urls.casino,
    PF_ESCROW_URL: staging.urls.escrow,
    PF_FAUCET_URL: staging.urls.faucet,
    PF_DOMAINS_URL: staging.urls.domains,
  };
});
afterAll(async () => {
  await staging?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("live mode", () => {
  it("imports PF_API_KEY as the primary agent with its opening balance, and says it is live", async () => {
    const fleet = await createServer(loadConfig(env), { logger: silentLogger });
    try {
      expect(fleet.deps.mode).toBe("live");
      expect(fleet.deps.sandbox).toBeUndefined();
      const agent = await fleet.deps.fleet.getAgent(agentId);
      expect(agent).toMatchObject({ label: "primary", source: "imported" });
      const opening = sqliteDbForTests(fleet.deps.storage)
        .prepare("SELECT amount FROM movements WHERE agent_id = ? AND kind = 'opening_balance'")
        .pluck()
        .get(agentId);
      expect(opening).toBe(Math.round(staging.balanceOf(agentId) * 1e6));
      expect(opening).toBeGreaterThanOrEqual(3_000_000);
    } finally {
      await fleet.close();
    }
    // A restart imports the same key again without a second opening balance.
    const again = await createServer(loadConfig(env), { logger: silentLogger });
    try {
      const rows = sqliteDbForTests(again.deps.storage)
        .prepare("SELECT COUNT(*) FROM movements WHERE agent_id = ?")
        .pluck()
        .get(agentId);
      expect(rows).toBe(1);
    } finally {
      await again.close();
    }
  });

  it("refuses to open a live database in sandbox mode", async () => {
    await expect(createServer(loadConfig({ PF_DB: env.PF_DB as string }), { logger: silentLogger })).rejects.toThrow(
      /belongs to live mode/,
    );
  });

  it("refuses live mode without a key", async () => {
    await expect(
      createServer(loadConfig({ ...env, PF_API_KEY: "", PF_DB: join(dir, "other.db") }), { logger: silentLogger }),
    ).rejects.toThrow(/PF_MODE=live needs PF_API_KEY/);
  });
});
