import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");

/**
 * Child processes cannot load TypeScript, so they import the built engine from dist/ (`npm test` builds first).
 * When dist is missing or older than the engine's sources, compile just the engine's module graph into dist.
 */
export function builtJobsModule(): { jobs: string; storage: string } {
  const sources = [
    ...readdirSync(join(ROOT, "src/jobs"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `src/jobs/${f}`),
    ...readdirSync(join(ROOT, "src/storage"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `src/storage/${f}`),
    ...["errors", "log", "config", "money"].map((f) => `src/${f}.ts`),
  ];
  const stale = sources.some((src) => {
    const out = join(ROOT, "dist", src.replace(/\.ts$/, ".js"));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(ROOT, src)).mtimeMs;
  });
  if (stale) {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const args = [
      "src/jobs/index.ts",
      "src/storage/index.ts",
      "--outDir",
      "dist",
      "--rootDir",
      ".",
      "--module",
      "nodenext",
    ];
    args.push("--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "--types", "node");
    try {
      execFileSync(process.execPath, [tsc, ...args], { cwd: ROOT, stdio: "pipe" });
    } catch {
      // type errors still emit; the check below is what matters
    }
  }
  const jobs = join(ROOT, "dist/src/jobs/index.js");
  const storage = join(ROOT, "dist/src/storage/index.js");
  if (!existsSync(jobs) || !existsSync(storage)) throw new Error("could not build the job engine into dist/");
  return { jobs: pathToFileURL(jobs).href, storage: pathToFileURL(storage).href };
}

export const WORKER_SCRIPT = join(ROOT, "test/jobs/support/worker.mjs");
