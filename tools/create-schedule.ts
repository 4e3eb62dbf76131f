import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { SCHEDULABLE_TASKS, schedulableTask, startsDisabled } from "../scheduler/catalog.js";
import { SCHEDULE_NAME } from "../scheduler/create.js";
import { MIN_USER_INTERVAL_SECONDS } from "../scheduler/patch.js";
import { scheduleJson, scheduleShape } from "../scheduler/present.js";
import { argsFromTool } from "../scheduler/tool-args.js";
import type { NewSchedule } from "../scheduler/types.js";
import type { FleetDeps } from "../src/deps.js";
import { registerTool } from "../src/mcp/tool.js";
import { input as setInput } from "./set-schedule.js";

const TASKS = Object.keys(SCHEDULABLE_TASKS) as [string, ...string[]];

export const input = {
  name: z
    .string()
    .regex(SCHEDULE_NAME, "must be 1–64 lowercase letters, digits, `-` or `_`, starting with a letter or digit")
    .describe("a new, unique schedule name, e.g. `hourly-ledger-refresh`"),
  task: z.enum(TASKS, { error: `must be one of ${TASKS.join(", ")}` }).describe("the task each firing enqueues"),
  args: z
    .record(z.string(), z.unknown())
    .default({})
    .describe(
      "the task's args (default none). Money is USD under `_usd` names: casino.place_batch needs `bet` ({game: crash|coin-flip|dice, …}), `count` and `amount_usd` per bet (≥ 0.01); wallet.balance_check takes `low_balance_usd`. list_schedules shows examples",
    ),
  cron: setInput.cron.describe("5-field cron `minute hour day-of-month month day-of-week`, e.g. `0 * * * *`"),
  interval_seconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(MIN_USER_INTERVAL_SECONDS, `must be at least ${MIN_USER_INTERVAL_SECONDS} seconds`)
    .optional()
    .describe("or run every N seconds (≥ 60), aligned to the clock (900 = :00, :15, …)"),
  timezone: setInput.timezone,
  enabled: z
    .boolean()
    .optional()
    .describe("default true; ignored for money tasks (casino.place_batch, escrow.settle): those start disabled"),
  catch_up: setInput.catch_up.describe("after downtime: `skip` missed slots (default) or run the `latest` once"),
  expiry_seconds: setInput.expiry_seconds,
  description: z.string().max(200).optional().describe("what it is for, shown by list_schedules"),
};

export const output = {
  schedule: scheduleShape,
  to_enable: z.string().nullable().describe("the call that turns on a schedule created disabled; null if enabled"),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "create_schedule",
    title: "Create a schedule",
    description: [
      "Creates a periodic schedule (like a Celery Beat entry) that enqueues one task on a cron expression or a fixed interval, at most once a minute; it persists across restarts and fires once per slot however many pf-fleet processes share the database.",
      "A schedule whose task moves money (casino.place_batch bets, escrow.settle releases) is always created disabled: turn it on with set_schedule enabled=true, which states a betting schedule's worst-case daily stake against the risk limits and refuses one over them.",
      "Everything is validated first: a bad name, task, args or cron writes nothing (INVALID_INPUT naming the field); a taken name is CONFLICT. Remove it with delete_schedule.",
    ].join(" "),
    input,
    output,
    // a repeated call changes nothing more: the name is taken (CONFLICT)
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args) {
      const draft: NewSchedule = {
        name: args.name,
        task: args.task,
        // USD at the boundary: the scheduler stores the task's own args, in micro-USD
        args: argsFromTool(args.task, args.args),
        ...(args.cron !== undefined ? { cron: args.cron } : {}),
        ...(args.interval_seconds !== undefined ? { intervalSeconds: args.interval_seconds } : {}),
        ...(args.timezone !== undefined ? { timezone: args.timezone } : {}),
        ...(args.enabled !== undefined ? { enabled: args.enabled } : {}),
        ...(args.catch_up !== undefined ? { catchUp: args.catch_up } : {}),
        ...(args.expiry_seconds !== undefined ? { expirySeconds: args.expiry_seconds } : {}),
        ...(args.description !== undefined ? { description: args.description } : {}),
      };
      const limits = await deps.fleet.limits();
      const schedule = scheduleJson(await deps.scheduler.create(draft), limits);
      const toEnable = schedule.enabled
        ? null
        : `set_schedule ${JSON.stringify({ name: schedule.name, enabled: true })}${schedule.stake ? " (states the worst-case daily stake against the limits first)" : ""}`;
      const timing =
        schedule.cron === null ? `every ${schedule.interval_seconds} s` : `${schedule.cron} ${schedule.timezone}`;
      const lines = [
        `created ${schedule.name}: ${timing} → ${schedule.task}; ${schedule.enabled ? `enabled, next run ${schedule.next_run_at}` : "DISABLED"}`,
      ];
      if (startsDisabled(schedulableTask(args.task))) {
        const ignored = args.enabled ? " (enabled: true is not applied to it)" : "";
        lines.push(`its task moves money, so it starts disabled${ignored}; to turn it on: ${toEnable}`);
      } else if (toEnable) {
        lines.push(`to turn it on: ${toEnable}`);
      }
      if (schedule.stake) lines.push(`once enabled: ${schedule.stake.statement}`);
      return { structured: { schedule, to_enable: toEnable }, text: lines.join("\n") };
    },
  });
}
