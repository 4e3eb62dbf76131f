/**
 * pf-fleet vs BullMQ + Redis on the same work (issue 9, "Benchmarks"): 4 agents, `bets/batch` calls of 20 against
 * a local sandbox with its rate limits off, one parent per run aggregating its children, for N = 1,000 and
 * 10,000 bets at 3 and 8 calls in flight. Every (N, in-flight, mode) runs once per round, in its own process,
 * with the order of the modes rotated between rounds; the table shows medians with the range of the rounds.
 *
 * - bullmq: bench/bullmq.ts, a fresh `redis-server --save '' --appendonly yes --appendfsync always` per run
 *   (bench/bullmq-redis.ts), CPU = Node + redis-server.
 * - pf-fleet: bench/phase.ts in engine mode (the same phase bench/engine.ts measures), CPU = its process.
 *
 * The sandbox runs in its own process (bench/bullmq-sandbox.ts) and is warmed up with unrecorded batch calls
 * before the first measured run; its CPU is in neither mode's figures.
 *
 *   npm run build && node dist/bench/compare-bullmq.js [--n 1000,10000] [--in-flight 3,8] [--rounds 5]
 *     [--agents 4] [--modes pf-fleet,bullmq] [--warm-up 3000] [--json FILE]
 *
 * Needs Debian's redis-server on PATH (or REDIS_SERVER=/path): apt-get update && apt-get install -y redis-server.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { ServiceUrls } from "../src/config.js";
import { createPurpleFleaClient } from "../src/purpleflea/index.js";
import type { BetRequest } from "../src/purpleflea/types.js";
import { BETS_PER_CALL, STAKE_MICROS } from "./bullmq.js";
import type { BullmqPhaseInput, BullmqPhaseResult } from "./bullmq-phase.js";
import { killAllRedisSync, startRedis, stopAllRedis } from "./bullmq-redis.js";
import { replaceSection } from "./markdown-section.js";
import type { PhaseInput, PhaseResult } from "./phase-types.js";

const SANDBOX = fileURLToPath(new URL("./bullmq-sandbox.js", import.meta.url));
const BULLMQ_PHASE = fileURLToPath(new URL("./bullmq-phase.js", import.meta.url));
const ENGINE_PHASE = fileURLToPath(new URL("./phase.js", import.meta.url));
const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
const PHASE_TIMEOUT_MS = 20 * 60_000;

export type Mode = "pf-fleet" | "bullmq";
const ALL_MODES: readonly Mode[] = ["pf-fleet", "bullmq"];

/** What one measured run of one mode hands the runner. */
export interface ModeRun {
  mode: Mode;
  n: number;
  inFlight: number;
  round: number;
  /** bets settled, and not */
  ok: number;
  errors: number;
  elapsedMs: number;
  betsPerSec: number;
  /** all the CPU the mode needs per settled bet: its process, plus redis-server for BullMQ */
  cpuUsPerBet: number;
  /** of cpuUsPerBet, the part spent outside the Node process (redis-server); null when there is none */
  sideCpuUsPerBet: number | null;
  /** the Node process's peak RSS */
  peakRssMb: number;
  /** redis-server's peak RSS; null for pf-fleet */
  sidePeakRssMb: number | null;
  /** per call of 20, from pick-up to stored completion */
  callMs: { p50: number | null; p99: number | null };
  /** the mode's own full result, for --json */
  detail: unknown;
}

/** Everything a mode needs for one run. */
export interface RunContext {
  n: number;
  inFlight: number;
  round: number;
  agents: number;
  urls: ServiceUrls;
  controlUrl: string;
}

/**
 * The pf-fleet side of one run: bench/phase.js in engine mode, in its own process — a fresh SQLite file, the real
 * engine and tasks, one chord of `casino.bet_batch` jobs with `inFlight` of them running at once, every receipt
 * committed to the ledger with its job. CPU is the process's own (any thread inside it included).
 */
export async function runPfFleetPhase(ctx: RunContext): Promise<ModeRun | null> {
  const input: PhaseInput = {
    mode: "engine",
    n: ctx.n,
    concurrency: ctx.inFlight * BETS_PER_CALL,
    agents: ctx.agents,
    urls: ctx.urls,
    controlUrl: ctx.controlUrl,
  };
  const lines = (await runChild(ENGINE_PHASE, JSON.stringify(input))).trim().split("\n");
  const r = JSON.parse(lines.at(-1) ?? "") as PhaseResult;
  return {
    mode: "pf-fleet",
    n: r.n,
    inFlight: ctx.inFlight,
    round: ctx.round,
    ok: r.ok,
    errors: r.errors,
    elapsedMs: r.elapsedMs,
    betsPerSec: r.betsPerSecond,
    cpuUsPerBet: r.ok > 0 ? (r.cpuMs * 1000) / r.ok : 0,
    sideCpuUsPerBet: null,
    peakRssMb: r.peakRssMb,
    sidePeakRssMb: null,
    callMs: r.latencyMs,
    detail: r,
  };
}

/** The BullMQ side of one run: a fresh redis-server, bench/bullmq-phase.js in its own process, the server stopped. */
export async function runBullmqPhase(ctx: RunContext): Promise<ModeRun> {
  const redis = await startRedis();
  try {
    const input: BullmqPhaseInput = {
      n: ctx.n,
      inFlight: ctx.inFlight,
      agents: ctx.agents,
      urls: ctx.urls,
      controlUrl: ctx.controlUrl,
      redis: { host: redis.host, port: redis.port, pid: redis.pid, dir: redis.dir },
    };
    const r = JSON.parse(await runChild(BULLMQ_PHASE, JSON.stringify(input))) as BullmqPhaseResult;
    // the parent's PnL is the money that moved (to the cent per agent: the server rounds balances)
    if (Math.abs(r.balanceDelta - r.aggregate.totalPnl) > 10_000 * ctx.agents) {
      process.stderr.write(
        `bullmq N=${ctx.n}: the parent's PnL ${r.aggregate.totalPnl} µUSD ≠ balance change ${r.balanceDelta}\n`,
      );
    }
    if (r.httpCalls !== r.calls) process.stderr.write(`bullmq N=${ctx.n}: ${r.httpCalls} HTTP calls for ${r.calls}\n`);
    return {
      mode: "bullmq",
      n: r.n,
      inFlight: r.inFlight,
      round: ctx.round,
      ok: r.ok,
      errors: r.errors,
      elapsedMs: r.elapsedMs,
      betsPerSec: r.betsPerSec,
      cpuUsPerBet: r.cpuUsPerBet,
      sideCpuUsPerBet: r.ok > 0 ? (r.redisCpuMs * 1000) / r.ok : null,
      peakRssMb: r.peakRssMb,
      sidePeakRssMb: r.redisPeakRssMb,
      callMs: r.callMs,
      detail: r,
    };
  } finally {
    await redis.stop();
  }
}

const RUNNERS: Record<Mode, (ctx: RunContext) => Promise<ModeRun | null>> = {
  "pf-fleet": runPfFleetPhase,
  bullmq: runBullmqPhase,
};

interface Options {
  ns: number[];
  inFlights: number[];
  rounds: number;
  agents: number;
  modes: Mode[];
  warmUp: number;
  json: string | undefined;
}

const children = new Set<ChildProcess>();
/** set by a signal: the errors of the processes it stops are not the bench's failure */
let interrupted = false;

function killAllSync(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
  killAllRedisSync();
}

/** On an error or a signal: SIGTERM the phase and sandbox processes and every redis-server, wait ≤ 6 s, then SIGKILL. */
async function stopAll(): Promise<void> {
  const waits = [...children].map((child) => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    return exited;
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([...waits, stopAllRedis()]),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 6_000);
    }),
  ]);
  clearTimeout(timer);
  killAllSync();
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  process.on("exit", killAllSync);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\n${signal}: stopping the sandbox and every redis-server\n`);
      void stopAll().finally(() => process.exit(code));
    });
  }

  const sandbox = await startSandboxProcess();
  const runs: ModeRun[] = [];
  const skipped = new Set<Mode>();
  try {
    await warmUp(sandbox.urls, sandbox.controlUrl, opts.warmUp);
    for (let round = 0; round < opts.rounds; round++) {
      const modes = opts.modes.map((_, i) => opts.modes[(i + round) % opts.modes.length] as Mode);
      for (const n of opts.ns) {
        for (const inFlight of opts.inFlights) {
          for (const mode of modes) {
            if (skipped.has(mode)) continue;
            const ctx: RunContext = {
              n,
              inFlight,
              round: round + 1,
              agents: opts.agents,
              urls: sandbox.urls,
              controlUrl: sandbox.controlUrl,
            };
            const r = await RUNNERS[mode](ctx);
            if (!r) {
              skipped.add(mode);
              process.stderr.write(`${mode}: not wired yet (its runner returned null); left out of this run\n`);
              continue;
            }
            runs.push(r);
            process.stderr.write(
              `round ${round + 1}: ${mode} N=${n} ${inFlight} in flight: ${r.betsPerSec.toFixed(0)} bets/s, ` +
                `${r.cpuUsPerBet.toFixed(0)} µs CPU/bet, peak RSS ${r.peakRssMb} MB` +
                (r.sidePeakRssMb === null ? "" : ` (redis-server ${r.sidePeakRssMb} MB)`) +
                (r.errors > 0 ? `, ${r.errors} errors` : "") +
                "\n",
            );
          }
        }
      }
    }
  } finally {
    await sandbox.stop();
  }
  const table = render(runs, opts, [...skipped]);
  process.stdout.write(`${table}\n`);
  // only a run of both modes goes into RESULTS.md: a table of one mode compares nothing
  if (opts.modes.length === ALL_MODES.length && skipped.size === 0) {
    replaceSection(RESULTS, "bullmq", table);
    process.stdout.write(`\nwrote ${RESULTS}\n`);
  }
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify({ date: new Date().toISOString(), options: opts, runs }, null, 2)}\n`);
    process.stdout.write(`\nwrote ${opts.json}\n`);
  }
}

/** Unrecorded `bets/batch` calls (3 in flight, one fresh agent), so no measured run meets a cold sandbox. */
async function warmUp(urls: ServiceUrls, controlUrl: string, bets: number): Promise<void> {
  if (bets <= 0) return;
  const client = createPurpleFleaClient({ urls });
  try {
    const reg = await client.casino.register();
    const res = await fetch(`${controlUrl}/_sandbox/fund`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent_id: reg.agentId, amount_usd: 1_000 }),
    });
    if (!res.ok) throw new Error(`funding the warm-up agent failed: ${res.status}`);
    const calls = Math.ceil(bets / BETS_PER_CALL);
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let call = next++; call < calls; call = next++) {
          const batch: BetRequest[] = Array.from({ length: BETS_PER_CALL }, (_, j) => ({
            game: "coin-flip",
            side: "heads",
            amount: STAKE_MICROS,
            clientSeed: `warm-${process.pid}-${call}-${j}`,
          }));
          await client.casino.batch(reg.apiKey, batch);
        }
      }),
    );
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// report

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const fmt = (x: number, digits = 0): string =>
  x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "median (min–max)" */
function spread(xs: readonly number[], digits = 0): string {
  if (xs.length === 0) return "—";
  return `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`;
}

function render(runs: readonly ModeRun[], opts: Options, skipped: Mode[]): string {
  const require = createRequire(import.meta.url);
  const version = (pkg: string): string => (require(`${pkg}/package.json`) as { version: string }).version;
  const redisVersion =
    /v=(\S+)/.exec(
      spawnSync(process.env.REDIS_SERVER ?? "redis-server", ["--version"], { encoding: "utf8" }).stdout,
    )?.[1] ?? "?";
  const cpu = cpus();
  const lines = [
    "## pf-fleet vs BullMQ + Redis",
    "",
    `Run ${new Date().toISOString()} on ${cpu.length} × ${cpu[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ` +
      `Node ${process.version}; BullMQ ${version("bullmq")}, ioredis ${version("ioredis")}, redis-server ${redisVersion} ` +
      "(`--save '' --appendonly yes --appendfsync always`, a fresh one per run). " +
      `${opts.agents} agents, $0.01 coin flips, \`bets/batch\` calls of ${BETS_PER_CALL}, one parent per run; ` +
      `sandbox rate limits off, warmed up with ${fmt(opts.warmUp)} unrecorded bets. ${opts.rounds} rounds, modes rotated; ` +
      "each cell is the median of the rounds with their range. CPU is per settled bet: the Node process, plus " +
      "redis-server for BullMQ. Peak RSS is the highest of the rounds.",
    "",
    "| N | calls in flight | mode | bets/s | CPU µs/bet | of it redis-server µs/bet | peak RSS MB (Node) | redis-server peak RSS MB | call p50 / p99 ms (medians) | errors |",
    "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|",
  ];
  const ratios: string[] = [];
  for (const n of opts.ns) {
    for (const inFlight of opts.inFlights) {
      for (const mode of opts.modes) {
        const same = runs.filter((r) => r.n === n && r.inFlight === inFlight && r.mode === mode);
        if (same.length === 0) continue;
        const side = same.map((r) => r.sideCpuUsPerBet).filter((x): x is number => x !== null);
        const sideRss = same.map((r) => r.sidePeakRssMb).filter((x): x is number => x !== null);
        const p50 = same.map((r) => r.callMs.p50).filter((x): x is number => x !== null);
        const p99 = same.map((r) => r.callMs.p99).filter((x): x is number => x !== null);
        lines.push(
          `| ${fmt(n)} | ${inFlight} | ${mode} | ${spread(same.map((r) => r.betsPerSec))} | ` +
            `${spread(same.map((r) => r.cpuUsPerBet))} | ${side.length ? spread(side) : "—"} | ` +
            `${fmt(Math.max(...same.map((r) => r.peakRssMb)), 1)} | ${sideRss.length ? fmt(Math.max(...sideRss), 1) : "—"} | ` +
            `${p50.length ? fmt(median(p50), 1) : "—"} / ${p99.length ? fmt(median(p99), 1) : "—"} | ` +
            `${same.reduce((s, r) => s + r.errors, 0)} |`,
        );
      }
      const pf = runs.filter((r) => r.n === n && r.inFlight === inFlight && r.mode === "pf-fleet");
      const bq = runs.filter((r) => r.n === n && r.inFlight === inFlight && r.mode === "bullmq");
      if (pf.length && bq.length) {
        const byRound = pf
          .map((p) => [p, bq.find((b) => b.round === p.round)] as const)
          .filter((pair): pair is readonly [ModeRun, ModeRun] => pair[1] !== undefined)
          .map(([p, b]) => p.betsPerSec / b.betsPerSec);
        const ratio = median(pf.map((r) => r.betsPerSec)) / median(bq.map((r) => r.betsPerSec));
        const cpuRatio = median(pf.map((r) => r.cpuUsPerBet)) / median(bq.map((r) => r.cpuUsPerBet));
        ratios.push(
          `- N = ${fmt(n)}, ${inFlight} in flight: pf-fleet at **${fmt(ratio, 2)}×** BullMQ's median bets/s ` +
            `(same-round ratios ${spread(byRound, 2)}), ${fmt(cpuRatio, 2)}× its CPU per bet — target ≥ 1.0×: ` +
            `**${ratio >= 1 ? "met" : "not met"}**`,
        );
      }
    }
  }
  if (ratios.length) lines.push("", ...ratios);
  if (skipped.length) lines.push("", `Not measured (runner not wired yet): ${skipped.join(", ")}.`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// processes

async function startSandboxProcess(): Promise<{ urls: ServiceUrls; controlUrl: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [SANDBOX], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl !== -1) resolve(buf.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`the sandbox exited (${code}) before printing its URLs`)));
  });
  const { controlUrl, ...urls } = JSON.parse(line) as Omit<ServiceUrls, "wallet"> & { controlUrl: string };
  return {
    urls: { ...urls, wallet: "http://127.0.0.1:9/v1" },
    controlUrl,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      children.delete(child);
    },
  };
}

/** Runs a phase script in its own process; resolves its last stdout line. */
async function runChild(script: string, arg: string): Promise<string> {
  const child = spawn(process.execPath, [script, arg], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), PHASE_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  children.delete(child);
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  return out.trim().split("\n").at(-1) ?? "";
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const list = (flag: string, fallback: string): number[] => (value(flag) ?? fallback).split(",").map(Number);
  const ns = list("--n", "1000,10000");
  const inFlights = list("--in-flight", "3,8");
  const rounds = Number(value("--rounds") ?? 5);
  const agents = Number(value("--agents") ?? 4);
  const warmUp = Number(value("--warm-up") ?? 3_000);
  const modes = (value("--modes") ?? ALL_MODES.join(",")).split(",") as Mode[];
  for (const m of modes) {
    if (!ALL_MODES.includes(m)) throw new Error(`--modes takes ${ALL_MODES.join(", ")}; got \`${m}\``);
  }
  for (const [name, n] of [
    ...ns.map((x) => ["--n", x] as const),
    ...inFlights.map((x) => ["--in-flight", x] as const),
    ["--rounds", rounds] as const,
    ["--agents", agents] as const,
  ]) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs whole numbers ≥ 1, got \`${n}\``);
  }
  if (!Number.isInteger(warmUp) || warmUp < 0) throw new Error(`--warm-up needs a whole number ≥ 0, got \`${warmUp}\``);
  return { ns, inFlights, rounds, agents, modes, warmUp, json: value("--json") };
}

main().catch(async (err: unknown) => {
  if (interrupted) return;
  process.stderr.write(`compare-bullmq failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAll();
  process.exitCode = 1;
});
