/**
 * Per-IP limits across machines: each egress (PF_EGRESS_ID) spends its own per-IP budget, per-agent limits stay
 * shared by the whole fleet, and a job this egress has no budget for is left for another egress, not put off.
 * Runs on both backends (the PostgreSQL project runs it again).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type JobEngine, type JobRow, ManualClock } from "../../src/jobs/index.js";
import { openStorage, type Storage } from "../../src/storage/index.js";
import { type TempDatabase, tempDatabase } from "../support/database.js";
import { plainTask, testEngine } from "./support/engine.js";

const WINDOW = 60_000;

describe("egress-aware rate limits", () => {
  let db: TempDatabase;
  let clock: ManualClock;
  const storages: Storage[] = [];
  const engines: JobEngine[] = [];

  beforeEach(async () => {
    db = await tempDatabase("pf-egress-");
    clock = new ManualClock(Date.now());
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop({ graceMs: 100 });
    for (const s of storages.splice(0)) await s.close();
    await db.remove();
  });

  /** one engine per "machine", each on its own connection to the one database */
  async function machine(egressId: string, ran: string[], agentLimit = 100) {
    const storage = await openStorage(db.location);
    storages.push(storage);
    const engine = testEngine(storage, { clock, egressId });
    engines.push(engine);
    engine.register(
      plainTask<{ n: number; agent: string }>(
        "call",
        async ({ args }) => {
          ran.push(`${egressId}:${args.n}`);
          return args.n;
        },
        {
          rateLimits: ({ agent }) => [
            { key: `casino:agent:${agent}:batch`, limit: agentLimit, windowMs: WINDOW },
            { key: "casino:ip:/bets/batch", limit: 3, windowMs: WINDOW, perEgress: true },
          ],
          retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 },
        },
      ),
    );
    return engine;
  }

  async function succeeded(engine: JobEngine, jobs: readonly JobRow[]): Promise<number> {
    const rows = await Promise.all(jobs.map((j) => engine.get(j.id)));
    return rows.filter((r) => r?.state === "succeeded").length;
  }

  it("three egresses run three times what one may in a window, each within its own per-IP budget", async () => {
    const ran: string[] = [];
    const [a, b, c] = [await machine("ip-a", ran), await machine("ip-b", ran), await machine("ip-c", ran)] as [
      JobEngine,
      JobEngine,
      JobEngine,
    ];
    const jobs: JobRow[] = [];
    for (let n = 0; n < 12; n++) jobs.push(await a.enqueue("call", { n, agent: `ag_${n}` }));
    await Promise.all([a.start(), b.start(), c.start()]);

    await expect.poll(() => succeeded(a, jobs), { timeout: 10_000, interval: 10 }).toBe(9);
    // the window has not moved: the three left wait for the first egress whose window frees up
    await new Promise((r) => setTimeout(r, 200));
    expect(await succeeded(a, jobs)).toBe(9);
    const perEgress = (id: string) => ran.filter((r) => r.startsWith(`${id}:`)).length;
    expect([perEgress("ip-a"), perEgress("ip-b"), perEgress("ip-c")]).toEqual([3, 3, 3]);
    // a job no egress had budget for spent no attempt and was not put off: it is simply still queued
    const waiting = (await Promise.all(jobs.map((j) => a.get(j.id)))).filter((r) => r?.state === "queued");
    expect(waiting).toHaveLength(3);
    for (const row of waiting) expect(row).toMatchObject({ attempts: 0 });

    clock.advance(WINDOW);
    await expect.poll(() => succeeded(a, jobs), { timeout: 10_000, interval: 10 }).toBe(12);
  });

  it("one egress alone stays within its per-IP budget, whatever the number of agents", async () => {
    const ran: string[] = [];
    const a = await machine("ip-a", ran);
    const jobs: JobRow[] = [];
    for (let n = 0; n < 6; n++) jobs.push(await a.enqueue("call", { n, agent: `ag_${n}` }));
    await a.start();
    await expect.poll(() => succeeded(a, jobs), { timeout: 10_000, interval: 10 }).toBe(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toHaveLength(3);
  });

  it("per-agent limits stay shared by every egress", async () => {
    const ran: string[] = [];
    const [a, b] = [await machine("ip-a", ran, 2), await machine("ip-b", ran, 2)] as [JobEngine, JobEngine];
    const jobs: JobRow[] = [];
    for (let n = 0; n < 5; n++) jobs.push(await a.enqueue("call", { n, agent: "ag_shared" }));
    await Promise.all([a.start(), b.start()]);
    await expect.poll(() => succeeded(a, jobs), { timeout: 10_000, interval: 10 }).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toHaveLength(2);
  });
});
