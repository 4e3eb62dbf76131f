import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Db } from "../../src/db.js";
import { FleetError } from "../../src/errors.js";
import { createFleetStore, type FleetStore, openPrivateDatabase } from "../../src/fleet/index.js";
import { recordBet } from "../../src/ledger/bets.js";
import { migrateLedger } from "../../src/ledger/schema.js";

const KEY_A = `sk_live_${"a1".repeat(24)}`;
const KEY_B = `sk_live_${"b2".repeat(24)}`;
const AGENT_A = "ag_aaaaaaaaaaaa";
const AGENT_B = "ag_bbbbbbbbbbbb";
const DAY = 86_400_000;
const NOON = Date.UTC(2025, 5, 10, 12);

const config = loadConfig({ PF_MAX_BET_USD: "1", PF_MAX_BATCH_USD: "10", PF_DAILY_LOSS_LIMIT_USD: "5" });

function caught(fn: () => unknown): FleetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FleetError) return err;
    throw err;
  }
  throw new Error("expected a FleetError");
}

let dir: string;
let path: string;
let db: Db;
let clock: number;
let fleet: FleetStore;
let seq = 0;

function open(): FleetStore {
  db = openPrivateDatabase(path);
  migrateLedger(db);
  return createFleetStore(db, config, { now: () => clock });
}

function loseBet(agentId: string, stakeUsd: number, at: number): void {
  seq++;
  recordBet(db, {
    agentId,
    clientSeed: `seed-${seq}-abcdef`,
    betId: `bet_${seq}`,
    game: "coin-flip",
    params: { side: "heads" },
    stake: stakeUsd * 1e6,
    payoutMultiplier: 1.99,
    won: false,
    payout: 0,
    serverSeedHash: "f".repeat(64),
    nonce: seq,
    resultHash: "e".repeat(64),
    roll: 75,
    jobId: null,
    placedAt: at,
    source: "response",
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-store-"));
  path = join(dir, "fleet.db");
  clock = NOON;
  fleet = open();
  fleet.addAgent({ agentId: AGENT_A, apiKey: KEY_A, source: "registered", label: "alpha" });
  fleet.addAgent({ agentId: AGENT_B, apiKey: KEY_B, source: "imported" });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("agents and keys", () => {
  it("creates the database readable by its owner only", () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("lists agents without their keys and hands a key out by agent id", () => {
    const listed = JSON.stringify(fleet.listAgents());
    expect(fleet.listAgents().map((a) => a.agentId)).toEqual([AGENT_A, AGENT_B]);
    expect(fleet.getAgent(AGENT_B)?.label).toBe(AGENT_B);
    expect(listed).not.toContain(KEY_A);
    expect(listed).not.toMatch(/sk_live_/);
    expect(fleet.keyFor(AGENT_A)).toBe(KEY_A);
    expect(caught(() => fleet.keyFor("ag_cccccccccccc")).code).toBe("NOT_FOUND");
  });

  it("re-importing an agent updates its key and keeps its label", () => {
    const KEY_C = `sk_live_${"c3".repeat(24)}`;
    fleet.addAgent({ agentId: AGENT_A, apiKey: KEY_C, source: "imported" });
    expect(fleet.keyFor(AGENT_A)).toBe(KEY_C);
    expect(fleet.getAgent(AGENT_A)?.label).toBe("alpha");
    expect(fleet.listAgents()).toHaveLength(2);
  });

  it("refuses a malformed key without echoing it", () => {
    const bad = "sk_live_not-hex-but-secret-material";
    const err = caught(() => fleet.addAgent({ agentId: "ag_dddddddddddd", apiKey: bad, source: "imported" }));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).not.toContain("secret-material");
    expect(fleet.getAgent("ag_dddddddddddd")).toBeUndefined();
  });

  it("stores domain accounts with their own keys", () => {
    const key = `sk_domains_${"d4".repeat(24)}`;
    fleet.addDomainAccount({ accountId: "dom_1234", apiKey: key });
    expect(fleet.listDomainAccounts().map((a) => a.accountId)).toEqual(["dom_1234"]);
    expect(JSON.stringify(fleet.listDomainAccounts())).not.toContain(key);
    expect(fleet.domainKeyFor("dom_1234")).toBe(key);
    expect(caught(() => fleet.addDomainAccount({ accountId: "dom_5678", apiKey: KEY_A })).code).toBe("INVALID_INPUT");
  });

  it("keeps keys only in the fleet tables", () => {
    db.pragma("wal_checkpoint(TRUNCATE)");
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    const holders = tables.filter((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all()).includes(KEY_A));
    expect(holders).toEqual(["fleet_agents"]);
    expect(readFileSync(path).includes(Buffer.from(KEY_A))).toBe(true);
  });
});

describe("limits", () => {
  it("start from the operator's configuration", () => {
    expect(fleet.limits()).toMatchObject({ maxBet: 1_000_000, maxBatch: 10_000_000, dailyLossLimit: 5_000_000 });
    expect(fleet.limitsFor(AGENT_A).maxBet).toBe(1_000_000);
  });

  it("can be lowered, and the lowering survives a restart", () => {
    fleet.tighten({ maxBet: 500_000 });
    fleet.tighten({ dailyLossLimit: 2_000_000 }, AGENT_A);
    db.close();
    fleet = open();
    expect(fleet.limits().maxBet).toBe(500_000);
    expect(fleet.limitsFor(AGENT_A)).toMatchObject({ maxBet: 500_000, dailyLossLimit: 2_000_000 });
    expect(fleet.limitsFor(AGENT_B).dailyLossLimit).toBe(5_000_000);
  });

  it("cannot be raised: LIMIT_EXCEEDED and nothing written", () => {
    fleet.tighten({ maxBet: 500_000 });
    const err = caught(() => fleet.tighten({ maxBatch: 1_000_000, maxBet: 900_000 }));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("maxBet");
    expect(fleet.limits()).toMatchObject({ maxBet: 500_000, maxBatch: 10_000_000 });
    expect(caught(() => fleet.tighten({ maxBet: 2_000_000 }, AGENT_A)).code).toBe("LIMIT_EXCEEDED");
    expect(fleet.limitsFor(AGENT_A).maxBet).toBe(500_000);
  });

  it("never lets an old override loosen a limit the operator lowered later", () => {
    fleet.tighten({ maxBet: 800_000 });
    db.close();
    db = openPrivateDatabase(path);
    fleet = createFleetStore(db, { limits: { ...config.limits, maxBet: 300_000 } }, { now: () => clock });
    expect(fleet.limits().maxBet).toBe(300_000);
  });

  it("has no per-agent form of the fleet-wide loss limit", () => {
    expect(caught(() => fleet.tighten({ fleetDailyLossLimit: 1_000_000 }, AGENT_A)).code).toBe("INVALID_INPUT");
    expect(caught(() => fleet.tighten({ maxBet: 1 }, "ag_cccccccccccc")).code).toBe("NOT_FOUND");
  });
});

describe("pause and resume", () => {
  it("stops every bet fleet-wide until resumed, across a restart", () => {
    fleet.pause({ reason: "drawdown review" });
    db.close();
    fleet = open();
    expect(fleet.pauseState()).toEqual({ fleetPaused: true, reason: "drawdown review", pausedAgents: [] });
    const err = caught(() => fleet.assertCanBet(AGENT_A, 100_000));
    expect(err.code).toBe("TRADING_PAUSED");
    expect(err.message).toContain("drawdown review");
    fleet.resume({});
    expect(() => fleet.assertCanBet(AGENT_A, 100_000)).not.toThrow();
  });

  it("pauses one agent without stopping the others", () => {
    fleet.pause({ agentId: AGENT_A, reason: "suspicious losses" });
    expect(fleet.pauseState().pausedAgents).toEqual([AGENT_A]);
    expect(fleet.getAgent(AGENT_A)?.paused).toBe(true);
    expect(caught(() => fleet.assertCanBet(AGENT_A, 100_000)).code).toBe("TRADING_PAUSED");
    expect(() => fleet.assertCanBet(AGENT_B, 100_000)).not.toThrow();
    fleet.resume({ agentId: AGENT_A });
    expect(fleet.pauseState().pausedAgents).toEqual([]);
  });
});

describe("risk checks", () => {
  it("refuses a stake above the max bet", () => {
    const err = caught(() => fleet.assertCanBet(AGENT_A, 1_500_000));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("$1.50");
    expect(() => fleet.assertCanBet(AGENT_A, 1_000_000)).not.toThrow();
  });

  it("refuses a batch whose total stake is above the max batch stake", () => {
    const stakes = Array.from({ length: 12 }, (_, i) => ({ agentId: i % 2 ? AGENT_A : AGENT_B, stake: 900_000 }));
    expect(caught(() => fleet.assertCanPlaceBatch(stakes)).code).toBe("LIMIT_EXCEEDED");
    expect(() => fleet.assertCanPlaceBatch(stakes.slice(0, 8))).not.toThrow();
  });

  it("stops an agent once today's realised loss leaves no headroom, and a new UTC day resets it", () => {
    loseBet(AGENT_A, 1, NOON - 3_600_000);
    loseBet(AGENT_A, 1, NOON - 60_000);
    loseBet(AGENT_A, 1, NOON - DAY); // yesterday: does not count
    expect(() => fleet.assertCanBet(AGENT_A, 1_000_000)).not.toThrow();
    loseBet(AGENT_A, 1, NOON - 30_000);
    loseBet(AGENT_A, 1, NOON - 20_000);
    loseBet(AGENT_A, 0.75, NOON - 10_000); // $4.75 lost: a $0.50 stake could pass the $5 limit
    expect(() => fleet.assertCanBet(AGENT_A, 250_000)).not.toThrow();
    const err = caught(() => fleet.assertCanBet(AGENT_A, 500_000));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("daily loss limit");
    expect(() => fleet.assertCanBet(AGENT_B, 500_000)).not.toThrow();
    clock = NOON + DAY / 2;
    expect(() => fleet.assertCanBet(AGENT_A, 500_000)).not.toThrow();
  });

  it("stops the whole fleet at the fleet-wide daily loss limit", () => {
    fleet.tighten({ fleetDailyLossLimit: 3_000_000 });
    loseBet(AGENT_A, 1, NOON - 1000);
    loseBet(AGENT_B, 1, NOON - 1000);
    const err = caught(() =>
      fleet.assertCanPlaceBatch([
        { agentId: AGENT_B, stake: 600_000 },
        { agentId: AGENT_A, stake: 600_000 },
      ]),
    );
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("fleet-wide");
  });

  it("refuses unknown agents before anything else", () => {
    expect(caught(() => fleet.assertCanBet("ag_cccccccccccc", 10_000)).code).toBe("NOT_FOUND");
  });
});
