import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { openSqliteStorage } from "../../src/storage/index.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { tempDbPath, utc } from "./support/fixtures.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/beat-process.mjs", import.meta.url));
const BUILT = [
  fileURLToPath(new URL("../../dist/scheduler/index.js", import.meta.url)),
  fileURLToPath(new URL("../../dist/src/jobs/index.js", import.meta.url)),
  fileURLToPath(new URL("../../dist/src/storage/index.js", import.meta.url)),
];

interface Fired {
  name: string;
  slot: number;
  outcome: string;
  jobId: string | null;
}

/** A child pf-fleet process running the built scheduler; `request` sends one line and awaits one reply. */
function beatProcess(dbPath: string, startMs: number) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [FIXTURE, dbPath, String(startMs)], {
    stdio: "pipe",
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  const pending: Array<{ resolve(line: string): void; reject(err: Error): void }> = [];
  createInterface({ input: child.stdout }).on("line", (line) => pending.shift()?.resolve(line));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      for (const p of pending.splice(0)) p.reject(new Error(`beat process exited (${code}): ${stderr}`));
      resolve(code);
    }),
  );
  return {
    child,
    request<T>(msg: unknown): Promise<T> {
      return new Promise((resolve, reject) => {
        pending.push({ resolve: (line) => resolve(JSON.parse(line) as T), reject });
        child.stdin.write(`${JSON.stringify(msg)}\n`);
      });
    },
    async close(): Promise<number | null> {
      child.stdin.end();
      return exited;
    },
  };
}

const children: Array<ReturnType<typeof beatProcess>> = [];
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill();
  for (const c of cleanups.splice(0)) await c();
});

describe("two pf-fleet processes on one database (built code)", () => {
  it("fire each slot exactly once between them", async () => {
    for (const file of BUILT) {
      if (!existsSync(file)) throw new Error(`${file} is missing: build first (npx tsc -p tsconfig.build.json)`);
    }
    const tmp = tempDbPath();
    cleanups.push(tmp.cleanup);
    const start = utc("2025-03-03T09:58:00Z");
    const a = beatProcess(tmp.path, start);
    const b = beatProcess(tmp.path, start);
    children.push(a, b);

    await Promise.all([a.request({ tick: start }), b.request({ tick: start })]);
    await a.request({ set: "hourly-crash-batch", patch: { enabled: true } });

    const fired: Fired[] = [];
    const firedBy = { a: 0, b: 0 };
    for (let t = start + 30_000; t <= utc("2025-03-03T12:00:30Z"); t += 30_000) {
      // both tick twice for the same instant, all four requests in flight at once: a real race on the file
      const replies = await Promise.all([
        a.request<{ fired: Fired[] }>({ tick: t }),
        b.request<{ fired: Fired[] }>({ tick: t }),
        a.request<{ fired: Fired[] }>({ tick: t }),
        b.request<{ fired: Fired[] }>({ tick: t }),
      ]);
      replies.forEach((r, i) => {
        fired.push(...r.fired);
        firedBy[i % 2 === 0 ? "a" : "b"] += r.fired.length;
      });
    }
    expect(await a.close()).toBe(0);
    expect(await b.close()).toBe(0);

    // 10:00–12:00: 25 balance checks (every 5 min) and 3 hourly batches, each once
    const storage = openSqliteStorage(tmp.path);
    cleanups.unshift(() => storage.close());
    const db = sqliteDbForTests(storage);
    const jobsByTask = Object.fromEntries(
      (
        db.prepare("SELECT task, COUNT(*) AS n FROM jobs GROUP BY task").all() as Array<{ task: string; n: number }>
      ).map((r) => [r.task, r.n]),
    );
    expect(jobsByTask).toEqual({ [TASK.balanceCheck]: 25, [TASK.placeBatch]: 3 });
    expect(fired).toHaveLength(28);
    expect(fired.every((f) => f.outcome === "enqueued" && f.jobId !== null)).toBe(true);
    expect(new Set(fired.map((f) => `${f.name}@${f.slot}`)).size).toBe(28);
    const slotJobs = db.prepare("SELECT job_id FROM schedule_slots WHERE job_id IN (SELECT id FROM jobs)").all();
    expect(slotJobs).toHaveLength(28);
    expect(firedBy.a).toBeGreaterThan(0);
    expect(firedBy.b).toBeGreaterThan(0);
  });
});
