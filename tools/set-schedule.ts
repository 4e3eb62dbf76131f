import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { unknownSchedule } from "../scheduler/patch.js";
import { scheduleJson, scheduleShape } from "../scheduler/present.js";
import { assertStakeWithinLimits, stakeStatement } from "../scheduler/stake.js";
import { argsFromTool } from "../scheduler/tool-args.js";
import type { SchedulePatch } from "../scheduler/types.js";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import {
  confirmToken,
  confirmTokenFor,
  confirmTokenLine,
  confirmTokenOut,
  requireConfirmation,
} from "../src/mcp/confirm.js";
import { registerTool } from "../src/mcp/tool.js";
import { enablingMoneyPlan } from "./_schedule-plans.js";

export const input = {
  name: z
    .string()
    .min(1, "must be a schedule name; see list_schedules")
    .describe("schedule name, e.g. `hourly-crash-batch`"),
  enabled: z.boolean().optional().describe("turn the schedule on or off"),
  cron: z
    .string()
    .min(1)
    .optional()
    .describe(
      "5-field cron `minute hour day-of-month month day-of-week` (or 6 with seconds first), e.g. `0 * * * *`; replaces an interval",
    ),
  interval_seconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(1, "must be at least 1 second")
    .optional()
    .describe("run every N seconds instead, aligned to the clock (300 = :00, :05, …); replaces a cron"),
  args: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "the task's complete args (replaces the current ones; read them from list_schedules). Money is USD under `_usd` names: casino.place_batch takes `amount_usd` per bet (0.01 = one cent, ≥ 0.01), wallet.balance_check `low_balance_usd`",
    ),
  timezone: z.string().min(1).optional().describe("IANA zone the cron is read in (default UTC), e.g. `Europe/Berlin`"),
  catch_up: z
    .enum(["skip", "latest"])
    .optional()
    .describe("after downtime: `skip` missed slots, or run the `latest` missed one once"),
  expiry_seconds: z
    .number()
    .int()
    .min(1)
    .nullable()
    .optional()
    .describe("each firing's job expires this many seconds after its slot if not started; null = never"),
  dry_run: z.boolean().default(false).describe("true: show the schedule as it would be, change nothing"),
  confirm_token: confirmToken,
};

export const output = {
  schedule: scheduleShape.describe("as written (a dry run: as it would be)"),
  changed: z.array(z.string()),
  dry_run: z.boolean(),
  confirm_token: confirmTokenOut,
};

const FIELDS: Array<[Exclude<keyof typeof input, "dry_run" | "confirm_token">, keyof SchedulePatch]> = [
  ["enabled", "enabled"],
  ["cron", "cron"],
  ["interval_seconds", "intervalSeconds"],
  ["args", "args"],
  ["timezone", "timezone"],
  ["catch_up", "catchUp"],
  ["expiry_seconds", "expirySeconds"],
];

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "set_schedule",
    title: "Change a schedule",
    description: [
      "Changes one periodic schedule: enable or disable it, change its cron expression or interval, timezone, catch-up policy, expiry, or replace its task args. Changes persist across restarts and apply to every pf-fleet process sharing the database.",
      "Everything is validated first; a bad cron, timezone or args changes nothing (INVALID_INPUT naming the field). Money in args is USD (`amount_usd`), as list_schedules shows it. Enabling (or changing) a money schedule (casino batch) states its worst-case daily stake — firings per day × bets × stake — against the risk limits, and is refused with LIMIT_EXCEEDED if a bet or batch is over its limit or the day could lose more than the fleet's daily loss limit.",
      "Slots from before a schedule is enabled or retimed never run. Use list_schedules first to see names and current args.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args, ctx) {
      const patch: SchedulePatch = {};
      const changed: string[] = [];
      for (const [from, to] of FIELDS) {
        if (args[from] === undefined) continue;
        (patch as Record<string, unknown>)[to] = args[from];
        changed.push(from);
      }
      if (changed.length === 0) {
        throw new FleetError("INVALID_INPUT", `nothing to change for \`${args.name}\``, {
          hint: `give at least one of ${FIELDS.map(([f]) => f).join(", ")}`,
        });
      }
      if (args.args !== undefined) {
        // USD at the boundary: the scheduler stores the task's own args, in micro-USD
        const current = await deps.scheduler.get(args.name);
        if (!current) {
          const known = (await deps.scheduler.list()).map((s) => s.name);
          throw unknownSchedule(args.name, known);
        }
        patch.args = argsFromTool(current.task, args.args);
      }
      const limits = await deps.fleet.limits();
      // Enabling a money schedule commits the fleet to its worst-case day: refused first if over the limits, then
      // (live mode) put to the user before anything is written.
      const next = await deps.scheduler.preview(args.name, patch);
      const statement = stakeStatement(next, limits);
      assertStakeWithinLimits(next, statement);
      const plan = next.enabled && statement ? enablingMoneyPlan(args, next, statement, limits) : undefined;
      if (args.dry_run) {
        const token = plan ? confirmTokenFor(deps, plan) : null;
        const schedule = scheduleJson(next, limits);
        const lines = [
          `dry run, nothing changed: ${schedule.name} would be ${schedule.enabled ? "enabled" : "disabled"}; next run ${schedule.next_run_at ?? "–"}`,
          ...(schedule.stake ? [schedule.stake.statement] : []),
          ...(plan ? confirmTokenLine(deps, plan, token) : []),
        ];
        return {
          structured: { schedule, changed, dry_run: true, ...(token ? { confirm_token: token } : {}) },
          text: lines.join("\n"),
        };
      }
      if (plan) await requireConfirmation(deps, ctx, plan, args.confirm_token);
      // the worst case is checked again on the row as it is written, inside the write: a refusal writes nothing
      const view = await deps.scheduler.set(args.name, patch, {
        check: (written) => {
          const writtenStatement = stakeStatement(written, limits);
          assertStakeWithinLimits(written, writtenStatement);
          if (plan && written.enabled && (writtenStatement?.worstCaseDaily ?? 0) > plan.worstCase) {
            throw new FleetError(
              "CONFLICT",
              `schedule \`${args.name}\` changed while this change was being confirmed`,
              {
                hint: "read it with list_schedules and make the change again",
              },
            );
          }
        },
      });
      const schedule = scheduleJson(view, limits);
      const lines = [
        `${schedule.name}: ${schedule.enabled ? "enabled" : "disabled"}; changed ${changed.join(", ")}; next run ${schedule.next_run_at ?? "–"}`,
      ];
      if (schedule.stake) lines.push(schedule.stake.statement);
      return { structured: { schedule, changed, dry_run: false }, text: lines.join("\n") };
    },
  });
}
