/**
 * The engine's own claim + complete throughput on each storage backend, in one run: N jobs of a task that sends
 * nothing and commits one bet receipt with its success (as a money job does), on SQLite (a file, commits synced
 * off the event loop) and on PostgreSQL (a throwaway cluster with fsync and synchronous_commit on), with one
 * process and with two processes sharing the database. Modes are rotated between rounds; the table shows medians
 * with their ranges. Rewrites the `storage` section of bench/RESULTS.md.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/storage-throughput.js [--n 5000] [--rounds 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { createJobEngine, type JobEngine, type TaskDefinition } from "../src/jobs/index.js";
import { recordBets } from "../src/ledger/index.js";
import type { BetRecord } from "../src/ledger/types.js";
import { openStorage, type Storage } from "../src/storage/index.js";
import { replaceSection } from "./markdown-section.js";
import { createDatabase, median, pgCluster } from "./postgres.js";

const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
type Backend = "sqlite" | "postgres";
type Mode = `${Backend}×${1 | 2}`;
const MODES: Mode[] = ["sqlite×1", "postgres×1", "sqlite×2", "postgres×2"];

let seq = 0;
function receipt(jobId: string): BetRecord {
  seq++;
  return {
    agentId: "ag_bench00000001",
    clientSeed: `bench-${process.pid}-${seq}`,
    betId: `bet_bench_${process.pid}_${seq}`,
    game: "coin-flip",
    params: { side: "heads" },
    stake: 10_000,
    won: seq % 2 === 0,
    payout: seq % 2 === 0 ? 19_900 : 0,
    payoutMultiplier: 1.99,
    serverSeedHash: "a".repeat(64),
    nonce: seq,
    resultHash: "b".repeat(64),
    roll: 42,
    jobId,
    placedAt: Date.now(),
    source: "response",
  };
}

const task: TaskDefinition<{ n: number }, number> = {
  name: "bench.receipt",
  queue: "casino",
  moneyMoving: false,
  timeLimitMs: 60_000,
  retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 },
  args: z.object({ n: z.number() }),
  async run(ctx) {
    ctx.onCommit((tx) => recordBets(tx, [receipt(ctx.job.id)]));
    return ctx.args.n;
  },
};

function engineOn(storage: Storage): JobEngine {
  const engine = createJobEngine({
    storage,
    config: {
      concurrency: { casino: 32, escrow: 1, wallet: 1, analytics: 1, default: 1 },
      resultTtlMs: 3_600_000,
      alertWebhookUrl: undefined,
    },
    pollMs: 20,
  });
  engine.register(task as TaskDefinition);
  return engine;
}

async function runOnce(location: string, processes: 1 | 2, n: number): Promise<number> {
  const storages: Storage[] = [];
  for (let i = 0; i < processes; i++) storages.push(await openStorage(location));
  const engines = storages.map(engineOn);
  const first = engines[0] as JobEngine;
  const ids: string[] = [];
  // enqueued in chunks of one transaction each, before the clock starts
  for (let i = 0; i < n; i += 500) {
    const chunk = await (storages[0] as Storage).transaction(async (tx) => {
      const out: string[] = [];
      for (let j = i; j < Math.min(n, i + 500); j++)
        out.push((await first.enqueue("bench.receipt", { n: j }, { tx })).id);
      return out;
    });
    ids.push(...chunk);
  }
  const started = performance.now();
  await Promise.all(engines.map((e) => e.start()));
  const last = ids.at(-1) as string;
  await first.wait(last, { timeoutMs: 600_000 });
  for (;;) {
    const casino = (await first.stats()).find((q) => q.queue === "casino");
    if (casino && casino.queued + casino.running + casino.retrying === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  for (const e of engines) await e.stop({ graceMs: 1_000 });
  for (const s of storages) await s.close();
  return n / seconds;
}

async function main(): Promise<void> {
  // the engine's timers are unref'd (a library must not hold its host open): this process is the host
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    await measure();
  } finally {
    clearInterval(keepAlive);
  }
}

async function measure(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const n = arg("--n", 5_000);
  const rounds = arg("--rounds", 3);
  const { startCluster, stopCluster } = await pgCluster();
  const cluster = await startCluster({ durable: process.env.PF_BENCH_NOSYNC !== "1" });
  const dir = mkdtempSync(join(tmpdir(), "pf-bench-storage-"));
  const only = process.argv.includes("--modes")
    ? process.argv[process.argv.indexOf("--modes") + 1]?.split(",")
    : undefined;
  const measured = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  let db = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const modes = MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
      for (const mode of modes) {
        if (only && !only.includes(mode)) continue;
        db++;
        const [backend, count] = mode.split("×") as [Backend, string];
        const location =
          backend === "sqlite" ? join(dir, `bench-${db}.db`) : await createDatabase(cluster.url, `bench_${db}`);
        const jobsPerSecond = await runOnce(location, Number(count) as 1 | 2, n);
        measured.get(mode)?.push(jobsPerSecond);
        process.stderr.write(`round ${round + 1}: ${mode}: ${jobsPerSecond.toFixed(0)} jobs/s\n`);
      }
    }
  } finally {
    stopCluster(cluster.dir);
    rmSync(dir, { recursive: true, force: true });
  }
  const table = render(measured, n, rounds);
  process.stdout.write(`${table}\n`);
  replaceSection(RESULTS, "storage", table);
}

function render(measured: Map<Mode, number[]>, n: number, rounds: number): string {
  const row = (mode: Mode) => {
    const v = measured.get(mode) ?? [];
    return `| ${mode.replace("×", " × ")} process${mode.endsWith("1") ? "" : "es"} | ${median(v).toFixed(0)} | ${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)} |`;
  };
  const ratio = (a: Mode, b: Mode) => (median(measured.get(a) ?? []) / median(measured.get(b) ?? [])).toFixed(2);
  return [
    `## Claim + complete on each storage backend (\`node dist/bench/storage-throughput.js\`)`,
    "",
    `${n} jobs per run, each committing one bet receipt with its success; casino concurrency 32 per process;`,
    `${rounds} rounds, modes rotated. PostgreSQL 15 local, fsync and synchronous_commit on. Measured ${new Date().toISOString().slice(0, 10)}.`,
    "",
    "| backend × processes | median jobs/s | range |",
    "|---|---|---|",
    ...MODES.map(row),
    "",
    `PostgreSQL / SQLite: ${ratio("postgres×1", "sqlite×1")}× with one process, ${ratio("postgres×2", "sqlite×2")}× with two. ` +
      "Either is far above what the real API admits (60 `bets/batch` calls per minute per IP).",
  ].join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
