import { cpus, totalmem } from "node:os";
import { replaceSection } from "./markdown-section.js";
import { callsInFlight, type PhaseResult } from "./phase-types.js";

/** The engine benchmark's section of bench/RESULTS.md, replaced in place on every run. */

/** What the brief asks of the engine. */
export const TARGETS = { throughputRatio: 0.7, rssMb10k: 300 };

export interface RunSummary {
  date: string;
  concurrency: number;
  agents: number;
  /** rounds per (N, mode); each row is the round with the median throughput */
  runs: number;
  warmUpBets: number;
  results: PhaseResult[];
}

export function writeResults(path: string, run: RunSummary): void {
  replaceSection(path, "engine", render(run));
}

export function render(run: RunSummary): string {
  const cpu = cpus();
  const lines = [
    "## Engine vs a plain undici loop",
    "",
    `Run ${run.date} on ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ` +
      `Node ${process.version}, ${process.platform}/${process.arch}. Sandbox in its own process (rate limits off, ` +
      `no faults), warmed up with ${run.warmUpBets.toLocaleString("en")} unrecorded single and as many batched bets ` +
      "before the first measured phase; each phase " +
      `in its own process. Concurrency ${run.concurrency} bets in flight: ${run.concurrency} single-bet requests ` +
      `(plain-single), ${callsInFlight(run.concurrency)} calls of 20 (plain-batch), ${callsInFlight(run.concurrency)} ` +
      `casino.bet_batch jobs of 20 (engine: the casino queue's concurrency). ${run.agents} agents, $0.01 coin flips; ` +
      "the engine runs each N as ONE chord of N bets, as the batch tools submit it. Each row is the " +
      `median-throughput run of ${run.runs}, the order of the modes rotated between rounds; peak RSS is the highest ` +
      "of them. CPU is the measuring process's own (user + system) per bet. Latency is per request (plain) or per " +
      "job from claim to committed completion (engine).",
    "",
    "| N | mode | bets/s | ratio vs plain-single | ratio vs plain-batch | p50 / p99 latency ms | engine enqueue→done p50 / p99 ms | HTTP calls | CPU µs/bet | peak RSS MB | errors |",
    "|---:|---|---:|---:|---:|---|---|---:|---:|---:|---:|",
  ];
  for (const n of [...new Set(run.results.map((r) => r.n))]) {
    const of = (mode: PhaseResult["mode"]) => run.results.find((r) => r.n === n && r.mode === mode);
    const single = of("plain-single");
    const batch = of("plain-batch");
    for (const r of run.results.filter((x) => x.n === n)) {
      lines.push(
        `| ${n} | ${r.mode} | ${r.betsPerSecond.toFixed(0)} | ${ratio(r, single)} | ${ratio(r, batch)} | ` +
          `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)} | ` +
          `${r.endToEndMs ? `${ms(r.endToEndMs.p50)} / ${ms(r.endToEndMs.p99)}` : "—"} | ${r.httpCalls} | ` +
          `${((r.cpuMs * 1000) / Math.max(1, r.ok)).toFixed(0)} | ${r.peakRssMb} | ${r.errors} |`,
      );
    }
  }
  lines.push("", ...verdicts(run), "", ...HOW_TO);
  return lines.join("\n");
}

function verdicts(run: RunSummary): string[] {
  const out = ["Targets:"];
  for (const n of [...new Set(run.results.map((r) => r.n))]) {
    const engine = run.results.find((r) => r.n === n && r.mode === "engine");
    const single = run.results.find((r) => r.n === n && r.mode === "plain-single");
    const batch = run.results.find((r) => r.n === n && r.mode === "plain-batch");
    if (!engine || !single) continue;
    const vsSingle = engine.betsPerSecond / single.betsPerSecond;
    const vsBatch = batch ? engine.betsPerSecond / batch.betsPerSecond : null;
    out.push(
      `- N = ${n}: engine at ${pct(vsSingle)} of the plain single-bet loop — ${vsSingle >= TARGETS.throughputRatio ? "**met**" : "**not met**"} ` +
        `(target ≥ ${pct(TARGETS.throughputRatio)})` +
        (vsBatch === null ? "" : `; ${pct(vsBatch)} of a plain loop that also batches 20 per call`) +
        (n >= 10_000
          ? `; peak RSS ${engine.peakRssMb} MB — ${engine.peakRssMb < TARGETS.rssMb10k ? "**met**" : "**not met**"} (target < ${TARGETS.rssMb10k} MB)`
          : ""),
    );
  }
  return out;
}

const HOW_TO = [
  "How to rerun: `npx tsc -p tsconfig.build.json && node dist/bench/engine.js` (options: `--n 1000,10000`, ",
  "`--concurrency 64`, `--agents 4`, `--runs 3`). It starts `pf-fleet sandbox --no-rate-limits` itself and rewrites",
  "this section. The machine is shared, so single runs vary by ±20 %; compare ratios from the same run.",
];

const ratio = (r: PhaseResult, base: PhaseResult | undefined): string =>
  base ? (r.betsPerSecond / base.betsPerSecond).toFixed(2) : "—";
const ms = (x: number | null): string => (x === null ? "—" : x.toFixed(1));
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
