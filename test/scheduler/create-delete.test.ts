import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { createScheduler } from "../../scheduler/index.js";
import type { ScheduleJson } from "../../scheduler/present.js";
import type { Scheduler } from "../../scheduler/types.js";
import { loadConfig } from "../../src/config.js";
import type { FleetDeps } from "../../src/deps.js";
import { createFleetStore } from "../../src/fleet/index.js";
import type { JobEngine } from "../../src/jobs/index.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import { silentLogger } from "../../src/log.js";
import { takeOverInputValidation } from "../../src/mcp/tool.js";
import { openStorage } from "../../src/storage/index.js";
import type { Storage } from "../../src/storage/types.js";
import * as createSchedule from "../../tools/create-schedule.js";
import * as deleteSchedule from "../../tools/delete-schedule.js";
import * as listSchedules from "../../tools/list-schedules.js";
import * as runScheduleNow from "../../tools/run-schedule-now.js";
import * as setSchedule from "../../tools/set-schedule.js";
import { rawRows, type TempDatabase, tempDatabase, vaultFor } from "../support/database.js";
import { createTestEngine, enqueuedJobs } from "./support/engine.js";
import { type FakeClock, fakeClock, isoOf, utc } from "./support/fixtures.js";

/**
 * Beat from the chat: schedules created and deleted through the tools, driven by the SDK's own Client. Each
 * "process" is a server of its own (storage, job engine not started, scheduler) on one shared database, on the
 * backend this vitest project runs; all share one manual clock, and the test ticks their schedulers by hand.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Process {
  storage: Storage;
  engine: JobEngine;
  scheduler: Scheduler;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

const BUILT_INS = 7;

async function setup(startIso: string): Promise<{ clock: FakeClock; db: TempDatabase; open(): Promise<Process> }> {
  const db = await tempDatabase("pf-create-delete-");
  const clock = fakeClock(startIso);
  const open = async (): Promise<Process> => {
    const config = loadConfig({ PF_DB: db.location });
    const storage = await openStorage(db.location);
    const { engine, close: closeEngine } = createTestEngine(storage, clock, { config });
    const scheduler = await createScheduler({ storage, engine, clock, logger: silentLogger });
    const deps = {
      config,
      mode: config.mode,
      storage,
      logger: silentLogger,
      engine,
      fleet: createFleetStore(storage, config, { vault: vaultFor(db.location) }),
      sandbox: undefined,
      scheduler,
    } as unknown as FleetDeps; // the schedule tools never use the Purple Flea client
    const server = new McpServer({ name: "pf-fleet-test", version: "0.0.0" });
    takeOverInputValidation(server);
    for (const m of [listSchedules, setSchedule, createSchedule, deleteSchedule, runScheduleNow]) {
      m.register(server, deps);
    }
    const client = new Client({ name: "create-delete-test", version: "0.0.0" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await client.close();
      await server.close();
      await closeEngine();
      await storage.close();
    };
    cleanups.unshift(close);
    return {
      storage,
      engine,
      scheduler,
      call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
      close,
    };
  };
  cleanups.push(() => db.remove());
  return { clock, db, open };
}

const structured = <T>(res: CallToolResult): T => {
  expect(res.isError, JSON.stringify(res.structuredContent)).toBeFalsy();
  return res.structuredContent as T;
};
const textOf = (res: CallToolResult) => (res.content[0] as { text: string }).text;

function errorOf(res: CallToolResult) {
  expect(res.isError).toBe(true);
  return (res.structuredContent as { error: { code: string; message: string; hint?: string } }).error;
}

async function listed(p: Process): Promise<Record<string, ScheduleJson>> {
  const { schedules } = structured<{ schedules: ScheduleJson[] }>(await p.call("list_schedules"));
  return Object.fromEntries(schedules.map((s) => [s.name, s]));
}

/** (name, slot) firing history straight from the table: what the exactly-once claim rests on */
async function slotRows(storage: Storage, name: string): Promise<string[]> {
  const rows = await rawRows<{ slot: number }>(
    storage,
    "SELECT slot FROM schedule_slots WHERE name = ? ORDER BY slot",
    name,
  );
  return rows.map((r) => (isoOf(Number(r.slot)) as string).slice(11, 16));
}

/** both processes tick the same instant twice, all four at once: a real race for each slot */
async function race(a: Process, b: Process, t: number, step: number): Promise<{ a: number; b: number }> {
  const [x, y] = step % 2 === 0 ? [a, b] : [b, a];
  const fired = await Promise.all([x.scheduler.tick(t), y.scheduler.tick(t), x.scheduler.tick(t), y.scheduler.tick(t)]);
  const byX = (fired[0]?.length ?? 0) + (fired[2]?.length ?? 0);
  const byY = (fired[1]?.length ?? 0) + (fired[3]?.length ?? 0);
  return x === a ? { a: byX, b: byY } : { a: byY, b: byX };
}

const HOURLY_REFRESH = { name: "hourly-ledger-refresh", task: TASK.ledgerRefresh, cron: "0 * * * *" };
const QUARTER_PNL = {
  name: "pnl_every_15m",
  task: TASK.dailyPnl,
  interval_seconds: 900,
  description: "today's PnL every quarter hour",
};

describe("create_schedule and delete_schedule", () => {
  it("a created schedule is listed, fires once per slot between two processes, and once deleted never again, across a restart", async () => {
    const { clock, open } = await setup("2025-03-03T09:58:00Z");
    const a = await open();
    const b = await open();

    const created = structured<{ schedule: ScheduleJson; to_enable: string | null }>(
      await a.call("create_schedule", HOURLY_REFRESH),
    );
    expect(created.to_enable).toBeNull();
    expect(created.schedule).toMatchObject({
      name: "hourly-ledger-refresh",
      task: TASK.ledgerRefresh,
      cron: "0 * * * *",
      timezone: "UTC",
      enabled: true,
      money: false,
      origin: "user",
      catch_up: "skip",
      next_run_at: "2025-03-03T10:00:00.000Z",
      stake: null,
    });
    structured(await a.call("create_schedule", QUARTER_PNL));
    // the other process sees both at once: the database is the truth
    const seenByB = await listed(b);
    expect(Object.keys(seenByB)).toHaveLength(BUILT_INS + 2);
    expect(seenByB.pnl_every_15m).toMatchObject({ interval_seconds: 900, enabled: true, origin: "user" });
    expect(seenByB.pnl_every_15m?.description).toBe("today's PnL every quarter hour");
    expect(seenByB["daily-pnl-summary"]?.origin).toBe("builtin");
    expect(textOf(await b.call("list_schedules"))).toContain("hourly-ledger-refresh (user)  on   0 * * * * UTC");

    const firedBy = { a: 0, b: 0 };
    let step = 0;
    for (let t = utc("2025-03-03T09:58:20Z"); t <= utc("2025-03-03T11:00:30Z"); t += 20_000, step++) {
      clock.at(t);
      const n = await race(a, b, t, step);
      firedBy.a += n.a;
      firedBy.b += n.b;
    }
    expect(await slotRows(a.storage, "hourly-ledger-refresh")).toEqual(["10:00", "11:00"]);
    expect(await slotRows(a.storage, "pnl_every_15m")).toEqual(["10:00", "10:15", "10:30", "10:45", "11:00"]);
    const refreshes = await enqueuedJobs(a.engine, TASK.ledgerRefresh);
    expect(refreshes).toHaveLength(2);
    const pnl = await enqueuedJobs(a.engine, TASK.dailyPnl);
    expect(pnl).toHaveLength(5);
    expect(pnl[0]?.args).toEqual({ date: "2025-03-03" });
    // 2 + 5 created firings and 13 balance checks (every 5 min, 10:00–11:00), each by exactly one process
    expect(firedBy.a + firedBy.b).toBe(20);
    expect(firedBy.a).toBeGreaterThan(0);
    expect(firedBy.b).toBeGreaterThan(0);

    // deleted by the other process: the jobs it already enqueued are kept, and it never fires again
    const deleted = await b.call("delete_schedule", { name: "hourly-ledger-refresh" });
    expect(structured(deleted)).toEqual({
      deleted: "hourly-ledger-refresh",
      task: TASK.ledgerRefresh,
      was_enabled: true,
    });
    expect(textOf(deleted)).toContain("will not fire again");
    expect(await listed(a)).not.toHaveProperty("hourly-ledger-refresh");
    for (let t = utc("2025-03-03T11:00:40Z"); t <= utc("2025-03-03T13:00:30Z"); t += 20_000, step++) {
      clock.at(t);
      await race(a, b, t, step);
    }
    const kept = await enqueuedJobs(a.engine, TASK.ledgerRefresh);
    expect(kept.map((j) => j.id)).toEqual(refreshes.map((j) => j.id));
    for (const j of kept) expect((await a.engine.get(j.id))?.state).toBe("queued");
    expect(await slotRows(a.storage, "hourly-ledger-refresh")).toEqual([]);
    expect(await enqueuedJobs(a.engine, TASK.dailyPnl)).toHaveLength(13);

    // a restart: the created schedule is back with its history, the deleted one stays deleted
    await a.close();
    await b.close();
    const c = await open();
    const after = await listed(c);
    expect(Object.keys(after)).toHaveLength(BUILT_INS + 1);
    expect(after).not.toHaveProperty("hourly-ledger-refresh");
    expect(after.pnl_every_15m).toMatchObject({
      origin: "user",
      enabled: true,
      last_firing: { slot: "2025-03-03T13:00:00.000Z", outcome: "enqueued" },
    });
    expect(await c.scheduler.tick(clock.now())).toEqual([]); // 13:00 already fired before the restart
    for (let t = utc("2025-03-03T13:01:00Z"); t <= utc("2025-03-03T14:00:30Z"); t += 60_000) {
      clock.at(t);
      await c.scheduler.tick(t);
    }
    expect(await enqueuedJobs(c.engine, TASK.ledgerRefresh)).toHaveLength(2);
    expect(await enqueuedJobs(c.engine, TASK.dailyPnl)).toHaveLength(17);
  });

  it("creates a money schedule disabled; enabling it states its worst-case daily stake against the limits", async () => {
    const { clock, open } = await setup("2025-03-03T09:30:00Z");
    const p = await open();
    const args = { bet: { game: "crash", cash_out_at: 2 }, count: 5, amount_usd: 0.02 };
    const res = await p.call("create_schedule", {
      name: "crash-every-2h",
      task: TASK.placeBatch,
      cron: "0 */2 * * *",
      args,
      enabled: true,
    });
    const { schedule, to_enable } = structured<{ schedule: ScheduleJson; to_enable: string }>(res);
    expect(schedule).toMatchObject({ enabled: false, money: true, next_run_at: null, args });
    expect(schedule.stake).toMatchObject({ firings_per_day: 12, bets_per_firing: 5, worst_case_daily_usd: 1.2 });
    expect(to_enable).toContain('set_schedule {"name":"crash-every-2h","enabled":true}');
    expect(textOf(res)).toContain("starts disabled (enabled: true is not applied to it)");
    expect(textOf(res)).toContain("worst-case daily stake $1.20 = 12 firing(s)/day × 5 bet(s) × $0.02");

    // disabled means nothing runs: no slot, and no manual run either
    for (let t = clock.now(); t <= utc("2025-03-03T12:30:00Z"); t += 60_000) {
      clock.at(t);
      await p.scheduler.tick(t);
    }
    expect(errorOf(await p.call("run_schedule_now", { name: "crash-every-2h" })).code).toBe("FORBIDDEN");
    expect(await enqueuedJobs(p.engine, TASK.placeBatch)).toHaveLength(0);

    const enabled = await p.call("set_schedule", { name: "crash-every-2h", enabled: true });
    expect(structured<{ schedule: ScheduleJson }>(enabled).schedule.enabled).toBe(true);
    expect(textOf(enabled)).toContain("worst-case daily stake $1.20 = 12 firing(s)/day × 5 bet(s) × $0.02");
    expect(textOf(enabled)).toContain("limits: max bet $1.00, max batch $10.00");
    clock.set("2025-03-03T14:00:00Z");
    await p.scheduler.tick(clock.now());
    const batches = await enqueuedJobs(p.engine, TASK.placeBatch);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.args).toMatchObject({ count: 5, amount: 20_000, bet: { game: "crash", cash_out_at: 2 } });

    // one the limits would refuse is still created (disabled), flagged, and cannot be enabled
    const big = { ...args, count: 10, amount_usd: 0.5 };
    const tooBig = await p.call("create_schedule", {
      name: "crash-hourly-big",
      task: TASK.placeBatch,
      cron: "0 * * * *",
      args: big,
    });
    expect(structured<{ schedule: ScheduleJson }>(tooBig).schedule.stake?.within_limits).toBe(false);
    expect(textOf(tooBig)).toContain("WARNING");
    expect(errorOf(await p.call("set_schedule", { name: "crash-hourly-big", enabled: true })).code).toBe(
      "LIMIT_EXCEEDED",
    );

    // escrow releases move money too: created disabled, with no stake to state
    const escrow = await p.call("create_schedule", {
      name: "nightly-escrow-settle",
      task: TASK.escrowSettle,
      cron: "0 2 * * *",
    });
    expect(structured<{ schedule: ScheduleJson; to_enable: string }>(escrow)).toMatchObject({
      schedule: { enabled: false, money: false, stake: null },
      to_enable: 'set_schedule {"name":"nightly-escrow-settle","enabled":true}',
    });
  });

  it("rejects bad input with INVALID_INPUT naming the field, and writes no row", async () => {
    const { open } = await setup("2025-03-03T09:00:00Z");
    const p = await open();
    const rows = () => rawRows<{ name: string }>(p.storage, "SELECT name FROM schedules ORDER BY name");
    const before = await rows();
    expect(before).toHaveLength(BUILT_INS);
    const crash = { bet: { game: "crash", cash_out_at: 1.5 }, count: 10 };
    const base = { name: "my-schedule", task: TASK.placeBatch, cron: "0 * * * *" };
    const ok = { name: "my-schedule", task: TASK.ledgerRefresh, cron: "0 * * * *" };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...ok, name: "My Schedule" }, "name: must be 1–64 lowercase letters"],
      [{ ...ok, name: `a${"b".repeat(64)}` }, "name: must be 1–64"],
      [{ ...ok, name: "-leading-dash" }, "name:"],
      [{ ...ok, task: "casino.transfer" }, "task: must be one of"],
      [{ ...ok, cron: "61 * * * *" }, "minute value `61` is out of range 0–59"],
      [{ ...ok, cron: "0 0 30 2 *" }, "never fires"],
      [{ ...ok, cron: "* * * * * *" }, "fires more than once a minute"],
      [{ ...ok, cron: undefined, interval_seconds: 30 }, "interval_seconds: must be at least 60 seconds"],
      [{ ...ok, cron: undefined }, "give cron or interval_seconds"],
      [{ ...ok, interval_seconds: 600 }, "not both"],
      [{ ...ok, timezone: "Mars/Olympus" }, "got `Mars/Olympus`"],
      [{ ...ok, every: "5m" }, "every"],
      [{ ...ok, description: "x".repeat(201) }, "description:"],
      [{ ...base, args: { ...crash, amount: 10_000 } }, "amount: not accepted here; give `amount_usd`"],
      [{ ...base, args: { ...crash, amount_usd: 0.001 } }, "amount_usd: must be a number ≥ 0.01 USD"],
      [{ ...base, args: { ...crash, amount_usd: 0.01, count: 0 } }, "count:"],
      [{ ...base, args: crash }, "amount_usd:"],
      [{ ...ok, task: TASK.dailyPnl, args: { date: "yesterday" } }, "args for pnl.daily_summary: date"],
      [{ ...ok, task: TASK.balanceCheck, args: { low_balance_usd: -1 } }, "low_balance_usd: must be a number ≥ 0 USD"],
    ];
    for (const [args, message] of cases) {
      const err = errorOf(await p.call("create_schedule", args));
      expect(err.code, JSON.stringify(args)).toBe("INVALID_INPUT");
      expect(err.message, JSON.stringify(args)).toContain(message);
      expect(err.hint, JSON.stringify(args)).toBeTruthy();
    }
    expect(await rows()).toEqual(before);

    // the once-a-minute floor holds for a created schedule's later changes too (built-ins keep their range)
    structured(await p.call("create_schedule", ok));
    const retimed = errorOf(await p.call("set_schedule", { name: "my-schedule", interval_seconds: 10 }));
    expect(retimed).toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("at least 60") });
    expect((await listed(p))["my-schedule"]?.cron).toBe("0 * * * *");
  });

  it("refuses a taken name, a built-in delete and an unknown name, each changing nothing", async () => {
    const { open } = await setup("2025-03-03T09:00:00Z");
    const p = await open();
    structured(await p.call("create_schedule", HOURLY_REFRESH));
    const dup = errorOf(await p.call("create_schedule", { ...HOURLY_REFRESH, cron: "30 * * * *" }));
    expect(dup).toMatchObject({ code: "CONFLICT", message: "a schedule named `hourly-ledger-refresh` already exists" });
    expect(dup.hint).toContain("set_schedule");
    expect((await listed(p))["hourly-ledger-refresh"]?.cron).toBe("0 * * * *");
    const builtinName = { name: "hourly-crash-batch", task: TASK.ledgerRefresh, cron: "0 * * * *" };
    expect(errorOf(await p.call("create_schedule", builtinName)).code).toBe("CONFLICT");
    expect((await listed(p))["hourly-crash-batch"]).toMatchObject({ task: TASK.placeBatch, origin: "builtin" });

    const builtin = errorOf(await p.call("delete_schedule", { name: "daily-pnl-summary" }));
    expect(builtin.code).toBe("FORBIDDEN");
    expect(builtin.hint).toContain('set_schedule {"name": "daily-pnl-summary", "enabled": false}');
    expect(await listed(p)).toHaveProperty("daily-pnl-summary");

    const missing = errorOf(await p.call("delete_schedule", { name: "no-such-schedule" }));
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.hint).toContain("list_schedules");
    structured(await p.call("delete_schedule", { name: "hourly-ledger-refresh" }));
    expect(errorOf(await p.call("delete_schedule", { name: "hourly-ledger-refresh" })).code).toBe("NOT_FOUND");
    expect(Object.keys(await listed(p))).toHaveLength(BUILT_INS);
  });

  it("a delete racing a firing of the same slot leaves that slot's job or nothing, and nothing after", async () => {
    const { clock, open } = await setup("2025-03-03T09:59:00Z");
    const a = await open();
    const b = await open();
    let enqueued = 0;
    for (let round = 0; round < 6; round++) {
      const name = `race-${round}`;
      structured(await a.call("create_schedule", { name, task: TASK.ledgerRefresh, interval_seconds: 60 }));
      const slot = clock.set(new Date(utc("2025-03-03T10:00:00Z") + round * 60_000).toISOString());
      const [fired, deleted] = await Promise.all([
        a.scheduler.tick(slot),
        round % 2 === 0 ? b.call("delete_schedule", { name }) : a.call("delete_schedule", { name }),
      ]);
      expect(deleted.isError, JSON.stringify(deleted.structuredContent)).toBeFalsy();
      const mine = fired.filter((f) => f.name === name);
      expect(mine.length).toBeLessThanOrEqual(1);
      enqueued += mine.filter((f) => f.outcome === "enqueued" && f.jobId !== null).length;
      // whichever won, the schedule and its slots are gone, and no later tick brings it back
      expect(await slotRows(a.storage, name)).toEqual([]);
      expect(await b.scheduler.tick(slot + 60_000)).not.toContainEqual(expect.objectContaining({ name }));
    }
    // every firing that won kept its job, and no job exists without the firing that reported it
    expect(await enqueuedJobs(a.engine, TASK.ledgerRefresh)).toHaveLength(enqueued);
  });
});
