import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ScheduleJson } from "../../scheduler/present.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import { enqueuedJobs } from "./support/engine.js";
import { type ScheduleToolsHarness, scheduleToolsHarness } from "./support/mcp.js";

let h: ScheduleToolsHarness;
beforeEach(async () => {
  h = await scheduleToolsHarness();
});
afterEach(async () => {
  await h.close();
});

async function schedules(): Promise<Record<string, ScheduleJson>> {
  const res = await h.call("list_schedules");
  const list = (res.structuredContent as { schedules: ScheduleJson[] }).schedules;
  return Object.fromEntries(list.map((s) => [s.name, s]));
}

function errorOf(res: { isError?: boolean; structuredContent?: unknown }) {
  expect(res.isError).toBe(true);
  return (res.structuredContent as { error: { code: string; message: string; hint?: string } }).error;
}

describe("schedule tools", () => {
  it("list_schedules shows the default Beat table, money schedules disabled with their worst case", async () => {
    const res = await h.call("list_schedules");
    expect(res.isError).toBeFalsy();
    const byName = await schedules();
    expect(Object.keys(byName).sort()).toEqual([
      "daily-ledger-refresh",
      "daily-pnl-summary",
      "hourly-crash-batch",
      "midday-coinflip-batch",
      "wallet-balance-check",
      "weekly-escrow-settlement",
      "weekly-pnl-report",
    ]);
    expect(byName["hourly-crash-batch"]).toMatchObject({
      enabled: false,
      money: true,
      cron: "0 * * * *",
      timezone: "UTC",
      next_run_at: null,
      // money in USD, as every tool takes and shows it; micro-USD stays inside
      args: { bet: { game: "crash", cash_out_at: 1.5 }, count: 10, amount_usd: 0.01 },
      stake: { firings_per_day: 24, bets_per_firing: 10, stake_per_bet_usd: 0.01, worst_case_daily_usd: 2.4 },
    });
    expect(byName["hourly-crash-batch"]?.args).not.toHaveProperty("amount");
    expect(byName["wallet-balance-check"]).toMatchObject({ enabled: true, interval_seconds: 300, stake: null });
    expect(byName["wallet-balance-check"]?.next_run_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d[05]:00\.000Z$/);
    const text = (res.content[0] as { text: string }).text;
    expect(text).toContain("hourly-crash-batch  off  0 * * * * UTC → casino.place_batch");
  });

  it("set_schedule enables a money schedule and states its worst-case daily stake against the limits", async () => {
    const res = await h.call("set_schedule", { name: "hourly-crash-batch", enabled: true });
    expect(res.isError).toBeFalsy();
    const { schedule, changed } = res.structuredContent as { schedule: ScheduleJson; changed: string[] };
    expect(changed).toEqual(["enabled"]);
    expect(schedule.enabled).toBe(true);
    expect(schedule.next_run_at).toMatch(/T\d\d:00:00\.000Z$/);
    expect(schedule.stake?.within_limits).toBe(true);
    const text = (res.content[0] as { text: string }).text;
    expect(text).toContain("worst-case daily stake $2.40 = 24 firing(s)/day × 10 bet(s) × $0.01");
    expect(text).toContain("limits: max bet $1.00, max batch $10.00, daily loss $5.00 per agent, $20.00 fleet");
    expect((await schedules())["hourly-crash-batch"]?.enabled).toBe(true);
  });

  it("set_schedule refuses a money schedule whose day could exceed the fleet loss limit, and changes nothing", async () => {
    const before = await schedules();
    // 24 × 10 × $0.50 = $120 a day, against a $20 fleet limit
    const args = { bet: { game: "crash", cash_out_at: 1.5 }, count: 10, amount_usd: 0.5 };
    const err = errorOf(await h.call("set_schedule", { name: "hourly-crash-batch", enabled: true, args }));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toContain("worst-case daily stake $120.00");
    expect(err.message).toContain("could exceed the fleet daily loss limit $20.00");
    // the same args on a disabled schedule are stored, but enabling it later is refused just the same
    expect((await h.call("set_schedule", { name: "hourly-crash-batch", args })).isError).toBeFalsy();
    expect(errorOf(await h.call("set_schedule", { name: "hourly-crash-batch", enabled: true })).code).toBe(
      "LIMIT_EXCEEDED",
    );
    const after = await schedules();
    expect(after["hourly-crash-batch"]?.enabled).toBe(false);
    expect(after["hourly-crash-batch"]?.stake?.within_limits).toBe(false);
    expect({ ...after, "hourly-crash-batch": undefined }).toEqual({ ...before, "hourly-crash-batch": undefined });
  });

  it("set_schedule flags a schedule that could reach one agent's daily loss limit, without refusing it", async () => {
    // 24 × 10 × $0.04 = $9.60: over an agent's $5, under the fleet's $20
    const args = { bet: { game: "crash", cash_out_at: 1.5 }, count: 10, amount_usd: 0.04 };
    const res = await h.call("set_schedule", { name: "hourly-crash-batch", enabled: true, args });
    expect(res.isError).toBeFalsy();
    const { schedule } = res.structuredContent as { schedule: ScheduleJson };
    expect(schedule.stake).toMatchObject({ worst_case_daily_usd: 9.6, within_limits: false });
    expect(schedule.stake?.statement).toContain("WARNING: an agent could reach its daily loss limit $5.00");
  });

  it("set_schedule rejects bad input with INVALID_INPUT naming the value, and changes nothing", async () => {
    const before = await schedules();
    const crash = { bet: { game: "crash", cash_out_at: 1.5 }, count: 10 };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "daily-pnl-summary", cron: "61 * * * *" }, "minute value `61` is out of range 0–59"],
      [{ name: "daily-pnl-summary", timezone: "Mars/Olympus" }, "got `Mars/Olympus`"],
      [{ name: "daily-pnl-summary", cron: "0 * * * *", interval_seconds: 60 }, "not both"],
      [{ name: "hourly-crash-batch", args: { count: 10, amount: 0.01 } }, "args for casino.place_batch"],
      [
        { name: "hourly-crash-batch", args: { ...crash, amount: 10_000 } },
        "amount: not accepted here; give `amount_usd`",
      ],
      [
        { name: "hourly-crash-batch", args: { ...crash, amount_usd: 0.001 } },
        "amount_usd: must be a number ≥ 0.01 USD",
      ],
      [
        { name: "hourly-crash-batch", args: { ...crash, amount_usd: "0.01" } },
        'amount_usd: must be a number ≥ 0.01 USD (USD, not cents), got `"0.01"`',
      ],
      [
        { name: "hourly-crash-batch", args: { ...crash, amount_usd: 0.0100001 } },
        "amount_usd: must have at most 6 decimal places",
      ],
      [{ name: "hourly-crash-batch", args: { bet: crash.bet, count: 10 } }, "amount_usd:"],
      [{ name: "hourly-crash-batch", args: { ...crash, amount_usd: 0.01, count: 0 } }, "count:"],
      [{ name: "wallet-balance-check", args: { low_balance_usd: -1 } }, "low_balance_usd: must be a number ≥ 0 USD"],
      [{ name: "daily-pnl-summary", interval_seconds: -1 }, "interval_seconds"],
      [{ name: "daily-pnl-summary", catch_up: "sometimes" }, "catch_up"],
      [{ name: "daily-pnl-summary", every: "5m" }, "every"],
      [{ name: "daily-pnl-summary" }, "nothing to change"],
    ];
    for (const [args, message] of cases) {
      const err = errorOf(await h.call("set_schedule", args));
      expect(err.code, JSON.stringify(args)).toBe("INVALID_INPUT");
      expect(err.message, JSON.stringify(args)).toContain(message);
      expect(err.hint, JSON.stringify(args)).toBeTruthy();
    }
    expect(errorOf(await h.call("set_schedule", { name: "nope", enabled: true })).code).toBe("NOT_FOUND");
    expect(errorOf(await h.call("set_schedule", { name: "nope", args: { amount_usd: 1 } })).code).toBe("NOT_FOUND");
    expect(await schedules()).toEqual(before);
  });

  it("set_schedule takes money in USD and the job gets the same stake in micro-USD", async () => {
    const args = { bet: { game: "crash", cash_out_at: 1.5 }, count: 10, amount_usd: 0.02 };
    const res = await h.call("set_schedule", { name: "hourly-crash-batch", enabled: true, args });
    expect(res.isError).toBeFalsy();
    const { schedule } = res.structuredContent as { schedule: ScheduleJson };
    expect(schedule.args).toEqual(args);
    expect(schedule.stake).toMatchObject({ stake_per_bet_usd: 0.02, worst_case_daily_usd: 4.8, within_limits: true });
    expect((await schedules())["hourly-crash-batch"]?.args).toEqual(args);

    const low = { low_balance_usd: 0.25, claimFaucetWhenLow: false };
    const set = await h.call("set_schedule", { name: "wallet-balance-check", args: low });
    expect((set.structuredContent as { schedule: ScheduleJson }).schedule.args).toEqual(low);

    // inside, the task gets integer micro-USD
    const run = await h.call("run_schedule_now", { name: "hourly-crash-batch" });
    const jobId = (run.structuredContent as { job_id: string }).job_id;
    expect((await h.engine.get(jobId))?.args).toMatchObject({ count: 10, amount: 20_000 });
    const check = await h.call("run_schedule_now", { name: "wallet-balance-check" });
    const checkId = (check.structuredContent as { job_id: string }).job_id;
    expect((await h.engine.get(checkId))?.args).toMatchObject({ lowBalance: 250_000, claimFaucetWhenLow: false });
  });

  it("run_schedule_now enqueues one manual run; a disabled money schedule is refused and enqueues nothing", async () => {
    const err = errorOf(await h.call("run_schedule_now", { name: "midday-coinflip-batch" }));
    expect(err.code).toBe("FORBIDDEN");
    expect(await enqueuedJobs(h.engine, TASK.placeBatch)).toHaveLength(0);

    const res = await h.call("run_schedule_now", { name: "daily-ledger-refresh" });
    expect(res.isError).toBeFalsy();
    const out = res.structuredContent as { job_id: string; task: string; manual: boolean; mode: string };
    expect(out).toMatchObject({ task: TASK.ledgerRefresh, manual: true, mode: "sandbox" });
    expect((await enqueuedJobs(h.engine, TASK.ledgerRefresh)).map((j) => j.id)).toEqual([out.job_id]);
    expect((await schedules())["daily-ledger-refresh"]?.last_firing).toMatchObject({
      manual: true,
      slot: null,
      job_id: out.job_id,
      job_state: "queued",
    });
  });

  it("schedules://list serves the Beat inspector as JSON", async () => {
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).toContain("schedules://list");
    const read = await h.client.readResource({ uri: "schedules://list" });
    const body = JSON.parse((read.contents[0] as { text: string }).text) as { schedules: ScheduleJson[] };
    const weekly = body.schedules.find((s) => s.name === "weekly-pnl-report");
    expect(weekly).toMatchObject({ enabled: true, cron: "0 6 * * MON", task: TASK.weeklyPnl });
    expect(new Date(weekly?.next_run_at as string).getUTCDay()).toBe(1);
    expect(body.schedules.find((s) => s.name === "hourly-crash-batch")?.stake?.worst_case_daily_usd).toBe(2.4);
  });
});
