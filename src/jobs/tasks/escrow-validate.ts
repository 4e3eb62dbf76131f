import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { Escrow, EscrowStatus } from "../../purpleflea/types.js";
import type { TaskDefinition } from "../types.js";
import { escrowId as escrowIdSchema, escrowValidateArgs, TASK, type ValidationPolicy } from "./args.js";
import { READ_RETRY } from "./policies.js";

/**
 * `escrow.validate`, the chain's middle step: applies the ValidationPolicy to the escrow. Failing validation
 * is a normal answer (`passed: false` with the reason), not an error, so the release step can report that the
 * escrow stays funded and how to release or dispute it by hand.
 */

export type EscrowValidateArgs = z.infer<typeof escrowValidateArgs>;

export interface ValidationResult {
  passed: boolean;
  reason: string;
  escrowId: string;
  status: EscrowStatus;
}

const POLL_MS = 2_000;
const HOUR_MS = 3_600_000;
/** the policy's longest wait (3600 s) plus room for the reads */
const VALIDATE_TIME_LIMIT_MS = 3_660_000;

export function escrowValidateTask(
  deps: Pick<FleetDeps, "client">,
): TaskDefinition<EscrowValidateArgs, ValidationResult> {
  return {
    name: TASK.escrowValidate,
    queue: "escrow",
    moneyMoving: false,
    timeLimitMs: VALIDATE_TIME_LIMIT_MS,
    retry: READ_RETRY,
    args: escrowValidateArgs,
    run: (ctx) => {
      const escrowId = targetEscrowId(ctx.args);
      return validateEscrow(
        (signal) => readWithRetry(() => deps.client.escrow.get(escrowId, undefined, { signal }), { signal }),
        ctx.args.policy,
        ctx.signal,
      );
    },
  };
}

/** The escrow a chained step acts on: its own `escrowId`, else the previous step's. */
export function targetEscrowId(args: { escrowId?: string | undefined; previous?: unknown }): string {
  if (args.escrowId) return args.escrowId;
  const fromPrevious = z.object({ escrowId: escrowIdSchema }).safeParse(args.previous);
  if (fromPrevious.success) return fromPrevious.data.escrowId;
  throw new FleetError(
    "INVALID_INPUT",
    "no escrow to act on: give `escrowId`, or chain this step after escrow.create",
    {
      kind: "permanent",
    },
  );
}

/**
 * Reads the escrow until the policy is decided: `counterparty_completed` passes once the escrow is
 * `completed` (waiting up to `waitSeconds`) with at least `minHoursBeforeTimeout` left before the timeout
 * refund; `manual` never passes automatically.
 */
export async function validateEscrow(
  read: (signal: AbortSignal) => Promise<Escrow>,
  policy: ValidationPolicy,
  signal: AbortSignal,
  now: () => number = Date.now,
): Promise<ValidationResult> {
  const deadline = now() + policy.waitSeconds * 1000;
  for (;;) {
    const escrow = await read(signal);
    const verdict = judge(escrow, policy, now());
    if (verdict || now() >= deadline) {
      return (
        verdict ?? {
          passed: false,
          reason: `the counterparty has not marked it completed (waited ${policy.waitSeconds} s); it is still ${escrow.status}`,
          escrowId: escrow.escrowId,
          status: escrow.status,
        }
      );
    }
    await sleep(Math.min(POLL_MS, deadline - now()), undefined, { signal });
  }
}

/** A final verdict, or null while a `funded` escrow may still be completed. */
function judge(escrow: Escrow, policy: ValidationPolicy, now: number): ValidationResult | null {
  const verdict = (passed: boolean, reason: string): ValidationResult => ({
    passed,
    reason,
    escrowId: escrow.escrowId,
    status: escrow.status,
  });
  if (policy.kind === "manual") {
    return verdict(false, "the validation policy is manual: check the work, then release or dispute it yourself");
  }
  switch (escrow.status) {
    case "funded":
      return null;
    case "released":
    case "refunded":
    case "disputed":
      return verdict(false, `the escrow is already ${escrow.status}; there is nothing to release`);
    case "completed":
      break;
  }
  const timeoutAt = escrow.autoReleaseAt === null ? Number.NaN : Date.parse(escrow.autoReleaseAt);
  if (Number.isFinite(timeoutAt)) {
    const hoursLeft = (timeoutAt - now) / HOUR_MS;
    if (hoursLeft < policy.minHoursBeforeTimeout) {
      return verdict(
        false,
        `only ${Math.max(0, hoursLeft).toFixed(1)} h are left before the timeout refunds the creator; ` +
          `the policy requires at least ${policy.minHoursBeforeTimeout} h`,
      );
    }
  }
  return verdict(true, "the counterparty marked the work completed");
}
