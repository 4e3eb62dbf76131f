/**
 * A three-host test: three network namespaces, each with its own IP, each running the real CLI (`pf-fleet worker`
 * from dist/) as one machine of a fleet on ONE PostgreSQL database, against one shared sandbox with its real rate
 * limits, over a bridge. Two of the machines' clocks are off by seconds (libfaketime). This process is the MCP
 * front end: it registers and funds agents and submits bet batches; the machines run them while they are
 * SIGKILLed and restarted one after another and the sandbox fails money calls. In the end every bet is in the
 * ledger once, every chord's callback ran once, all three machines did work, and no call drew a 429.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHosts,
  FAKETIME_LIB,
  type Host,
  type HostNetwork,
  inHost,
  netnsUnavailable,
  skewedClock,
} from "../../bench/hosts.js";
import type { ScheduleSeed } from "../../scheduler/defaults.js";
import { scheduleFromSeed } from "../../scheduler/patch.js";
import { openKeyVault } from "../../src/fleet/key-vault.js";
import { AGGREGATE_BET_RESULTS, type BetAggregate, type JobRow } from "../../src/jobs/index.js";
import { type BatchPlan, loadBankrolls, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import { listBets } from "../../src/ledger/index.js";
import { microsToUsd, usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { sharedSandboxUrls } from "../../src/server.js";
import { addAgent, agreement, type Fleet, settled, startFleet, TEST_LIMITS } from "../money/harness.js";
import { assertBuilt } from "../money/processes.js";
import { rawRows } from "../support/database.js";
// @ts-expect-error: a plain .mjs script, shared with .ci/run
import { pgBinDir, startCluster, stopCluster } from "../support/pg-cluster.mjs";

/** every second, a cheap job no other part of the test enqueues */
const TICK: ScheduleSeed = {
  name: "three-hosts-tick",
  description: "every second: a daily PnL summary, so that each machine's Beat races for every slot",
  task: TASK.dailyPnl,
  args: {},
  intervalSeconds: 1,
  enabled: true,
  catchUp: "skip",
  expirySeconds: 30,
};

const CLI = fileURLToPath(new URL("../../dist/src/cli.js", import.meta.url));
/** ≤ 10: the sandbox registers 10 agents a minute per IP, and this process registers them all */
const AGENTS = 8;
/** per chord: 40 bets per agent, two `bets/batch` calls each; 6 calls per agent in all, of the 10 a minute allowed */
const BETS = 320;
/** h2 runs 7 s ahead, h3 5 s behind; leases, due times and rate windows must not care */
const SKEW: Record<string, string | undefined> = { h1: undefined, h2: "+7s", h3: "-5s" };
/** one SIGKILL per machine, in turn, each restarted after a moment; a chord of work is submitted before each */
const KILLS = ["h1", "h2", "h3"];
const CHORDS = KILLS.length;
/** the sandbox's limiters for faucet claims at registration are not the subject here */
const FAUCET_LIMITERS = new Set(["faucet-ip-24h", "faucet-ip"]);

const skipReason = netnsUnavailable() ?? (pgBinDir() ? undefined : "PostgreSQL is not installed");
if (skipReason) console.warn(`three-hosts test skipped: ${skipReason}`);
/** each machine's `env …` prefix that moves its clock; none where libfaketime is missing or does not work */
const skews = new Map(
  Object.entries(SKEW).map(([name, offset]) => [name, offset && !skipReason ? skewedClock(offset) : undefined]),
);
const unskewed = skipReason ? [] : Object.entries(SKEW).filter(([name, offset]) => offset && !skews.get(name));
if (unskewed.length > 0) {
  console.warn(
    `three-hosts: libfaketime unusable (${FAKETIME_LIB}); ${unskewed.map(([n]) => n).join(", ")} run unskewed`,
  );
}

interface HostWorker {
  host: string;
  pid: number;
  child: ChildProcess;
  /** the exit code, or the signal's name */
  exited: Promise<number | string>;
  stderr(): string;
}

/** Runs `pf-fleet worker` in `host`'s namespace; resolves once it says it is ready. */
async function startHostWorker(host: Host, env: NodeJS.ProcessEnv, clock: string[] | undefined): Promise<HostWorker> {
  const [file, ...args] = inHost(host, [...(clock ?? []), process.execPath, CLI, "worker"]);
  const child = spawn(file as string, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${host.name}: worker not ready after 30 s: ${err}`)), 30_000);
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("pf-fleet worker: ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${host.name}: worker exited (${code}) before it was ready: ${err}`));
    });
  });
  return { host: host.name, pid: child.pid as number, child, exited, stderr: () => err };
}

async function stopHostWorker(w: HostWorker): Promise<number | string> {
  if (w.child.exitCode === null && w.child.signalCode === null) {
    w.child.kill("SIGTERM");
    const timer = setTimeout(() => w.child.kill("SIGKILL"), 15_000);
    await w.exited;
    clearTimeout(timer);
  }
  return w.exited;
}

/** A sandbox on a fixed base port: the workers find escrow, faucet and domains on the three after the casino's. */
async function sandboxOn(host: string): Promise<RunningSandbox> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSandbox({ host, port: randomInt(20_000, 60_000) });
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }
}

const clocks = unskewed.length > 0 ? "NO clock skew (libfaketime unusable)" : "clocks +7 s / −5 s";
describe.skipIf(skipReason !== undefined)(
  `three hosts (netns) on one PostgreSQL, SIGKILLs, faults, ${clocks}${skipReason ? `, skipped: ${skipReason}` : ""}`,
  () => {
    const secret = randomBytes(32).toString("hex");
    const workers = new Map<string, HostWorker>();
    /** every worker ever started (killed ones too): pid → host, and their stderr */
    const started: HostWorker[] = [];
    let net: HostNetwork | undefined;
    let cluster: { dir: string; port: number } | undefined;
    let sandbox: RunningSandbox | undefined;
    let f: Fleet;
    let workerEnv: (host: Host) => NodeJS.ProcessEnv;

    const launch = async (name: string) => {
      const host = net?.hosts.find((h) => h.name === name) as Host;
      const w = await startHostWorker(host, workerEnv(host), skews.get(name));
      workers.set(name, w);
      started.push(w);
      return w;
    };

    beforeAll(async () => {
      assertBuilt();
      net = createHosts(["h1", "h2", "h3"]);
      const gw = net.gateway;
      cluster = (await startCluster({ listen: `127.0.0.1,${gw}`, hba: [`host all all ${net.subnet} trust`] })) as {
        dir: string;
        port: number;
      };
      const db = `postgres://postgres@${gw}:${cluster.port}/postgres`;
      sandbox = await sandboxOn(gw);
      // what the workers derive from PF_SANDBOX_URL must be this sandbox's four services
      const { wallet: _, ...shared } = sharedSandboxUrls(sandbox.controlUrl);
      expect(shared).toEqual(sandbox.urls);
      const usd = (micros: number) => String(microsToUsd(micros));
      workerEnv = (host) => ({
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PF_DB: db,
        PF_MODE: "sandbox",
        PF_SANDBOX_URL: sandbox?.controlUrl,
        PF_EGRESS_ID: host.name,
        PF_SECRET_KEY: secret,
        // two calls at a time per machine, so no machine can take the whole batch before the others start
        PF_CONCURRENCY: "casino=2",
        PF_MAX_BET_USD: usd(TEST_LIMITS.maxBet),
        PF_MAX_BATCH_USD: usd(TEST_LIMITS.maxBatch),
        PF_DAILY_LOSS_LIMIT_USD: usd(TEST_LIMITS.dailyLossLimit),
        PF_FLEET_DAILY_LOSS_LIMIT_USD: usd(TEST_LIMITS.fleetDailyLossLimit),
        LOG_LEVEL: process.env.PF_TEST_WORKER_LOG || "warn",
      });
      // The front end only enqueues and inspects; the machines run the jobs.
      f = await startFleet({ sandbox, dbPath: db, start: false, rateLimits: true, vault: openKeyVault({ secret }) });
      // a schedule with a slot every second, for every machine's Beat to race for
      await f.storage.schedules.insertIfAbsent(scheduleFromSeed(TICK, Date.now()));
    }, 60_000);

    afterAll(async () => {
      const steps: Array<() => unknown> = [
        () => Promise.all([...workers.values()].map(stopHostWorker)),
        () => f?.close(),
        () => sandbox?.close(),
        () => cluster && stopCluster(cluster.dir),
        () => net?.remove(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          console.warn("three-hosts cleanup:", err);
        }
      }
      // a worker's errors are worth seeing even when the assertions hold
      for (const w of started) {
        const lines = w.stderr().split("\n");
        const shown = process.env.PF_TEST_WORKER_LOG ? lines : lines.filter((l) => /"level":(50|60)/.test(l));
        if (shown.some((l) => l.trim())) console.warn(`--- ${w.host} (pid ${w.pid}) stderr ---\n${shown.join("\n")}`);
      }
    }, 60_000);

    it("settles every bet once, runs every callback once, spreads the work, draws no 429", async () => {
      const agents: string[] = [];
      for (let i = 0; i < AGENTS; i++) agents.push(await addAgent(f, sandbox as RunningSandbox, 100));
      const bankrolls = await loadBankrolls(f.deps, agents);
      const plans: BatchPlan[] = [];
      for (let i = 0; i < CHORDS; i++) {
        plans.push(
          planBatch({
            bet: { game: "coin-flip", side: "heads" },
            count: BETS,
            amount: usdToMicros(0.02),
            agents: bankrolls,
          }),
        );
      }
      await Promise.all(["h1", "h2", "h3"].map(launch));
      const box = sandbox as RunningSandbox;
      box.resetStats();
      // Answers lost before and after the money moved (seed 413: the 2nd money call is dropped after it was
      // processed, the 5th answered 500, the 6th reset, and more after), and calls slow enough that each kill
      // lands mid-call.
      box.setFaults({ error: 0.05, reset: 0.05, drop: 0.05, latencyMs: 1_500, seed: 413, scope: "money" });
      // h2's clock runs 7 s ahead: were it stamping events by it, the newest event would lie seconds in the future
      let ahead = Number.NEGATIVE_INFINITY;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [row] = await rawRows<{ at: string | null }>(f.storage, "SELECT max(at) AS at FROM job_events");
          ahead = Math.max(ahead, Number(row?.at ?? 0) - Date.now());
          await sleep(100);
        }
      })();
      sampler.catch(() => undefined); // awaited below; a failed test must not leave it unhandled
      const chords: JobRow[] = [];
      const kills: Array<{ host: string; running: number }> = [];
      for (const [i, name] of KILLS.entries()) {
        // a chord per kill, so the victim always has fresh work to be killed in
        chords.push(await submitBatch(f.deps, plans[i] as BatchPlan));
        await sleep(1_000);
        const victim = workers.get(name) as HostWorker;
        // kill it while it holds running jobs (the calls are in flight for 1.5 s)
        let running = 0;
        for (const until = Date.now() + 5_000; running === 0 && Date.now() < until; await sleep(50)) {
          const [row] = await rawRows<{ n: number }>(
            f.storage,
            "SELECT count(*)::int AS n FROM jobs WHERE state = 'running' AND lease_owner LIKE ?",
            `%:${victim.pid}:%`,
          );
          running = row?.n ?? 0;
        }
        victim.child.kill("SIGKILL");
        expect(await victim.exited).toBe("SIGKILL");
        kills.push({ host: name, running });
        await sleep(500);
        await launch(name);
      }
      box.setFaults(null);
      const faults = box.stats().faults;

      // The killed machines' leases run out (30 s) before the jobs they held are recovered.
      const done = await Promise.all(chords.map((c) => settled(f.engine, c.id, 90_000)));
      sampling = false;
      await sampler;
      const exits = await Promise.all([...workers.values()].map(stopHostWorker));
      const stats = box.stats();
      const ledger = await listBets(f.storage, { agentIds: agents, limit: 10_000 });
      const reconciled = ledger.filter((b) => b.source === "reconciled").length;
      // Spread: which machine ran each member, from the owner (host:pid:…) on its claims…
      const hostOf = new Map(started.map((w) => [String(w.pid), w.host]));
      const claims = await rawRows<{ reason: string }>(
        f.storage,
        `SELECT e.reason FROM job_events e JOIN jobs j ON j.id = e.job_id
         WHERE j.task = ? AND e.to_state = 'running'`,
        TASK.betBatch,
      );
      const ranOn: Record<string, number> = {};
      const reconciles = claims.filter((c) => c.reason.includes("to reconcile")).length;
      for (const { reason } of claims) {
        const host = hostOf.get(/claimed by [^:\s]+:(\d+):/.exec(reason)?.[1] ?? "") ?? "?";
        ranOn[host] = (ranOn[host] ?? 0) + 1;
      }
      // …and where the sandbox saw the calls come from
      // every request but this process's own (it registers, funds and reads balances from the bridge's address)
      const callsByIp = Object.fromEntries(Object.entries(stats.byIp).filter(([ipAddr]) => ipAddr !== net?.gateway));
      // deadlocks PostgreSQL broke: the engine is to run those transactions again, so they are shown, not failed on
      const deadlocks = readFileSync(join(cluster?.dir as string, "server.log"), "utf8").split("deadlock detected");
      console.info(
        `three-hosts: kills ${JSON.stringify(kills)}, member claims by host ${JSON.stringify(ranOn)}, ` +
          `requests by IP ${JSON.stringify(callsByIp)}, faults ${JSON.stringify(faults)}, ` +
          `skews ${JSON.stringify(Object.fromEntries([...skews].map(([h, c]) => [h, c ? SKEW[h] : "none"])))}, ` +
          `newest event ${ahead} ms ahead, reconciliations ${reconciles} (receipts ${reconciled}), ` +
          `PostgreSQL deadlocks ${deadlocks.length - 1}`,
      );

      // each schedule slot fired once across the machines, kills and skewed clocks: one job per claimed slot
      const [slots] = await rawRows<{ n: number }>(
        f.storage,
        "SELECT COUNT(*)::int AS n FROM schedule_slots WHERE name = ? AND outcome = 'enqueued'",
        TICK.name,
      );
      const [ticks] = await rawRows<{ n: number }>(
        f.storage,
        "SELECT COUNT(*)::int AS n FROM jobs WHERE task = ?",
        TICK.task,
      );
      expect(slots?.n).toBeGreaterThanOrEqual(10);
      expect(ticks?.n).toBe(slots?.n);

      for (const row of done) {
        expect(row.state, row.id).toBe("succeeded");
        const summary = row.result as BetAggregate;
        expect(summary.failed).toEqual([]);
        expect(summary.totalBets).toBe(BETS);
        const callbacks = (await f.engine.list({ task: AGGREGATE_BET_RESULTS, canvasId: row.id })).jobs;
        expect(callbacks.map((c) => c.state)).toEqual(["succeeded"]);
      }

      const a = await agreement(f.storage, f.fleet, f.client, box, agents);
      expect(a.serverBets).toHaveLength(CHORDS * BETS);
      expect(a.seedsPlacedTwice).toEqual([]);
      expect(a.onlyOnServer).toEqual([]);
      expect(a.onlyInLedger).toEqual([]);
      expect(a.betIdMismatches).toEqual([]);
      for (const b of a.balances) expect(b.local, b.agentId).toBe(b.server);
      expect(new Set(a.serverBets.map((b) => b.clientSeed))).toEqual(
        new Set(plans.flatMap((p) => p.bets.map((b) => b.clientSeed))),
      );

      expect(Object.keys(ranOn)).not.toContain("?");
      expect(Object.keys(ranOn).length).toBeGreaterThanOrEqual(2);
      const hostIps = new Set(net?.hosts.map((h) => h.ip));
      expect(Object.keys(callsByIp).filter((ipAddr) => !hostIps.has(ipAddr))).toEqual([]);
      expect(Object.keys(callsByIp).length).toBeGreaterThanOrEqual(2);

      // No 429 at all: the machines' shared per-agent and own per-egress limits kept every call within the server's.
      expect(Object.keys(stats.rateLimited).filter((k) => !FAUCET_LIMITERS.has(k))).toEqual([]);

      // The clocks: every machine stamps leases, due times, rate windows and events by the database's clock (this
      // process's: the same machine), whatever its own says.
      expect(ahead).toBeLessThan(500);

      // The run was what it claims to be: three kills of busy machines, faults, clean stops at the end.
      expect(kills).toHaveLength(KILLS.length);
      for (const k of kills) expect(k.running, `${k.host} was killed idle`).toBeGreaterThan(0);
      for (const kind of ["error", "reset", "drop"] as const) expect(faults[kind], kind).toBeGreaterThan(0);
      // what a killed machine held was reconciled before anything was sent again; the dropped answer's bets were
      // found on the server, not placed twice
      expect(reconciles).toBeGreaterThanOrEqual(KILLS.length);
      expect(reconciled).toBeGreaterThan(0);
      expect(exits).toEqual([0, 0, 0]);
    }, 120_000);
  },
);
