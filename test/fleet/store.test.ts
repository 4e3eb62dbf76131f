import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { FleetError } from "../../src/errors.js";
import { assertDatabaseMode, createFleetStore, type FleetStore } from "../../src/fleet/index.js";
import { prepareKeyVault } from "../../src/fleet/key-check.js";
import { openKeyVault } from "../../src/fleet/key-vault.js";
import { silentLogger } from "../../src/log.js";
import { openSqliteStorage } from "../../src/storage/index.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import type { Storage } from "../../src/storage/types.js";
import { rawRun, vaultFor } from "../support/database.js";

const KEY_A = `sk_live_${"a1".repeat(24)}`;
const KEY_B = `sk_live_${"b2".repeat(24)}`;
const AGENT_A = "ag_aaaaaaaaaaaa";
const AGENT_B = "ag_bbbbbbbbbbbb";
const DAY = 86_400_000;
const NOON = Date.UTC(2025, 5, 10, 12);

const config = loadConfig({ PF_MAX_BET_USD: "1", PF_MAX_BATCH_USD: "10", PF_DAILY_LOSS_LIMIT_USD: "5" });

async function caught(promise: Promise<unknown>): Promise<FleetError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FleetError) return err;
    throw err;
  }
  throw new Error("expected a FleetError");
}

let dir: string;
let path: string;
let storage: Storage;
let clock: number;
let fleet: FleetStore;
let seq = 0;

function open(limits = config.limits): FleetStore {
  storage = openSqliteStorage(path, { private: true });
  return createFleetStore(storage, { limits }, { vault: vaultFor(path), now: () => clock });
}

async function reopen(limits = config.limits): Promise<FleetStore> {
  await storage.close();
  return open(limits);
}

/** A settled losing bet in the ledger, written the way the ledger writes one (its triggers keep the day totals). */
function loseBet(agentId: string, stakeUsd: number, at: number): void {
  seq++;
  sqliteDbForTests(storage)
    .prepare(
      `INSERT INTO bets (agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, payout_multiplier, won,
         payout, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at)
       VALUES (?, ?, ?, 'coin-flip', '{"side":"heads"}', ?, 19900, 1.99, 0, 0, ?, ?, ?, 75, NULL, ?, 'response', ?)`,
    )
    .run(agentId, `seed-${seq}-abcdef`, `bet_${seq}`, stakeUsd * 1e6, "f".repeat(64), seq, "e".repeat(64), at, at);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-store-"));
  path = join(dir, "fleet.db");
  clock = NOON;
  fleet = open();
  await fleet.addAgent({ agentId: AGENT_A, apiKey: KEY_A, source: "registered", label: "alpha" });
  await fleet.addAgent({ agentId: AGENT_B, apiKey: KEY_B, source: "imported" });
});

afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the database file", () => {
  it("creates the database readable by its owner only", () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("creates a new file 0600 in a new 0700 directory whatever the umask, and its WAL too", async () => {
    const fresh = join(dir, "new-home", "keys.db");
    expect(existsSync(fresh)).toBe(false);
    const umask = process.umask(0);
    let other: Storage;
    try {
      other = openSqliteStorage(fresh, { private: true });
    } finally {
      process.umask(umask);
    }
    try {
      await createFleetStore(other, config, { vault: vaultFor(fresh) }).addAgent({
        agentId: AGENT_A,
        apiKey: KEY_A,
        source: "imported",
      });
      expect(statSync(join(dir, "new-home")).mode & 0o777).toBe(0o700);
      expect(statSync(fresh).mode & 0o777).toBe(0o600);
      expect(statSync(`${fresh}-wal`).mode & 0o777).toBe(0o600);
    } finally {
      await other.close();
    }
  });

  it("narrows an existing file to 0600", async () => {
    const existing = join(dir, "existing.db");
    writeFileSync(existing, "");
    chmodSync(existing, 0o644);
    const other = openSqliteStorage(existing, { private: true });
    await other.close();
    expect(statSync(existing).mode & 0o777).toBe(0o600);
  });

  it("belongs to the mode that created it", async () => {
    await assertDatabaseMode(storage, "sandbox");
    await assertDatabaseMode(storage, "sandbox");
    fleet = await reopen();
    const err = await caught(assertDatabaseMode(storage, "live"));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain(path);
    expect(err.message).toContain("belongs to sandbox mode");
  });
});

describe("agents and keys", () => {
  it("lists agents without their keys and hands a key out by agent id", async () => {
    const agents = await fleet.listAgents();
    const listed = JSON.stringify(agents);
    expect(agents.map((a) => a.agentId)).toEqual([AGENT_A, AGENT_B]);
    expect((await fleet.getAgent(AGENT_B))?.label).toBe(AGENT_B);
    expect(listed).not.toContain(KEY_A);
    expect(listed).not.toMatch(/sk_live_/);
    expect(await fleet.keyFor(AGENT_A)).toBe(KEY_A);
    expect((await caught(fleet.keyFor("ag_cccccccccccc"))).code).toBe("NOT_FOUND");
  });

  it("re-importing an agent updates its key and keeps its label", async () => {
    const KEY_C = `sk_live_${"c3".repeat(24)}`;
    const agent = await fleet.addAgent({ agentId: AGENT_A, apiKey: KEY_C, source: "imported" });
    expect(JSON.stringify(agent)).not.toContain(KEY_C);
    expect(await fleet.keyFor(AGENT_A)).toBe(KEY_C);
    expect((await fleet.getAgent(AGENT_A))?.label).toBe("alpha");
    expect(await fleet.listAgents()).toHaveLength(2);
  });

  it("refuses a malformed key without echoing it", async () => {
    const bad = "sk_live_not-hex-but-secret-material";
    const err = await caught(fleet.addAgent({ agentId: "ag_dddddddddddd", apiKey: bad, source: "imported" }));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).not.toContain("secret-material");
    expect(await fleet.getAgent("ag_dddddddddddd")).toBeUndefined();
  });

  it("stores domain accounts with their own keys", async () => {
    const key = `sk_domains_${"d4".repeat(24)}`;
    await fleet.addDomainAccount({ accountId: "dom_1234", apiKey: key });
    const accounts = await fleet.listDomainAccounts();
    expect(accounts.map((a) => a.accountId)).toEqual(["dom_1234"]);
    expect(JSON.stringify(accounts)).not.toContain(key);
    expect(await fleet.domainKeyFor("dom_1234")).toBe(key);
    expect((await caught(fleet.domainKeyFor("dom_5678"))).code).toBe("NOT_FOUND");
    expect((await caught(fleet.addDomainAccount({ accountId: "dom_5678", apiKey: KEY_A }))).code).toBe("INVALID_INPUT");
  });

  it("keeps keys sealed at rest: no table and no byte of the file holds a key in plain text", async () => {
    const db = sqliteDbForTests(storage);
    db.pragma("wal_checkpoint(TRUNCATE)");
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    const holders = tables.filter((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all()).includes(KEY_A));
    expect(holders).toEqual([]);
    expect(readFileSync(path).includes(Buffer.from(KEY_A))).toBe(false);
    const stored = db.prepare("SELECT api_key FROM fleet_agents WHERE agent_id = ?").pluck().get(AGENT_A) as string;
    expect(stored).toMatch(/^pfk1\./);
    // the secret lives beside the database, readable by its owner only
    expect(statSync(`${path}.key`).mode & 0o777).toBe(0o600);
  });

  it("opens a key only with the secret and for the row it was sealed for; it never hands out a garbled key", async () => {
    const db = sqliteDbForTests(storage);
    const stored = db.prepare("SELECT api_key FROM fleet_agents WHERE agent_id = ?").pluck().get(AGENT_A) as string;
    const other = openKeyVault({ secret: "ab".repeat(32) });
    expect(() => other.open(stored, `agent:${AGENT_A}`)).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    // opened once for its own row (and remembered), it still opens for no other
    const vault = vaultFor(path);
    expect(vault.open(stored, `agent:${AGENT_A}`)).toBe(KEY_A);
    expect(vault.open(stored, `agent:${AGENT_A}`)).toBe(KEY_A);
    expect(() => vault.open(stored, "agent:ag_0000aaaa")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    const none = openKeyVault({});
    expect(() => none.open(stored, `agent:${AGENT_A}`)).toThrow(/no secret.*sealed/);
    expect(() => none.seal(KEY_A, `agent:${AGENT_A}`)).toThrow(
      expect.objectContaining({ code: "FORBIDDEN", hint: expect.stringMatching(/PF_SECRET_KEY/) }),
    );
  });

  it("stops a process given another secret at start-up, and seals keys an older version stored in plain text", async () => {
    const logger = silentLogger;
    await prepareKeyVault(storage, vaultFor(path), logger);
    await expect(prepareKeyVault(storage, openKeyVault({ secret: "cd".repeat(32) }), logger)).rejects.toMatchObject({
      code: "FORBIDDEN",
      hint: expect.stringMatching(/PF_SECRET_KEY/),
    });
    const plain = `sk_live_${"b2".repeat(24)}`;
    await rawRun(storage, "UPDATE fleet_agents SET api_key = ? WHERE agent_id = ?", plain, AGENT_A);
    expect(await fleet.keyFor(AGENT_A)).toBe(plain);
    await prepareKeyVault(storage, vaultFor(path), logger);
    const db = sqliteDbForTests(storage);
    expect(db.prepare("SELECT api_key FROM fleet_agents WHERE agent_id = ?").pluck().get(AGENT_A)).toMatch(/^pfk1\./);
    expect(await fleet.keyFor(AGENT_A)).toBe(plain);
  });
});

describe("limits", () => {
  it("start from the operator's configuration", async () => {
    expect(await fleet.limits()).toMatchObject({ maxBet: 1_000_000, maxBatch: 10_000_000, dailyLossLimit: 5_000_000 });
    expect((await fleet.limitsFor(AGENT_A)).maxBet).toBe(1_000_000);
  });

  it("can be lowered, and the lowering survives a restart", async () => {
    await fleet.tighten({ maxBet: 500_000 });
    await fleet.tighten({ dailyLossLimit: 2_000_000 }, AGENT_A);
    fleet = await reopen();
    expect((await fleet.limits()).maxBet).toBe(500_000);
    expect(await fleet.limitsFor(AGENT_A)).toMatchObject({ maxBet: 500_000, dailyLossLimit: 2_000_000 });
    expect((await fleet.limitsFor(AGENT_B)).dailyLossLimit).toBe(5_000_000);
  });

  it("cannot be raised: LIMIT_EXCEEDED and nothing written", async () => {
    await fleet.tighten({ maxBet: 500_000 });
    const err = await caught(fleet.tighten({ maxBatch: 1_000_000, maxBet: 900_000 }));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("maxBet");
    expect(await fleet.limits()).toMatchObject({ maxBet: 500_000, maxBatch: 10_000_000 });
    expect((await caught(fleet.tighten({ maxBet: 2_000_000 }, AGENT_A))).code).toBe("LIMIT_EXCEEDED");
    expect((await fleet.limitsFor(AGENT_A)).maxBet).toBe(500_000);
  });

  it("never ends looser than the lowest of two lowerings that ran at once", async () => {
    await Promise.all([fleet.tighten({ maxBet: 500_000 }), fleet.tighten({ maxBet: 800_000 })]);
    expect((await fleet.limits()).maxBet).toBe(500_000);
    fleet = await reopen();
    expect((await fleet.limits()).maxBet).toBe(500_000);
  });

  it("never lets an old override loosen a limit the operator lowered later", async () => {
    await fleet.tighten({ maxBet: 800_000 });
    fleet = await reopen({ ...config.limits, maxBet: 300_000 });
    expect((await fleet.limits()).maxBet).toBe(300_000);
  });

  it("has no per-agent form of the fleet-wide loss limit", async () => {
    expect((await caught(fleet.tighten({ fleetDailyLossLimit: 1_000_000 }, AGENT_A))).code).toBe("INVALID_INPUT");
    expect((await caught(fleet.tighten({ maxBet: 1 }, "ag_cccccccccccc"))).code).toBe("NOT_FOUND");
  });
});

describe("pause and resume", () => {
  it("stops every bet fleet-wide until resumed, across a restart", async () => {
    await fleet.pause({ reason: "drawdown review" });
    fleet = await reopen();
    expect(await fleet.pauseState()).toEqual({ fleetPaused: true, reason: "drawdown review", pausedAgents: [] });
    const err = await caught(fleet.assertCanBet(AGENT_A, 100_000));
    expect(err.code).toBe("TRADING_PAUSED");
    expect(err.message).toContain("drawdown review");
    await fleet.resume({});
    await expect(fleet.assertCanBet(AGENT_A, 100_000)).resolves.toBeUndefined();
  });

  it("pauses one agent without stopping the others", async () => {
    await fleet.pause({ agentId: AGENT_A, reason: "suspicious losses" });
    expect((await fleet.pauseState()).pausedAgents).toEqual([AGENT_A]);
    expect((await fleet.getAgent(AGENT_A))?.paused).toBe(true);
    expect((await caught(fleet.assertCanBet(AGENT_A, 100_000))).code).toBe("TRADING_PAUSED");
    await expect(fleet.assertCanBet(AGENT_B, 100_000)).resolves.toBeUndefined();
    await fleet.resume({ agentId: AGENT_A });
    expect((await fleet.pauseState()).pausedAgents).toEqual([]);
    expect((await caught(fleet.pause({ agentId: "ag_cccccccccccc", reason: "x" }))).code).toBe("NOT_FOUND");
  });
});

describe("risk checks", () => {
  it("refuses a stake above the max bet", async () => {
    const err = await caught(fleet.assertCanBet(AGENT_A, 1_500_000));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("$1.50");
    await expect(fleet.assertCanBet(AGENT_A, 1_000_000)).resolves.toBeUndefined();
  });

  it("refuses a batch whose total stake is above the max batch stake", async () => {
    const stakes = Array.from({ length: 12 }, (_, i) => ({ agentId: i % 2 ? AGENT_A : AGENT_B, stake: 900_000 }));
    expect((await caught(fleet.assertCanPlaceBatch(stakes))).code).toBe("LIMIT_EXCEEDED");
    await expect(fleet.assertCanPlaceBatch(stakes.slice(0, 8))).resolves.toBeUndefined();
  });

  it("stops an agent once today's realised loss leaves no headroom, and a new UTC day resets it", async () => {
    loseBet(AGENT_A, 1, NOON - 3_600_000);
    loseBet(AGENT_A, 1, NOON - 60_000);
    loseBet(AGENT_A, 1, NOON - DAY); // yesterday: does not count
    await expect(fleet.assertCanBet(AGENT_A, 1_000_000)).resolves.toBeUndefined();
    loseBet(AGENT_A, 1, NOON - 30_000);
    loseBet(AGENT_A, 1, NOON - 20_000);
    loseBet(AGENT_A, 0.75, NOON - 10_000); // $4.75 lost: a $0.50 stake could pass the $5 limit
    await expect(fleet.assertCanBet(AGENT_A, 250_000)).resolves.toBeUndefined();
    const err = await caught(fleet.assertCanBet(AGENT_A, 500_000));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("daily loss limit");
    await expect(fleet.assertCanBet(AGENT_B, 500_000)).resolves.toBeUndefined();
    clock = NOON + DAY / 2;
    await expect(fleet.assertCanBet(AGENT_A, 500_000)).resolves.toBeUndefined();
  });

  it("stops the whole fleet at the fleet-wide daily loss limit", async () => {
    await fleet.tighten({ fleetDailyLossLimit: 3_000_000 });
    loseBet(AGENT_A, 1, NOON - 1000);
    loseBet(AGENT_B, 1, NOON - 1000);
    const err = await caught(
      fleet.assertCanPlaceBatch([
        { agentId: AGENT_B, stake: 600_000 },
        { agentId: AGENT_A, stake: 600_000 },
      ]),
    );
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("fleet-wide");
  });

  it("refuses unknown agents before anything else", async () => {
    expect((await caught(fleet.assertCanBet("ag_cccccccccccc", 10_000))).code).toBe("NOT_FOUND");
  });

  it("refuses a malformed stake before reading anything", async () => {
    await storage.close();
    expect((await caught(fleet.assertCanBet(AGENT_A, -3))).code).toBe("INVALID_INPUT");
    fleet = open();
  });
});
