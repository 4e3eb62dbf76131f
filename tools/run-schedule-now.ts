import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { unknownSchedule } from "../scheduler/patch.js";
import { stakeStatement } from "../scheduler/stake.js";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import {
  confirmToken,
  confirmTokenFor,
  confirmTokenLine,
  confirmTokenOut,
  type MoneyPlan,
  requireConfirmation,
} from "../src/mcp/confirm.js";
import { modeField } from "../src/mcp/schemas.js";
import type { StartedJob } from "../src/mcp/tasks.js";
import { registerTool, type ToolContext } from "../src/mcp/tool.js";
import { isTerminal } from "../src/mcp/wait.js";
import { formatUsd } from "../src/money.js";
import { manualRunMoneyPlan } from "./_schedule-plans.js";

export const input = {
  name: z
    .string()
    .min(1, "must be a schedule name; see list_schedules")
    .describe("schedule name, e.g. `daily-pnl-summary`"),
  dry_run: z
    .boolean()
    .default(false)
    .describe("true: say what one run would stake (live money: and return its confirm_token); run nothing"),
  confirm_token: confirmToken,
};

export const output = {
  mode: modeField,
  schedule: z.string(),
  task: z.string(),
  job_id: z.string().nullable().describe("follow it with job_status; null for a dry run"),
  fired_at: z.string().nullable(),
  manual: z.literal(true),
  confirm_token: confirmTokenOut,
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "run_schedule_now",
    title: "Run a schedule now",
    description: [
      "Enqueues one run of a schedule's task right away, with the schedule's args (Flower's 'run now'). It is recorded as a manual run and does not use up the next slot, so the schedule still fires on time.",
      "Returns the job id at once; follow it with job_status. A money schedule (casino batch) runs only while enabled, and its bets are still checked against the risk limits when the job runs: it can place real bets in live mode.",
      "Not for changing a schedule: use set_schedule.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    // it never waits: as a task, the task follows the run's job, and the answer names how that job ended
    handler: async (args, ctx) => {
      if (args.dry_run) return dryRun(deps, args.name);
      return finishRun(deps, await startRun(deps, args, ctx));
    },
    task: {
      start: (args, ctx) => {
        if (args.dry_run) {
          throw new FleetError("INVALID_INPUT", "dry_run: true runs nothing and answers at once, so it is no task", {
            hint: "call run_schedule_now with dry_run without `task`",
          });
        }
        return startRun(deps, args, ctx);
      },
      finish: (started) => finishRun(deps, started as StartedJob<RunReplay>),
    },
  });
}

type RunReplay = { schedule: string; task: string; firedAt: string };

/** A manual run of an enabled money schedule places one firing's bets: live money asks first (confirm.ts). */
async function moneyPlan(deps: FleetDeps, name: string): Promise<MoneyPlan | undefined> {
  const schedule = await deps.scheduler.get(name);
  if (!schedule?.enabled) return undefined;
  const limits = await deps.fleet.limits();
  const statement = stakeStatement(schedule, limits);
  return statement ? manualRunMoneyPlan(schedule, statement, limits) : undefined;
}

async function dryRun(deps: FleetDeps, name: string) {
  const schedule = await deps.scheduler.get(name);
  if (!schedule)
    throw unknownSchedule(
      name,
      (await deps.scheduler.list()).map((s) => s.name),
    );
  const plan = await moneyPlan(deps, name);
  const token = plan ? confirmTokenFor(deps, plan) : null;
  const stakes = plan ? `; worst case $${formatUsd(plan.worstCase)}` : "";
  return {
    structured: {
      mode: deps.mode,
      schedule: name,
      task: schedule.task,
      job_id: null,
      fired_at: null,
      manual: true as const,
      ...(token ? { confirm_token: token } : {}),
    },
    text: [
      `dry run, nothing enqueued: a run of ${name} would enqueue ${schedule.task}${stakes}`,
      ...(plan ? confirmTokenLine(deps, plan, token) : []),
    ].join("\n"),
  };
}

async function startRun(
  deps: FleetDeps,
  args: { name: string; confirm_token?: string | undefined },
  ctx: ToolContext,
): Promise<StartedJob<RunReplay>> {
  const name = args.name;
  const plan = await moneyPlan(deps, name);
  if (plan) await requireConfirmation(deps, ctx, plan, args.confirm_token);
  const firing = await deps.scheduler.runNow(name);
  const task = (await deps.scheduler.get(name))?.task ?? "";
  return {
    jobId: firing.jobId as string,
    replay: { schedule: name, task, firedAt: new Date(firing.firedAt).toISOString() },
  };
}

async function finishRun(deps: FleetDeps, { jobId, replay }: StartedJob<RunReplay>) {
  const job = await deps.engine.get(jobId);
  const ended = job && isTerminal(job) ? `; job ${jobId} ${job.state}` : "; follow it with job_status";
  return {
    structured: {
      mode: deps.mode,
      schedule: replay.schedule,
      task: replay.task,
      job_id: jobId,
      fired_at: replay.firedAt,
      manual: true as const,
    },
    text: `enqueued ${replay.task} for schedule ${replay.schedule} as job ${jobId} (manual run, ${deps.mode} mode)${ended}`,
  };
}
