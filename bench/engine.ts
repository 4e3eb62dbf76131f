/**
 * The engine benchmark: N = 1,000 and 10,000 bets through the durable engine versus plain undici loops with
 * the same concurrency and no persistence, in one run, against a local sandbox with its limits off.
 * Prints the table and rewrites the results section of bench/RESULTS.md.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/engine.js [--n 1000,10000] [--concurrency 64] [--agents 4]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ServiceUrls } from "../src/config.js";
import type { PhaseInput, PhaseMode, PhaseResult } from "./phase-types.js";
import { render, writeResults } from "./results-md.js";

const CLI = fileURLToPath(new URL("../src/cli.js", import.meta.url));
const PHASE = fileURLToPath(new URL("./phase.js", import.meta.url));
const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
const MODES: PhaseMode[] = ["plain-single", "plain-batch", "engine"];

interface Options {
  ns: number[];
  concurrency: number;
  agents: number;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const sandbox = await startSandboxProcess();
  const results: PhaseResult[] = [];
  try {
    for (const n of opts.ns) {
      for (const mode of MODES) {
        const input: PhaseInput = {
          mode,
          n,
          concurrency: opts.concurrency,
          agents: opts.agents,
          urls: sandbox.urls,
          controlUrl: new URL(sandbox.urls.casino).origin,
        };
        const r = await runPhase(input);
        process.stderr.write(`${mode} N=${n}: ${r.betsPerSecond.toFixed(0)} bets/s, peak RSS ${r.peakRssMb} MB\n`);
        results.push(r);
      }
    }
  } finally {
    sandbox.child.kill("SIGTERM");
  }
  const run = { date: new Date().toISOString(), concurrency: opts.concurrency, agents: opts.agents, results };
  process.stdout.write(`${render(run)}\n`);
  writeResults(RESULTS, run);
  process.stdout.write(`\nwrote ${RESULTS}\n`);
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const ns = (value("--n") ?? "1000,10000").split(",").map(Number);
  const concurrency = Number(value("--concurrency") ?? 64);
  const agents = Number(value("--agents") ?? 4);
  for (const [name, n] of [
    ...ns.map((x) => ["--n", x] as const),
    ["--concurrency", concurrency] as const,
    ["--agents", agents] as const,
  ]) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs whole numbers ≥ 1, got \`${n}\``);
  }
  return { ns, concurrency, agents };
}

async function startSandboxProcess(): Promise<{ child: ChildProcess; urls: ServiceUrls }> {
  const child = spawn(
    process.execPath,
    [CLI, "sandbox", "--port", "0", "--json", "--no-rate-limits", "--log-level", "silent"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = await firstLine(child);
  const urls = JSON.parse(line) as Omit<ServiceUrls, "wallet">;
  return { child, urls: { ...urls, wallet: "http://127.0.0.1:9/v1" } };
}

async function runPhase(input: PhaseInput): Promise<PhaseResult> {
  const child = spawn(process.execPath, [PHASE, JSON.stringify(input)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`phase ${input.mode} N=${input.n} exited with ${code}`);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "") as PhaseResult;
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl !== -1) resolve(buf.slice(0, nl));
    });
    child.on("exit", (code) => reject(new Error(`the sandbox exited (${code}) before printing its URLs`)));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
