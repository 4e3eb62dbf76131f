import { z } from "zod";
import { FleetError } from "../src/errors.js";
import { usd } from "../src/mcp/schemas.js";
import { describeIssues } from "../src/mcp/tool.js";
import { microsToUsd } from "../src/money.js";
import { SCHEDULABLE_TASKS, schedulableTask, type UsdArg } from "./catalog.js";

/**
 * Schedule args as the tools take and show them: the task's own args, except that money is in USD under a
 * `_usd` name (`amount_usd: 0.01`, not `amount: 10000`), like every other tool. The scheduler stores, and the
 * task receives, the task's args in integer micro-USD.
 */

const HINT =
  "money in schedule args is USD under `_usd` names (amount_usd: 0.01 is one cent, not cents or micro-USD); read the current args from list_schedules; nothing was changed";

/** The args as tools show them: each money arg in USD under its `_usd` name, in the same place. */
export function argsForTool(task: string, args: Record<string, unknown>): Record<string, unknown> {
  const money = SCHEDULABLE_TASKS[task]?.usd;
  if (!money) return args;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const field = money[key];
    if (field && typeof value === "number") out[field.name] = microsToUsd(value);
    else out[key] = value;
  }
  return out;
}

/**
 * Tool args → the task's args (money to integer micro-USD), validated against the task's schema. Anything wrong
 * is INVALID_INPUT naming the field as the tool calls it and the value received.
 */
export function argsFromTool(task: string, toolArgs: Record<string, unknown>): Record<string, unknown> {
  const def = schedulableTask(task);
  const money = Object.entries(def.usd ?? {});
  const byToolName = new Map(money.map(([key, field]) => [field.name, [key, field] as const]));
  const problems: string[] = [];
  const args: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(toolArgs)) {
    const field = def.usd?.[name];
    if (field) {
      problems.push(`${name}: not accepted here; give \`${field.name}\` in USD, got \`${JSON.stringify(value)}\``);
      continue;
    }
    const entry = byToolName.get(name);
    if (!entry) {
      args[name] = value;
      continue;
    }
    const micros = toMicros(entry[1], value);
    if (typeof micros === "string") problems.push(micros);
    else args[entry[0]] = micros;
  }
  if (problems.length === 0) {
    const parsed = def.args.safeParse(args);
    if (parsed.success) return args;
    // name money fields as the tool does, and show the value the caller sent
    const toolName = (key: PropertyKey) => money.find(([k]) => k === key)?.[1].name ?? key;
    const issues = parsed.error.issues.map((issue) => ({
      ...issue,
      path: issue.path.length ? [toolName(issue.path[0] as PropertyKey), ...issue.path.slice(1)] : issue.path,
    }));
    problems.push(describeIssues(new z.ZodError(issues), toolArgs));
  }
  throw new FleetError("INVALID_INPUT", `args for ${task}: ${problems.join("; ")}`, { hint: HINT });
}

/** USD → micro-USD, or the problem as a sentence naming the field and the value */
function toMicros(field: UsdArg, value: unknown): number | string {
  const parsed = usd({ min: field.min }).safeParse(value);
  if (parsed.success) return parsed.data;
  return `${field.name}: ${parsed.error.issues[0]?.message ?? "must be a USD amount"}, got \`${JSON.stringify(value)}\``;
}
