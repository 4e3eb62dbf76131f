/** Worker processes (test/money/worker.mjs and others on the built dist/) that share the test's database. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { QueueName, ServiceUrls } from "../../src/config.js";
import type { RunningSandbox } from "../../src/sandbox/index.js";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILT = join(ROOT, "dist/src/jobs/tasks/index.js");

export interface WorkerOptions {
  dbPath: string;
  sandbox: RunningSandbox;
  rateLimits?: boolean;
  leaseMs?: number;
  concurrency?: Partial<Record<QueueName, number>>;
}

export interface Worker {
  child: ChildProcess;
  /** resolves with the exit code, or the signal's name */
  exited: Promise<number | string>;
  stderr(): string;
}

export function assertBuilt(): void {
  if (!existsSync(BUILT)) {
    throw new Error("dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test builds it first)");
  }
  // A worker on an older build would prove nothing about the code under test.
  const stale = readdirSync(join(ROOT, "src"), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".ts"))
    .filter((f) => {
      const out = join(ROOT, "dist/src", f.replace(/\.ts$/, ".js"));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(join(ROOT, "src", f)).mtimeMs;
    });
  if (stale.length > 0) {
    throw new Error(
      `dist/ is older than src/ (${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ", …" : ""}): ` +
        "run `npx tsc -p tsconfig.build.json` (npm test builds it first)",
    );
  }
}

/** Spawns a worker and resolves once it is dispatching. */
export async function startWorker(opts: WorkerOptions): Promise<Worker> {
  const urls: ServiceUrls = { ...opts.sandbox.urls, wallet: "http://127.0.0.1:9/v1" };
  return spawnWorker(WORKER, {
    dbPath: opts.dbPath,
    urls,
    rateLimits: opts.rateLimits ?? false,
    leaseMs: opts.leaseMs,
    concurrency: opts.concurrency ?? { casino: 40 },
    logLevel: process.env.PF_TEST_WORKER_LOG,
  });
}

/**
 * Spawns a worker script on the built dist/ with its options as one JSON argument, and resolves once it prints
 * "ready" (rejects with its stderr if it exits before).
 */
export async function spawnWorker(script: string, options: unknown): Promise<Worker> {
  assertBuilt();
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve();
    });
    void exited.then((code) => reject(new Error(`worker ${script} exited (${code}) before it was ready: ${err}`)));
  });
  return { child, exited, stderr: () => err };
}

/** Stops a worker cleanly (SIGTERM) and waits for it; a worker that is already gone is fine. */
export async function stopWorker(w: Worker | undefined): Promise<void> {
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill("SIGTERM");
  await w.exited;
}
