/**
 * The storage conformance suite (River's `riverdrivertest`, Hono's `common.case.test.ts`): what every backend
 * behind the seam must do for the engine's invariants to hold. Each backend's test file calls
 * `describeStorageConformance` with a way to open a fresh database and more connections to it — each extra
 * `Storage` stands for another pf-fleet process (or machine) on the same database.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_SCHEDULES } from "../../scheduler/defaults.js";
import { scheduleFromSeed } from "../../scheduler/patch.js";
import { FleetError } from "../../src/errors.js";
import {
  createJobEngine,
  type JobEngine,
  type JobRow,
  ManualClock,
  type TaskDefinition,
} from "../../src/jobs/index.js";
import { buildCanvasJob, buildTaskJob } from "../../src/jobs/job-factory.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import type { JobState } from "../../src/jobs/types.js";
import { recordBets, recordMovement } from "../../src/ledger/index.js";
import { pruneServerMirror } from "../../src/ledger/mirror-retention.js";
import {
  appendToMirror,
  heldAtOpening,
  mirrorCovers,
  OPENING_ROW_ID,
  openingMark,
} from "../../src/ledger/server-mirror.js";
import type { LedgerEntry } from "../../src/purpleflea/types.js";
import type { StoredJob } from "../../src/storage/jobs.js";
import { LANE_POLL_MS } from "../../src/storage/lanes.js";
import type { Storage } from "../../src/storage/types.js";

export interface BackendHarness {
  /** the database the test started with */
  storage: Storage;
  /** one more connection to the same database: another process's view */
  another(): Promise<Storage>;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: string;
  /** a fresh, empty, migrated database */
  create(): Promise<BackendHarness>;
}

const CONCURRENCY = { casino: 4, escrow: 2, wallet: 2, analytics: 2, default: 4 };
const retry = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, jitter: 0 };

function engineOn(
  storage: Storage,
  ownerId: string,
  opts: { leaseMs?: number; resultTtlMs?: number; clock?: ManualClock; heartbeatMs?: number } = {},
) {
  return createJobEngine({
    storage,
    ownerId,
    config: { concurrency: CONCURRENCY, resultTtlMs: opts.resultTtlMs ?? 86_400_000, alertWebhookUrl: undefined },
    pollMs: 10,
    sweepMs: 20,
    settleMs: 50,
    ...(opts.leaseMs === undefined ? {} : { leaseMs: opts.leaseMs }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.heartbeatMs === undefined ? {} : { heartbeatMs: opts.heartbeatMs }),
  });
}

function task<A>(
  name: string,
  args: z.ZodType<A>,
  run: TaskDefinition<A, unknown>["run"],
  extra: Partial<TaskDefinition<A, unknown>> = {},
): TaskDefinition<A, unknown> {
  return { name, queue: "default", moneyMoving: false, timeLimitMs: 10_000, retry, args, run, ...extra };
}

const nArgs = z.object({ n: z.number() });

export function describeStorageConformance(backend: Backend): void {
  describe(`storage conformance: ${backend.name}`, () => {
    let h: BackendHarness;
    const engines: JobEngine[] = [];
    const spawn = (storage: Storage, owner: string, opts?: Parameters<typeof engineOn>[2]) => {
      const engine = engineOn(storage, owner, opts);
      engines.push(engine);
      return engine;
    };

    beforeEach(async () => {
      h = await backend.create();
    });
    afterEach(async () => {
      for (const e of engines.splice(0)) await e.stop({ graceMs: 100 });
      await h.cleanup();
    });

    it("never hands one job to two processes: each of 60 jobs runs exactly once, shared between them", async () => {
      const runs: Array<{ n: number; owner: string }> = [];
      const work = (owner: string) =>
        task("work", nArgs, async ({ args }) => {
          runs.push({ n: args.n, owner });
          await new Promise((r) => setTimeout(r, 2));
          return args.n;
        });
      const a = spawn(h.storage, "proc-a");
      const b = spawn(await h.another(), "proc-b");
      a.register(work("proc-a"));
      b.register(work("proc-b"));
      const jobs: JobRow[] = [];
      for (let n = 0; n < 60; n++) jobs.push(await a.enqueue("work", { n }));
      await Promise.all([a.start(), b.start()]);
      for (const job of jobs) expect((await a.wait(job.id, { timeoutMs: 20_000 })).state).toBe("succeeded");

      expect(runs.map((r) => r.n).sort((x, y) => x - y)).toEqual(jobs.map((_, n) => n));
      expect(new Set(runs.map((r) => r.owner))).toEqual(new Set(["proc-a", "proc-b"]));
    });

    it("recovers a job whose lease ran out (its process died): it runs again, the attempt counted", async () => {
      const clock = new ManualClock(Date.now());
      const plain = task("plain", nArgs, async ({ args }) => args.n);
      // a process that claimed the job and vanished: a running row under a lease that has now expired
      const row = buildTaskJob(plain as TaskDefinition, { n: 7 }, {}, clock.now() - 60_000);
      await h.storage.transaction(async (tx) => {
        await tx.jobs.insert(
          {
            ...row,
            state: "running",
            attempts: 1,
            startedAt: clock.now() - 50_000,
            leaseOwner: "dead-process",
            leaseExpiresAt: clock.now() - 1,
          },
          { at: clock.now() - 50_000, jobId: row.id, from: null, to: "running", reason: "claimed by dead-process" },
        );
      });
      const engine = spawn(await h.another(), "survivor");
      engine.register(plain);
      await engine.start();
      const done = await engine.wait(row.id, { timeoutMs: 10_000 });
      expect(done).toMatchObject({ state: "succeeded", result: 7, attempts: 2, leaseOwner: null });
      const reasons = (await engine.events(row.id)).map((e) => `${e.from}→${e.to}`);
      // (the dead process's claim was written straight into the row above, with one event)
      expect(reasons).toEqual(["null→running", "running→retrying", "retrying→running", "running→succeeded"]);
    });

    it("runs a chord's callback exactly once, after every member, when members fail on two processes", async () => {
      let callbacks = 0;
      const flaky = task("flaky", nArgs, async ({ args }) => {
        if (args.n % 3 === 0) throw new FleetError("UPSTREAM_REJECTED", `member ${args.n} refused`);
        return args.n;
      });
      const collect = task("collect", z.looseObject({ results: z.array(z.unknown()) }), async ({ args }) => {
        callbacks++;
        return { members: args.results.length };
      });
      collect.queue = "analytics";
      const a = spawn(h.storage, "proc-a");
      const b = spawn(await h.another(), "proc-b");
      for (const e of [a, b]) {
        e.register(flaky);
        e.register(collect);
      }
      const members = Array.from({ length: 12 }, (_, n) => ({ task: "flaky", args: { n } }));
      const chord = await a.chord({ members, callback: { task: "collect" } });
      await Promise.all([a.start(), b.start()]);
      const done = await a.wait(chord.id, { timeoutMs: 20_000 });
      expect(done).toMatchObject({ state: "succeeded", result: { members: 12 } });
      // the other process may still be committing; a second callback would show up as a second row
      await new Promise((r) => setTimeout(r, 100));
      const rows = (await a.list({ canvasId: chord.id, limit: 500 })).jobs;
      expect(rows.filter((j) => j.task === "collect")).toHaveLength(1);
      expect(callbacks).toBe(1);
      expect(rows.filter((j) => j.task === "flaky" && j.state === "failed")).toHaveLength(4);
    });

    it("resumes a chain stopped by a failed step once that step is retried", async () => {
      let failNext = true;
      const step = task("step", z.object({ n: z.number(), previous: z.unknown().optional() }), async ({ args }) => {
        if (args.n === 2 && failNext) {
          failNext = false;
          throw new FleetError("UPSTREAM_REJECTED", "step 2 refused once");
        }
        return (typeof args.previous === "number" ? args.previous : 0) + args.n;
      });
      const engine = spawn(h.storage, "proc-a");
      engine.register(step);
      await engine.start();
      const chain = await engine.chain({ steps: [1, 2, 3].map((n) => ({ task: "step", args: { n } })) });
      expect((await engine.wait(chain.id, { timeoutMs: 10_000 })).state).toBe("failed");
      const failed = (await engine.list({ canvasId: chain.id })).jobs.find((j) => j.state === "failed");
      await engine.retry(failed?.id ?? "");
      expect(await engine.wait(chain.id, { timeoutMs: 10_000 })).toMatchObject({ state: "succeeded", result: 6 });
    });

    it("counts a job's rate-limited calls from when they leave once restamped, not from its claim", async () => {
      const other = await h.another();
      const limit = { key: "casino:ip:/bets/batch@egress:h1", limit: 1, windowMs: 1_000 };
      expect(await h.storage.rateLimits.takeAll([limit], 10_000, "job-late")).toEqual({ ok: true });
      // the job waited half a second after its claim before its call left
      await h.storage.rateLimits.restamp("job-late", 10_500);
      expect(await other.rateLimits.takeAll([limit], 11_000, "job-next")).toEqual({
        ok: false,
        waitMs: 500,
        key: limit.key,
      });
      expect(await other.rateLimits.takeAll([limit], 11_500, "job-next")).toEqual({ ok: true });
      // a restamp never moves a call back in time
      await h.storage.rateLimits.restamp("job-next", 11_000);
      expect((await h.storage.rateLimits.takeAll([limit], 12_400, "x")).ok).toBe(false);
    });

    it("admits a rate limit's full burst across processes and never one call more in the window", async () => {
      const other = await h.another();
      const claim = [{ key: "casino:agent:ag_1:batch", limit: 10, windowMs: 60_000 }];
      const now = Date.now();
      const draws = await Promise.all(
        Array.from({ length: 14 }, (_, i) => (i % 2 ? other : h.storage).rateLimits.takeAll(claim, now)),
      );
      expect(draws.filter((d) => d.ok)).toHaveLength(10);
      const refused = draws.find((d) => !d.ok);
      expect(refused).toMatchObject({ ok: false, key: "casino:agent:ag_1:batch" });
      expect(refused && !refused.ok && refused.waitMs).toBeGreaterThan(59_000);
      expect((await h.storage.rateLimits.takeAll(claim, now + 59_999)).ok).toBe(false);
      expect((await other.rateLimits.takeAll(claim, now + 60_000)).ok).toBe(true);
    });

    it("takes every claim of a draw or none of them", async () => {
      const tight = { key: "tight", limit: 1, windowMs: 60_000 };
      const loose = { key: "loose", limit: 5, windowMs: 60_000 };
      const now = Date.now();
      expect((await h.storage.rateLimits.takeAll([tight], now)).ok).toBe(true);
      expect((await h.storage.rateLimits.takeAll([loose, tight], now)).ok).toBe(false);
      // the refused draw took nothing from the loose bucket: five more fit
      for (let i = 0; i < 5; i++) expect((await h.storage.rateLimits.takeAll([loose], now)).ok).toBe(true);
      expect((await h.storage.rateLimits.takeAll([loose], now)).ok).toBe(false);
    });

    it("delivers a cancel from another process to the running job's signal", async () => {
      let aborted: unknown = null;
      const slow = task("slow", nArgs, ({ signal }) => {
        return new Promise((_, reject) => {
          signal.addEventListener("abort", () => {
            aborted = signal.reason;
            reject(signal.reason);
          });
        });
      });
      const runner = spawn(h.storage, "runner");
      runner.register(slow);
      const remote = spawn(await h.another(), "remote");
      remote.register(slow);
      const job = await runner.enqueue("slow", { n: 1 });
      await runner.start();
      await waitFor(async () => (await runner.get(job.id))?.state === "running");
      await remote.cancel(job.id, "stop it");
      expect((await runner.wait(job.id, { timeoutMs: 5_000 })).state).toBe("cancelled");
      expect(aborted).toMatchObject({ code: "CANCELLED" });
    });

    it("publishes a job enqueued in a transaction only after it commits, and nothing when it rolls back", async () => {
      const engine = spawn(h.storage, "proc-a");
      engine.register(task("plain", nArgs, async ({ args }) => args.n));
      const seen: string[] = [];
      engine.on((job, event) => seen.push(`${job.id}:${event.to}`));
      let inside: JobRow | undefined;
      await expect(
        h.storage.transaction(async (tx) => {
          inside = await engine.enqueue("plain", { n: 1 }, { tx });
          expect(seen).toEqual([]);
          throw new Error("the firing failed after its job was written");
        }),
      ).rejects.toThrow(/firing failed/);
      expect(inside && (await engine.get(inside.id))).toBeUndefined();
      expect(seen).toEqual([]);

      const kept = await h.storage.transaction((tx) => engine.enqueue("plain", { n: 2 }, { tx }));
      expect(seen).toEqual([`${kept.id}:queued`]);
      expect((await engine.get(kept.id))?.state).toBe("queued");
    });

    it("prunes finished jobs past the TTL and keeps unknown money jobs and recent ones", async () => {
      const clock = new ManualClock(Date.now());
      const engine = spawn(h.storage, "proc-a", { resultTtlMs: 60_000, clock });
      engine.register(task("plain", nArgs, async ({ args }) => args.n));
      const old = await engine.enqueue("plain", { n: 1 });
      await engine.start();
      await engine.wait(old.id, { timeoutMs: 10_000 });
      const unknown = buildTaskJob(
        task("plain", nArgs, async () => 0) as TaskDefinition,
        { n: 2 },
        {},
        clock.now() - 10_000,
      );
      await h.storage.transaction(async (tx) => {
        await tx.jobs.insert(
          { ...unknown, state: "unknown", money: true, moneyState: "unknown", finishedAt: clock.now() - 10_000 },
          { at: clock.now() - 10_000, jobId: unknown.id, from: null, to: "unknown", reason: "outcome unknown" },
        );
      });
      clock.advance(61_000); // past the first job's TTL, and past the next pruning round
      const fresh = await engine.enqueue("plain", { n: 4 });
      await engine.wait(fresh.id, { timeoutMs: 10_000 });
      await waitFor(async () => (await engine.get(old.id)) === undefined);
      expect((await engine.get(unknown.id))?.state).toBe("unknown");
      expect((await engine.get(fresh.id))?.state).toBe("succeeded");
    });

    it("fires a schedule slot once however many processes claim it at the same moment", async () => {
      const others = [await h.another(), await h.another()];
      const seed = DEFAULT_SCHEDULES[0];
      if (!seed) throw new Error("no default schedule");
      const schedule = scheduleFromSeed(seed, Date.now());
      await h.storage.schedules.insertIfAbsent(schedule);
      const slot = Date.UTC(2026, 0, 1, 12);
      const claims = await Promise.all(
        [h.storage, ...others, h.storage, ...others].map((s) =>
          s.transaction((tx) =>
            tx.schedules.claimSlot({ name: schedule.name, slot, firedAt: slot, outcome: "enqueued", detail: null }),
          ),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await others[0]?.schedules.lastSlot(schedule.name)).toBe(slot);
    });

    it("prunes old schedule slots and manual runs but keeps each schedule's latest of both", async () => {
      const seed = DEFAULT_SCHEDULES[0];
      if (!seed) throw new Error("no default schedule");
      const schedule = scheduleFromSeed(seed, Date.now());
      await h.storage.schedules.insertIfAbsent(schedule);
      const day = 86_400_000;
      const t0 = Date.UTC(2026, 0, 1);
      for (let i = 0; i < 5; i++) {
        const at = t0 + i * day;
        await h.storage.schedules.claimSlot({
          name: schedule.name,
          slot: at,
          firedAt: at,
          outcome: "enqueued",
          detail: null,
        });
        await h.storage.schedules.recordManualRun(schedule.name, `job-manual-${i}`, at + 1);
      }
      const pruned = await h.storage.schedules.pruneSlots(t0 + 10 * day);
      expect(pruned).toEqual({ slots: 4, manualRuns: 4 });
      expect(await h.storage.schedules.lastSlot(schedule.name)).toBe(t0 + 4 * day);
      expect(await h.storage.schedules.lastFiring(schedule.name)).toMatchObject({
        jobId: "job-manual-4",
        manual: true,
      });
    });

    it("commits a money job's receipts in the same transaction as its success, or neither", async () => {
      const agentId = "ag_0123456789ab";
      const pay = task(
        "pay",
        z.object({ ref: z.string(), clash: z.boolean() }),
        async (ctx) => {
          const at = Date.now();
          const movement = { agentId, kind: "transfer_out" as const, amount: -10_000, reference: ctx.args.ref, at };
          ctx.onCommit((tx) => recordMovement(tx, movement));
          // a second, different receipt under the same key: the commit must fail as a whole
          if (ctx.args.clash) ctx.onCommit((tx) => recordMovement(tx, { ...movement, amount: -20_000 }));
          return { paid: ctx.args.ref };
        },
        {
          moneyMoving: true,
          idempotencyKey: (a) => a.ref,
          reconcile: async () => ({ outcome: "unknown", reason: "never needed here" }),
        },
      );
      const engine = spawn(h.storage, "proc-a");
      engine.register(pay);
      const other = await h.another();
      const seen: string[] = [];
      const lookups: Array<Promise<void>> = [];
      engine.on((job) => {
        // whoever hears of the success finds the receipt already there, from any process
        if (job.state !== "succeeded") return;
        lookups.push(
          other.ledger.movement(agentId, "ok-0001").then((m) => {
            seen.push(m ? "receipt" : "none");
          }),
        );
      });
      const ok = await engine.enqueue("pay", { ref: "ok-0001", clash: false });
      const bad = await engine.enqueue("pay", { ref: "bad-0001", clash: true });
      await engine.start();
      expect(await engine.wait(ok.id, { timeoutMs: 10_000 })).toMatchObject({ state: "succeeded", moneyState: "done" });
      expect(await engine.wait(bad.id, { timeoutMs: 10_000 })).toMatchObject({ state: "failed", moneyState: "done" });
      await waitFor(async () => lookups.length > 0);
      await Promise.all(lookups);
      expect(seen).toEqual(["receipt"]);
      expect(await other.ledger.movement(agentId, "ok-0001")).toMatchObject({ amount: -10_000 });
      expect(await other.ledger.movement(agentId, "bad-0001")).toBeUndefined();
    });

    it("makes a write visible to every other process once its promise resolves", async () => {
      const other = await h.another();
      const plain = task("plain", nArgs, async ({ args }) => args.n);
      const engine = spawn(h.storage, "proc-a");
      engine.register(plain);
      const rows = await Promise.all(Array.from({ length: 40 }, (_, n) => engine.enqueue("plain", { n })));
      for (const row of rows) expect((await other.jobs.get(row.id))?.state).toBe("queued");
    });

    // ── the console's reads (src/console/data/) ─────────────────────────────────────────────────────────────────

    it("lists roots only, and by agent: a job naming it, and a canvas with a member that does, across pages", async () => {
      const agent = "ag_0000aaaa";
      const other = "ag_0000bbbb";
      const now = Date.now();
      const own = await insertJob(h.storage, { args: { agentId: agent } }, now);
      const shared = await insertJob(h.storage, { args: { agentIds: [other, agent] } }, now + 1);
      const theirs = await insertJob(h.storage, { args: { agentId: other } }, now + 2);
      const chord = await insertChord(h.storage, [agent, agent], now + 3);
      const ids = async (filter: Parameters<Storage["jobs"]["list"]>[0]) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { jobs: StoredJob[]; nextCursor: string | null } = await h.storage.jobs.list({
            ...filter,
            limit: 1,
            ...(cursor ? { cursor } : {}),
          });
          seen.push(...page.jobs.map((j) => j.id));
          cursor = page.nextCursor;
        } while (cursor);
        return seen;
      };
      // newest first; the chord's members (one row each, with a parent) are left out of the roots
      expect(await ids({ roots: true })).toEqual([chord.id, theirs.id, shared.id, own.id]);
      expect(await ids({ roots: true, agentId: agent })).toEqual([chord.id, shared.id, own.id]);
      expect(await ids({ roots: true, agentId: other })).toEqual([theirs.id, shared.id]);
      expect((await ids({ agentId: agent })).sort()).toEqual(
        [chord.id, shared.id, own.id, ...chord.members.map((m) => m.id)].sort(),
      );
      expect(await ids({ agentId: "ag_0000cccc" })).toEqual([]);
      expect((await h.storage.jobs.members(chord.id, 1)).map((m) => m.id)).toEqual([chord.members[0]?.id]);
    });

    it("sums a bet batch from its members' seeds and the ledger's bets, with nothing per member loaded", async () => {
      const agent = "ag_0000aaaa";
      const now = Date.now();
      const chord = await insertChord(h.storage, [agent, agent], now, [3, 2]);
      const [done, partial] = chord.members as [StoredJob, StoredJob];
      await h.storage.transaction(async (tx) => {
        await tx.jobs.update(done, { state: "queued" }, { state: "succeeded", finishedAt: now + 10 });
        await tx.jobs.update(partial, { state: "queued" }, { state: "running", startedAt: now + 5 });
      });
      // the finished call placed all three bets (two won); the running one has recorded one of its two so far
      const bet = (job: StoredJob, seed: number, won: boolean) => ({
        agentId: agent,
        clientSeed: (job.args as { clientSeeds: string[] }).clientSeeds[seed] as string,
        betId: `bet_${job.id.slice(-8)}_${seed}`,
        game: "coin-flip",
        params: { side: "heads" },
        stake: 20_000,
        payoutMultiplier: 1.99,
        won,
        payout: won ? 39_800 : 0,
        serverSeedHash: "ab".repeat(32),
        nonce: seed,
        resultHash: "cd".repeat(32),
        roll: null,
        jobId: job.id,
        placedAt: now,
        source: "response" as const,
      });
      await recordBets(h.storage, [
        bet(done, 0, true),
        bet(done, 1, false),
        bet(done, 2, true),
        bet(partial, 0, false),
      ]);
      const other = await h.another();
      expect(await other.jobs.betBatchTotals([chord.id, "no-such-chord"])).toEqual([
        {
          canvasId: chord.id,
          game: "coin-flip",
          callsTotal: 2,
          callsDone: 1,
          betsTotal: 5,
          betsDone: 4,
          settled: 4,
          wins: 2,
          staked: 80_000,
          pnl: 2 * 19_800 - 2 * 20_000,
        },
      ]);
      expect(await other.jobs.betBatchTotals([])).toEqual([]);
    });

    it("reads job activity in a window, leases by process, and canvases apart from tasks", async () => {
      const now = Date.now();
      const at = (state: JobState, extra: Partial<StoredJob>, createdAt: number) =>
        insertJob(h.storage, { state, ...extra }, createdAt);
      await at("succeeded", { startedAt: now - 7_000, finishedAt: now - 6_000 }, now - 8_000); // before the window
      const done = await at("failed", { startedAt: now - 3_000, finishedAt: now - 2_000 }, now - 4_000);
      const waiting = await at("queued", {}, now - 1_000);
      const leased = { leaseExpiresAt: now + 30_000, startedAt: now - 500 };
      const a1 = await at("running", { ...leased, leaseOwner: "proc-a" }, now - 900);
      await at("running", { ...leased, leaseOwner: "proc-a", leaseExpiresAt: now + 31_000 }, now - 800);
      await at("running", { ...leased, leaseOwner: "proc-b" }, now - 700);
      await insertChord(h.storage, ["ag_0000aaaa"], now - 600);

      const rows = await h.storage.jobs.activity(now - 5_000, 100);
      expect(rows).toHaveLength(6); // not the one finished before the window; the chord's member is queued
      expect(rows.find((r) => r.createdAt === done.createdAt)).toEqual({
        queue: "default",
        state: "failed",
        createdAt: now - 4_000,
        startedAt: now - 3_000,
        finishedAt: now - 2_000,
      });
      expect(rows.map((r) => r.createdAt)).toEqual([...rows.map((r) => r.createdAt)].sort((x, y) => y - x));
      expect(await h.storage.jobs.activity(now - 5_000, 2)).toHaveLength(2);
      expect(rows.some((r) => r.createdAt === waiting.createdAt && r.state === "queued")).toBe(true);

      expect(await (await h.another()).jobs.leaseHolders()).toEqual([
        { owner: "proc-a", jobs: 2, leaseExpiresAt: now + 31_000 },
        { owner: "proc-b", jobs: 1, leaseExpiresAt: now + 30_000 },
      ]);
      expect(a1.leaseOwner).toBe("proc-a");
      expect(await h.storage.jobs.stateCounts("canvas")).toEqual([{ queue: "analytics", state: "waiting", count: 1 }]);
      const tasks = await h.storage.jobs.stateCounts();
      expect(tasks.reduce((n, c) => n + c.count, 0)).toBe(7);
    });

    it("reports each rate-limit key's calls in the window and the jobs in line under it", async () => {
      const now = Date.now();
      const limit = { key: "casino:agent:ag_0000aaaa:batch", limit: 2, windowMs: 60_000 };
      const ip = { key: "casino:ip:/bets/batch@egress:h1", limit: 60, windowMs: 60_000 };
      expect((await h.storage.rateLimits.takeAll([{ ...ip, cost: 3 }], now - 120_000)).ok).toBe(true); // gone by now
      expect((await h.storage.rateLimits.takeAll([limit, ip], now - 1_000)).ok).toBe(true);
      expect((await h.storage.rateLimits.takeAll([limit, ip], now)).ok).toBe(true);
      // a job refused by the full key waits in line under it (only under it)
      const waiter = await insertJob(h.storage, {}, now);
      expect((await h.storage.rateLimits.takeAll([limit, ip], now, waiter.id)).ok).toBe(false);
      expect(await (await h.another()).rateLimits.usage(now - 60_000)).toEqual([
        { key: limit.key, used: 2, oldestAt: now - 1_000, waiting: 1 },
        { key: ip.key, used: 2, oldestAt: now - 1_000, waiting: 0 },
      ]);
    });

    it("keeps one heartbeat row per process, seen by the others, and prunes the silent ones", async () => {
      const now = Date.now();
      const row = (owner: string, startedAt: number, lastSeenAt: number) => ({
        owner,
        host: "host-1",
        pid: 4242,
        egress: "egress-1",
        mode: "sandbox",
        queues: { casino: 8, escrow: 2 },
        runsJobs: true,
        firesSchedules: false,
        heartbeatMs: 10_000,
        startedAt,
        lastSeenAt,
      });
      await h.storage.processes.heartbeat(row("proc-b", now - 5_000, now - 5_000));
      await h.storage.processes.heartbeat(row("proc-a", now - 9_000, now - 9_000));
      await h.storage.processes.heartbeat(row("proc-dead", now - 3 * DAY_MS, now - 2 * DAY_MS));
      // a refresh moves last_seen_at and what changed, never started_at
      await h.storage.processes.heartbeat({
        ...row("proc-a", now, now),
        queues: { casino: 3 },
        firesSchedules: true,
        egress: "egress-2",
      });

      const other = await h.another();
      expect(await other.processes.list()).toEqual([
        row("proc-dead", now - 3 * DAY_MS, now - 2 * DAY_MS),
        { ...row("proc-a", now - 9_000, now), queues: { casino: 3 }, firesSchedules: true, egress: "egress-2" },
        row("proc-b", now - 5_000, now - 5_000),
      ]);
      expect(await other.processes.pruneSilent(now - DAY_MS)).toBe(1);
      await other.processes.remove("proc-b");
      await other.processes.remove("proc-never-was");
      expect((await h.storage.processes.list()).map((p) => p.owner)).toEqual(["proc-a"]);
    });

    it("hands an agent's ledger lane to one process at a time: all or none, paced, leased, freed by its holder", async () => {
      const other = await h.another();
      const [lease, pace, t0] = [60_000, 2_000, 1_000_000];
      const take = (s: Storage, agents: string[], holder: string, now: number) =>
        s.lanes.tryAcquire(agents, holder, now, lease, pace);

      // two connections race for the same lanes (rows that exist: a first call took and freed them): one gets them
      expect(await take(h.storage, ["ag-x", "ag-y"], "first", t0 - 10_000)).toEqual({ acquired: true });
      await h.storage.lanes.release(["ag-x", "ag-y"], "first");
      const race = await Promise.all(
        Array.from({ length: 10 }, (_, i) => take(i % 2 ? other : h.storage, ["ag-x", "ag-y"], `race-${i}`, t0)),
      );
      expect(race.filter((r) => r.acquired)).toHaveLength(1);
      const winner = `race-${race.findIndex((r) => r.acquired)}`;
      // its pace passed but it still holds them: the others poll
      expect(await take(other, ["ag-y"], "late", t0 + 5_000)).toEqual({
        acquired: false,
        retryAt: t0 + 5_000 + LANE_POLL_MS,
      });
      // all or none: refused on ag-y, the call took nothing, so ag-z is free for a third
      expect((await take(other, ["ag-y", "ag-z"], "both", t0 + 5_000)).acquired).toBe(false);
      expect(await take(h.storage, ["ag-z"], "z-only", t0 + 5_000)).toEqual({ acquired: true });

      // only the holder frees a lane
      await other.lanes.release(["ag-x", "ag-y"], "not-the-holder");
      expect((await take(other, ["ag-x"], "late", t0 + 5_000)).acquired).toBe(false);
      await h.storage.lanes.release(["ag-x", "ag-y"], winner);
      expect(await take(other, ["ag-x"], "late", t0 + 5_000)).toEqual({ acquired: true });

      // a free lane still keeps its pace: the next call may start LANE_PACE after the last one started
      await other.lanes.release(["ag-x"], "late");
      expect(await take(h.storage, ["ag-x", "ag-y"], "paced", t0 + 6_000)).toEqual({
        acquired: false,
        retryAt: t0 + 7_000,
      });
      expect(await take(h.storage, ["ag-x", "ag-y"], "paced", t0 + 7_000)).toEqual({ acquired: true });

      // a holder that died without releasing: its lease frees the lane, not a moment before
      expect((await take(other, ["ag-z"], "after-death", t0 + 5_000 + lease - 1)).acquired).toBe(false);
      expect(await take(other, ["ag-z"], "after-death", t0 + 5_000 + lease)).toEqual({ acquired: true });
    });

    it("an engine writes its heartbeat row when it starts, refreshes it, and removes it when it stops", async () => {
      const engine = spawn(h.storage, "proc-engine", { heartbeatMs: 30 });
      const before = Date.now();
      await engine.start();
      const other = await h.another();
      const [seen] = await other.processes.list();
      expect(seen).toMatchObject({ owner: "proc-engine", pid: process.pid, queues: CONCURRENCY, mode: "standalone" });
      expect(seen?.lastSeenAt).toBeGreaterThanOrEqual(before);
      await expect
        .poll(async () => (await other.processes.list())[0]?.lastSeenAt, { timeout: 5_000 })
        .toBeGreaterThan(seen?.lastSeenAt as number);
      await engine.stop();
      expect(await h.storage.processes.list()).toEqual([]);
    });

    it("prunes mirror rows past the retention, keeping the head, the opening mark, the faucet credit and the window", async () => {
      const now = Date.now();
      const A = "ag_mirrorprune";
      const B = "ag_mirroridle0";
      // A: a faucet credit, the opening mark, 100 bets 40 days ago (read then), 60 bets yesterday (read then)
      const history = serverHistory(A, [...times(100, now - 40 * DAY_MS), ...times(70, now - DAY_MS)]);
      const read = (upTo: number, seenAt: number) =>
        h.storage.transaction((tx) => appendToMirror(tx, A, history.slice(Math.max(0, upTo - 50), upTo), seenAt));
      await read(1, now - 40 * DAY_MS);
      await h.storage.transaction(async (tx) => {
        const { lastSeq } = await tx.ledger.mirrorHead(A);
        await tx.ledger.appendServerRows([openingMark(A, 1_000_000, now - 40 * DAY_MS, lastSeq, now - 40 * DAY_MS)]);
      });
      for (const upTo of [40, 80, 101]) await read(upTo, now - 40 * DAY_MS);
      for (const upTo of [140, 161]) await read(upTo, now - DAY_MS);
      // B: an idle agent with 10 rows, all 40 days old: they are all still in its server window
      const idle = serverHistory(B, times(10, now - 40 * DAY_MS));
      await h.storage.transaction((tx) => appendToMirror(tx, B, idle, now - 40 * DAY_MS));
      const before = await h.storage.ledger.mirrorHead(A);

      // an unknown money job from before those rows may still be reconciled (retry_job): it holds them all
      const unknown = await insertJob(
        h.storage,
        { state: "unknown", money: true, moneyState: "unknown" },
        now - 41 * DAY_MS,
      );
      expect(await pruneServerMirror(h.storage, now, 30 * DAY_MS, 7)).toBe(0);
      await h.storage.transaction((tx) => tx.jobs.delete([unknown.id]));

      // 50 newer rows of A were seen 40 days ago for its bets 0–49 only: those go (in batches of 7), nothing else
      expect(await pruneServerMirror(h.storage, now, 30 * DAY_MS, 7)).toBe(50);
      const other = await h.another();
      const kept = (await other.ledger.serverRows({ agentId: A })).map((r) => r.entryId);
      expect(kept).toEqual([history[0]?.id, OPENING_ROW_ID, ...history.slice(51, 161).map((e) => e.id)]);
      expect((await other.ledger.serverRows({ agentId: B })).length).toBe(10);
      expect(await other.ledger.mirrorHead(A)).toEqual(before);
      expect(await heldAtOpening(other, A, [history[0]?.id as string])).toEqual(new Set([history[0]?.id]));
      expect(await mirrorCovers(other, A, now - 2 * DAY_MS, false)).toBe(true);
      expect(await pruneServerMirror(h.storage, now, 30 * DAY_MS, 7)).toBe(0);

      // the next read continues the head: no gap, and only the new rows are appended
      const next = await other.transaction((tx) => appendToMirror(tx, A, history.slice(121, 171), now));
      expect(next.gap).toBeNull();
      expect(next.appended.map((r) => r.entryId)).toEqual(history.slice(161, 171).map((e) => e.id));
    });
  });
}

const DAY_MS = 86_400_000;

/** `n` server times one second apart from `from`, as the server writes them (ISO, whole seconds) */
function times(n: number, from: number): string[] {
  const start = Math.floor(from / 1000) * 1000;
  return Array.from({ length: n }, (_, i) => new Date(start + i * 1000).toISOString());
}

/** an agent's server ledger: a $1 faucet credit, then a $0.005 reservation debit at each of `at[1..]` */
function serverHistory(agentId: string, at: readonly string[]): LedgerEntry[] {
  return at.map((time, i) =>
    i === 0
      ? {
          id: `${agentId}-faucet`,
          type: "credit",
          amount: 1_000_000,
          balanceAfter: 1_000_000,
          reason: "faucet_claim",
          reference: `claim_${agentId}`,
          service: "faucet",
          at: time,
        }
      : {
          id: `${agentId}-row-${String(i).padStart(3, "0")}`,
          type: "debit",
          amount: 5_000,
          balanceAfter: 1_000_000 - 5_000 * i,
          reason: "reservation",
          reference: `bet_${agentId}_${i}`,
          service: "casino",
          at: time,
        },
  );
}

const plainTask = task("plain", z.looseObject({}), async () => null) as TaskDefinition;

/** a queued task row (or in the state given), written as a process would have left it */
async function insertJob(storage: Storage, over: Partial<StoredJob>, createdAt: number): Promise<StoredJob> {
  const row = { ...buildTaskJob(plainTask, {}, {}, createdAt), ...over };
  await storage.transaction((tx) =>
    tx.jobs.insert(row, { at: createdAt, jobId: row.id, from: null, to: row.state, reason: "test row" }),
  );
  return row;
}

/** a bet-batch chord as the batch tools submit it: one `casino.bet_batch` member per agent, `seeds[i]` bets each */
async function insertChord(
  storage: Storage,
  agents: readonly string[],
  createdAt: number,
  seeds: readonly number[] = agents.map(() => 1),
): Promise<StoredJob & { members: StoredJob[] }> {
  const spec = { size: agents.length, callback: { task: TASK.aggregateBets, args: {} }, deadlineAt: null };
  const parent = { ...buildCanvasJob("chord", "analytics", spec, createdAt), openMembers: agents.length };
  const members = agents.map((agentId, i) => ({
    ...buildTaskJob(plainTask, {}, {}, createdAt, { parentId: parent.id, canvasId: parent.id, canvasIndex: i }),
    task: TASK.betBatch,
    queue: "casino" as const,
    args: {
      agentId,
      bet: { game: "coin-flip", side: "heads" },
      amount: 20_000,
      clientSeeds: Array.from({ length: seeds[i] ?? 1 }, (_, n) => `seed-${parent.id}-${i}-${n}`),
    },
  }));
  await storage.transaction(async (tx) => {
    await tx.jobs.insert(parent, { at: createdAt, jobId: parent.id, from: null, to: "waiting", reason: "test chord" });
    for (const m of members)
      await tx.jobs.insert(m, { at: createdAt, jobId: m.id, from: null, to: "queued", reason: "member" });
  });
  return { ...parent, members };
}

async function waitFor(check: () => Promise<boolean>, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
