/**
 * Confirmation before live money moves. In live mode a money-moving call whose worst case (the most the fleet can
 * lose by it) is above the operator's PF_CONFIRM_ABOVE_USD is put to the user before anything is sent or written:
 *
 * - a client that declared `elicitation` asks the user (form mode), showing the plan; accept goes on, decline or
 *   cancel refuses with CONFIRMATION_DECLINED;
 * - any other client must pass the `confirm_token` a dry run of the same plan returned (the dry run's result is
 *   what the user sees); without one, or with one for another plan or an expired one: CONFIRMATION_REQUIRED.
 *
 * The token is an HMAC over a canonical JSON of the plan (tool, arguments, what they resolved to, worst case) under a
 * per-process secret: the model can neither forge one nor carry one over to a changed plan. Sandbox mode never asks.
 * Callers run their own refusals (bad input, limits, kill switch) first, so a plan that would be refused anyway is
 * refused as before, without a question.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { FleetDeps } from "../deps.js";
import { FleetError, toFleetError } from "../errors.js";
import { formatUsd, type Micros } from "../money.js";
import type { ToolContext } from "./tool.js";

/** how long a dry run's token stays good */
export const CONFIRM_TOKEN_TTL_MS = 10 * 60_000;
/** how long the user has to answer; the call's own cancellation ends the question sooner */
const ANSWER_TIMEOUT_MS = 5 * 60_000;
/** the call arguments that change nothing about what is sent */
const NOT_PLAN = new Set(["wait_seconds", "dry_run", "confirm_token"]);

/** one process's secret: a restart (or another process) needs a new dry run */
const SECRET = randomBytes(32);

/** The input field every money tool that can ask takes. */
export const confirmToken = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe(
    "live mode above the confirmation threshold, host cannot ask the user: the confirm_token of a dry_run of this exact call",
  );

/** The dry run's answer: the token, when sending this plan in live mode would need one. */
export const confirmTokenOut = z.string().optional().describe("pass as confirm_token to send exactly this plan");

export interface MoneyPlan {
  tool: string;
  /** the call's arguments as parsed (amounts in micro-USD); `wait_seconds`, `dry_run`, `confirm_token` are dropped */
  args: Record<string, unknown>;
  /** what the arguments resolved to and the call would act on: agents and their stakes, escrow ids, a quoted price */
  resolved: Record<string, unknown>;
  /** the most the fleet can lose by it, micro-USD */
  worstCase: Micros;
  /** the plan for a person, one line each: stake per bet and count, agents, … */
  lines: string[];
  /** the limits that apply and their headroom today, one line each; only read when the user is asked */
  limits(): Promise<string[]>;
}

/** True when this plan must be confirmed before it is sent: live mode and a worst case above the threshold. */
export function needsConfirmation(deps: Pick<FleetDeps, "mode" | "config">, plan: MoneyPlan): boolean {
  return deps.mode === "live" && plan.worstCase > deps.config.confirmAbove;
}

/**
 * Resolves when the plan may be sent: no confirmation needed, a valid `token` for exactly this plan, or the user's
 * yes through elicitation. Otherwise throws CONFIRMATION_DECLINED or CONFIRMATION_REQUIRED; nothing is sent.
 */
export async function requireConfirmation(
  deps: Pick<FleetDeps, "mode" | "config" | "logger">,
  ctx: Pick<ToolContext, "elicit" | "signal">,
  plan: MoneyPlan,
  token: string | undefined,
): Promise<void> {
  if (!needsConfirmation(deps, plan)) return;
  const audit = { tool: plan.tool, worst_case_usd: formatUsd(plan.worstCase) };
  if (token !== undefined) {
    const problem = tokenProblem(plan, token);
    if (problem) throw new FleetError("CONFIRMATION_REQUIRED", `${plan.tool}: ${problem}`, { hint: dryRunHint(plan) });
    deps.logger.info({ ...audit, via: "confirm_token" }, "live money move confirmed");
    return;
  }
  if (!ctx.elicit) {
    throw new FleetError(
      "CONFIRMATION_REQUIRED",
      `${plan.tool} would put up to $${formatUsd(plan.worstCase)} of live money at risk, above the operator's confirmation threshold of $${formatUsd(deps.config.confirmAbove)}, and this client cannot ask the user (no elicitation support)`,
      { hint: dryRunHint(plan) },
    );
  }
  const answer = await ask(ctx, plan, deps.config.confirmAbove);
  deps.logger.info({ ...audit, via: "elicitation", answer }, "live money move put to the user");
  if (answer === "accepted") return;
  throw new FleetError(
    "CONFIRMATION_DECLINED",
    `the user ${answer} ${plan.tool} ($${formatUsd(plan.worstCase)} at risk); nothing was sent or written`,
    { hint: "do not repeat the call unless the user asks for it; a smaller or different plan can be proposed" },
  );
}

/** A dry run's token for this plan, or null when sending it would not ask (sandbox, or at or below the threshold). */
export function confirmTokenFor(deps: Pick<FleetDeps, "mode" | "config">, plan: MoneyPlan): string | null {
  return needsConfirmation(deps, plan) ? mintConfirmToken(plan) : null;
}

/** The dry run's sentence about its token, or nothing when there is none. */
export function confirmTokenLine(deps: Pick<FleetDeps, "config">, plan: MoneyPlan, token: string | null): string[] {
  if (!token) return [];
  return [
    `Live money: worst case $${formatUsd(plan.worstCase)} is above the confirmation threshold $${formatUsd(deps.config.confirmAbove)}. Show this plan to the user; if they agree, repeat the call with the same arguments and confirm_token "${token}" (valid ${CONFIRM_TOKEN_TTL_MS / 60_000} minutes; any change needs a new dry run).`,
  ];
}

/** The plan's arguments: everything but the ones that change nothing about what is sent. */
export function planArgs(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([k, v]) => !NOT_PLAN.has(k) && v !== undefined));
}

export function mintConfirmToken(plan: MoneyPlan, now = Date.now()): string {
  const expires = now + CONFIRM_TOKEN_TTL_MS;
  return `pfc1.${expires.toString(36)}.${mac(plan, expires)}`;
}

/** Why `token` does not confirm `plan`, or undefined when it does. */
export function tokenProblem(plan: MoneyPlan, token: string, now = Date.now()): string | undefined {
  const [version, expiresRaw, given] = token.split(".");
  const expires = expiresRaw ? Number.parseInt(expiresRaw, 36) : Number.NaN;
  if (version !== "pfc1" || !given || !Number.isSafeInteger(expires)) {
    return "confirm_token is not a token a dry run returned";
  }
  const expected = Buffer.from(mac(plan, expires));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return "confirm_token was issued for a different plan (tool, amounts, count, agents or other arguments differ), or by another pf-fleet process";
  }
  if (now > expires) return `confirm_token expired ${new Date(expires).toISOString()}`;
  return undefined;
}

function mac(plan: MoneyPlan, expires: number): string {
  const bound = { tool: plan.tool, args: plan.args, resolved: plan.resolved, worst_case: plan.worstCase };
  return createHmac("sha256", SECRET)
    .update(`${expires}.${canonicalJson(bound)}`)
    .digest("base64url");
}

/** JSON with object keys sorted at every level, so the same plan always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

function dryRunHint(plan: MoneyPlan): string {
  return `call ${plan.tool} with the same arguments and dry_run: true, show its plan to the user, and once they agree repeat the call with confirm_token set to the dry run's confirm_token; nothing was sent or written`;
}

type Answer = "accepted" | "declined" | "dismissed";

async function ask(ctx: Pick<ToolContext, "elicit" | "signal">, plan: MoneyPlan, threshold: Micros): Promise<Answer> {
  const elicit = ctx.elicit as NonNullable<ToolContext["elicit"]>;
  const message = [
    `Confirm a LIVE money move: ${plan.tool} puts up to $${formatUsd(plan.worstCase)} at risk (your confirmation threshold is $${formatUsd(threshold)}).`,
    ...plan.lines.map((l) => `- ${l}`),
    "Limits:",
    ...(await plan.limits()).map((l) => `- ${l}`),
    "Accept to send it now; decline to send nothing.",
  ].join("\n");
  let result: Awaited<ReturnType<typeof elicit>>;
  try {
    result = await elicit(
      {
        mode: "form",
        message,
        requestedSchema: {
          type: "object",
          properties: {
            confirm: {
              type: "boolean",
              title: `Send it ($${formatUsd(plan.worstCase)} at risk)`,
              description: "tick to send this live money move as shown",
              default: false,
            },
          },
        },
      },
      { timeoutMs: ANSWER_TIMEOUT_MS },
    );
  } catch (err) {
    if (ctx.signal.aborted) throw toFleetError(err);
    throw new FleetError(
      "CONFIRMATION_REQUIRED",
      `could not ask the user to confirm ${plan.tool}: ${toFleetError(err).message}`,
      { hint: dryRunHint(plan), cause: err },
    );
  }
  if (result.action === "cancel") return "dismissed";
  // accept means yes unless the form came back with the box unticked
  if (result.action === "accept" && result.content?.confirm !== false) return "accepted";
  return "declined";
}
