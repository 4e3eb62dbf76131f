import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { EscrowStatus } from "../../purpleflea/types.js";
import { escrowLimits } from "../rate-limit.js";
import type { ReconcileOutcome, TaskDefinition } from "../types.js";
import { escrowActionArgs, escrowDisputeArgs, TASK } from "./args.js";
import { InFlight } from "./in-flight.js";
import { errorMessage } from "./messages.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";

/**
 * `escrow.complete` (the counterparty marks the work done) and `escrow.dispute` (either party freezes the
 * escrow). Neither moves a balance, but both change who can get the money, so they are treated as money
 * jobs: a lost answer is reconciled from the escrow's own status (`GET /escrow/:id`), never re-sent blindly.
 * One job per escrow and action: a second request finds the first job (retry that one).
 */

export type EscrowActionArgs = z.infer<typeof escrowActionArgs>;
export type EscrowDisputeArgs = z.infer<typeof escrowDisputeArgs>;

export interface EscrowActionResult {
  escrowId: string;
  status: EscrowStatus;
}

export function escrowCompleteTask(
  deps: Pick<FleetDeps, "fleet" | "client">,
): TaskDefinition<EscrowActionArgs, EscrowActionResult> {
  const inFlight = new InFlight();
  return {
    name: TASK.escrowComplete,
    queue: "escrow",
    moneyMoving: true,
    timeLimitMs: MONEY_TIME_LIMIT_MS,
    retry: MONEY_RETRY,
    args: escrowActionArgs,
    idempotencyKey: (args) => `escrow.complete:${args.escrowId}`,
    rateLimits: () => escrowLimits("complete"),

    async run(ctx) {
      const key = await deps.fleet.keyFor(ctx.args.agentId);
      const r = await inFlight.track(ctx.args.escrowId, deps.client.escrow.complete(key, ctx.args.escrowId));
      return { escrowId: r.escrowId, status: r.status };
    },

    reconcile: (ctx) =>
      reconcileByStatus(
        deps,
        inFlight,
        ctx.args,
        ctx.signal,
        (e) =>
          // Completion is proven by its timestamp, which survives a later release or timeout refund.
          e.completedAt !== null || e.status === "completed" || e.status === "released",
      ),
  };
}

export function escrowDisputeTask(
  deps: Pick<FleetDeps, "fleet" | "client">,
): TaskDefinition<EscrowDisputeArgs, EscrowActionResult> {
  const inFlight = new InFlight();
  return {
    name: TASK.escrowDispute,
    queue: "escrow",
    moneyMoving: true,
    timeLimitMs: MONEY_TIME_LIMIT_MS,
    retry: MONEY_RETRY,
    args: escrowDisputeArgs,
    idempotencyKey: (args) => `escrow.dispute:${args.escrowId}`,
    rateLimits: () => escrowLimits("dispute"),

    async run(ctx) {
      const key = await deps.fleet.keyFor(ctx.args.agentId);
      const { escrowId, reason } = ctx.args;
      const r = await inFlight.track(escrowId, deps.client.escrow.dispute(key, escrowId, reason));
      return { escrowId: r.escrowId, status: r.status };
    },

    reconcile: (ctx) =>
      reconcileByStatus(deps, inFlight, ctx.args, ctx.signal, (e) => e.status === "disputed" || e.disputedAt !== null),
  };
}

/** done when the escrow shows the action happened; not_done otherwise (a resend then meets the state machine) */
async function reconcileByStatus(
  deps: Pick<FleetDeps, "fleet" | "client">,
  inFlight: InFlight,
  args: { agentId: string; escrowId: string },
  signal: AbortSignal,
  happened: (e: { status: EscrowStatus; completedAt: string | null; disputedAt: string | null }) => boolean,
): Promise<ReconcileOutcome<EscrowActionResult>> {
  await inFlight.released(args.escrowId);
  try {
    const key = await deps.fleet.keyFor(args.agentId);
    const escrow = await readWithRetry(() => deps.client.escrow.get(args.escrowId, key, { signal }), { signal });
    if (happened(escrow)) return { outcome: "done", result: { escrowId: escrow.escrowId, status: escrow.status } };
    return { outcome: "not_done", reason: `escrow ${args.escrowId} is ${escrow.status}` };
  } catch (err) {
    return { outcome: "unknown", reason: `escrow ${args.escrowId} could not be read: ${errorMessage(err)}` };
  }
}
