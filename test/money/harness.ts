/**
 * A real pf-fleet stack for the money tests: the sandbox over HTTP on 127.0.0.1, a fresh database (a SQLite file in a temp dir, or PostgreSQL in its project),
 * the real client, fleet store, ledger, job engine and tasks. Nothing of ours is mocked.
 */
import { DEFAULT_CONCURRENCY, type QueueName } from "../../src/config.js";
import { createFleetStore } from "../../src/fleet/index.js";
import type { KeyVault } from "../../src/fleet/key-vault.js";
import type { FleetStore } from "../../src/fleet/types.js";
import { createJobEngine, type JobEngine, type JobEngineOptions, type JobRow } from "../../src/jobs/index.js";
import { registerFleetTasks, type TaskDeps } from "../../src/jobs/tasks/index.js";
import { recordOpeningBalance } from "../../src/jobs/tasks/opening-balance.js";
import { listBets, localBalance } from "../../src/ledger/index.js";
import { silentLogger } from "../../src/log.js";
import { usdToMicros } from "../../src/money.js";
import { createPurpleFleaClient } from "../../src/purpleflea/index.js";
import type { ExportedBet, PurpleFleaClient } from "../../src/purpleflea/types.js";
import type { RunningSandbox } from "../../src/sandbox/index.js";
import { openStorage, type Storage } from "../../src/storage/index.js";
import { rawRun, tempDatabase, vaultFor } from "../support/database.js";

/** Generous limits: the tests that are about limits set their own. */
export const TEST_LIMITS = {
  maxBet: usdToMicros(100),
  maxBatch: usdToMicros(10_000),
  dailyLossLimit: usdToMicros(10_000),
  fleetDailyLossLimit: usdToMicros(100_000),
};

export interface Fleet {
  deps: TaskDeps;
  storage: Storage;
  dbPath: string;
  engine: JobEngine;
  fleet: FleetStore;
  client: PurpleFleaClient;
  close(): Promise<void>;
}

export interface FleetOptions {
  sandbox: RunningSandbox;
  /** default: a fresh temp dir */
  dbPath?: string;
  rateLimits?: boolean;
  /** sync each agent's server ledger after its bet calls (default true; see src/jobs/tasks/ledger-sync.ts) */
  ledgerSync?: boolean;
  concurrency?: Partial<Record<QueueName, number>>;
  limits?: Partial<typeof TEST_LIMITS>;
  engine?: Partial<Omit<JobEngineOptions, "storage" | "config">>;
  /** start the dispatcher (default true) */
  start?: boolean;
  /** default: the vault a pf-fleet process on `dbPath` opens (`vaultFor`) */
  vault?: KeyVault;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const temp = opts.dbPath ? undefined : await tempDatabase("pf-money-");
  const dbPath = opts.dbPath ?? (temp?.location as string);
  const storage = await openStorage(dbPath);
  const fleet = createFleetStore(
    storage,
    { limits: { ...TEST_LIMITS, ...opts.limits } },
    { vault: opts.vault ?? vaultFor(dbPath) },
  );
  const client = createPurpleFleaClient({
    urls: { ...opts.sandbox.urls, wallet: "http://127.0.0.1:9/v1" },
    timeoutMs: 5_000,
  });
  const engine = createJobEngine({
    storage,
    config: {
      concurrency: { ...DEFAULT_CONCURRENCY, casino: 40, ...opts.concurrency },
      resultTtlMs: 24 * 3_600_000,
      alertWebhookUrl: undefined,
    },
    settleMs: 200,
    pollMs: 50,
    ...opts.engine,
  });
  const deps: TaskDeps = { storage, client, engine, fleet, logger: silentLogger };
  registerFleetTasks(engine, deps, { rateLimits: opts.rateLimits ?? false, ledgerSync: opts.ledgerSync ?? true });
  if (opts.start ?? true) await engine.start();
  return {
    deps,
    storage,
    dbPath,
    engine,
    fleet,
    client,
    async close() {
      await engine.stop({ graceMs: 1_000 });
      await client.close();
      await storage.close();
      await temp?.remove();
    },
  };
}

/** Registers a casino agent on the sandbox, funds it, adds it to the fleet and records its opening balance. */
export async function addAgent(f: Pick<Fleet, "deps">, sandbox: RunningSandbox, fundUsd: number): Promise<string> {
  const reg = await f.deps.client.casino.register();
  if (fundUsd > 0) sandbox.fund(reg.agentId, fundUsd);
  await f.deps.fleet.addAgent({ agentId: reg.agentId, apiKey: reg.apiKey, source: "registered" });
  await recordOpeningBalance(f.deps, reg.agentId);
  return reg.agentId;
}

/** Resolves when the job (or canvas) is terminal; fails the test with its row if it is not within `ms`. */
export async function settled(engine: JobEngine, id: string, ms = 60_000): Promise<JobRow> {
  const row = await engine.wait(id, { timeoutMs: ms });
  const terminal = ["succeeded", "failed", "dead", "cancelled", "expired", "unknown"];
  if (!terminal.includes(row.state)) throw new Error(`job ${id} still ${row.state} after ${ms} ms`);
  return row;
}

/**
 * The agreement the money tests prove, per agent: the server's bets (its own export) and the local ledger
 * are the same bets by client_seed and bet id, no seed was placed twice, and the local balance (opening
 * balance + Σ movements + Σ bet net) equals the server balance to the micro-dollar.
 */
export interface Agreement {
  serverBets: ExportedBet[];
  seedsPlacedTwice: string[];
  onlyOnServer: string[];
  onlyInLedger: string[];
  betIdMismatches: string[];
  balances: Array<{ agentId: string; server: number; local: number }>;
}

export async function agreement(
  storage: Storage,
  fleet: Pick<FleetStore, "keyFor">,
  client: PurpleFleaClient,
  sandbox: RunningSandbox,
  agentIds: readonly string[],
): Promise<Agreement> {
  const out: Agreement = {
    serverBets: [],
    seedsPlacedTwice: [],
    onlyOnServer: [],
    onlyInLedger: [],
    betIdMismatches: [],
    balances: [],
  };
  for (const agentId of agentIds) {
    const exported = await client.casino.exportBets(await fleet.keyFor(agentId), { since: "2000-01-01T00:00:00Z" });
    out.serverBets.push(...exported);
    const serverBySeed = new Map<string, ExportedBet>();
    for (const b of exported) {
      if (serverBySeed.has(b.clientSeed)) out.seedsPlacedTwice.push(b.clientSeed);
      serverBySeed.set(b.clientSeed, b);
    }
    const ledger = await listBets(storage, { agentIds: [agentId], limit: 10_000 });
    const ledgerBySeed = new Map(ledger.map((b) => [b.clientSeed, b]));
    for (const seed of serverBySeed.keys()) if (!ledgerBySeed.has(seed)) out.onlyOnServer.push(seed);
    for (const [seed, b] of ledgerBySeed) {
      const s = serverBySeed.get(seed);
      if (!s) out.onlyInLedger.push(seed);
      else if (s.betId !== b.betId) out.betIdMismatches.push(seed);
    }
    out.balances.push({
      agentId,
      server: usdToMicros(sandbox.balanceOf(agentId)),
      local: await localBalance(storage, agentId),
    });
  }
  return out;
}

/** A write the seam does not offer (a test's corner case), on either backend: see test/support/database.ts. */
export async function poke(f: Pick<Fleet, "storage">, sql: string, ...params: unknown[]): Promise<number> {
  return rawRun(f.storage, sql, ...params);
}
