/**
 * Invariant 1: a money request whose outcome is unknown is never re-sent blindly. These tests count how often
 * `run` (the send) is called against a tiny in-memory "server" that remembers what it processed.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { FleetError } from "../../src/errors.js";
import { type JobEngine, ManualClock, type TaskContext, type TaskDefinition } from "../../src/jobs/index.js";
import { recordMovement } from "../../src/ledger/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { inState, testEngine, until } from "./support/engine.js";

type PayArgs = { ref: string };

interface FakeServer {
  processed: Set<string>;
  runs: number;
  reconciles: number;
}

const SETTLE_MS = 100;

function payTask(
  server: FakeServer,
  run: (ctx: TaskContext<PayArgs>) => Promise<unknown>,
  overrides: Partial<TaskDefinition<PayArgs, unknown>> = {},
): TaskDefinition<PayArgs, unknown> {
  return {
    name: "pay",
    queue: "escrow",
    moneyMoving: true,
    timeLimitMs: 60_000,
    retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000, jitter: 0 },
    args: z.object({ ref: z.string() }),
    idempotencyKey: (a) => a.ref,
    run: (ctx) => {
      server.runs++;
      return run(ctx);
    },
    reconcile: async ({ args }) => {
      server.reconciles++;
      return server.processed.has(args.ref)
        ? { outcome: "done", result: { receipt: args.ref, source: "reconciled" } }
        : { outcome: "not_done", reason: `${args.ref} is not in the server's records` };
    },
    ...overrides,
  };
}

const ambiguous = () => new FleetError("OUTCOME_UNKNOWN", "timeout after the request was sent");

describe("money jobs", () => {
  let t: TempDb;
  let clock: ManualClock;
  let engine: JobEngine;
  let server: FakeServer;

  beforeEach(() => {
    t = tempDb();
    clock = new ManualClock();
    engine = testEngine(t.storage, { clock, settleMs: SETTLE_MS });
    server = { processed: new Set(), runs: 0, reconciles: 0 };
  });
  afterEach(async () => {
    await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  it("records the intent before run, then reconciles an ambiguous failure after the settle delay instead of re-running it", async () => {
    let intentSeen: unknown;
    engine.register(
      payTask(server, async ({ job, args }) => {
        intentSeen = (await engine.get(job.id))?.moneyState;
        server.processed.add(args.ref);
        throw ambiguous();
      }),
    );
    await engine.start();
    const job = await engine.enqueue("pay", { ref: "bet-1" });

    const pending = await until(engine, job.id, (j) => j.state === "retrying");
    expect(intentSeen).toBe("intent");
    expect(pending.moneyState).toBe("unknown");
    expect(pending.dueAt - clock.now()).toBe(SETTLE_MS);
    expect(server.reconciles).toBe(0);

    clock.advance(SETTLE_MS);
    const done = await inState(engine, job.id, "succeeded");
    expect(done).toMatchObject({ moneyState: "done", result: { receipt: "bet-1", source: "reconciled" } });
    expect(server).toMatchObject({ runs: 1, reconciles: 1 });
    expect((await engine.events(job.id)).map((e) => e.reason).join("\n")).toMatch(/not re-sending/);
  });

  it("sends again only after reconciliation proves the first request was not processed", async () => {
    engine.register(
      payTask(server, async ({ args }) => {
        if (server.runs === 1) throw ambiguous(); // lost before reaching the server
        server.processed.add(args.ref);
        return { receipt: args.ref, source: "response" };
      }),
    );
    await engine.start();
    const job = await engine.enqueue("pay", { ref: "bet-2" });
    await inState(engine, job.id, "retrying");
    clock.advance(SETTLE_MS);
    const retry = await until(engine, job.id, (j) => j.state === "retrying" && j.moneyState === "not_done");
    expect(server).toMatchObject({ runs: 1, reconciles: 1 });
    clock.advance(retry.dueAt - clock.now());
    const done = await inState(engine, job.id, "succeeded");
    expect(done).toMatchObject({ attempts: 2, result: { source: "response" } });
    expect(server.runs).toBe(2);
  });

  it("reconciles, never re-runs, after a thrown non-FleetError and after a time limit", async () => {
    engine.register(
      payTask(
        server,
        async ({ args }) => {
          server.processed.add(args.ref);
          if (args.ref === "crash") throw new TypeError("cannot read properties of undefined");
          return new Promise(() => {}); // hangs past its time limit
        },
        { timeLimitMs: 5_000 },
      ),
    );
    await engine.start();
    const crashed = await engine.enqueue("pay", { ref: "crash" });
    const hung = await engine.enqueue("pay", { ref: "hang" });
    await inState(engine, crashed.id, "retrying");
    await inState(engine, hung.id, "running");
    // a row is `running` from its claim's commit; the attempt (and its time limit) starts once the claim is durable
    await expect.poll(() => server.processed.has("hang")).toBe(true);
    clock.advance(5_000);
    await inState(engine, hung.id, "retrying");
    clock.advance(SETTLE_MS);
    await inState(engine, crashed.id, "succeeded");
    await inState(engine, hung.id, "succeeded");
    expect(server).toMatchObject({ runs: 2, reconciles: 2 });
  });

  it("a refusal (permanent error) fails the job as not done, without retry or reconciliation", async () => {
    engine.register(
      payTask(server, async () => {
        throw new FleetError("INSUFFICIENT_BALANCE", "insufficient_balance", { status: 402 });
      }),
    );
    await engine.start();
    const job = await engine.enqueue("pay", { ref: "broke" });
    const failed = await inState(engine, job.id, "failed");
    expect(failed.moneyState).toBe("not_done");
    expect(server).toMatchObject({ runs: 1, reconciles: 0 });
  });

  it("leaves a job `unknown` after repeated unprovable reconciliations; retry() reconciles before any resend", async () => {
    await engine.stop();
    engine = testEngine(t.storage, { clock, settleMs: SETTLE_MS, maxReconciles: 3 });
    let exportWorks = false;
    engine.register(
      payTask(
        server,
        async ({ args }) => {
          server.processed.add(args.ref);
          throw ambiguous();
        },
        {
          reconcile: async ({ args }) => {
            server.reconciles++;
            if (!exportWorks) return { outcome: "unknown", reason: "bets export unavailable" };
            return { outcome: "done", result: { receipt: args.ref } };
          },
        },
      ),
    );
    await engine.start();
    const job = await engine.enqueue("pay", { ref: "bet-3" });
    let row = await inState(engine, job.id, "retrying");
    while (row.state !== "unknown") {
      clock.advance(row.dueAt - clock.now());
      row = await until(
        engine,
        job.id,
        (j) => j.state === "unknown" || (j.state === "retrying" && j.dueAt > clock.now()),
      );
    }
    expect(row.error).toMatchObject({ code: "OUTCOME_UNKNOWN" });
    expect(row.error?.message).toMatch(/after 3 reconciliations: bets export unavailable/);
    expect(server).toMatchObject({ runs: 1, reconciles: 3 });
    await expect(engine.discard(job.id)).rejects.toThrow(/kept as evidence/);

    exportWorks = true;
    expect((await engine.retry(job.id)).state).toBe("retrying");
    const done = await inState(engine, job.id, "succeeded");
    expect(done.result).toEqual({ receipt: "bet-3" });
    expect(server).toMatchObject({ runs: 1, reconciles: 4 });
  });

  it("commits the task's onCommit writes in the same transaction as its success, and only then", async () => {
    // the receipt: a ledger movement under the ref, written through the job's ReceiptWriter
    const receipt = (ref: string, amount: number) => ({
      agentId: "ag_payer",
      kind: "escrow_release" as const,
      amount,
      reference: ref,
      at: clock.now(),
    });
    engine.register(
      payTask(server, async (ctx) => {
        const { ref } = ctx.args;
        ctx.onCommit(async (tx) => {
          await recordMovement(tx, receipt(ref, 1_000_000), clock.now());
        });
        if (ref === "refused") throw new FleetError("KELLY_LIMIT_EXCEEDED", "kelly_limit_exceeded");
        // a second, different receipt under one key (CONFLICT): the commit fails
        if (ref === "clash") {
          ctx.onCommit(async (tx) => {
            await recordMovement(tx, receipt("clash", 2_000_000), clock.now());
          });
        }
        server.processed.add(ref);
        return { receipt: ref };
      }),
    );
    await engine.start();
    const ok = await engine.enqueue("pay", { ref: "ok" });
    const refused = await engine.enqueue("pay", { ref: "refused" });
    const clash = await engine.enqueue("pay", { ref: "clash" });
    await inState(engine, ok.id, "succeeded");
    await inState(engine, refused.id, "failed");
    const broken = await inState(engine, clash.id, "failed");

    const refs = t.db.prepare("SELECT reference AS ref FROM movements ORDER BY reference").all();
    expect(refs).toEqual([{ ref: "ok" }]);
    // the server did process it: the job says so, keeps the receipt, and refuses to be re-run
    expect(broken).toMatchObject({ moneyState: "done", result: { receipt: "clash" }, error: { code: "INTERNAL" } });
    await expect(engine.retry(clash.id)).rejects.toThrow(/would move it twice/);
  });

  it("cancelling a running money job reconciles it: cancel never unsends", async () => {
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    engine.register(
      payTask(server, ({ args, signal }) => {
        server.processed.add(args.ref);
        started();
        return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      }),
    );
    await engine.start();
    const job = await engine.enqueue("pay", { ref: "sent-then-cancelled" });
    await running;
    await engine.cancel(job.id);
    await until(engine, job.id, (j) => j.state === "retrying" && j.moneyState === "unknown");
    // a second cancel while it waits to reconcile changes nothing: the outcome must be proven first
    expect((await engine.cancel(job.id)).state).toBe("retrying");
    clock.advance(SETTLE_MS);
    const done = await inState(engine, job.id, "succeeded");
    expect(done.result).toMatchObject({ receipt: "sent-then-cancelled" });
    expect(server).toMatchObject({ runs: 1, reconciles: 1 });
  });

  it("a money task must define reconcile", () => {
    const { reconcile: _omit, ...withoutReconcile } = payTask(server, async () => null);
    expect(() => engine.register(withoutReconcile)).toThrow(/needs `reconcile`/);
  });
});
