import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertDistIsFresh, distUrl } from "../pack/built.js";

/**
 * The process's heap settings (src/heap.ts), in a child node process so the heap measured is its own: the young
 * generation stops at 8 MB semi-spaces (16 MB of RSS for the pair, where node would let it reach 32), also when
 * the SQLite checkpoint thread starts after the cap (a new isolate resets V8's growth step), and a flag given to
 * node wins.
 */

let dir: string;

beforeAll(() => {
  assertDistIsFresh();
  dir = mkdtempSync(join(tmpdir(), "pf-heap-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const HEAP = distUrl("src", "heap.js");
const STORAGE = distUrl("src", "storage", "index.js");

/**
 * Allocates like a busy engine (a third of what it allocates survives a while), opens a SQLite storage half way
 * through — after the young generation has reached its cap — and prints the largest new space seen, in MB.
 */
const WORKLOAD = `
import { getHeapSpaceStatistics } from "node:v8";
const tune = process.argv[1] === "tune";
if (tune) (await import(${JSON.stringify(HEAP)})).tuneHeap();
const newSpaceMb = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 1048576;
const keep = [];
let largest = 0;
let storage;
for (let round = 0; round < 120; round++) {
  if (round === 40) {
    const { openStorage } = await import(${JSON.stringify(STORAGE)});
    storage = await openStorage(process.argv[2]);
    await storage.jobs.stateCounts();
  }
  for (let i = 0; i < 20000; i++) {
    const o = { n: i, s: "bet-" + i, pair: [i, i + 1] };
    if (i % 3 === 0) keep.push(o);
  }
  if (keep.length > 200000) keep.splice(0, 100000);
  await new Promise((resolve) => setImmediate(resolve));
  largest = Math.max(largest, newSpaceMb());
}
await storage.close();
console.log(JSON.stringify({ largest }));
`;

function largestNewSpaceMb(mode: "tune" | "as-node-runs", nodeOptions = ""): number {
  const db = join(dir, `${mode}-${Math.random().toString(36).slice(2)}.db`);
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", WORKLOAD, mode, db], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "").largest;
}

describe("the heap's young generation", () => {
  it("grows to node's 32 MB under this load when left alone", () => {
    expect(largestNewSpaceMb("as-node-runs")).toBe(32);
  });

  it("stops at 16 MB once tuned, though the checkpoint thread starts after the cap", () => {
    expect(largestNewSpaceMb("tune")).toBe(16);
  });

  it("is left to a --max-semi-space-size given to node", () => {
    expect(largestNewSpaceMb("tune", "--max-semi-space-size=2")).toBeLessThanOrEqual(4);
  });
});
